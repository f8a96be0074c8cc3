"""Training the colorizer from Lab records (no TFX here; see components/)."""

from __future__ import annotations

import logging
import os

import keras

from colordisc_tf.train import data_parallel
from colordisc_tf.train.callbacks import ColorEvalCallback
from colordisc_tf.config import GeneratorConfig, describe, from_dict
from colordisc_tf.data.color_prior import load_prior
from colordisc_tf.train.fit import fit_for_steps
from colordisc_tf.train.losses import colorizer_loss
from colordisc_tf.models import build_architecture
from colordisc_tf.models.starter import resolve_init
from colordisc_tf.models.precision import at_precision
from colordisc_tf.train import inputs
from colordisc_tf.train.no_tensorflow import set_random_seed
from colordisc_tf.serve.saving import load_generator, save_generator
from colordisc_tf.train.entry import TrainerOutput, run_trainer, save_as_chief

__all__ = ["run", "train_generator", "train_and_save"]

_log = logging.getLogger(__name__)


def lab_dataset(file_pattern: str, batch_size: int, **kwargs):
    """The training batches: records.lab_dataset, or its NumPy twin (train.inputs picks)."""
    return inputs.lab_batches(file_pattern, batch_size, **kwargs)


def train_generator(
    config: GeneratorConfig,
    train_pattern: str,
    eval_pattern: str | None,
    output_dir: str,
    prior=None,
    weights=None,
    callbacks=(),
    backup_dir: str | None = None,
) -> tuple[keras.Model, dict]:
    """Train per `config`; returns (model, history). Writes under output_dir:
    logs/ (TensorBoard), backup/ (BackupAndRestore: a killed run resumes from
    the last epoch boundary; pass backup_dir to keep it elsewhere), history.json.
    Save the result with `colordisc_tf.serve.saving.save_generator`."""
    _log.info("generator config:\n%s", describe(config))
    if config.steps == 0:
        _log.info("generator: steps=0, using %s as is", config.init)
        return load_generator(resolve_init(config.init))[0], {"steps": 0}
    group = data_parallel.current()
    set_random_seed(config.seed)  # the same initial weights in every process
    os.makedirs(output_dir, exist_ok=True)
    log_dir = os.path.join(output_dir, "logs")

    batch = group.local_batch(config.batch_size, "generator.batch_size")
    train_ds = lab_dataset(
        train_pattern, batch, crop_size=config.crop_size, random_crop=True, random_flip=config.random_flip,
        shuffle_buffer=512, repeat=True, seed=config.seed, drop_remainder=True, shard=group.shard(),
    )
    eval_ds, eval_steps = None, None
    n_eval = inputs.count_records(eval_pattern, config.eval_batches * config.batch_size)
    if group.size > 1:  # every process must feed the same number of whole batches
        n_eval -= n_eval % config.batch_size
    if n_eval:
        eval_steps = -(-n_eval // config.batch_size)
        eval_ds = inputs.first_batches(inputs.lab_batches(eval_pattern, batch, crop_size=config.crop_size,
                                                          shard=group.shard(), drop_remainder=group.size > 1),
                                       eval_steps)
    else:
        _log.warning("no eval records at %s: training without eval metrics", eval_pattern)

    if config.init:
        model = load_generator(resolve_init(config.init))[0]
    else:
        model = build_architecture(config.arch, config.width, head=config.head)
    model = at_precision(model, config.precision)
    loss = colorizer_loss(config.head, config.k, config.sigma, weights, config.decoded_error_weight, config.decoding)
    lr = config.learning_rate
    if config.lr_decay:
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=config.steps, alpha=0.1)
    optimizer = keras.optimizers.Adam(lr, use_ema=config.ema_momentum > 0, ema_momentum=config.ema_momentum or 0.99)
    model.compile(optimizer=optimizer, loss=loss, jit_compile=config.jit_compile)

    eval_callbacks = []
    if group.size > 1:
        _log.info("data-parallel: the AuC / image callback is off (it predicts on one process only)")
    elif eval_ds is not None:
        eval_callbacks.append(ColorEvalCallback(eval_ds, log_dir, config.decoding, prior, config.image_every))
    hist = fit_for_steps(model, train_ds, steps=config.steps, steps_per_epoch=config.steps_per_epoch,
                         output_dir=output_dir, backup_dir=backup_dir, callbacks=[*eval_callbacks, *callbacks],
                         validation_data=eval_ds, validation_steps=eval_steps)
    return model, hist


def train_and_save(config: dict, inputs: dict, output: dict, export: bool = False) -> dict:
    """One process of `run`: trains; the chief saves the Keras model and its config, and with
    `export` (a process with TensorFlow) its serving SavedModel."""
    config, output = from_dict(GeneratorConfig, config), TrainerOutput(**output)
    prior = load_prior(inputs["color_prior"]) if inputs.get("color_prior") else None
    model, history = train_generator(
        config, inputs["train"], inputs.get("eval"), output.run_dir,
        prior=None if prior is None else prior.prior, weights=None if prior is None else prior.weights,
        backup_dir=output.backup_dir)
    return save_as_chief(save_generator, model, config, history, output, export)


def run(config: GeneratorConfig, inputs: dict, output: TrainerOutput) -> dict:
    """The generator's one entry. inputs: "train" and "eval" record patterns, "color_prior"
    (a prior directory: rebalancing weights and rebalanced AuC; optional). Returns the history."""
    return run_trainer(__name__, config, inputs, output)
