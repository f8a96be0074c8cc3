"""What `colordisc evaluate` keeps of each image: the numbers every set metric is made from.

    colorfulness, colorfulness_truth   Hasler & Süsstrunk on 0..255 sRGB (colordisc_tf.metrics)
    psnr                               on 0..255 sRGB over R, G and B, capped at PSNR_CAP dB
    auc_raw                            this image's raw-accuracy AuC (%)
    bins, bin_pixels, bin_area         per ab bin of the truth (nearest of the 313): its pixels and
                                       their summed AuC area (below), for the rebalanced AuC

AuC area of a pixel with ab error e (thresholds t = 0..T, T = 150): its share of the area under
the trapezoid curve of [e <= t], i.e. T for e = 0, T + 1/2 - ceil(e) for 0 < e <= T, 0 beyond.
Summed over pixels, weighted or not, and divided by T x their (weighted) count, it is exactly
colordisc_tf.metrics.auc_raw_accuracy / auc_rebalanced of the pooled pixels -- for any prior,
chosen after the images were measured (the set's own, gathered from bin_pixels). Areas are
multiples of 1/2: exact in JSON.
"""

from __future__ import annotations

import numpy as np

from colordisc_tf import metrics
from colordisc_tf.color.bins import NUM_BINS, nearest_bin

__all__ = ["AUC_MAX_THRESHOLD", "PSNR_CAP", "auc_area", "measure"]

AUC_MAX_THRESHOLD = 150
PSNR_CAP = 100.0  # dB: identical 8-bit images have an infinite PSNR, which a mean cannot take


def auc_area(errors, max_threshold: int = AUC_MAX_THRESHOLD) -> np.ndarray:
    """Each pixel's area under the accuracy-vs-threshold curve (see the module doc)."""
    errors = np.asarray(errors, np.float64)
    steps = np.ceil(errors)
    area = np.where(steps <= max_threshold, max_threshold + 0.5 - steps, 0.0)
    return np.where(errors <= 0, float(max_threshold), area)


def measure(rgb_pred, rgb_true, ab_pred, ab_true) -> dict:
    """One image: (H, W, 3) uint8 colorized and truth, (H, W, 2) their ab -> the row's numbers."""
    errors = np.sqrt(np.sum((np.asarray(ab_pred, np.float64) - np.asarray(ab_true, np.float64)) ** 2, axis=-1))
    area = auc_area(errors).ravel()
    true_bins = nearest_bin(ab_true).ravel()
    pixels = np.bincount(true_bins, minlength=NUM_BINS)
    areas = np.bincount(true_bins, weights=area, minlength=NUM_BINS)
    seen = np.flatnonzero(pixels)
    return {
        "colorfulness": float(metrics.colorfulness(rgb_pred)),
        "colorfulness_truth": float(metrics.colorfulness(rgb_true)),
        "psnr": float(min(metrics.psnr(rgb_pred, rgb_true), PSNR_CAP)),
        "auc_raw": float(100.0 * area.sum() / (AUC_MAX_THRESHOLD * area.size)),
        "bins": seen.tolist(),
        "bin_pixels": pixels[seen].tolist(),
        "bin_area": areas[seen].tolist(),
    }
