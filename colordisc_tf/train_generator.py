"""Training the colorizer from Lab records (no TFX here; see components/)."""

from __future__ import annotations

import json
import logging
import os

import keras

from colordisc_tf.callbacks import ColorEvalCallback
from colordisc_tf.config import GeneratorConfig, describe
from colordisc_tf.losses import L2AbLoss, RebalancedCrossEntropy
from colordisc_tf.models import build_generator
from colordisc_tf.records import count_records, lab_dataset
from colordisc_tf.saving import load_keras, save_keras

__all__ = ["train_generator", "save_generator", "load_generator", "KERAS_FILE", "SERVING_DIR"]

_log = logging.getLogger(__name__)
KERAS_FILE = "generator.keras"
SERVING_DIR = "serving"


def load_generator(path: str) -> keras.Model:
    """A generator from a .keras file or a directory holding generator.keras."""
    return load_keras(path, KERAS_FILE)


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
    Save the result with `save_generator`."""
    _log.info("generator config:\n%s", describe(config))
    if config.steps == 0:
        _log.info("generator: steps=0, using %s as is", config.init)
        return load_generator(config.init), {"steps": 0}
    keras.utils.set_random_seed(config.seed)
    os.makedirs(output_dir, exist_ok=True)
    log_dir = os.path.join(output_dir, "logs")

    train_ds = lab_dataset(
        train_pattern, config.batch_size, crop_size=config.crop_size, random_crop=True,
        random_flip=config.random_flip, shuffle_buffer=512, repeat=True, seed=config.seed, drop_remainder=True,
    )
    eval_ds, eval_steps = None, None
    n_eval = count_records(eval_pattern, config.eval_batches * config.batch_size)
    if n_eval:
        eval_steps = -(-n_eval // config.batch_size)
        eval_ds = lab_dataset(eval_pattern, config.batch_size, crop_size=config.crop_size).take(eval_steps).cache()
    else:
        _log.warning("no eval records at %s: training without eval metrics", eval_pattern)

    if config.init:
        model = load_generator(config.init)
    else:
        model = build_generator(config.width, head=config.head)
    if config.head == "classification":
        loss = RebalancedCrossEntropy(weights, k=config.k, sigma=config.sigma)
    else:
        loss = L2AbLoss()
    lr = config.learning_rate
    if config.lr_decay:
        lr = keras.optimizers.schedules.CosineDecay(lr, decay_steps=config.steps, alpha=0.1)
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, jit_compile=config.jit_compile)

    all_callbacks = [
        keras.callbacks.BackupAndRestore(backup_dir or os.path.join(output_dir, "backup"), save_freq="epoch"),
        keras.callbacks.TensorBoard(log_dir, update_freq="epoch"),
        *callbacks,
    ]
    if eval_ds is not None:
        all_callbacks.insert(1, ColorEvalCallback(eval_ds, log_dir, prior, config.temperature, config.head,
                                                  config.image_every))
    history = model.fit(
        train_ds,
        epochs=config.steps // config.steps_per_epoch,
        steps_per_epoch=config.steps_per_epoch,
        validation_data=eval_ds,
        validation_steps=eval_steps,
        callbacks=all_callbacks,
        verbose=2,
    )
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    hist["steps"] = int(model.optimizer.iterations.numpy())
    with open(os.path.join(output_dir, "history.json"), "w") as f:
        json.dump(hist, f, indent=1)
    return model, hist


def save_generator(model: keras.Model, config: GeneratorConfig, model_dir: str, serving_dir: str | None = None) -> str:
    """model_dir/generator.keras + config.json, and the serving SavedModel in
    serving_dir (default model_dir/serving). Returns serving_dir."""
    from colordisc_tf.export import export_generator

    save_keras(model, config, model_dir, KERAS_FILE)
    serving_dir = serving_dir or os.path.join(model_dir, SERVING_DIR)
    return export_generator(
        model, serving_dir, config.serving_size, config.temperature, config.max_serving_pixels, config.head
    )

