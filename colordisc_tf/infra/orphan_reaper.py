"""Local Beam workers that die with the pipeline process that started them.

The DirectRunner's multi_processing mode starts its workers as
`/bin/sh -c "python -m apache_beam.runners.worker.sdk_worker_main"`. When the pipeline
process is killed (SIGKILL, the OOM killer), a worker that is still starting or
connecting waits on a dead gRPC channel for a minute or more per channel, holding memory and input
files. Nothing inside the killed process can run, and a worker cannot be told earlier
(Beam builds its command line), so a small watcher process does it: started once per
pipeline process (beam_options.pipeline_options, local runners only), it notes that
process's descendants every POLL_SECONDS and, when the process is gone, kills the ones
still running. Linux only (it reads /proc); elsewhere it is not started.

    python -m colordisc_tf.infra.orphan_reaper PID
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

POLL_SECONDS = 0.25
_started_for: int | None = None


_PF_EXITING = 0x4  # include/linux/sched.h: set as do_exit starts, before the children are handed on


def _fields(pid) -> list[str] | None:
    """/proc/pid/stat from the state on (field 3), or None when pid is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _stat(pid) -> tuple[int, str] | None:
    """(parent pid, start time in ticks since boot) of pid, or None when it is gone."""
    try:
        fields = _fields(pid)
        return (int(fields[1]), fields[19]) if fields else None
    except (ValueError, IndexError):
        return None


def _running(pid, start: str) -> bool:
    """Whether pid is the process that started at `start` and is not dying or dead. A killed
    process stays in /proc as a zombie until its parent waits for it, but its children were
    handed to init when it died: from then on it has no descendants to look at."""
    fields = _fields(pid)
    try:
        return bool(fields) and fields[19] == start and fields[0] not in "ZXx" \
            and not int(fields[6]) & _PF_EXITING
    except (ValueError, IndexError):
        return False


def descendants(*pids: int) -> dict[int, str]:
    """{pid: start time} of every live descendant of the given pids (one scan of /proc)."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(entry)):
            children.setdefault(stat[0], []).append((int(entry), stat[1]))
    found, frontier = {}, list(pids)
    while frontier:
        for child, start in children.get(frontier.pop(), ()):
            if child not in found:
                found[child] = start
                frontier.append(child)
    return found


def _still_there(processes: dict[int, str]) -> dict[int, str]:
    """The ones whose pid still names the same process (not ended, not reused)."""
    return {p: start for p, start in processes.items() if (stat := _stat(p)) and stat[1] == start}


def watch(pid: int) -> int:
    """Waits for pid to end, then kills its descendants that still run; returns how many."""
    own = _stat(pid)
    seen: dict[int, str] = {}
    while own and _running(pid, own[1]):
        # Each look adds to the ones seen before that still run: a look that raced the exit
        # finds no children (they were already handed on) and must not wipe them.
        seen = _still_there(seen) | descendants(pid)
        seen.pop(os.getpid(), None)  # the watcher is one of them
        time.sleep(POLL_SECONDS)
    seen = _still_there(seen)
    seen.update(descendants(*seen))  # what the ones seen started since the last look (a shell's worker)
    killed = 0
    for child, start in seen.items():
        stat = _stat(child)
        if stat and stat[1] == start:  # the same process, not a reused pid
            try:
                os.kill(child, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


def start() -> bool:
    """Starts the watcher for the calling process (once per process); returns whether it did."""
    global _started_for
    if _started_for == os.getpid() or not os.path.isdir("/proc/self"):
        return False
    subprocess.Popen([sys.executable, "-m", "colordisc_tf.infra.orphan_reaper", str(os.getpid())],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True, close_fds=True)  # its own session: a Ctrl-C to the run spares it
    _started_for = os.getpid()
    return True


if __name__ == "__main__":
    watch(int(sys.argv[1]))
