"""The set metrics of `colordisc evaluate`, from its per-image rows (colordisc_tf.evaluate.per_image),
computed as every set metric is (colordisc_tf.evaluate.measures: the definitions live there).

    colorfulness            CF: mean over images of CF(colorized)
    colorfulness_truth      the same of the truth
    colorfulness_difference mean CF(colorized) - mean CF(truth) (signed: < 0 is duller than the truth)
    delta_cf                ΔCF = |mean CF(colorized) - mean CF(truth)|: the field's (CT2, DDColor,
                            MultiColor); its interval is the signed difference's, folded by |.|
    per_image_delta_cf      mean over images of |CF(colorized) - CF(truth)|: how far each image's
                            colourfulness is from its own truth's (not the field's ΔCF)
    psnr, ssim              mean over images of the per-image PSNR (dB) and SSIM
    auc_raw, auc_rebalanced AuC of pooled pixels (%); rebalanced: each pixel weighted by 1 / prior of
                            its true bin, the prior given (a training prior) or the set's own
    fid                     Fréchet distance of the Inception pool features, colorized vs truth
    mean_realness(_truth), detection_auc   under a discriminator: mean realness of the colorized
                            (and of the truth) images, and the ROC AUC it tells them apart with

95 % intervals (`<key>_ci`): percentile bootstrap over images (2,000 resamples, paired where a
metric pairs colorized and truth; colordisc_tf.metrics.paired_bootstrap_ci), the prior held
fixed. FID has none: it is a biased set statistic (it falls as the set grows), and resampling
2048-d covariances says little about that; compare FIDs only at the same N.
"""

from __future__ import annotations

import numpy as np

from colordisc_tf.color.bins import NUM_BINS
from colordisc_tf.evaluate import measures
from colordisc_tf.evaluate.frechet import fid_from_features
from colordisc_tf.evaluate.measures import fold_interval

__all__ = ["columns", "summarize", "set_prior", "fold_interval"]

#: row keys that are not per-image columns
_NOT_COLUMNS = ("image", "auc_raw", "bins", "bin_pixels", "bin_area")


def set_prior(rows: list[dict]) -> np.ndarray:
    """(313,) share of the truth's pixels in each bin, over the rows."""
    counts = np.zeros(NUM_BINS)
    for row in rows:
        np.add.at(counts, row["bins"], row["bin_pixels"])
    return counts / counts.sum()


def columns(rows: list[dict], prior=None) -> dict:
    """The rows as measures' columns: each number every row has, and the AuC areas, rebalanced
    by prior (None: the set's own)."""
    keys = [k for k in rows[0] if k not in _NOT_COLUMNS and all(isinstance(r.get(k), (int, float)) for r in rows)]
    values = {key: np.array([r[key] for r in rows], np.float64) for key in keys}
    values["auc_area"] = np.array([sum(r["bin_area"]) for r in rows])
    values["auc_pixels"] = np.array([sum(r["bin_pixels"]) for r in rows])
    weights = measures.inverse_prior(set_prior(rows) if prior is None else prior)
    values["rebalanced_area"] = np.array([np.dot(weights[r["bins"]], r["bin_area"]) for r in rows])
    values["rebalanced_pixels"] = np.array([np.dot(weights[r["bins"]], r["bin_pixels"]) for r in rows])
    return values


def summarize(rows: list[dict], prior=None, features=None, realness=None) -> dict:
    """rows: the measured images' rows. prior: (313,) or None (the set's own). features:
    (colorized, truth) (N, 2048) arrays in the rows' order, or None. realness: (colorized,
    truth) (N,) arrays, or None."""
    if not rows:
        return {"images": 0}
    values = columns(rows, prior)
    if realness is not None:
        values["realness"], values["realness_truth"] = (np.asarray(r, np.float64) for r in realness)
    result = measures.summarize(values)
    if features is not None:
        colorized, truth = (np.asarray(f, np.float64) for f in features)
        if len(colorized) != len(rows) or len(truth) != len(rows):
            raise ValueError(f"{len(rows)} images but {len(colorized)} / {len(truth)} feature rows")
        result["fid"] = fid_from_features(colorized, truth) if len(rows) >= 2 else None
    return result
