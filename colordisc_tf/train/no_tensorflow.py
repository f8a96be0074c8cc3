"""Keras without TensorFlow in a process that reads records with NumPy.

Keras looks for TensorFlow wherever it is installed, whatever the backend, and the look imports
it (seconds, and gigabytes): `keras.utils.set_random_seed` seeds it too, and saving a model asks
whether a value is a TensorFlow object. A training process on the NumPy reader that has not
loaded TensorFlow has no TensorFlow objects and no tf.data, so inside `keras_without_tensorflow()`
Keras is told what it would find on a host without TensorFlow (such as a JAX-only GPU host).
"""

from __future__ import annotations

import contextlib
import sys

import keras

from colordisc_tf.data.reader_choice import record_reader

__all__ = ["keras_without_tensorflow", "set_random_seed"]


@contextlib.contextmanager
def keras_without_tensorflow():
    """Keras sees no TensorFlow while inside, unless TensorFlow is loaded or the reader is tf.data."""
    lazy = None
    if "tensorflow" not in sys.modules and record_reader() == "numpy":
        try:
            from keras.src.utils.module_utils import tensorflow as lazy
        except ImportError:  # another Keras layout: let it import TensorFlow rather than fail
            lazy = None
    if lazy is None:
        yield
        return
    available = lazy.__dict__.get("_available")
    lazy.__dict__["_available"] = False  # LazyModule's own answer where TensorFlow is not installed
    try:
        yield
    finally:
        lazy.__dict__["_available"] = available


def set_random_seed(seed: int) -> None:
    """keras.utils.set_random_seed: Python's, NumPy's and Keras' global seeds, and TensorFlow's only
    where tf.data (the one user of it here) is in use."""
    with keras_without_tensorflow():
        keras.utils.set_random_seed(seed)
