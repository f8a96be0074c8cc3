"""Training the realness discriminator: real Lab records (1) vs colorized ones (0)."""

from __future__ import annotations

import logging
import os

import keras
import numpy as np
import tensorflow as tf

from colordisc_tf import metrics
from colordisc_tf.config import DiscriminatorConfig, describe
from colordisc_tf.fit import fit_for_steps
from colordisc_tf.losses import PatchBCE
from colordisc_tf.models.discriminator import build_discriminator, realness
from colordisc_tf.precision import at_precision
from colordisc_tf.records import lab_dataset

__all__ = ["PatchBCE", "train_discriminator", "score_lab_batches"]

_log = logging.getLogger(__name__)


def _lab(l_chan, ab):
    return tf.concat([l_chan, ab], axis=-1)


def real_colorized_dataset(real_pattern, colorized_pattern, config: DiscriminatorConfig, training: bool):
    """Batches of (Lab, label): half real, half colorized, same augmentation for both."""
    half = config.batch_size // 2
    kwargs = dict(crop_size=config.crop_size, random_crop=training, random_flip=training and config.random_flip,
                  shuffle_buffer=512 if training else 0, repeat=training, drop_remainder=True)
    real = lab_dataset(real_pattern, half, seed=config.seed, **kwargs)
    colorized = lab_dataset(colorized_pattern, half, seed=config.seed + 1, **kwargs)
    labels = tf.concat([tf.ones(half), tf.zeros(half)], axis=0)
    return tf.data.Dataset.zip(real, colorized).map(lambda r, f: (tf.concat([_lab(*r), _lab(*f)], axis=0), labels))


def score_lab_batches(model, dataset) -> np.ndarray:
    """Realness of every image of a dataset of Lab batches (or (Lab, label) pairs)."""
    scores = []
    for batch in dataset:
        lab = batch[0] if isinstance(batch, tuple) else batch
        scores.append(np.asarray(realness(model(lab, training=False))))
    return np.concatenate(scores) if scores else np.zeros(0)


class _EvalCallback(keras.callbacks.Callback):
    def __init__(self, eval_ds, log_dir):
        super().__init__()
        self.eval_ds = eval_ds
        self.writer = tf.summary.create_file_writer(os.path.join(log_dir, "eval"))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        labels = np.concatenate([y.numpy() for _, y in self.eval_ds])
        scores = score_lab_batches(self.model, self.eval_ds)
        real, colorized = scores[labels == 1], scores[labels == 0]
        logs["eval_error"] = metrics.discriminator_error(real, colorized)
        logs["eval_auc"] = metrics.roc_auc(real, colorized)
        with self.writer.as_default(step=int(self.model.optimizer.iterations.numpy())):
            tf.summary.scalar("error", logs["eval_error"])
            tf.summary.scalar("roc_auc", logs["eval_auc"])
            tf.summary.histogram("realness_real", real)
            tf.summary.histogram("realness_colorized", colorized)
        self.writer.flush()


def train_discriminator(config: DiscriminatorConfig, real_train: str, colorized_train: str, real_eval: str | None,
                        colorized_eval: str | None, output_dir: str, backup_dir: str | None = None):
    """Train per config; returns (model, history). Eval metrics: error at 0.5 and
    ROC AUC on the eval split's real vs colorized photos (seen by neither model)."""
    _log.info("discriminator config:\n%s", describe(config))
    keras.utils.set_random_seed(config.seed)
    os.makedirs(output_dir, exist_ok=True)
    log_dir = os.path.join(output_dir, "logs")
    model = at_precision(build_discriminator(config.width, config.depth, config.global_pool), config.precision)
    model.compile(keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1), loss=PatchBCE())
    callbacks = []
    if real_eval and colorized_eval and tf.io.gfile.glob(real_eval):
        eval_ds = real_colorized_dataset(real_eval, colorized_eval, config, training=False).take(config.eval_batches).cache()
        if any(True for _ in eval_ds):
            callbacks.append(_EvalCallback(eval_ds, log_dir))
        else:
            _log.warning("eval split smaller than half a batch: no discriminator eval metrics")
    hist = fit_for_steps(model, real_colorized_dataset(real_train, colorized_train, config, training=True), steps=config.steps,
                         steps_per_epoch=config.steps_per_epoch, output_dir=output_dir, backup_dir=backup_dir,
                         callbacks=callbacks)
    return model, hist
