"""Training the realness discriminator: real Lab records (1) vs colorized ones (0)."""

from __future__ import annotations

import logging
import os

import keras
import numpy as np

from colordisc_tf import metrics
from colordisc_tf.train import inputs
from colordisc_tf.train.no_tensorflow import set_random_seed
from colordisc_tf.train.callbacks import summary_writer
from colordisc_tf.train import data_parallel
from colordisc_tf.config import DiscriminatorConfig, describe, from_dict
from colordisc_tf.train.fit import fit_for_steps
from colordisc_tf.train.losses import PatchBCE
from colordisc_tf.models.discriminator import build_discriminator, realness
from colordisc_tf.models.precision import at_precision
from colordisc_tf.serve.saving import save_discriminator
from colordisc_tf.train.entry import TrainerOutput, run_trainer, save_as_chief

__all__ = ["run", "train_discriminator", "train_and_save", "score_lab_batches"]

_log = logging.getLogger(__name__)


def real_colorized_dataset(real_pattern, colorized_pattern, config: DiscriminatorConfig, training: bool,
                           batch_size: int | None = None, shard: tuple[int, int] | None = None):
    """Batches of (Lab, label): half real, half colorized, same augmentation for both.
    batch_size: this process's share of config.batch_size; shard: as lab_dataset's."""
    half = (batch_size or config.batch_size) // 2
    kwargs = dict(crop_size=config.crop_size, random_crop=training, random_flip=training and config.random_flip,
                  shuffle_buffer=512 if training else 0, repeat=training, drop_remainder=True, shard=shard)
    real = inputs.lab_batches(real_pattern, half, seed=config.seed, **kwargs)
    colorized = inputs.lab_batches(colorized_pattern, half, seed=config.seed + 1, **kwargs)
    if not inputs.uses_tf():
        return _numpy_pairs(real, colorized, half)
    import tensorflow as tf

    labels = tf.concat([tf.ones(half), tf.zeros(half)], axis=0)
    return tf.data.Dataset.zip(real, colorized).map(
        lambda r, f: (tf.concat([tf.concat(r, axis=-1), tf.concat(f, axis=-1)], axis=0), labels))


def _numpy_pairs(real, colorized, half: int):
    labels = np.concatenate([np.ones(half, np.float32), np.zeros(half, np.float32)])
    for r, f in zip(real, colorized):
        yield np.concatenate([np.concatenate(r, axis=-1), np.concatenate(f, axis=-1)], axis=0), labels


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
        self.writer = summary_writer(os.path.join(log_dir, "eval"))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        labels = np.concatenate([np.asarray(y) for _, y in self.eval_ds])
        scores = score_lab_batches(self.model, self.eval_ds)
        real, colorized = scores[labels == 1], scores[labels == 0]
        logs["eval_error"] = metrics.discriminator_error(real, colorized)
        logs["eval_auc"] = metrics.roc_auc(real, colorized)
        if self.writer is None:
            return
        import tensorflow as tf

        with self.writer.as_default(step=int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))):
            tf.summary.scalar("error", logs["eval_error"])
            tf.summary.scalar("roc_auc", logs["eval_auc"])
            tf.summary.histogram("realness_real", real)
            tf.summary.histogram("realness_colorized", colorized)
        self.writer.flush()


def train_discriminator(config: DiscriminatorConfig, real_train: str, colorized_train: str, real_eval: str | None,
                        colorized_eval: str | None, output_dir: str, backup_dir: str | None = None, callbacks=()):
    """Train per config; returns (model, history). Eval metrics: error at 0.5 and
    ROC AUC on the eval split's real vs colorized photos (seen by neither model).
    callbacks: more Keras callbacks for the fit (a train.callbacks.TimeBudget, say)."""
    _log.info("discriminator config:\n%s", describe(config))
    group = data_parallel.current()
    set_random_seed(config.seed)  # the same initial weights in every process
    os.makedirs(output_dir, exist_ok=True)
    log_dir = os.path.join(output_dir, "logs")
    model = at_precision(build_discriminator(config.width, config.depth, config.global_pool), config.precision)
    model.compile(keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1), loss=PatchBCE())
    extra, callbacks = list(callbacks), []
    if group.size > 1:
        _log.info("data-parallel: the eval callback is off (it scores on one process only)")
    elif real_eval and colorized_eval and inputs.has_files(real_eval):
        eval_ds = inputs.first_batches(real_colorized_dataset(real_eval, colorized_eval, config, training=False),
                                       config.eval_batches)
        if any(True for _ in eval_ds):
            callbacks.append(_EvalCallback(eval_ds, log_dir))
        else:
            _log.warning("eval split smaller than half a batch: no discriminator eval metrics")
    train_ds = real_colorized_dataset(real_train, colorized_train, config, training=True,
                                      batch_size=group.local_batch(config.batch_size, "discriminator.batch_size"),
                                      shard=group.shard())
    hist = fit_for_steps(model, train_ds, steps=config.steps, steps_per_epoch=config.steps_per_epoch,
                         output_dir=output_dir, backup_dir=backup_dir, callbacks=[*callbacks, *extra])
    return model, hist


def train_and_save(config: dict, inputs: dict, output: dict, export: bool = False) -> dict:
    """One process of `run`: trains; the chief saves the Keras model and its config, and with
    `export` its serving SavedModel. Data-parallel processes train without eval metrics."""
    config, output = from_dict(DiscriminatorConfig, config), TrainerOutput(**output)
    alone = data_parallel.current().size == 1
    model, history = train_discriminator(
        config, inputs["real_train"], inputs["colorized_train"], inputs.get("real_eval") if alone else None,
        inputs.get("colorized_eval") if alone else None, output.run_dir, output.backup_dir)
    return save_as_chief(save_discriminator, model, config, history, output, export)


def run(config: DiscriminatorConfig, inputs: dict, output: TrainerOutput) -> dict:
    """The discriminator's one entry. inputs: record patterns "real_train", "colorized_train"
    and, for eval metrics, "real_eval", "colorized_eval". Returns the history."""
    return run_trainer(__name__, config, inputs, output)
