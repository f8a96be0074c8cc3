"""What every benchmark shares: timing (best of N after a warm-up), the machine it ran on,
results as JSON, the ratio table, and the reference twins that tests/ keeps as oracles."""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import platform
import sys
import time

__all__ = ["best_seconds", "images_per_second", "machine", "write_json", "print_ratios", "load_twin"]

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


def machine() -> dict:
    """Where the numbers come from: date, host, cores, Python and the stack's versions."""
    info = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "platform": platform.platform(), "cores": os.cpu_count(), "python": platform.python_version()}
    for name in ("keras", "tensorflow", "jax", "torch"):
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


def load_twin(name: str):
    """A reference twin from tests/reference/ (e.g. "eccv16_torch", the PyTorch ECCV16 layer
    table), loaded from its file: tests use it as an oracle, benchmarks as the baseline."""
    path = os.path.join(_ROOT, "tests", "reference", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_twin_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
