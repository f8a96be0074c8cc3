"""The 313 ab bins of Zhang et al. (ECCV 2016) and the nearest bin of an ab value.

NumPy only (no TensorFlow), so Beam workers can import it cheaply; the differentiable
twins for training and serving are in `colordisc_tf.color.keras_ops`.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

__all__ = ["AB_BINS", "NUM_BINS", "nearest_bin", "nearest_bin_table", "count_bins"]


def _load_bins() -> np.ndarray:
    text = resources.files("colordisc_tf").joinpath("data/ab_bins_313.csv").read_text()
    bins = np.loadtxt(text.splitlines(), delimiter=",", skiprows=1, dtype=np.int64)
    bins.setflags(write=False)
    return bins


#: The 313 in-gamut ab bin centres of the published ECCV16 model, in its order.
AB_BINS: np.ndarray = _load_bins()
NUM_BINS: int = int(AB_BINS.shape[0])


@functools.lru_cache(maxsize=1)
def nearest_bin_table() -> np.ndarray:
    """(256, 256) int16: nearest bin of every integer (a, b) in [-128, 127]^2,
    indexed [a + 128, b + 128]. Stored ab are int8, so this is exact for them."""
    grid = np.arange(-128, 128, dtype=np.float32)
    a, b = np.meshgrid(grid, grid, indexing="ij")
    ab = np.stack([a.ravel(), b.ravel()], axis=-1)
    bins = AB_BINS.astype(np.float32)
    d2 = (ab**2).sum(-1, keepdims=True) - 2 * ab @ bins.T + (bins**2).sum(-1)
    return d2.argmin(-1).astype(np.int16).reshape(256, 256)


def nearest_bin(ab, chunk: int = 1 << 16) -> np.ndarray:
    """float ab (..., 2) -> (...) int64 index of the nearest bin (NumPy, in chunks of pixels)."""
    ab = np.asarray(ab, dtype=np.float32)
    flat = ab.reshape(-1, 2)
    centres = AB_BINS.astype(np.float32)
    out = np.empty(len(flat), np.int64)
    for start in range(0, len(flat), chunk):
        part = flat[start:start + chunk]
        d2 = np.sum(part * part, 1, keepdims=True) - 2.0 * part @ centres.T + np.sum(centres * centres, 1)
        out[start:start + chunk] = np.argmin(d2, axis=1)
    return out.reshape(ab.shape[:-1])


def count_bins(ab_i8: np.ndarray) -> np.ndarray:
    """int8 ab (..., 2) -> (Q,) int64 counts of each pixel's nearest bin."""
    ab = np.asarray(ab_i8, dtype=np.int16).reshape(-1, 2) + 128
    return np.bincount(nearest_bin_table()[ab[:, 0], ab[:, 1]], minlength=NUM_BINS).astype(np.int64)
