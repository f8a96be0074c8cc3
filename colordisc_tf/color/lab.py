"""sRGB <-> CIELAB (D65, 2°) as TensorFlow ops, via tensorflow-io's colour ops: they run
inside tf.data pipelines and exported SavedModels. The NumPy twin for 8-bit input, which
Beam workers use without importing TensorFlow, is `colordisc_tf.color.srgb8`."""

from __future__ import annotations

import tensorflow as tf

from colordisc_tf.infra.quiet import quiet_tensorflow_io

quiet_tensorflow_io()
from tensorflow_io.python.experimental import color_ops as _tfio_color  # noqa: E402  (after the filter)

__all__ = ["rgb_to_lab", "lab_to_rgb", "srgb8_lab", "luminance"]


def rgb_to_lab(rgb: tf.Tensor) -> tf.Tensor:
    """sRGB floats in [0, 1] (..., 3) -> CIELAB (..., 3), L in [0, 100]."""
    return _tfio_color.rgb_to_lab(tf.cast(rgb, tf.float32))


def srgb8_lab(rgb_uint8) -> tf.Tensor:
    """8-bit sRGB (..., 3), 0..255 -> CIELAB (..., 3)."""
    return rgb_to_lab(tf.cast(rgb_uint8, tf.float32) / 255.0)


def luminance(rgb_uint8) -> tf.Tensor:
    """8-bit sRGB (..., 3) -> L (..., 1) in [0, 100]: all a generator sees of a photo, and what
    its colorization keeps (serving, video, evaluation take it here)."""
    return srgb8_lab(rgb_uint8)[..., :1]


def lab_to_rgb(lab: tf.Tensor) -> tf.Tensor:
    """CIELAB (..., 3) -> sRGB floats (..., 3), clipped to [0, 1]."""
    return tf.clip_by_value(_tfio_color.lab_to_rgb(tf.cast(lab, tf.float32)), 0.0, 1.0)
