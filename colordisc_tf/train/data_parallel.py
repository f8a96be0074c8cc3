"""Data-parallel training across processes (and hosts) with Keras 3's distribution API on JAX.

tf.distribute.MultiWorkerMirroredStrategy does not work with Keras 3's `fit`
(keras-team/keras#20585), so processes train through JAX instead: every process runs the
same trainer with KERAS_BACKEND=jax, `jax.distributed` joins them (gloo on CPUs, NCCL on
GPUs), `keras.distribution.DataParallel` replicates the variables over every device of
every process, and each process feeds its own shard of the records at global batch /
processes. The gradients are all-reduced, so every process holds the same weights
after every step; the chief (process 0) alone writes checkpoints, TensorBoard and the model.

    launch("colordisc_tf.train.generator:train_and_save", {...}, processes=2)

starts the processes on this host (the coordinator on 127.0.0.1) and waits for them. On
several hosts, start `python -m colordisc_tf.train.data_parallel TARGET KWARGS_JSON` on each with
COLORDISC_COORDINATOR=host0:port, COLORDISC_NUM_PROCESSES and COLORDISC_PROCESS_ID set, and
a filesystem that every host sees for the records and the output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

__all__ = ["ProcessGroup", "chief_or_scratch", "current", "launch", "launch_trainer", "process_result",
           "weights_digest"]


@dataclasses.dataclass(frozen=True)
class ProcessGroup:
    size: int = 1
    index: int = 0
    coordinator: str = ""

    @property
    def chief(self) -> bool:
        return self.index == 0

    def local_batch(self, global_batch: int, key: str = "batch_size") -> int:
        if global_batch % self.size:
            raise ValueError(f"{key} {global_batch} does not split over {self.size} processes")
        return global_batch // self.size

    def shard(self) -> tuple[int, int] | None:
        """(processes, this process) for lab_dataset, None when alone."""
        return (self.size, self.index) if self.size > 1 else None


_group: ProcessGroup | None = None


def current() -> ProcessGroup:
    """The process group this process belongs to (one process unless started by launch)."""
    global _group
    if _group is None:
        size = int(os.environ.get("COLORDISC_NUM_PROCESSES", "1"))
        _group = ProcessGroup(size, int(os.environ.get("COLORDISC_PROCESS_ID", "0")),
                              os.environ.get("COLORDISC_COORDINATOR", ""))
        if size > 1:
            _join(_group)
    return _group


def _join(group: ProcessGroup) -> None:
    import keras

    if keras.backend.backend() != "jax":
        raise RuntimeError(f"data-parallel processes need KERAS_BACKEND=jax, not {keras.backend.backend()!r}")
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPUs; GPUs use NCCL regardless
    jax.distributed.initialize(group.coordinator, num_processes=group.size, process_id=group.index)
    # Each process feeds its own shard: Keras must not split the (already local) batches again.
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=jax.devices(), auto_shard_dataset=False))


@contextlib.contextmanager
def chief_or_scratch(folder: str):
    """folder on the chief, a scratch folder (removed after) elsewhere: for saves, which every
    process must make (they are collective on JAX) but only the chief's may land."""
    if current().chief:
        yield folder
        return
    scratch = tempfile.mkdtemp(prefix="colordisc-scratch-")
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def weights_digest(model) -> str:
    """A digest of the model's weights: equal in every process of a healthy run."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    for variable in model.weights:
        digest.update(np.asarray(variable).tobytes())
    return digest.hexdigest()


def process_result(model, history: dict) -> dict:
    """What a trainer's process returns to launch: its index, history and weights digest."""
    return {"process": current().index, "history": history, "weights_digest": weights_digest(model)}


def launch(target: str, kwargs: dict, processes: int, log_dir: str, timeout: float | None = None) -> list[dict]:
    """Runs target ("module:function") with kwargs in `processes` JAX processes on this host;
    returns what each returned (JSON). Each process's output goes to log_dir/process_<i>.log.
    A failed process stops the others and raises with the tail of its log; processes that
    finish with different weights raise too."""
    from colordisc_tf.infra import orphan_reaper
    from colordisc_tf.infra.ports import free_port

    os.makedirs(log_dir, exist_ok=True)
    orphan_reaper.start()  # the processes die with this one
    coordinator = f"127.0.0.1:{free_port()}"
    running = []
    for index in range(processes):
        env = dict(os.environ, KERAS_BACKEND="jax", COLORDISC_COORDINATOR=coordinator,
                   COLORDISC_NUM_PROCESSES=str(processes), COLORDISC_PROCESS_ID=str(index))
        log = open(os.path.join(log_dir, f"process_{index}.log"), "w")
        command = [sys.executable, "-m", "colordisc_tf.train.data_parallel", target, json.dumps(kwargs),
                   os.path.join(log_dir, f"process_{index}.json")]
        running.append((subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env), log))
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while any(p.poll() is None for p, _ in running):
            failed = [i for i, (p, _) in enumerate(running) if p.returncode not in (None, 0)]
            if failed or (deadline and time.monotonic() > deadline):
                index = failed[0] if failed else 0
                raise RuntimeError(f"data-parallel process {index} of {processes} "
                                   f"{'failed' if failed else 'timed out'}:\n" + _tail(log_dir, index))
            time.sleep(0.5)
        for index, (p, _) in enumerate(running):
            if p.returncode:
                raise RuntimeError(f"data-parallel process {index} of {processes} failed:\n" + _tail(log_dir, index))
    finally:
        for p, log in running:
            if p.poll() is None:
                p.kill()
                p.wait()
            log.close()
    results = []
    for index in range(processes):
        with open(os.path.join(log_dir, f"process_{index}.json")) as f:
            results.append(json.load(f))
    digests = {r.get("weights_digest") for r in results}
    if len(digests) > 1:
        raise RuntimeError(f"the {processes} processes ended with different weights: {sorted(digests)}")
    return results


def launch_trainer(target: str, kwargs: dict, processes: int, output_dir: str) -> dict:
    """launch() for a trainer whose processes return process_result(): logs under
    output_dir/processes; returns the chief's history."""
    return launch(target, kwargs, processes, log_dir=os.path.join(output_dir, "processes"))[0]["history"]


def _tail(log_dir: str, index: int, lines: int = 30) -> str:
    with open(os.path.join(log_dir, f"process_{index}.log"), errors="replace") as f:
        return "".join(f.readlines()[-lines:])


def _main(target: str, kwargs_json: str, result_path: str) -> None:
    current()  # join the group before the target builds anything
    module, function = target.split(":")
    result = getattr(importlib.import_module(module), function)(**json.loads(kwargs_json))
    with open(result_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    # As colordisc_tf.train.data_parallel, not __main__: the trainers import that module, and the
    # group must be joined once.
    importlib.import_module("colordisc_tf.train.data_parallel")._main(*sys.argv[1:4])
