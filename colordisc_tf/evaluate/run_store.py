"""The output folder of `colordisc evaluate`, which a killed run resumes.

    run.json                  the settings (protocol, model, images, weights): a resume must match
    per_image.jsonl           one row per image done ({"image", numbers} or {"image", "error"}),
                              appended, flushed and fsynced batch by batch
    features_colorized.f32    with FID: the Inception features of each measured row, float32,
    features_truth.f32        2048 a row, in per_image.jsonl's order (written before their rows)
    metrics.json, index.html  the result, written (whole: temp file + rename) when all are done

A run killed at any instant leaves at worst a half-written last line and features ahead of
their rows: reopening drops both, and the run goes on from the first image not in
per_image.jsonl. The folder is colordisc's (the `.colordisc-output` marker), so --overwrite may
replace it; a folder without the marker is never touched, nor one another run holds (a lock,
.evaluate.lock, there only while a run holds it: colordisc_tf.infra.file_lock).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil

import numpy as np

from colordisc_tf.infra.file_lock import exclusive_lock
from colordisc_tf.infra.output_folder import MARKER

__all__ = ["RunStore", "open_store", "write_whole"]

ROWS = "per_image.jsonl"
SETTINGS = "run.json"
FEATURE_FILES = ("features_colorized.f32", "features_truth.f32")
LOCK = ".evaluate.lock"


def write_whole(path: str, text: str) -> None:
    """path appears complete or keeps its old content."""
    temp = f"{path}.partial"
    with open(temp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temp, path)


def _differences(old: dict, new: dict) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


class RunStore:
    """Rows and features done so far, and appending more (see the module doc)."""

    def __init__(self, folder: str, feature_size: int | None):
        self.folder, self.feature_size = folder, feature_size
        self.rows: list[dict] = []
        self._recover()
        self._rows = open(os.path.join(folder, ROWS), "a", encoding="utf-8")
        self._features = [open(self._feature_path(i), "ab") for i in range(2)] if feature_size else []

    def _feature_path(self, i: int) -> str:
        return os.path.join(self.folder, FEATURE_FILES[i])

    def _recover(self) -> None:
        path = os.path.join(self.folder, ROWS)
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            complete = data[:data.rfind(b"\n") + 1]  # a kill mid-line leaves a partial last line
            if len(complete) != len(data):
                with open(path, "r+b") as f:
                    f.truncate(len(complete))
            self.rows = [json.loads(line) for line in complete.decode("utf-8").splitlines() if line.strip()]
        if self.feature_size:
            measured = sum("error" not in r for r in self.rows)
            for i in range(2):
                size = os.path.getsize(self._feature_path(i)) if os.path.exists(self._feature_path(i)) else 0
                expected = measured * self.feature_size * 4
                if size < expected:
                    raise ValueError(f"{self._feature_path(i)} holds {size // (4 * self.feature_size)} feature rows for "
                                     f"{measured} measured images: the folder is damaged; start over with --overwrite")
                if size > expected:  # features written before a kill stopped their rows
                    with open(self._feature_path(i), "r+b") as f:
                        f.truncate(expected)

    def done(self) -> set[str]:
        return {r["image"] for r in self.rows}

    def append(self, rows: list[dict], colorized=None, truth=None) -> None:
        """Rows of one batch; with FID, the features of its measured rows (in order) first."""
        if self._features:
            for handle, block in zip(self._features, (colorized, truth)):
                handle.write(np.ascontiguousarray(block, np.float32).tobytes())
                handle.flush()
                os.fsync(handle.fileno())
        for row in rows:
            self._rows.write(json.dumps(row) + "\n")
        self._rows.flush()
        os.fsync(self._rows.fileno())
        self.rows.extend(rows)

    def features(self) -> tuple[np.ndarray, np.ndarray] | None:
        if not self.feature_size:
            return None
        return tuple(np.fromfile(self._feature_path(i), np.float32).reshape(-1, self.feature_size) for i in range(2))

    def close(self) -> None:
        for handle in [self._rows, *self._features]:
            handle.close()


def _entries(folder: str) -> list[str]:
    entries = [e for e in os.listdir(folder) if e != LOCK] if os.path.isdir(folder) else []
    if entries and not os.path.isfile(os.path.join(folder, MARKER)):
        raise FileExistsError(f"output {folder} is not empty and was not written by colordisc (no {MARKER}): "
                              "not touching it; choose another folder")
    return entries


def _prepare_folder(folder: str, settings: dict, overwrite: bool) -> None:
    """Creates the folder's files, or checks that it is this evaluation's to resume (or to replace)."""
    entries = _entries(folder)
    if entries:
        try:
            with open(os.path.join(folder, SETTINGS)) as f:
                previous = json.load(f)
        except (OSError, ValueError):
            previous = None
        if previous != settings:
            if not overwrite:
                what = ", ".join(_differences(previous, settings)) if isinstance(previous, dict) else "not an evaluation"
                raise FileExistsError(f"output {folder} holds another evaluation (differs in: {what}); "
                                      "choose another folder, or pass --overwrite to start over")
            for entry in entries:
                path = os.path.join(folder, entry)
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)
            entries = []
    if not entries:
        with open(os.path.join(folder, MARKER), "w") as f:
            f.write("written by colordisc; --overwrite may replace this folder\n")
        write_whole(os.path.join(folder, SETTINGS), json.dumps(settings, indent=2, sort_keys=True))


@contextlib.contextmanager
def open_store(folder: str, settings: dict, feature_size: int | None, overwrite: bool = False):
    """Yields the RunStore of `folder` (new, resumed, or replaced with overwrite), held under a lock
    (LOCK, gone again when the block ends)."""
    folder = os.path.abspath(folder)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise NotADirectoryError(f"output {folder} exists and is not a folder")
    _entries(folder)  # before the lock file: a folder that is not ours gets nothing written into it
    os.makedirs(folder, exist_ok=True)
    with exclusive_lock(os.path.join(folder, LOCK), f"another run is writing to {folder} right now"):
        _prepare_folder(folder, settings, overwrite)
        store = RunStore(folder, feature_size)
        try:
            yield store
        finally:
            store.close()
