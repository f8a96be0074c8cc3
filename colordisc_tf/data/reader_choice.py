"""Which reader feeds the trainers: tf.data (records) or NumPy (numpy_records).

tf.data wherever TensorFlow is installed (the default, unchanged); NumPy where it is not, such
as a GPU host with JAX only. COLORDISC_RECORD_READER=numpy (or tf) forces one: with numpy and
KERAS_BACKEND=jax a training process never imports TensorFlow.
"""

from __future__ import annotations

import importlib.util
import os

__all__ = ["READER_ENV", "READERS", "record_reader"]

READER_ENV = "COLORDISC_RECORD_READER"
READERS = ("tf", "numpy")


def record_reader() -> str:
    """"tf" or "numpy", per COLORDISC_RECORD_READER, else by whether TensorFlow is installed."""
    chosen = os.environ.get(READER_ENV, "").strip().lower()
    if chosen:
        if chosen not in READERS:
            raise ValueError(f"{READER_ENV}={chosen!r} is not a reader: use one of {', '.join(READERS)}")
        return chosen
    return "tf" if importlib.util.find_spec("tensorflow") is not None else "numpy"
