#!/usr/bin/env python
"""Mutation testing of the colour / loss / selection core with mutmut 3.

    make mutate                                       # installs mutmut, runs every target below
    .venv/bin/python tests/mutate.py                  # the same, mutmut installed
    .venv/bin/python tests/mutate.py color losses     # some of them
    .venv/bin/python tests/mutate.py --list           # the targets

mutmut's settings (files, the fast test selection, fork server) live in
pyproject.toml under [tool.mutmut]; this script picks the functions, runs
`mutmut run` with one worker, and prints killed / survived / other per target.
It exits non-zero only on errors (mutmut failing, mutants left unchecked),
never because mutants survived: read the list and judge them. `mutmut show
NAME` (from the repository root) prints a mutant's diff; `mutmut browse` is
the interactive view. Results and the mutated copy live in mutants/ (ignored).

mutmut 3 skips decorated functions: the public ops of colordisc_tf/color/__init__.py
wear the @_numpy_in_numpy_out decorator, so from there only the undecorated helpers
(_is_tensor, _check_last_axis) are mutated; the one implementation behind them
(color/keras_ops.py), the bins, the prior math (color/rebalance.py) and the rest are
mutated in full. Functions that run
only at import time are left out (EXCLUDE): mutmut switches mutants on after
the import, so their mutants could never be active.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: target name -> mutant-name globs (mutmut names mutants <module>.x_<function>__mutmut_<n>,
#: methods <module>.xǁ<Class>ǁ<method>__mutmut_<n>)
TARGETS = {
    "color": ["colordisc_tf.color.x*"],
    "bins": ["colordisc_tf.color.bins.*"],
    "rebalance": ["colordisc_tf.color.rebalance.*"],
    "srgb8": ["colordisc_tf.color.srgb8.*"],
    "keras_ops": ["colordisc_tf.color.keras_ops.*"],
    "decoding": ["colordisc_tf.color.decoding.*"],
    "losses": ["colordisc_tf.train.losses.*"],
    "metrics": ["colordisc_tf.metrics.*"],
    "select_failures": ["colordisc_tf.evaluate.failures.*", "colordisc_tf.config.x_failure_selection__mutmut_*"],
    "bless": ["colordisc_tf.evaluate.blessing.*"],
}

#: Functions that only run at import time (module set-up): mutmut switches a mutant on
#: per test run, after the modules were imported, so these mutants could never be active.
EXCLUDE = [
    "colordisc_tf.color.x__numpy_in_numpy_out__mutmut_*",
    "colordisc_tf.color.bins.x__load_bins__mutmut_*",
    "colordisc_tf.color.srgb8.x__linear_table__mutmut_*",
]

KILLED = {"killed", "timeout", "caught by type check"}
SURVIVED = {"survived"}
ERRORS = {"not checked", "check was interrupted by user"}


def _mutmut_executable() -> str:
    local = Path(sys.executable).with_name("mutmut")
    found = str(local) if local.exists() else shutil.which("mutmut")
    if not found:
        sys.exit("mutmut is not installed: .venv/bin/pip install mutmut==3.8.1 (with its dependencies)")
    return found


def _matches(name: str, globs) -> bool:
    return any(fnmatch.fnmatchcase(name, g) for g in globs)


def _mutant_names(globs) -> list[str] | None:
    """Every mutant mutmut will generate that matches `globs` and not EXCLUDE, found with
    mutmut's own mutator (the pinned 3.8.1 API). None if that API is not available."""
    try:
        from mutmut.mutation.file_mutation import mutate_file_contents
        from mutmut.utils.format_utils import get_mutant_name
        from mutmut.utils.file_utils import walk_mutatable_files
    except ImportError:
        return None
    names = []
    for path in walk_mutatable_files():  # the only_mutate files of [tool.mutmut]
        mutated = mutate_file_contents(str(path), path.read_text())
        names += [get_mutant_name(path, n) for n in mutated.mutant_names]
    return sorted(n for n in names if _matches(n, globs) and not _matches(n, EXCLUDE))


def _results() -> dict[str, int | None]:
    """{mutant name: exit code} from mutmut's per-file metadata."""
    out = {}
    for meta in (ROOT / "mutants").rglob("*.py.meta"):
        with open(meta) as f:
            out.update(json.load(f).get("exit_code_by_key", {}))
    return out


def _status(exit_code) -> str:
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[exit_code]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help=f"default: all of {', '.join(TARGETS)}")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutant workers (default 1)")
    parser.add_argument("--clean", action="store_true", help="delete mutants/ first (fresh stats and mutants)")
    parser.add_argument("--list", action="store_true", help="print the targets and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, globs in TARGETS.items():
            print(f"{name:16s} {' '.join(globs)}")
        return 0
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown targets {unknown}; choose from {list(TARGETS)}")
    targets = args.targets or list(TARGETS)
    globs = [g for t in targets for g in TARGETS[t]]

    os.chdir(ROOT)
    names = _mutant_names(globs)
    if names is None:
        print("note: mutmut's mutator API moved; running the target globs without EXCLUDE")
        names = globs
    elif not names:
        print("no mutants in the chosen targets")
        return 1
    if args.clean:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("CUDA_VISIBLE_DEVICES", "")  # CPU: the tests are tiny; no GPU start-up per worker
    start = time.monotonic()
    # Mutants named explicitly are always (re)run, so every call tests the current code.
    cmd = [_mutmut_executable(), "run", "--max-children", str(args.max_children), *names]
    print(f"+ mutmut run --max-children {args.max_children} <{len(names)} mutants of: {', '.join(targets)}>",
          flush=True)
    proc = subprocess.run(cmd, env=env)
    wall = time.monotonic() - start

    results = _results()
    errors = []
    if proc.returncode != 0:
        errors.append(f"mutmut run exited with {proc.returncode}")
    print(f"\nmutation testing: {wall:.0f} s wall, {args.max_children} worker(s)\n")
    print(f"{'target':16s} {'killed':>7s} {'survived':>9s} {'other':>6s}")
    survivors, others = [], []
    totals = [0, 0, 0]
    for target in targets:
        chosen = sorted(n for n in results if _matches(n, TARGETS[target]) and not _matches(n, EXCLUDE))
        if not chosen:
            errors.append(f"{target}: no mutants found")
        counts = [0, 0, 0]
        for name in chosen:
            status = _status(results[name])
            if status in KILLED:
                counts[0] += 1
            elif status in SURVIVED:
                counts[1] += 1
                survivors.append(name)
            else:
                counts[2] += 1
                others.append(f"{name}: {status}")
                if status in ERRORS:
                    errors.append(f"{name}: {status}")
        totals = [a + b for a, b in zip(totals, counts)]
        print(f"{target:16s} {counts[0]:7d} {counts[1]:9d} {counts[2]:6d}")
    print(f"{'total':16s} {totals[0]:7d} {totals[1]:9d} {totals[2]:6d}")
    if survivors:
        print("\nsurvived (inspect with `mutmut show NAME`):")
        for name in survivors:
            print("   ", name)
    if others:
        print("\nother (no tests, suspicious, segfault, not checked):")
        for line in others:
            print("   ", line)
    if errors:
        print("\nerrors:")
        for line in errors:
            print("   ", line)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
