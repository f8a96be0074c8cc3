"""Model directories: the one place models are saved and loaded, with their configs.

    <dir>/generator.keras | discriminator.keras   the Keras model
    <dir>/config.json                              the config it was trained with
    <dir>/serving/ (or Format-Serving/ in TFX)     the TF Serving SavedModel

Models are saved in float32 whatever precision they trained in (colordisc_tf.models.precision).
Loading returns (model, config): the settings a consumer needs -- the generator's
decoding (temperature and head), the discriminator's crop and serving size -- travel with the
model instead of being re-typed by each consumer.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os

import keras

from colordisc_tf.config import ConfigError, DiscriminatorConfig, GeneratorConfig, describe, from_dict
from colordisc_tf.models.architectures import ARCHITECTURES
from colordisc_tf.models.precision import at_precision

__all__ = ["export_discriminator_serving", "export_generator_serving", "export_saved", "load_generator",
           "save_generator", "load_discriminator", "save_discriminator"]

GENERATOR_FILE = "generator.keras"
DISCRIMINATOR_FILE = "discriminator.keras"


#: Modules whose layers a saved model may name, besides each architecture's own: every custom
#: layer registers itself (keras.saving.register_keras_serializable, package "colordisc") when its
#: module is imported, and load_model finds it by that name. A process that never built a model
#: (a Beam worker on the portable runner) has imported none of them: _load imports them first.
_LAYER_MODULES = ("colordisc_tf.models.precision", "colordisc_tf.models.discriminator")


def _register_layers() -> None:
    for module in {*(spec.split(":")[0] for spec in ARCHITECTURES.values()), *_LAYER_MODULES}:
        importlib.import_module(module)


def _load(path: str, keras_file: str, config_class):
    """(model, config) from a model directory, or (model, default config) from a bare .keras file."""
    model_dir = path if os.path.isdir(path) else os.path.dirname(path)
    model_path = os.path.join(path, keras_file) if os.path.isdir(path) else path
    if not os.path.exists(model_path):
        other = DISCRIMINATOR_FILE if keras_file == GENERATOR_FILE else GENERATOR_FILE
        hint = f" (it holds {other}: a {other.split('.')[0]}, not a {keras_file.split('.')[0]})" \
            if os.path.exists(os.path.join(model_dir, other)) else ""
        raise FileNotFoundError(f"no {keras_file.split('.')[0]} at {path}: {model_path} does not exist{hint}")
    config_path = os.path.join(model_dir, "config.json")
    config = config_class()
    if os.path.isdir(path) and os.path.exists(config_path):
        with open(config_path) as f:
            try:
                config = from_dict(config_class, json.load(f))
            except (ConfigError, ValueError) as e:
                raise ConfigError(f"{config_path}: {e}") from None
    _register_layers()
    return keras.saving.load_model(model_path, compile=False), config


def _save(model: keras.Model, config, model_dir: str, keras_file: str) -> keras.Model:
    """Writes the float32 twin of `model` and returns it (for the SavedModel export)."""
    model = at_precision(model, "float32")
    os.makedirs(model_dir, exist_ok=True)
    model.save(os.path.join(model_dir, keras_file))
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        f.write(describe(config))
    return model


def load_generator(path: str) -> tuple[keras.Model, GeneratorConfig]:
    """A generator and its GeneratorConfig, from a model directory (or a bare .keras file:
    the default config)."""
    return _load(path, GENERATOR_FILE, GeneratorConfig)


def load_discriminator(path: str) -> tuple[keras.Model, DiscriminatorConfig]:
    """A discriminator and its DiscriminatorConfig, from a model directory (or a bare .keras file)."""
    return _load(path, DISCRIMINATOR_FILE, DiscriminatorConfig)


def save_generator(model: keras.Model, config: GeneratorConfig, model_dir: str, serving_dir: str | None = None,
                   export: bool = True) -> str:
    """model_dir/generator.keras + config.json, and (unless export=False: a process without
    TensorFlow) the serving SavedModel in serving_dir (default model_dir/serving), decoding
    with config's decoding. Returns serving_dir. A chroma_gain or confidence_power left to the init is
    written as the init's: the saved decoding does not change when the init does."""
    config = dataclasses.replace(config, chroma_gain=config.resolved_chroma_gain,
                                 confidence_power=config.resolved_confidence_power)
    model = _save(model, config, model_dir, GENERATOR_FILE)
    return export_generator_serving(model, config, model_dir, serving_dir) if export else ""


def export_generator_serving(model: keras.Model, config: GeneratorConfig, model_dir: str,
                             serving_dir: str | None = None) -> str:
    """The serving SavedModel of a saved generator, in serving_dir (default model_dir/serving)."""
    from colordisc_tf.serve.export import export_generator

    serving_dir = serving_dir or os.path.join(model_dir, "serving")
    return export_generator(model, serving_dir, config.decoding, config.serving_size, config.max_serving_pixels,
                            config.max_serving_images, config.max_serving_request_pixels)


def save_discriminator(model: keras.Model, config: DiscriminatorConfig, model_dir: str,
                       serving_dir: str | None = None, export: bool = True) -> str:
    """model_dir/discriminator.keras + config.json, and (unless export=False, as for
    save_generator) the serving SavedModel in serving_dir (default model_dir/serving). Returns serving_dir."""
    model = _save(model, config, model_dir, DISCRIMINATOR_FILE)
    return export_discriminator_serving(model, config, model_dir, serving_dir) if export else ""


def export_discriminator_serving(model: keras.Model, config: DiscriminatorConfig, model_dir: str,
                                 serving_dir: str | None = None) -> str:
    """The serving SavedModel of a saved discriminator (TensorFlow)."""
    from colordisc_tf.serve.export import export_discriminator

    return export_discriminator(model, serving_dir or os.path.join(model_dir, "serving"), config.serving_size)


def export_saved(model_dir: str, serving_dir: str | None = None) -> str:
    """The serving SavedModel of the generator or discriminator saved in model_dir (Keras file
    and config): what a trainer whose processes had no TensorFlow to export with leaves."""
    if os.path.exists(os.path.join(model_dir, GENERATOR_FILE)):
        return export_generator_serving(*load_generator(model_dir), model_dir, serving_dir)
    return export_discriminator_serving(*load_discriminator(model_dir), model_dir, serving_dir)
