"""Keras callbacks for the trainers: eval colour metrics and image grids, and a time budget.

TensorBoard summaries are written where TensorFlow is already loaded (tf.summary); a training
process without it (the NumPy reader on JAX) gets the same metrics in its epoch logs only.
"""

from __future__ import annotations

import sys
import time

import keras
import numpy as np

from colordisc_tf import metrics
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.color.keras_ops import decode_ab

__all__ = ["ColorEvalCallback", "TimeBudget", "predict_ab", "summary_writer"]


def summary_writer(log_dir: str):
    """A tf.summary file writer, or None where TensorFlow is not loaded (not imported for it)."""
    if "tensorflow" not in sys.modules:
        return None
    import tensorflow as tf

    return tf.summary.create_file_writer(log_dir)


def predict_ab(model, l_batch, decoding: Decoding) -> np.ndarray:
    """(B, H, W, 1) L -> (B, H, W, 2) ab, decoded per `decoding`, as NumPy: serve.inference.predict_ab's
    numbers (the same bilinear kernel on TensorFlow) in keras.ops, which need no TensorFlow."""
    l_batch = np.asarray(l_batch, np.float32)
    return keras.ops.convert_to_numpy(decode_ab(model(l_batch, training=False), tuple(l_batch.shape[1:3]), decoding))


def _image_grid(l_batch, ab_pred, ab_true, max_images: int = 6) -> np.ndarray:
    """Rows of gray | colorized | truth, as one (1, H', W', 3) uint8 image."""
    from colordisc_tf.serve import inference

    n = min(max_images, l_batch.shape[0])
    zeros = np.zeros_like(ab_true[:n])
    panels = [inference.decode_to_rgb(l_batch[:n], ab).numpy() for ab in (zeros, ab_pred[:n], ab_true[:n])]
    rows = [np.concatenate([p[i] for p in panels], axis=1) for i in range(n)]
    return np.concatenate(rows, axis=0)[None]


class ColorEvalCallback(keras.callbacks.Callback):
    """Each epoch: raw and rebalanced AuC on the eval batches and (every `image_every` epochs) a gray | colorized | truth grid, all to
    TensorBoard under `log_dir`/eval and into the epoch logs."""

    def __init__(self, eval_ds, log_dir: str, decoding: Decoding, prior=None, image_every=1):
        super().__init__()
        self.eval_ds, self.prior, self.decoding = eval_ds, prior, decoding
        self.image_every = image_every
        self.writer = summary_writer(f"{log_dir}/eval")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        preds, trues, ls = [], [], []
        for l_batch, ab_true in self.eval_ds:
            preds.append(predict_ab(self.model, l_batch, self.decoding))
            trues.append(np.asarray(ab_true))
            ls.append(np.asarray(l_batch))
        if preds:
            ab_pred, ab_true = np.concatenate(preds), np.concatenate(trues)
            logs["auc_raw"] = metrics.auc_raw_accuracy(ab_pred, ab_true)
            if self.prior is not None:
                logs["auc_rebalanced"] = metrics.auc_rebalanced(ab_pred, ab_true, self.prior)
        if self.writer is None:
            return
        import tensorflow as tf

        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        # (Keras' TensorBoard callback already logs the learning rate.)
        with self.writer.as_default(step=step):
            for key in ("auc_raw", "auc_rebalanced"):
                if key in logs:
                    tf.summary.scalar(key, logs[key])
            if preds and self.image_every and (epoch + 1) % self.image_every == 0:
                tf.summary.image("gray_colorized_truth", _image_grid(ls[0], preds[0], trues[0]), step=step)
        self.writer.flush()


class TimeBudget(keras.callbacks.Callback):
    """Stops `fit` at the first epoch end after `seconds` from the start of training. Checked at
    epoch ends only: a batch-end hook makes Keras copy every step's logs to the host, a sync that
    stalls an accelerator's queue."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = float(seconds)
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self.end = time.perf_counter() + self.seconds

    def on_epoch_end(self, epoch, logs=None):
        if time.perf_counter() > self.end:
            self.model.stop_training = True
            self.stopped_early = True
