"""CIELAB colour math and Zhang et al. (ECCV 2016) ab quantisation: the public interface.

One implementation of each operation lives in this package; these functions check their
arguments and take and give NumPy arrays as a convenience (NumPy in, NumPy out; tensors
in, tensors out):

    lab          rgb_to_lab / lab_to_rgb (TensorFlow ops, tensorflow-io)
    srgb8        8-bit sRGB -> Lab in NumPy, for Beam workers that skip TensorFlow
    bins         the 313 bins, nearest bin in NumPy, bin counts
    rebalance    smoothed prior and class-rebalancing weights (NumPy)
    keras_ops    soft-encoding, annealed mean, the decode: keras.ops, any backend,
                 differentiable (losses, fine-tuning, serving)

Importing this package loads NumPy only (Beam workers import `bins`, `rebalance` and
`srgb8` through it); Keras and TensorFlow load on the first call that needs them.

Shapes use `...` for any leading dimensions:
    rgb, lab: (..., 3)    ab: (..., 2)    probs: (..., Q) with Q = 313
"""

from __future__ import annotations

import functools

import numpy as np

from colordisc_tf.color.bins import AB_BINS, NUM_BINS
from colordisc_tf.color.rebalance import rebalance_weights, smooth_prior
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


def _is_tensor(x) -> bool:
    from keras import ops

    return ops.is_tensor(x)


def _numpy_in_numpy_out(fn):
    """Lets an op take NumPy arrays (or lists) and hand back NumPy arrays."""

    @functools.wraps(fn)
    def wrapper(x, *args, **kwargs):
        if _is_tensor(x):
            return fn(x, *args, **kwargs)
        from keras import ops

        return ops.convert_to_numpy(fn(np.asarray(x, dtype=np.float32), *args, **kwargs))

    return wrapper


def _check_last_axis(x, size: int, name: str) -> None:
    shape = tuple(x.shape)
    if len(shape) >= 1 and shape[-1] not in (None, size):
        raise ValueError(f"{name} must have last axis {size}, got shape {shape}")


@_numpy_in_numpy_out
def rgb_to_lab(rgb):
    """sRGB floats in [0, 1] (..., 3) -> CIELAB (..., 3), D65 / 2°, L in [0, 100]."""
    from colordisc_tf.color import lab

    _check_last_axis(rgb, 3, "rgb")
    return lab.rgb_to_lab(rgb)


@_numpy_in_numpy_out
def lab_to_rgb(lab):
    """CIELAB (..., 3) -> sRGB floats (..., 3), clipped to [0, 1]."""
    from colordisc_tf.color import lab as lab_ops

    _check_last_axis(lab, 3, "lab")
    return lab_ops.lab_to_rgb(lab)


@_numpy_in_numpy_out
def nearest_bin(ab):
    """(..., 2) ab -> (...) int32 index of the nearest of the 313 bins."""
    from colordisc_tf.color import keras_ops

    _check_last_axis(ab, 2, "ab")
    return keras_ops.nearest_bin(ab)


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
    from colordisc_tf.color import keras_ops

    return keras_ops.soft_encode(ab, k=k, sigma=sigma)


@_numpy_in_numpy_out
def annealed_mean(probs, T: float = ANNEAL_T):
    """Annealed-mean decode (..., Q) bin probabilities -> (..., 2) ab.

    f_T(z) = exp(log z / T) / sum exp(log z / T); ab = sum_q f_T(z)_q * bin_q.
    T = 1 is the plain mean; T -> 0 approaches the mode's bin centre.
    """
    _check_last_axis(probs, NUM_BINS, "probs")
    if T <= 0:
        raise ValueError(f"T must be positive, got {T}")
    from colordisc_tf.color import keras_ops

    return keras_ops.annealed_mean(probs, T, from_logits=False)
