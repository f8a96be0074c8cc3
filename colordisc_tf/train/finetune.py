"""Adversarial fine-tuning of the colorizer against a fixed realness discriminator.

    L --generator--> logits --annealed mean (differentiable)--> ab/4 --x4 bilinear--> ab
    [L, ab] --discriminator (frozen)--> patch logits

    loss = rebalanced CE(logits, true ab)            (the anchor)
         + lambda_adv * mean softplus(-patch logits)  (non-saturating GAN loss: "look real")

With `discriminator_learning_rate` > 0 the discriminator keeps learning too (two time-scale
update rule, Heusel et al. 2017): the same step adds its own loss

         mean softplus(-D([L, true ab])) + mean softplus(D(stop_gradient([L, colorized ab])))

and a MultiOptimizer gives its variables their own Adam at their own rate. The
generator's adversarial term calls the discriminator with its weights behind
stop_gradient, so each loss reaches only its own player. Both players update
simultaneously from one forward pass (the TTUR paper's setting; DeOldify instead
alternates whole phases).

Written as one functional Keras model trained with `fit` -- no backend-specific
train_step -- so the same code runs on TensorFlow and JAX (KERAS_BACKEND=jax) and
gets BackupAndRestore and TensorBoard for free.
"""

from __future__ import annotations

import logging

import keras
from keras import layers, ops

from colordisc_tf.train import data_parallel
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.color.decode_layer import DecodeAb
from colordisc_tf.config import FineTuneConfig, describe
from colordisc_tf.train.fit import fit_for_steps
from colordisc_tf.train.losses import colorizer_loss
from colordisc_tf.train.no_tensorflow import set_random_seed
from colordisc_tf.models.precision import at_precision
from colordisc_tf.train.entry import TrainerOutput, run_trainer, save_as_chief

__all__ = [
    "NonSaturatingLoss",
    "adversarial_batch",
    "build_adversarial",
    "compile_adversarial",
    "distribution_scope",
    "finetune_generator",
    "run",
    "train_and_save",
]

_log = logging.getLogger(__name__)


@keras.saving.register_keras_serializable(package="colordisc")
class NonSaturatingLoss(keras.losses.Loss):
    """-log sigmoid(patch logit) (target "real") or -log(1 - sigmoid(logit)) (target
    "colorized"), averaged over patches; y_true is unused."""

    def __init__(self, target_real: bool = True, name="adv", **kwargs):
        super().__init__(name=name, **kwargs)
        self.target_real = target_real

    def call(self, y_true, y_pred):
        return ops.mean(ops.softplus(-y_pred if self.target_real else y_pred), axis=(1, 2, 3))

    def get_config(self):
        return {**super().get_config(), "target_real": self.target_real}


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

    if strategy != "mirrored":  # FineTuneConfig refuses anything else at load time
        raise ValueError(f"unknown strategy {strategy!r}")
    return tf.distribute.MirroredStrategy().scope()


