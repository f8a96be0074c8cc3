"""What a killed local run leaves behind, cleaned up by the next one.

TFX's LocalDagRunner records an execution as RUNNING when a component starts and updates it
when the component ends. A run killed in between (SIGKILL, the OOM killer, a reboot) leaves
that execution RUNNING in ML Metadata for good, and its half-written output folders on
disk; the next run starts new executions and never looks back. So before each run, under
a lock that no live run on the same pipeline root can share, `recover` marks every RUNNING
(or NEW) execution of the pipeline FAILED, with the reason in `colordisc_stale_reason`, and
removes the folders it was writing:
    <root>/<node>/<output key>/<execution id>[.*]       outputs (and preprocess's staging)
    <root>/<node>/.system/executor_execution/<execution id>
    <root>/<node>/.system/stateful_working_dir/*         a finished execution removes its own
A trainer's BackupAndRestore folder (<root>/<node>/.backup/<key>) is kept: the re-run
resumes from it (components/trainer_executor.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import os
import shutil
import time

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

from colordisc_tf.infra.file_lock import exclusive_lock

__all__ = ["PipelineBusy", "Recovered", "pipeline_root_lock", "recover"]

_UNFINISHED = (metadata_store_pb2.Execution.RUNNING, metadata_store_pb2.Execution.NEW)


class PipelineBusy(FileExistsError):
    """Another run holds the pipeline root."""


@dataclasses.dataclass
class Recovered:
    executions: list[str]  # "<node> #<id>" of each execution marked FAILED
    removed: list[str]  # folders removed


@contextlib.contextmanager
def pipeline_root_lock(pipeline_root: str):
    """Held for a whole run: a second run on the same root is refused at once."""
    os.makedirs(pipeline_root, exist_ok=True)
    path = os.path.join(pipeline_root, ".colordisc-run.lock")
    with exclusive_lock(path, f"another run is using pipeline root {pipeline_root} right now ({path})", PipelineBusy):
        yield


def _node_of(store, execution_id: int, pipeline_name: str) -> str | None:
    for context in store.get_contexts_by_execution(execution_id):
        if context.type == "node" and context.name.startswith(pipeline_name + "."):
            return context.name[len(pipeline_name) + 1:]
    return None


def recover(connection_config, pipeline_name: str, pipeline_root: str) -> Recovered:
    """Marks the pipeline's unfinished executions FAILED and removes their folders. Call it
    only under pipeline_root_lock (no live run may own what it removes)."""
    recovered = Recovered([], [])
    if connection_config.HasField("sqlite") and not os.path.exists(connection_config.sqlite.filename_uri):
        return recovered  # a first run: nothing to recover
    store = metadata_store.MetadataStore(connection_config)
    pipeline_context = store.get_context_by_type_and_name("pipeline", pipeline_name)
    if pipeline_context is None:
        return recovered
    stale = [e for e in store.get_executions_by_context(pipeline_context.id) if e.last_known_state in _UNFINISHED]
    when = time.strftime("%Y-%m-%d %H:%M:%S")
    for execution in stale:
        node = _node_of(store, execution.id, pipeline_name) or "?"
        execution.last_known_state = metadata_store_pb2.Execution.FAILED
        execution.custom_properties["colordisc_stale_reason"].string_value = (
            f"the run that started it ended without finishing it (killed?); marked FAILED by the next run at {when}")
        recovered.executions.append(f"{node} #{execution.id}")
        node_dir = os.path.join(pipeline_root, node)
        patterns = [os.path.join(node_dir, "*", str(execution.id)), os.path.join(node_dir, "*", f"{execution.id}.*"),
                    os.path.join(node_dir, ".system", "executor_execution", str(execution.id))]
        for path in sorted({p for pattern in patterns for p in glob.glob(pattern)}):
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)
            recovered.removed.append(path)
    if stale:
        store.put_executions(stale)
    for path in glob.glob(os.path.join(pipeline_root, "*", ".system", "stateful_working_dir", "*")):
        shutil.rmtree(path, ignore_errors=True)
        recovered.removed.append(path)
    return recovered
