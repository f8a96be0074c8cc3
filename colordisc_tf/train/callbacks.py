"""Keras callbacks for the trainers: eval colour metrics and image grids."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from colordisc_tf import metrics
from colordisc_tf.serve import inference
from colordisc_tf.color.decoding import Decoding

__all__ = ["ColorEvalCallback"]


def _image_grid(l_batch, ab_pred, ab_true, max_images: int = 6) -> np.ndarray:
    """Rows of gray | colorized | truth, as one (1, H', W', 3) uint8 image."""
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
        self.writer = tf.summary.create_file_writer(f"{log_dir}/eval")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        preds, trues, ls = [], [], []
        for l_batch, ab_true in self.eval_ds:
            preds.append(inference.predict_ab(self.model, l_batch, self.decoding).numpy())
            trues.append(ab_true.numpy())
            ls.append(l_batch.numpy())
        step = int(self.model.optimizer.iterations.numpy())
        # (Keras' TensorBoard callback already logs the learning rate.)
        with self.writer.as_default(step=step):
            if preds:
                ab_pred, ab_true = np.concatenate(preds), np.concatenate(trues)
                logs["auc_raw"] = metrics.auc_raw_accuracy(ab_pred, ab_true)
                tf.summary.scalar("auc_raw", logs["auc_raw"])
                if self.prior is not None:
                    logs["auc_rebalanced"] = metrics.auc_rebalanced(ab_pred, ab_true, self.prior)
                    tf.summary.scalar("auc_rebalanced", logs["auc_rebalanced"])
                if self.image_every and (epoch + 1) % self.image_every == 0:
                    tf.summary.image("gray_colorized_truth", _image_grid(ls[0], preds[0], trues[0]), step=step)
        self.writer.flush()