class _FrozenDiscriminator(layers.Layer):
    """The discriminator as the generator sees it: gradients reach the image, never the discriminator.

    Fixed discriminator: called in inference mode always (a functional call's training=False
    is overridden by fit, and SpectralNormalization would then rewrite its kernels
    each step: the discriminator would drift). Learning discriminator: called statelessly on
    stop_gradient copies of its weights, in training mode so spectral normalisation
    divides by sigma on the fly the same way on every backend; whatever the call
    would assign is dropped with the stateless scope."""

    def __init__(self, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.discriminator = discriminator

    def call(self, lab):
        if not self.discriminator.trainable:
            return self.discriminator(lab, training=False)
        weights = [ops.stop_gradient(v.value) for v in self.discriminator.trainable_variables]
        state = [v.value for v in self.discriminator.non_trainable_variables]
        logits, _ = self.discriminator.stateless_call(weights, state, lab, training=True)
        return logits

    @property
    def metrics(self):
        # A discriminator compiled on its own would lend the adversarial model its idle "loss" tracker.
        return []

    def compute_output_shape(self, input_shape):
        return self.discriminator.compute_output_shape(input_shape)


class _LearningDiscriminator(layers.Layer):
    """The discriminator's own step: real and (gradient-stopped) colorized Lab in one batch,
    so spectral normalisation runs one power iteration per step."""

    def __init__(self, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.discriminator = discriminator

    def call(self, real, colorized):
        logits = self.discriminator(ops.concatenate([real, ops.stop_gradient(colorized)], axis=0), training=True)
        return tuple(ops.split(logits, 2, axis=0))

    @property
    def metrics(self):
        # A discriminator compiled on its own would lend the adversarial model its idle "loss" tracker.
        return []

    def compute_output_shape(self, real_shape, colorized_shape):
        shape = self.discriminator.compute_output_shape(real_shape)
        return shape, shape


def build_adversarial(generator: keras.Model, discriminator: keras.Model, decoding: Decoding,
                      train_discriminator: bool = False) -> keras.Model:
    """Inputs {"L"} (+ {"ab"}, the true colours, when the discriminator trains). Outputs
    "logits" (the generator's output, whichever head), "adv" (discriminator's patch logits of
    the colorization decoded per `decoding`, for the generator) and, when the discriminator
    trains, "discriminator_real" / "discriminator_colorized"."""
    discriminator.trainable = train_discriminator
    l_in = keras.Input(shape=(None, None, 1), name="L")
    logits = generator(l_in)
    ab = DecodeAb(decoding, name="decode_ab")(logits)
    colorized = layers.Concatenate(name="lab")([l_in, ab])
    inputs = {"L": l_in}
    outputs = {"logits": logits, "adv": _FrozenDiscriminator(discriminator, name="discriminator")(colorized)}
    if train_discriminator:
        inputs["ab"] = keras.Input(shape=(None, None, 2), name="ab")
        real = layers.Concatenate(name="real_lab")([l_in, inputs["ab"]])
        outputs["discriminator_real"], outputs["discriminator_colorized"] = _LearningDiscriminator(discriminator, name="discriminator_step")(real, colorized)
    return keras.Model(inputs, outputs, name="adversarial")


def adversarial_batch(l_chan, ab, train_discriminator: bool = False):
    """(L, true ab) -> the (inputs, targets) that build_adversarial's model trains on;
    the GAN losses ignore their targets, which only carry the batch size."""
    dummy = ab[:, 0, 0, 0] * 0  # slicing, not ops.zeros: works inside tf.data maps under any backend
    x, y = {"L": l_chan}, {"logits": ab, "adv": dummy}
    if train_discriminator:
        x["ab"] = ab
        y.update(discriminator_real=dummy, discriminator_colorized=dummy)
    return x, y


def anchor_loss(config: FineTuneConfig, decoding: Decoding, class_weights=None) -> keras.losses.Loss:
    """What keeps the fine-tuned generator near the truth: the loss its head was trained with
    (rebalanced cross entropy for the classification head, L2 on ab for the l2 head)."""
    return colorizer_loss(decoding.head, config.k, config.sigma, class_weights)


def compile_adversarial(model: keras.Model, config: FineTuneConfig, decoding: Decoding,
                        class_weights=None) -> keras.Model:
    """Adam for the generator; when the model has a learning discriminator, a second Adam at
    discriminator_learning_rate for the discriminator's variables (and nothing else)."""
    optimizer = keras.optimizers.Adam(config.learning_rate, beta_1=0.5)
    losses = {"logits": anchor_loss(config, decoding, class_weights), "adv": NonSaturatingLoss()}
    weights = {"logits": 1.0, "adv": config.lambda_adv}
    if "discriminator_real" in model.output:
        discriminator_ids = {id(v) for v in model.get_layer("discriminator_step").discriminator.trainable_variables}
        discriminator_optimizer = keras.optimizers.Adam(config.discriminator_learning_rate, beta_1=0.5, name="discriminator_adam")
        generator_optimizer = optimizer
        optimizer = keras.optimizers.MultiOptimizer(
            lambda v: discriminator_optimizer if id(v) in discriminator_ids else generator_optimizer)
        losses.update(discriminator_real=NonSaturatingLoss(name="discriminator_real"),
                      discriminator_colorized=NonSaturatingLoss(target_real=False, name="discriminator_colorized"))
        weights.update(discriminator_real=1.0, discriminator_colorized=1.0)
    model.compile(optimizer=optimizer, loss=losses, loss_weights=weights)
    return model


def finetune_dataset(failure_pattern: str, ordinary_pattern: str | None, config: FineTuneConfig,
                     batch_size: int | None = None, shard: tuple[int, int] | None = None):
    """adversarial_batch()es: failures, mixed with ordinary examples. batch_size: this
    process's share of config.batch_size; shard: as lab_dataset's."""
    from colordisc_tf.train import inputs

    kwargs = dict(crop_size=config.crop_size, random_crop=True, random_flip=True, shuffle_buffer=256, repeat=True,
                  shard=shard)
    streams = [inputs.lab_examples(failure_pattern, seed=config.seed, **kwargs)]
    if ordinary_pattern and config.mix_ordinary > 0:
        streams.append(inputs.lab_examples(ordinary_pattern, seed=config.seed + 1, **kwargs))
    train_discriminator = config.discriminator_learning_rate > 0
    return inputs.sample_batches(streams, [1 - config.mix_ordinary, config.mix_ordinary], config.seed,
                                 batch_size or config.batch_size,
                                 lambda l_chan, ab: adversarial_batch(l_chan, ab, train_discriminator))


def finetune_generator(config: FineTuneConfig, generator, discriminator, dataset, output_dir: str,
                       decoding: Decoding, class_weights=None, backup_dir: str | None = None, callbacks=()):
    """Fine-tune `generator` (and, with discriminator_learning_rate > 0, `discriminator`) in
    place on `dataset` (see finetune_dataset), decoding per the generator's own `decoding`
    (its GeneratorConfig's); returns history."""
    _log.info("fine-tune config:\n%s", describe(config))
    set_random_seed(config.seed)
    players = [at_precision(generator, config.precision), at_precision(discriminator, config.precision)]
    model = build_adversarial(*players, decoding, config.discriminator_learning_rate > 0)
    model = compile_adversarial(model, config, decoding, class_weights)
    history = fit_for_steps(model, dataset, steps=config.steps, steps_per_epoch=config.steps_per_epoch,
                            output_dir=output_dir, backup_dir=backup_dir, callbacks=callbacks)
    for original, trained in zip((generator, discriminator), players):
        if trained is not original:  # trained in another precision: the caller's models get the weights
            original.set_weights(trained.get_weights())
    return history


def train_and_save(config: dict, inputs: dict, output: dict, export: bool = False) -> dict:
    """One process of `run`: loads both players (their variables replicated over the
    processes when data-parallel), fine-tunes on this process's shard; the chief saves the
    generator, and with `export` its serving SavedModel."""
    from colordisc_tf.config import from_dict
    from colordisc_tf.data.color_prior import load_prior
    from colordisc_tf.serve.saving import load_discriminator, load_generator, save_generator

    config, output = from_dict(FineTuneConfig, config), TrainerOutput(**output)
    group = data_parallel.current()
    # Loading creates each variable from its initializer before the saved values replace it, and
    # creating a replicated variable checks that every process gave the same value.
    set_random_seed(config.seed)
    with distribution_scope(config.strategy):  # variables created under the strategy
        generator, generator_config = load_generator(inputs["generator"])
        discriminator = load_discriminator(inputs["discriminator"])[0]
        dataset = finetune_dataset(inputs["failures"], inputs.get("ordinary"), config, shard=group.shard(),
                                   batch_size=group.local_batch(config.batch_size, "finetune.batch_size"))
        history = finetune_generator(config, generator, discriminator, dataset, output.run_dir,
                                     generator_config.decoding, class_weights=load_prior(inputs["color_prior"]).weights,
                                     backup_dir=output.backup_dir)
    return save_as_chief(save_generator, generator, generator_config, history, output, export)


def run(config: FineTuneConfig, inputs: dict, output: TrainerOutput) -> dict:
    """Fine-tuning's one entry. inputs: record patterns "failures" and "ordinary" (mixed in
    against forgetting), model directories "generator" and "discriminator", "color_prior".
    With no failure cases the base generator is saved unchanged ({"finetuned": 0}). The
    history is copied beside the model as finetune_history.json."""
    import os
    import shutil

    from colordisc_tf.serve.saving import load_generator, save_generator
    from colordisc_tf.train.inputs import count_records

    if not count_records(inputs["failures"], 1):
        _log.warning("fine-tuning: no failure cases in %s; passing the base generator on unchanged", inputs["failures"])
        save_generator(*load_generator(inputs["generator"]), output.model_dir, output.serving_dir)
        return {"finetuned": 0}
    history = run_trainer(__name__, config, inputs, output)
    shutil.copy(os.path.join(output.run_dir, "history.json"), os.path.join(output.model_dir, "finetune_history.json"))
    return {"finetuned": 1, **history}
