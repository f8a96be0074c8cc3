"""A Beam cluster on this machine: Beam's portable job service and an external SDK worker
pool, the execution model of Flink, Spark and Dataflow for Python pipelines.

    colordisc beam-cluster            # prints the flags, serves until Ctrl-C
    colordisc preprocess photos/ --output out/ <the flags it printed>

Pipelines submitted with those flags are translated to the portable pipeline proto, sent
to the job service over gRPC and executed by SDK-harness workers that the pool starts:
code that only works in the DirectRunner (unpicklable DoFns, relative paths, files written
outside the sinks, state kept in the pipeline process) breaks here first. It is the
rehearsal for a real cluster, not a speed-up: Beam's Python job service (2.77) drives one
SDK worker per job. Workers here share this machine's files and venv; on a real cluster
ship the package with --setup_file=setup.py (or --extra_package of a built wheel) and keep
the data on a filesystem every worker sees (gs://, s3://, hdfs://, NFS).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time

from colordisc_tf.infra import loopback, orphan_reaper
from colordisc_tf.infra.ports import free_port

__all__ = ["local_beam_cluster", "portable_beam_args"]


def _wait_for_port(host: str, port: int, process: subprocess.Popen, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Beam {what} exited with code {process.returncode} before it listened on {port}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.2)
    raise TimeoutError(f"the Beam {what} did not listen on port {port} within {timeout:.0f} s")


def portable_beam_args(job_port: int, worker_port: int, host: str = loopback.LOOPBACK) -> list[str]:
    """The flags that send a pipeline to the job service and its workers to the pool."""
    return ["--runner=PortableRunner", f"--job_endpoint={host}:{job_port}",
            "--environment_type=EXTERNAL", f"--environment_config={host}:{worker_port}"]


@contextlib.contextmanager
def local_beam_cluster(job_port: int = 0, worker_port: int = 0, log_dir: str | None = None, timeout: float = 120,
                       bind: str = loopback.LOOPBACK):
    """Starts the job service and the worker pool (0: any free port), yields the Beam flags
    that use them, stops both on exit; both also end if this process is killed. Both listen
    on `bind` (loopback unless the user names an address: colordisc_tf.infra.loopback)."""
    job_port, worker_port = job_port or free_port(), worker_port or free_port()
    # The pool starts each worker as `python -c ...`: this interpreter (the venv) first on PATH.
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    commands = {
        "job service": [sys.executable, "-m", loopback.__name__, bind,
                        "apache_beam.runners.portability.local_job_service_main", "--port", str(job_port)],
        "worker pool": [sys.executable, "-m", loopback.__name__, bind,
                        "apache_beam.runners.worker.worker_pool_main", "--service_port", str(worker_port)],
    }
    orphan_reaper.start()
    processes = {}
    try:
        for what, command in commands.items():
            log = open(os.path.join(log_dir, what.replace(" ", "_") + ".log"), "w") if log_dir else subprocess.DEVNULL
            processes[what] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        for what, port in (("job service", job_port), ("worker pool", worker_port)):
            _wait_for_port(loopback.reach(bind), port, processes[what], what, timeout)
        yield portable_beam_args(job_port, worker_port, loopback.reach(bind))
    finally:
        workers = list(orphan_reaper.descendants(*(p.pid for p in processes.values()))) \
            if os.path.isdir("/proc/self") else []
        for process in processes.values():
            process.terminate()
        for pid in workers:  # SDK workers the pool started and has not stopped yet
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 15)
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
