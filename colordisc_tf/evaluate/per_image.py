"""What `colordisc evaluate` keeps of each image (one JSON row): the numbers every set metric is
made from, measured by colordisc_tf.evaluate.measures.

    colorfulness, colorfulness_truth, psnr, ssim, ...   the registered per-image measures
    auc_raw                            this image's raw-accuracy AuC (%)
    bins, bin_pixels, bin_area         per ab bin of the truth (nearest of the 313): its pixels and
                                       their summed AuC area (measures.auc_area), for the rebalanced AuC

Summed over pixels, weighted or not, and divided by T x their (weighted) count, the areas are
exactly colordisc_tf.metrics.auc_raw_accuracy / auc_rebalanced of the pooled pixels -- for any
prior, chosen after the images were measured (the set's own, gathered from bin_pixels). Areas
are multiples of 1/2: exact in JSON.
"""

from __future__ import annotations

import numpy as np

from colordisc_tf.color.bins import NUM_BINS, nearest_bin
from colordisc_tf.evaluate.measures import AUC_MAX_THRESHOLD, PSNR_CAP, Images, ab_errors, auc_area, measure_images, per_image_auc

__all__ = ["AUC_MAX_THRESHOLD", "PSNR_CAP", "auc_area", "measure"]

#: columns the row keeps in its own form (auc_raw and the bins)
_AUC_COLUMNS = ("auc_area", "auc_pixels")


def measure(rgb_pred, rgb_true, ab_pred, ab_true) -> dict:
    """One image: (H, W, 3) uint8 colorized and truth, (H, W, 2) their ab -> the row's numbers."""
    columns = measure_images(Images(*(np.asarray(a)[None] for a in (rgb_pred, rgb_true, ab_pred, ab_true))))
    row = {key: float(value[0]) for key, value in columns.items() if key not in _AUC_COLUMNS}
    row["auc_raw"] = float(per_image_auc(columns)[0])
    area = auc_area(ab_errors(ab_pred, ab_true)).ravel()
    true_bins = nearest_bin(ab_true).ravel()
    pixels = np.bincount(true_bins, minlength=NUM_BINS)
    areas = np.bincount(true_bins, weights=area, minlength=NUM_BINS)
    seen = np.flatnonzero(pixels)
    return {**row, "bins": seen.tolist(), "bin_pixels": pixels[seen].tolist(), "bin_area": areas[seen].tolist()}
