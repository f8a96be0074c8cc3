"""What every benchmark shares: timing, the machine it ran on (with its load), results as JSON,
the ratio table, and the reference twins that tests/ keeps as oracles.

Ratios that hold on a shared machine: `interleaved` times the contenders in rounds (A B C, A B C,
...; each warmed first), so a busy moment falls on every contender of its round, and `ratio`
summarises the per-round ratios (paired: the same round) as their median with the quartiles and
the range. One timing of each, minutes apart, measures the neighbours (issue 37: 0.47x and 1.53x
an hour apart for the same code).
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import platform
import sys
import time

import numpy as np

__all__ = ["best_seconds", "images_per_second", "interleaved", "ratio", "machine", "write_json", "print_ratios",
           "print_interleaved", "load_twin"]

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def best_seconds(fn, repeats: int = 3, warmup: int = 1) -> float:
    """The fastest of `repeats` timed calls of fn() after `warmup` untimed ones (tracing,
    allocation, autotuning). fn must block until its work is done."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def images_per_second(run, steps: int, images_per_step: int, repeats: int = 3) -> float:
    """img/s of run(steps) (which must block until done): best of `repeats`, after run(2)."""
    run(2)
    return steps * images_per_step / best_seconds(lambda: run(steps), repeats, warmup=0)


def interleaved(runs: dict, images: int, rounds: int = 5, warmup: int = 1) -> dict[str, list[float]]:
    """name -> img/s in each round. runs: name -> fn() that processes `images` images and blocks
    until done. Every fn is called `warmup` times untimed first; then each round times one call
    of each, in the order given (A B C, A B C, ...)."""
    for fn in runs.values():
        for _ in range(warmup):
            fn()
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            rates[name].append(images / (time.perf_counter() - start))
    return rates


def ratio(ours: list[float], theirs: list[float]) -> dict:
    """The per-round ratios ours / theirs (> 1: ours faster) as their median, quartiles and range,
    with each side's median rate."""
    r = np.asarray(ours, np.float64) / np.asarray(theirs, np.float64)
    q1, median, q3 = np.percentile(r, [25, 50, 75])
    return {"median": float(median), "q1": float(q1), "q3": float(q3), "min": float(r.min()), "max": float(r.max()),
            "rounds": len(r), "ours_median": float(np.median(ours)), "theirs_median": float(np.median(theirs))}


def machine() -> dict:
    """Where the numbers come from: date, host, cores, load averages (1, 5, 15 min), Python and
    the stack's versions."""
    info = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "platform": platform.platform(), "cores": os.cpu_count(), "python": platform.python_version()}
    if hasattr(os, "getloadavg"):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    for name in ("keras", "tensorflow", "jax", "torch", "onnxruntime", "ai_edge_litert"):
        module = sys.modules.get(name)
        if module is not None:
            info[name] = getattr(module, "__version__", "?")
    return info


def write_json(path: str | None, results: dict) -> None:
    """results with the machine() they ran on, to path (nothing when path is None)."""
    if path:
        with open(path, "w") as f:
            json.dump({"machine": machine(), **results}, f, indent=1)


def print_ratios(rows, ours: str, theirs: str, unit: str = "img/s") -> None:
    """rows: (case, our rate, their rate); prints both and ours / theirs (> 1: ours faster)."""
    for case, mine, other in rows:
        print(f"{case:28s} {ours} {mine:9.2f} {unit}  {theirs} {other:9.2f} {unit}  ratio {mine / other:5.2f}x")


def print_interleaved(rows, theirs: str, unit: str = "img/s") -> None:
    """rows: (case, ratio(...) dict); one line each: median rates, the median ratio, IQR and range."""
    for case, r in rows:
        print(f"{case:34s} {r['ours_median']:8.2f} {unit} vs {theirs} {r['theirs_median']:8.2f}  ratio "
              f"{r['median']:5.2f}x (IQR {r['q1']:.2f}-{r['q3']:.2f}, range {r['min']:.2f}-{r['max']:.2f}, "
              f"{r['rounds']} rounds)")


def load_twin(name: str):
    """A reference twin from tests/reference/ (e.g. "eccv16_torch", the PyTorch ECCV16 layer
    table), loaded from its file: tests use it as an oracle, benchmarks as the baseline."""
    path = os.path.join(_ROOT, "tests", "reference", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_twin_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
