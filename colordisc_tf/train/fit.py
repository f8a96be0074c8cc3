"""The one training loop of the three trainers: `fit` for a number of steps, resumable.

An "epoch" is `steps_per_epoch` steps: the checkpoint (BackupAndRestore), eval and
logging interval. A killed run resumes at the last epoch boundary AND at the same place
in its input stream (the batches the killed run consumed are skipped), so, with op
determinism on, it ends at the weights an uninterrupted run ends at.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys

import keras
from keras import ops

from colordisc_tf.train import data_parallel

__all__ = ["fit_for_steps", "resumed_epochs"]

_log = logging.getLogger(__name__)


def resumed_epochs(backup_dir: str) -> int:
    """Epochs a killed run completed, by BackupAndRestore's own record (0: a fresh start)."""
    try:
        with open(os.path.join(backup_dir, "training_metadata.json")) as f:
            return int(json.load(f)["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


def _skip(dataset, batches: int):
    if not batches:
        return dataset
    if hasattr(dataset, "skip"):  # tf.data: consuming the elements replays the seeded random ops
        return dataset.skip(batches)
    return itertools.islice(iter(dataset), batches, None)


def _steps_of(optimizer) -> dict:
    steps = {"steps": int(ops.convert_to_numpy(optimizer.iterations))}
    for inner in getattr(optimizer, "optimizers", ()):  # MultiOptimizer: each player's own count
        if inner.name != "adam":
            steps[inner.name.removesuffix("_adam") + "_steps"] = int(ops.convert_to_numpy(inner.iterations))
    return steps


def fit_for_steps(model: keras.Model, dataset, *, steps: int, steps_per_epoch: int, output_dir: str,
                  backup_dir: str | None = None, callbacks=(), validation_data=None,
                  validation_steps: int | None = None) -> dict:
    """model.fit for `steps` optimizer steps (a multiple of steps_per_epoch) on an endless
    `dataset` (tf.data or any iterable of batches; validation_data: tf.data or a list of
    batches). Writes output_dir/logs (TensorBoard, where TensorFlow is loaded) and
    output_dir/history.json; the backup goes to
    backup_dir (default output_dir/backup). Returns the history with `steps` (and each
    MultiOptimizer player's `<name>_steps`)."""
    chief = data_parallel.current().chief  # of data-parallel processes, only the chief writes
    os.makedirs(output_dir, exist_ok=True)
    backup_dir = backup_dir or os.path.join(output_dir, "backup")
    done = resumed_epochs(backup_dir)
    if done:
        _log.info("resuming after epoch %d of %d from %s", done, steps // steps_per_epoch, backup_dir)
    backup = keras.callbacks.BackupAndRestore if chief else _RestoreOnly
    all_callbacks = [backup(backup_dir, save_freq="epoch"), *callbacks]
    if chief and "tensorflow" in sys.modules:  # TensorBoard writes through tf.summary: not imported for it
        all_callbacks.append(keras.callbacks.TensorBoard(os.path.join(output_dir, "logs"), update_freq="epoch",
                                                         write_graph=False))
    if isinstance(validation_data, list):  # NumPy batches, read again every epoch
        validation_data = _Batches(validation_data)
    history = model.fit(
        _skip(dataset, done * steps_per_epoch), epochs=steps // steps_per_epoch, steps_per_epoch=steps_per_epoch,
        validation_data=validation_data, validation_steps=validation_steps, callbacks=all_callbacks,
        shuffle=False, verbose=2,
    )
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    hist.update(_steps_of(model.optimizer))
    if chief:
        with open(os.path.join(output_dir, "history.json"), "w") as f:
            json.dump(hist, f, indent=1)
    return hist


class _Batches(keras.utils.PyDataset):
    """A list of batches as Keras data: fit re-reads it every epoch (a generator it would exhaust)."""

    def __init__(self, batches: list):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches[index]


class _RestoreOnly(keras.callbacks.BackupAndRestore):
    """A data-parallel process other than the chief: resumes from the chief's backup and
    saves its own to a scratch folder, never touching the chief's. It saves at all because
    saving is collective on JAX (Keras creates variables while it saves): a save on the
    chief alone would wait for the others forever or fail."""

    def __init__(self, backup_dir, save_freq="epoch"):
        import tempfile

        self._chief_backup_dir = backup_dir
        super().__init__(tempfile.mkdtemp(prefix="colordisc-backup-"), save_freq=save_freq)

    def on_train_begin(self, logs=None):
        import shutil

        if os.path.isdir(self._chief_backup_dir):
            shutil.copytree(self._chief_backup_dir, self.backup_dir, dirs_exist_ok=True)
        super().on_train_begin(logs)
