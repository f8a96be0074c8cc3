"""The set metrics of `colordisc evaluate`, from its per-image rows (colordisc_tf.evaluate.per_image).

    colorfulness            CF: mean over images of CF(colorized)
    colorfulness_truth      the same of the truth
    colorfulness_difference mean CF(colorized) - mean CF(truth) (signed: < 0 is duller than the truth)
    delta_cf                ΔCF = |mean CF(colorized) - mean CF(truth)|: the field's (CT2, DDColor,
                            MultiColor); its interval is the signed difference's, folded by |.|
    per_image_delta_cf      mean over images of |CF(colorized) - CF(truth)|: how far each image's
                            colourfulness is from its own truth's (not the field's ΔCF)
    psnr                    mean over images of the per-image PSNR (dB)
    auc_raw, auc_rebalanced AuC of pooled pixels (%); rebalanced: each pixel weighted by 1 / prior of
                            its true bin, the prior given (a training prior) or the set's own
    fid                     Fréchet distance of the Inception pool features, colorized vs truth
    mean_realness(_truth), detection_auc   under a discriminator: mean realness of the colorized
                            (and of the truth) images, and the ROC AUC it tells them apart with

95 % intervals (`<key>_ci`): percentile bootstrap over images (2,000 resamples, paired where a
metric pairs colorized and truth; colordisc_tf.metrics.bootstrap_ci), the prior held fixed. FID
has none: it is a biased set statistic (it falls as the set grows), and resampling 2048-d
covariances says little about that; compare FIDs only at the same N.
"""

from __future__ import annotations

import numpy as np

from colordisc_tf import metrics
from colordisc_tf.color.bins import NUM_BINS
from colordisc_tf.evaluate.frechet import fid_from_features
from colordisc_tf.evaluate.per_image import AUC_MAX_THRESHOLD

__all__ = ["summarize", "set_prior", "fold_interval"]


def set_prior(rows: list[dict]) -> np.ndarray:
    """(313,) share of the truth's pixels in each bin, over the rows."""
    counts = np.zeros(NUM_BINS)
    for row in rows:
        np.add.at(counts, row["bins"], row["bin_pixels"])
    return counts / counts.sum()


def fold_interval(interval):
    """The interval of |x| given x's interval."""
    if interval is None:
        return None
    low, high = interval
    if low <= 0 <= high:
        return [0.0, float(max(-low, high))]
    return sorted([float(abs(low)), float(abs(high))])


def _ratio(numerators, denominators) -> float:
    return float(np.sum(numerators) / np.sum(denominators))


def _rebalanced_parts(rows: list[dict], prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image: (sum of w x area, sum of w x pixels), w = 1 / prior (0 for bins it lacks)."""
    prior = np.asarray(prior, np.float64)
    weights = np.divide(1.0, prior, out=np.zeros_like(prior), where=prior > 0)
    area = np.array([np.dot(weights[r["bins"]], r["bin_area"]) for r in rows])
    pixels = np.array([np.dot(weights[r["bins"]], r["bin_pixels"]) for r in rows])
    return area, pixels


def _mean_with_ci(result: dict, key: str, values) -> None:
    values = np.asarray(values, np.float64)
    result[key], result[f"{key}_ci"] = float(values.mean()), metrics.bootstrap_ci(np.mean, values)


def summarize(rows: list[dict], prior=None, features=None, realness=None) -> dict:
    """rows: the measured images' rows. prior: (313,) or None (the set's own). features:
    (colorized, truth) (N, 2048) arrays in the rows' order, or None. realness: (colorized,
    truth) (N,) arrays, or None."""
    if not rows:
        return {"images": 0}
    result = {"images": len(rows)}
    cf = np.array([r["colorfulness"] for r in rows])
    cf_truth = np.array([r["colorfulness_truth"] for r in rows])
    _mean_with_ci(result, "colorfulness", cf)
    _mean_with_ci(result, "colorfulness_truth", cf_truth)
    _mean_with_ci(result, "colorfulness_difference", cf - cf_truth)
    result["delta_cf"] = abs(result["colorfulness_difference"])
    result["delta_cf_ci"] = fold_interval(result["colorfulness_difference_ci"])
    _mean_with_ci(result, "per_image_delta_cf", np.abs(cf - cf_truth))
    _mean_with_ci(result, "psnr", [r["psnr"] for r in rows])

    raw_area = np.array([sum(r["bin_area"]) for r in rows])
    raw_pixels = np.array([sum(r["bin_pixels"]) for r in rows])
    scale = 100.0 / AUC_MAX_THRESHOLD
    result["auc_raw"] = scale * _ratio(raw_area, raw_pixels)
    ci = metrics.bootstrap_ci(_ratio, raw_area, raw_pixels)
    result["auc_raw_ci"] = [scale * c for c in ci] if ci else None
    area, pixels = _rebalanced_parts(rows, set_prior(rows) if prior is None else prior)
    result["auc_rebalanced"] = scale * _ratio(area, pixels)
    ci = metrics.bootstrap_ci(_ratio, area, pixels)
    result["auc_rebalanced_ci"] = [scale * c for c in ci] if ci else None

    if features is not None:
        colorized, truth = (np.asarray(f, np.float64) for f in features)
        if len(colorized) != len(rows) or len(truth) != len(rows):
            raise ValueError(f"{len(rows)} images but {len(colorized)} / {len(truth)} feature rows")
        result["fid"] = fid_from_features(colorized, truth) if len(rows) >= 2 else None
    if realness is not None:
        colorized, truth = (np.asarray(r, np.float64) for r in realness)
        _mean_with_ci(result, "mean_realness", colorized)
        _mean_with_ci(result, "mean_realness_truth", truth)
        result["detection_auc"] = metrics.roc_auc(truth, colorized)
        result["detection_auc_ci"] = metrics.bootstrap_ci(metrics.roc_auc, truth, colorized)
    return result
