"""Model directories: <dir>/<name>.keras + config.json (+ a serving SavedModel)."""

from __future__ import annotations

import os

import keras

from colordisc_tf.config import describe

__all__ = ["load_keras", "save_keras"]


def load_keras(path: str, keras_file: str) -> keras.Model:
    """A model from a .keras file, or from a directory holding `keras_file`."""
    if os.path.isdir(path):
        path = os.path.join(path, keras_file)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no Keras model at {path}")
    return keras.saving.load_model(path, compile=False)


def save_keras(model: keras.Model, config, model_dir: str, keras_file: str) -> None:
    """model_dir/keras_file and model_dir/config.json (the config it was trained with)."""
    os.makedirs(model_dir, exist_ok=True)
    model.save(os.path.join(model_dir, keras_file))
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        f.write(describe(config))
