"""Colourisation metrics (NumPy; evaluation runs offline on decoded images).

- AuC of raw accuracy (Zhang et al. 2016): share of pixels whose ab error is
  within t, for t = 0..max_threshold, area normalised to %.
- Class-rebalanced AuC: the same with pixels weighted by 1 / prior(true bin).
- Colourfulness (Hasler & Süsstrunk 2003) on 0..255 sRGB, and ΔCF.
- PSNR.
- Discriminator: ROC AUC, error rate at 0.5, fool rate.
- 95 % confidence intervals: Wilson for proportions (fool rate, error), a percentile
  bootstrap over images for means and ROC AUC (scipy.stats). On a dozen eval photos a
  fool rate of 1/3 is anything from 0.14 to 0.61: the report says so.
- Paired differences (paired_bootstrap_ci): a statistic of several per-image arrays -- e.g.
  the fine-tuned generator's AuC minus the base's on the same images -- resampled by image,
  the same draw for every array, so what the images share (their difficulty) cancels.
"""

from __future__ import annotations

import numpy as np

from colordisc_tf.constants import AUC_MAX_THRESHOLD

__all__ = [
    "auc_raw_accuracy",
    "auc_rebalanced",
    "accuracy_curve",
    "colorfulness",
    "delta_colorfulness",
    "psnr",
    "roc_auc",
    "discriminator_error",
    "fool_rate",
    "proportion_ci",
    "discriminator_error_ci",
    "fool_rate_ci",
    "bootstrap_ci",
    "paired_bootstrap_ci",
]

CONFIDENCE = 0.95


def accuracy_curve(ab_pred, ab_true, max_threshold: int = AUC_MAX_THRESHOLD, weights=None):
    """(thresholds, accuracy): weighted share of pixels with ||Δab|| <= t."""
    ab_pred = np.asarray(ab_pred, dtype=np.float64)
    ab_true = np.asarray(ab_true, dtype=np.float64)
    if ab_pred.shape != ab_true.shape or ab_pred.shape[-1] != 2:
        raise ValueError(
            f"ab_pred and ab_true must share a (..., 2) shape, got {ab_pred.shape} and {ab_true.shape}"
        )
    errors = np.sqrt(np.sum((ab_pred - ab_true) ** 2, axis=-1)).ravel()
    if weights is None:
        weights = np.ones_like(errors)
    else:
        weights = np.broadcast_to(np.asarray(weights, dtype=np.float64), ab_true.shape[:-1]).ravel()
    if errors.size == 0 or weights.sum() <= 0:
        raise ValueError("need at least one pixel with positive weight")
    order = np.argsort(errors, kind="stable")
    cum_weight = np.concatenate([[0.0], np.cumsum(weights[order])])
    thresholds = np.arange(max_threshold + 1, dtype=np.float64)
    within = np.searchsorted(errors[order], thresholds, side="right")
    return thresholds, cum_weight[within] / cum_weight[-1]


def auc_raw_accuracy(ab_pred, ab_true, max_threshold: int = AUC_MAX_THRESHOLD, weights=None) -> float:
    """Area under the accuracy-vs-threshold curve, t in [0, max_threshold], in %."""
    thresholds, accuracy = accuracy_curve(ab_pred, ab_true, max_threshold, weights)
    area = np.sum((accuracy[1:] + accuracy[:-1]) * 0.5 * np.diff(thresholds))
    return float(100.0 * area / max_threshold)


def auc_rebalanced(ab_pred, ab_true, prior, max_threshold: int = AUC_MAX_THRESHOLD) -> float:
    """AuC with each pixel weighted by 1 / prior of its true ab's nearest bin."""
    from colordisc_tf.color.bins import nearest_bin

    prior = np.asarray(prior, dtype=np.float64)
    true_bins = nearest_bin(np.asarray(ab_true, dtype=np.float32))
    # Bins absent from the prior carry no information on rarity: weight 0.
    inverse = np.divide(1.0, prior, out=np.zeros_like(prior), where=prior > 0)
    return auc_raw_accuracy(ab_pred, ab_true, max_threshold, weights=inverse[true_bins])


def _as_255(rgb) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.shape[-1] != 3 or rgb.ndim < 3:
        raise ValueError(f"rgb must be (..., H, W, 3), got shape {rgb.shape}")
    if np.issubdtype(rgb.dtype, np.integer):
        return rgb.astype(np.float64)
    return rgb.astype(np.float64) * 255.0


def colorfulness(rgb):
    """Hasler–Süsstrunk colourfulness of (..., H, W, 3) sRGB images -> (...).

    uint8 input is taken as 0..255, float input as 0..1.
    """
    rgb = _as_255(rgb)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    axes = (-2, -1)
    std = np.sqrt(rg.std(axis=axes) ** 2 + yb.std(axis=axes) ** 2)
    mean = np.sqrt(rg.mean(axis=axes) ** 2 + yb.mean(axis=axes) ** 2)
    return std + 0.3 * mean


