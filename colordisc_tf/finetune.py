"""Adversarial fine-tuning of the colorizer against a fixed realness critic.

    L --generator--> logits --annealed mean (differentiable)--> ab/4 --x4 bilinear--> ab
    [L, ab] --discriminator (frozen)--> patch logits

    loss = rebalanced CE(logits, true ab)            (the anchor)
         + lambda_adv * mean softplus(-patch logits)  (non-saturating GAN loss: "look real")

Written as one functional Keras model trained with `fit`, so the same code runs
on TensorFlow and JAX (KERAS_BACKEND=jax) and gets BackupAndRestore and
TensorBoard for free. The critic stays fixed here (no alternating updates).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os

import keras
from keras import layers, ops

from colordisc_tf import ops as cops
from colordisc_tf.config import FineTuneConfig, describe
from colordisc_tf.losses import RebalancedCrossEntropy

__all__ = [
    "AnnealedMeanAb",
    "NonSaturatingLoss",
    "build_adversarial",
    "compile_adversarial",
    "distribution_scope",
    "finetune_generator",
]

_log = logging.getLogger(__name__)


@keras.saving.register_keras_serializable(package="colordisc")
class AnnealedMeanAb(layers.Layer):
    """(B, h, w, Q) logits -> (B, h, w, 2) ab, differentiably."""

    def __init__(self, temperature: float = 0.38, **kwargs):
        super().__init__(**kwargs)
        self.temperature = temperature

    def call(self, logits):
        return cops.annealed_mean(logits, self.temperature)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


@keras.saving.register_keras_serializable(package="colordisc")
class NonSaturatingLoss(keras.losses.Loss):
    """Generator's GAN loss: -log sigmoid(patch logit), averaged over patches (y_true unused)."""

    def __init__(self, name="adv", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return ops.mean(ops.softplus(-y_pred), axis=(1, 2, 3))


def distribution_scope(strategy: str = "default"):
    """A context to load and fine-tune the models in: a tf.distribute strategy's scope
    on the TensorFlow backend (TensorFlow places work on a visible GPU by itself; these
    spread it over several), a no-op for "default" and on other backends."""
    import contextlib

    if strategy == "default":
        return contextlib.nullcontext()
    if keras.backend.backend() != "tensorflow":
        raise ValueError(f"strategy {strategy!r} needs the TensorFlow backend, not {keras.backend.backend()}")
    import tensorflow as tf

    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy().scope()
    return tf.distribute.MultiWorkerMirroredStrategy().scope()


class _FrozenCritic(layers.Layer):
    """Calls the critic in inference mode always. (A functional call's training=False
    is overridden by fit, and SpectralNormalization would then update its power-
    iteration state and rewrite its kernels each step: the critic would drift.)"""

    def __init__(self, critic, **kwargs):
        super().__init__(**kwargs)
        self.critic = critic

    def call(self, lab):
        return self.critic(lab, training=False)

    def compute_output_shape(self, input_shape):
        return self.critic.compute_output_shape(input_shape)


def build_adversarial(generator: keras.Model, discriminator: keras.Model, temperature: float = 0.38) -> keras.Model:
    """L -> {"logits": generator logits, "adv": critic patch logits of the colorization}."""
    discriminator.trainable = False
    l_in = keras.Input(shape=(None, None, 1), name="L")
    logits = generator(l_in)
    ab = AnnealedMeanAb(temperature, name="annealed_mean")(logits)
    ab = layers.UpSampling2D(4, interpolation="bilinear", name="ab_full")(ab)
    lab = layers.Concatenate(name="lab")([l_in, ab])
    return keras.Model(l_in, {"logits": logits, "adv": _FrozenCritic(discriminator, name="critic")(lab)},
                       name="adversarial")


def compile_adversarial(model: keras.Model, config: FineTuneConfig, class_weights=None) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(config.learning_rate, beta_1=0.5),
        loss={"logits": RebalancedCrossEntropy(class_weights, k=config.k, sigma=config.sigma),
              "adv": NonSaturatingLoss()},
        loss_weights={"logits": 1.0, "adv": config.lambda_adv},
    )
    return model


def finetune_dataset(failure_pattern: str, ordinary_pattern: str | None, config: FineTuneConfig):
    """(L, {"logits": ab, "adv": dummy}) batches: failures, mixed with ordinary examples."""
    import tensorflow as tf

    from colordisc_tf.records import lab_dataset

    kwargs = dict(crop_size=config.crop_size, random_crop=True, random_flip=True, shuffle_buffer=256, repeat=True)
    failures = lab_dataset(failure_pattern, 1, seed=config.seed, **kwargs).unbatch()
    ds = failures
    if ordinary_pattern and config.mix_ordinary > 0:
        ordinary = lab_dataset(ordinary_pattern, 1, seed=config.seed + 1, **kwargs).unbatch()
        ds = tf.data.Dataset.sample_from_datasets(
            [failures, ordinary], [1 - config.mix_ordinary, config.mix_ordinary], seed=config.seed)
    return ds.batch(config.batch_size, drop_remainder=True).map(
        lambda l_chan, ab: (l_chan, {"logits": ab, "adv": tf.zeros(tf.shape(ab)[:1])})).prefetch(2)


def finetune_generator(config: FineTuneConfig, generator, discriminator, dataset, output_dir: str,
                       class_weights=None, backup_dir: str | None = None, callbacks=()):
    """Fine-tune `generator` in place on `dataset` (see finetune_dataset); returns history."""
    _log.info("fine-tune config:\n%s", describe(config))
    keras.utils.set_random_seed(config.seed)
    os.makedirs(output_dir, exist_ok=True)
    model = compile_adversarial(build_adversarial(generator, discriminator, config.temperature), config, class_weights)
    all_callbacks = [
        keras.callbacks.BackupAndRestore(backup_dir or os.path.join(output_dir, "backup"), save_freq="epoch"),
        *callbacks,
    ]
    if importlib.util.find_spec("tensorflow") is not None:  # TensorBoard writes through tf.summary
        all_callbacks.append(keras.callbacks.TensorBoard(os.path.join(output_dir, "logs"), update_freq="epoch",
                                                         write_graph=False))
    history = model.fit(dataset, epochs=config.steps // config.steps_per_epoch,
                        steps_per_epoch=config.steps_per_epoch, callbacks=all_callbacks, verbose=2)
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    hist["steps"] = int(ops.convert_to_numpy(model.optimizer.iterations))
    with open(os.path.join(output_dir, "history.json"), "w") as f:
        json.dump(hist, f, indent=1)
    return hist
