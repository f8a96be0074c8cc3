"""Class rebalancing (Zhang et al. 2016, eq. 4): the colour prior smoothed, mixed with
uniform and inverted into per-bin loss weights. NumPy only (Beam workers import it)."""

from __future__ import annotations

import numpy as np

from colordisc_tf.color.bins import AB_BINS, NUM_BINS

__all__ = ["smooth_prior", "rebalance_weights"]


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
