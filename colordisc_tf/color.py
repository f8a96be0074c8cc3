"""CIELAB colour math and Zhang et al. (ECCV 2016) ab quantisation.

Every function is a vectorised TensorFlow op, so it runs inside `tf.data`
pipelines and inside exported SavedModels. Passing NumPy arrays is a
convenience: NumPy in, NumPy out.

Shapes use `...` for any leading dimensions:
    rgb, lab: (..., 3)    ab: (..., 2)    probs: (..., Q) with Q = 313
"""

from __future__ import annotations

import functools

import numpy as np
import tensorflow as tf

from colordisc_tf import bins
from colordisc_tf.quiet import quiet_tensorflow_io
from colordisc_tf.constants import AB_NORM, ANNEAL_T, L_CENT, L_NORM

__all__ = [
    "AB_BINS",
    "NUM_BINS",
    "L_CENT",
    "L_NORM",
    "AB_NORM",
    "ANNEAL_T",
    "rgb_to_lab",
    "lab_to_rgb",
    "nearest_bin",
    "soft_encode",
    "smooth_prior",
    "rebalance_weights",
    "annealed_mean",
]

#: The 313 in-gamut ab bin centres of the published ECCV16 model, in its order.
AB_BINS = bins.AB_BINS
NUM_BINS = bins.NUM_BINS
smooth_prior = bins.smooth_prior
rebalance_weights = bins.rebalance_weights


quiet_tensorflow_io()
from tensorflow_io.python.experimental import color_ops as _tfio_color  # noqa: E402  (after the filter)


def _numpy_in_numpy_out(fn):
    """Lets a TF op take NumPy arrays (or lists) and hand back NumPy arrays."""

    @functools.wraps(fn)
    def wrapper(x, *args, **kwargs):
        if isinstance(x, (tf.Tensor, tf.Variable)) or tf.is_symbolic_tensor(x):
            return fn(x, *args, **kwargs)
        out = fn(tf.convert_to_tensor(np.asarray(x, dtype=np.float32)), *args, **kwargs)
        return out.numpy()

    return wrapper


def _check_last_axis(x: tf.Tensor, size: int, name: str) -> None:
    if x.shape.rank is not None and x.shape.rank >= 1 and x.shape[-1] not in (None, size):
        raise ValueError(f"{name} must have last axis {size}, got shape {x.shape}")


@_numpy_in_numpy_out
def rgb_to_lab(rgb):
    """sRGB floats in [0, 1] (..., 3) -> CIELAB (..., 3), D65 / 2°, L in [0, 100]."""
    _check_last_axis(rgb, 3, "rgb")
    return _tfio_color.rgb_to_lab(tf.cast(rgb, tf.float32))


@_numpy_in_numpy_out
def lab_to_rgb(lab):
    """CIELAB (..., 3) -> sRGB floats (..., 3), clipped to [0, 1]."""
    _check_last_axis(lab, 3, "lab")
    rgb = _tfio_color.lab_to_rgb(tf.cast(lab, tf.float32))
    return tf.clip_by_value(rgb, 0.0, 1.0)


def _bins_f32() -> tf.Tensor:
    return tf.constant(AB_BINS, dtype=tf.float32)


def _squared_distances(ab: tf.Tensor) -> tf.Tensor:
    """(..., 2) -> (..., Q) squared distance to every bin centre."""
    ab = tf.cast(ab, tf.float32)
    diff = ab[..., None, :] - _bins_f32()
    return tf.reduce_sum(tf.square(diff), axis=-1)


@_numpy_in_numpy_out
def nearest_bin(ab):
    """(..., 2) ab -> (...) int32 index of the nearest of the 313 bins."""
    _check_last_axis(ab, 2, "ab")
    return tf.argmin(_squared_distances(ab), axis=-1, output_type=tf.int32)


@_numpy_in_numpy_out
def soft_encode(ab, k: int = 5, sigma: float = 5.0):
    """Soft-encode ab (..., 2) onto the bins: (..., Q), k non-zeros summing to 1.

    The k nearest bins get Gaussian weights exp(-d^2 / 2 sigma^2). Distances
    are taken relative to the nearest bin so far-out-of-gamut ab values do not
    underflow every weight to zero.
    """
    _check_last_axis(ab, 2, "ab")
    if not 1 <= k <= NUM_BINS:
        raise ValueError(f"k must be in [1, {NUM_BINS}], got {k}")
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    neg_d2, idx = tf.math.top_k(-_squared_distances(ab), k=k, sorted=True)
    d2 = -neg_d2
    w = tf.exp(-(d2 - d2[..., :1]) / (2.0 * sigma**2))
    w = w / tf.reduce_sum(w, axis=-1, keepdims=True)
    # (..., k, Q) one-hots weighted and summed: k is small, so this stays cheap.
    return tf.reduce_sum(tf.one_hot(idx, NUM_BINS, dtype=tf.float32) * w[..., None], axis=-2)


@_numpy_in_numpy_out
def annealed_mean(probs, T: float = ANNEAL_T):
    """Annealed-mean decode (..., Q) bin probabilities -> (..., 2) ab.

    f_T(z) = exp(log z / T) / sum exp(log z / T); ab = sum_q f_T(z)_q * bin_q.
    T = 1 is the plain mean; T -> 0 approaches the mode's bin centre.
    """
    _check_last_axis(probs, NUM_BINS, "probs")
    if T <= 0:
        raise ValueError(f"T must be positive, got {T}")
    probs = tf.cast(probs, tf.float32)
    log_z = tf.math.log(tf.maximum(probs, np.finfo(np.float32).tiny))
    annealed = tf.nn.softmax(log_z / T, axis=-1)
    return tf.tensordot(annealed, _bins_f32(), axes=[[-1], [0]])