def delta_colorfulness(rgb_pred, rgb_true):
    """|CF(pred) - CF(true)| per image. The field's ΔCF of a set is |mean CF(pred) - mean CF(true)|
    (colordisc_tf.evaluate.summary); the mean of this is its `per_image_delta_cf`."""
    return np.abs(colorfulness(rgb_pred) - colorfulness(rgb_true))


def psnr(pred, true, data_range=None):
    """Peak signal-to-noise ratio per image over the last three axes, in dB.

    data_range defaults to 255 for integer input and 1 for float input.
    Identical images give +inf.
    """
    pred = np.asarray(pred)
    true = np.asarray(true)
    if pred.shape != true.shape:
        raise ValueError(f"shape mismatch: {pred.shape} vs {true.shape}")
    if data_range is None:
        data_range = 255.0 if np.issubdtype(true.dtype, np.integer) else 1.0
    mse = np.mean((pred.astype(np.float64) - true.astype(np.float64)) ** 2, axis=(-3, -2, -1))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range**2 / mse)


def roc_auc(scores_positive, scores_negative) -> float:
    """ROC AUC = P(score of a positive > score of a negative), ties count half
    (the Mann-Whitney U statistic, by ranks)."""
    pos = np.asarray(scores_positive, np.float64).ravel()
    neg = np.asarray(scores_negative, np.float64).ravel()
    if pos.size == 0 or neg.size == 0:
        raise ValueError("roc_auc needs at least one positive and one negative score")
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty_like(allv)
    sorted_v = allv[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_v, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, counts)
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


def discriminator_error(real_scores, colorized_scores, threshold: float = 0.5) -> float:
    """Share of images misclassified at `threshold` (real below it, colorized at or above)."""
    real = np.asarray(real_scores).ravel()
    colorized = np.asarray(colorized_scores).ravel()
    return float((np.sum(real < threshold) + np.sum(colorized >= threshold)) / (real.size + colorized.size))


def discriminator_error_ci(real_scores, colorized_scores, threshold: float = 0.5) -> list[float] | None:
    """The 95 % (Wilson) interval of discriminator_error."""
    n = np.asarray(real_scores).size + np.asarray(colorized_scores).size
    return proportion_ci(round(discriminator_error(real_scores, colorized_scores, threshold) * n), n) if n else None


def fool_rate_ci(colorized_scores, threshold: float = 0.5) -> list[float] | None:
    """The 95 % (Wilson) interval of fool_rate."""
    n = np.asarray(colorized_scores).size
    return proportion_ci(round(fool_rate(colorized_scores, threshold) * n), n) if n else None


def fool_rate(colorized_scores, threshold: float = 0.5) -> float:
    """Share of generated images the discriminator calls real."""
    return float(np.mean(np.asarray(colorized_scores).ravel() >= threshold))


def proportion_ci(successes: int, n: int, confidence: float = CONFIDENCE) -> list[float] | None:
    """Wilson score interval of successes/n (None when n is 0)."""
    from scipy.stats import binomtest

    if n == 0:
        return None
    ci = binomtest(int(successes), int(n)).proportion_ci(confidence, method="wilson")
    return [float(ci.low), float(ci.high)]


def bootstrap_ci(statistic, *samples, confidence: float = CONFIDENCE, resamples: int = 2000,
                 seed: int = 0) -> list[float] | None:
    """Percentile-bootstrap interval of statistic(*samples), resampling the images (the
    samples' shared first axis: paired). None below 2 images, where there is nothing to
    resample."""
    from scipy.stats import bootstrap

    samples = [np.asarray(s, np.float64) for s in samples]
    if len(samples[0]) < 2:
        return None
    result = bootstrap(samples, statistic, paired=True, vectorized=False, n_resamples=resamples,
                       confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed))
    return [float(result.confidence_interval.low), float(result.confidence_interval.high)]


def paired_bootstrap_ci(statistic, *samples, confidence: float = CONFIDENCE, resamples: int = 2000, seed: int = 0,
                        vectorized: bool = False, chunk: int = 200) -> list[float] | None:
    """Percentile-bootstrap interval of statistic(*samples); the samples share their first axis,
    the images. Each resample draws n images with replacement, the SAME draw for every sample:
    a difference of two generators measured on the same images keeps its pairing. None below 2
    images. The draws are those of scipy.stats.bootstrap(paired=True, method="percentile") with
    the same seed (tests check the two agree).

    statistic(*resampled) -> a number; vectorized: it takes (resamples, n, ...) arrays and
    returns (resamples,) values (reductions over axis 1), computed `chunk` resamples at a time."""
    samples = [np.asarray(s) for s in samples]
    n = len(samples[0])
    if any(len(s) != n for s in samples):
        raise ValueError(f"paired samples must share their first axis, got lengths {[len(s) for s in samples]}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n < 2:
        return None
    draws = np.random.default_rng(seed).integers(0, n, (resamples, n))
    if vectorized:
        values = np.concatenate([np.asarray(statistic(*(s[draws[i:i + chunk]] for s in samples)), np.float64)
                                 for i in range(0, resamples, chunk)])
    else:
        values = np.array([statistic(*(s[d] for s in samples)) for d in draws], np.float64)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return [float(low), float(high)]
