"""One line per component as LocalDagRunner walks the pipeline: n of N, cached or not, times.

TFX's local runner has no callback API; it logs `Component %s is running.` / `is
finished.` and the launcher logs `A cached execution %d is used.` through absl. This
handler listens for exactly those records (by their format string, not their text) and
lets absl's warnings and errors through to the usual handlers.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time

from absl import logging as absl_logging

__all__ = ["component_progress"]

_RUNNING = "Component %s is running."
_FINISHED = "Component %s is finished."
_CACHED = "A cached execution %d is used."
# TFX warnings that say nothing to a user of this pipeline: ML Metadata 1.17 has no property
# predicates (input resolution falls back to filtering in Python), and the Pushers'
# blessing is the BeforeAfterEvaluator's, not TFX's Evaluator's.
_KNOWN_NOISE = {
    "ArtifactQuery.property_predicate is not supported.",
    "Pusher is going to push the model without validation. Consider using Evaluator or InfraValidator in your "
    "pipeline.",
}


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    return f"{minutes}:{seconds:02d}"


class _ProgressHandler(logging.Handler):
    def __init__(self, node_ids: list[str], stream):
        super().__init__(logging.INFO)
        self.node_ids, self.stream = node_ids, stream
        self.start = time.monotonic()
        self.current, self.current_start, self.cached = None, 0.0, False
        self.ran, self.from_cache = [], []

    def _print(self, text: str) -> None:
        print(f"[{_clock(time.monotonic() - self.start)}] {text}", file=self.stream, flush=True)

    def _position(self, node_id: str) -> str:
        n = self.node_ids.index(node_id) + 1 if node_id in self.node_ids else "?"
        return f"{n}/{len(self.node_ids)} {node_id}"

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            if record.msg not in _KNOWN_NOISE:
                logging.getLogger().handle(record)
        elif record.msg == _RUNNING:
            self.current, self.current_start, self.cached = record.args[0], time.monotonic(), False
            self._print(f"{self._position(self.current)} running ...")
        elif record.msg == _CACHED:
            self.cached = True
        elif record.msg == _FINISHED:
            node_id = record.args[0]
            (self.from_cache if self.cached else self.ran).append(node_id)
            took = time.monotonic() - self.current_start
            self._print(f"{self._position(node_id)} {'from cache' if self.cached else 'done'} ({took:.0f} s)")


@contextlib.contextmanager
def component_progress(pipeline, stream=None):
    """Prints `[elapsed] n/N Component running ... / done (s)` while the pipeline runs.
    Yields the handler: `.ran` and `.from_cache` list the node ids once it is done."""
    absl_logger = logging.getLogger("absl")
    handler = _ProgressHandler([c.id for c in pipeline.components], stream or sys.stdout)
    saved = absl_logging.get_verbosity(), absl_logger.propagate
    # Through absl's verbosity, not the logger's level: code that quiets absl for a while
    # (SavedModel export does) restores the verbosity, not the level it found.
    absl_logging.set_verbosity(absl_logging.INFO)
    absl_logger.propagate = False
    absl_logger.addHandler(handler)
    try:
        yield handler
    finally:
        absl_logger.removeHandler(handler)
        absl_logging.set_verbosity(saved[0])
        absl_logger.propagate = saved[1]
