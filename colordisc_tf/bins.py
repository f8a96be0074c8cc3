"""The 313 ab bins of Zhang et al. (ECCV 2016) and the prior math on them.

NumPy only (no TensorFlow), so Beam workers can import it cheaply;
`colordisc_tf.color` re-exports everything public here.
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np

__all__ = ["AB_BINS", "NUM_BINS", "nearest_bin", "nearest_bin_table", "count_bins", "smooth_prior", "rebalance_weights"]


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


def _gaussian_bin_kernel(sigma: float) -> np.ndarray:
    centres = AB_BINS.astype(np.float64)
    d2 = np.sum((centres[:, None, :] - centres[None, :, :]) ** 2, axis=-1)
    return np.exp(-d2 / (2.0 * sigma**2))


def _as_prior(prior) -> np.ndarray:
    prior = np.asarray(prior, dtype=np.float64)
    if prior.shape != (NUM_BINS,):
        raise ValueError(f"prior must have shape ({NUM_BINS},), got {prior.shape}")
    if np.any(prior < 0) or not np.isfinite(prior).all() or prior.sum() <= 0:
        raise ValueError("prior must be finite, non-negative and not all zero")
    return prior / prior.sum()


def smooth_prior(prior, sigma: float = 5.0) -> np.ndarray:
    """Gaussian-smooth a (Q,) bin distribution over the ab plane, sum 1.

    Each bin becomes the Gaussian-weighted average of the bins around it
    (weights renormalised over the in-gamut bins, so a uniform prior stays
    uniform at the gamut's edge), then the result is renormalised.
    """
    prior = _as_prior(prior)
    if sigma <= 0:
        return prior
    kernel = _gaussian_bin_kernel(sigma)
    smoothed = kernel @ prior / kernel.sum(axis=1)
    return smoothed / smoothed.sum()


def rebalance_weights(prior, lam: float = 0.5, sigma: float = 5.0) -> np.ndarray:
    """Class-rebalancing weights w ∝ ((1 - lam) p̃ + lam / Q)^-1, E_prior[w] = 1.

    p̃ is `prior` smoothed with a Gaussian of `sigma` ab units. The weights are
    normalised under the (unsmoothed) prior, i.e. the mean per-pixel weight over
    the data the prior was counted on is 1, so rebalancing keeps the loss scale.
    """
    if not 0.0 < lam <= 1.0:
        raise ValueError(f"lam must be in (0, 1], got {lam}")
    prior = _as_prior(prior)
    mixed = (1.0 - lam) * smooth_prior(prior, sigma) + lam / NUM_BINS
    weights = 1.0 / mixed
    return (weights / np.sum(prior * weights)).astype(np.float32)
