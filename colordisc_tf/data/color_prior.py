"""The colour prior's value: bin counts -> empirical prior, smoothed prior, rebalancing weights;
its artifacts, and loading them back. NumPy only: trainers read it without Beam or TensorFlow
(the Beam pass that counts the bins is `colordisc_tf.data.prior`).

    <output>/prior.npz   counts, prior, prior_smoothed, weights, bins, lam, sigma
    <output>/prior.json  the same numbers' summary, for people and tests
    <output>/prior.png   log-prior and rebalancing weights on the ab plane
"""

from __future__ import annotations

import json
import os

import numpy as np

from colordisc_tf.color import bins, rebalance

__all__ = ["ColorPrior", "load_prior", "plot_prior"]


class ColorPrior:
    """Counts -> prior, smoothed prior and rebalancing weights."""

    def __init__(self, counts, lam: float = 0.5, sigma: float = 5.0):
        self.counts = np.asarray(counts, dtype=np.int64)
        if self.counts.shape != (bins.NUM_BINS,) or self.counts.sum() == 0:
            raise ValueError("the colour prior needs a (313,) histogram with at least one pixel")
        self.lam, self.sigma = float(lam), float(sigma)
        self.prior = self.counts / self.counts.sum()
        self.prior_smoothed = rebalance.smooth_prior(self.prior, sigma)
        self.weights = rebalance.rebalance_weights(self.prior, lam=lam, sigma=sigma)

    def summary(self) -> dict:
        return {
            "pixels": int(self.counts.sum()),
            "bins_seen": int(np.count_nonzero(self.counts)),
            "lam": self.lam,
            "sigma": self.sigma,
            "weight_min": float(self.weights.min()),
            "weight_max": float(self.weights.max()),
            "expected_weight": float(np.sum(self.prior * self.weights)),
            "top_bins": [
                {"bin": int(i), "ab": bins.AB_BINS[i].tolist(), "p": float(self.prior[i])}
                for i in np.argsort(-self.prior)[:5]
            ],
        }

    def save(self, output_dir: str) -> None:
        os.makedirs(output_dir, exist_ok=True)
        np.savez(
            os.path.join(output_dir, "prior.npz"),
            counts=self.counts,
            prior=self.prior,
            prior_smoothed=self.prior_smoothed,
            weights=self.weights,
            bins=bins.AB_BINS,
            lam=self.lam,
            sigma=self.sigma,
        )
        with open(os.path.join(output_dir, "prior.json"), "w") as f:
            json.dump(self.summary(), f, indent=2)
        plot_prior(self, os.path.join(output_dir, "prior.png"))


def load_prior(path: str) -> ColorPrior:
    """A saved prior from its directory or its prior.npz."""
    if os.path.isdir(path):
        path = os.path.join(path, "prior.npz")
    with np.load(path) as data:
        return ColorPrior(data["counts"], lam=float(data["lam"]), sigma=float(data["sigma"]))


def _on_grid(values: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """(Q,) -> (b rows, a cols) image over the bin grid, NaN outside the gamut."""
    a_vals, b_vals = np.unique(bins.AB_BINS[:, 0]), np.unique(bins.AB_BINS[:, 1])
    img = np.full((len(b_vals), len(a_vals)), np.nan)
    cols = np.searchsorted(a_vals, bins.AB_BINS[:, 0])
    rows = np.searchsorted(b_vals, bins.AB_BINS[:, 1])
    img[rows, cols] = values
    extent = [a_vals[0] - 5, a_vals[-1] + 5, b_vals[0] - 5, b_vals[-1] + 5]
    return img, extent


def plot_prior(prior: ColorPrior, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), constrained_layout=True)
    with np.errstate(divide="ignore"):
        log_prior = np.where(prior.prior > 0, np.log10(prior.prior), np.nan)
    panels = [
        (log_prior, "log10 empirical p(ab) (gray: never seen)", "viridis"),
        (np.log10(prior.weights), "log10 rebalancing weight", "magma"),
    ]
    gamut, extent = _on_grid(np.ones(bins.NUM_BINS))
    for ax, (values, title, cmap) in zip(axes, panels):
        ax.imshow(gamut, origin="lower", extent=extent, cmap="Greys", vmin=0, vmax=4, interpolation="nearest")
        img, _ = _on_grid(values)
        shown = ax.imshow(img, origin="lower", extent=extent, cmap=cmap, interpolation="nearest")
        ax.set(title=title, xlabel="a", ylabel="b")
        fig.colorbar(shown, ax=ax, shrink=0.85)
    fig.suptitle(f"colour prior: {prior.counts.sum():,} pixels, {np.count_nonzero(prior.counts)}/313 bins seen")
    fig.savefig(path, dpi=110)
    plt.close(fig)
