#!/usr/bin/env python
"""Mutation testing of the colour / loss / selection core with mutmut 3.

    .venv/bin/python tests/mutate.py                  # every target below
    .venv/bin/python tests/mutate.py color losses     # some of them
    .venv/bin/python tests/mutate.py --list           # the targets

mutmut's settings (files, the fast test selection, fork server) live in
pyproject.toml under [tool.mutmut]; this script picks the functions, runs
`mutmut run` with one worker, and prints killed / survived / other per target.
It exits non-zero only on errors (mutmut failing, mutants left unchecked),
never because mutants survived: read the list and judge them. `mutmut show
NAME` (from the repository root) prints a mutant's diff; `mutmut browse` is
the interactive view. Results and the mutated copy live in mutants/ (ignored).

mutmut 3 skips decorated functions: color.py's public ops wear the
@_numpy_in_numpy_out decorator, so from color.py only the undecorated helpers
(_squared_distances, _bins_f32, _check_last_axis) are mutated; their twins in
ops.py and the prior math in bins.py are mutated in full.
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
    "color": ["colordisc_tf.color.*"],
    "bins": ["colordisc_tf.bins.*"],
    "color_numpy": ["colordisc_tf.color_numpy.*"],
    "ops": ["colordisc_tf.ops.*"],
    "losses": ["colordisc_tf.losses.*"],
    "metrics": ["colordisc_tf.metrics.*"],
    "select_failures": ["colordisc_tf.realness.x_select_failures__mutmut_*",
                        "colordisc_tf.realness.x_write_failure_examples__mutmut_*"],
    "bless": ["colordisc_tf.before_after.x_bless__mutmut_*"],
}

KILLED = {"killed", "timeout", "caught by type check"}
SURVIVED = {"survived"}
ERRORS = {"not checked", "check was interrupted by user"}


def _mutmut_executable() -> str:
    local = Path(sys.executable).with_name("mutmut")
    found = str(local) if local.exists() else shutil.which("mutmut")
    if not found:
        sys.exit("mutmut is not installed: pip install -r requirements-extras.txt (see the mutmut line)")
    return found


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
    if args.clean:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("CUDA_VISIBLE_DEVICES", "")  # CPU: the tests are tiny; no GPU start-up per worker
    start = time.monotonic()
    # Mutants named explicitly are always (re)run, so every call tests the current code.
    cmd = [_mutmut_executable(), "run", "--max-children", str(args.max_children), *globs]
    print("+", " ".join(cmd), flush=True)
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
        names = sorted(n for n in results if any(fnmatch.fnmatchcase(n, g) for g in TARGETS[target]))
        if not names:
            errors.append(f"{target}: no mutants found")
        counts = [0, 0, 0]
        for name in names:
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
