"""The one measuring path: images -> per-image measures -> set statistics, each with its interval.

`colordisc evaluate` (per_image rows -> summary), before/after (measure_generator ->
summarize_generator, paired_differences), realness scoring (scores.jsonl's per-image columns)
and the benchmarks all measure through here, so a rule is written once:

    PSNR_CAP                    identical 8-bit images have an infinite PSNR, which a mean cannot take
    auc_area                    each pixel's share of the raw-accuracy AuC (t = 0..AUC_MAX_THRESHOLD)
    delta_cf                    ΔCF = |mean CF(colorized) − mean CF(truth)|, the field's (CT2, DDColor,
                                MultiColor); its interval is the signed difference's, folded by |.|

    measure_images(Images)      {column: (N,) per-image values} from every registered measure
    summarize(values)           every statistic whose columns `values` holds, with its percentile-
                                bootstrap interval (`<key>_ci`, metrics.paired_bootstrap_ci)
    paired_differences(a, b)    b − a of each, its interval paired (the same images resampled for both)

Adding a metric: one per-image function registered with `@measure` (it returns its columns)
and one `statistic(...)` registration (a label puts it in the reports' tables). SSIM is the
example below.

Columns (each (N,) float64, one value an image): colorfulness, colorfulness_truth, psnr,
auc_area / auc_pixels (summed AuC area and pixel count), rebalanced_area / rebalanced_pixels
(the same, each pixel weighted by 1 / prior of its true bin; with a prior), ssim, and per
discriminator <d>: realness_<d> (of the colorization), realness_truth_<d> (of the real photo).
A statistic reduces along the last axis, so it takes one set (n,) or resamples (r, n) alike.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from colordisc_tf import metrics
from colordisc_tf.color.bins import nearest_bin
from colordisc_tf.constants import AUC_MAX_THRESHOLD

__all__ = ["AUC_MAX_THRESHOLD", "PSNR_CAP", "Images", "MEASURES", "STATISTICS", "Statistic", "auc_area",
           "detection_auc", "fold_interval", "inverse_prior", "measure", "measure_images", "paired_differences",
           "per_image_auc", "report_rows", "statistic", "statistics", "summarize"]

PSNR_CAP = 100.0  # dB


@dataclasses.dataclass(frozen=True)
class Images:
    """A batch: rgb_* (N, H, W, 3) sRGB (uint8 0..255, or float 0..1), ab_* (N, H, W, 2) Lab ab of
    the same images; prior: (313,) bin prior for the rebalanced AuC, or None (no rebalanced columns)."""

    rgb_pred: np.ndarray
    rgb_true: np.ndarray
    ab_pred: np.ndarray
    ab_true: np.ndarray
    prior: np.ndarray | None = None


#: name -> fn(Images) -> {column: (N,) values}; every one runs on every batch
MEASURES: dict[str, Callable[[Images], dict]] = {}


def measure(fn):
    """Registers a per-image measure under its function's name."""
    MEASURES[fn.__name__] = fn
    return fn


def measure_images(images: Images, only=None) -> dict:
    """{column: (N,) float64} of the registered measures (or of those named in `only`)."""
    columns = {}
    for name, fn in MEASURES.items():
        if only is None or name in only:
            columns.update({k: np.asarray(v, np.float64) for k, v in fn(images).items()})
    return columns


# ----------------------------------------------------------------------------- per-image measures


def auc_area(errors, max_threshold: int = AUC_MAX_THRESHOLD) -> np.ndarray:
    """Each pixel's area under the accuracy-vs-threshold curve of [e <= t], t = 0..T: T for e = 0,
    T + 1/2 − ceil(e) for 0 < e <= T, 0 beyond. Summed over pixels (weighted or not) and divided
    by T x their (weighted) count it is metrics.auc_raw_accuracy / auc_rebalanced of those pixels.
    Multiples of 1/2: exact in JSON."""
    errors = np.asarray(errors, np.float64)
    steps = np.ceil(errors)
    area = np.where(steps <= max_threshold, max_threshold + 0.5 - steps, 0.0)
    return np.where(errors <= 0, float(max_threshold), area)


def ab_errors(ab_pred, ab_true) -> np.ndarray:
    """(..., 2) ab -> (...) Euclidean errors."""
    return np.sqrt(np.sum((np.asarray(ab_pred, np.float64) - np.asarray(ab_true, np.float64)) ** 2, axis=-1))


def inverse_prior(prior) -> np.ndarray:
    """1 / prior per bin; bins absent from the prior carry no information on rarity: weight 0."""
    prior = np.asarray(prior, np.float64)
    return np.divide(1.0, prior, out=np.zeros_like(prior), where=prior > 0)


def per_image_auc(columns: dict) -> np.ndarray:
    """Each image's own raw-accuracy AuC (%), from its auc_area / auc_pixels."""
    return 100.0 * columns["auc_area"] / (AUC_MAX_THRESHOLD * columns["auc_pixels"])


@measure
def colorfulness(images: Images) -> dict:
    return {"colorfulness": metrics.colorfulness(images.rgb_pred), "colorfulness_truth": metrics.colorfulness(images.rgb_true)}


@measure
def psnr(images: Images) -> dict:
    return {"psnr": np.minimum(metrics.psnr(images.rgb_pred, images.rgb_true), PSNR_CAP)}


@measure
def auc(images: Images) -> dict:
    area = auc_area(ab_errors(images.ab_pred, images.ab_true))  # N x H x W
    columns = {"auc_area": area.sum(axis=(1, 2)), "auc_pixels": np.full(len(area), float(area[0].size))}
    if images.prior is not None:
        weights = inverse_prior(images.prior)[nearest_bin(np.asarray(images.ab_true, np.float32))]
        columns["rebalanced_area"] = (weights * area).sum(axis=(1, 2))
        columns["rebalanced_pixels"] = weights.sum(axis=(1, 2))
    return columns


@measure
def ssim(images: Images) -> dict:
    """Structural similarity of the colorized and the true sRGB (scikit-image: 7 x 7 windows, per
    channel, averaged): how much of the photo's structure the colours keep. Images under 7 px a
    side have no value."""
    from skimage.metrics import structural_similarity

    pred, true = np.asarray(images.rgb_pred), np.asarray(images.rgb_true)
    if min(true.shape[1:3]) < 7:
        return {}
    data_range = 255.0 if np.issubdtype(true.dtype, np.integer) else 1.0
    return {"ssim": [structural_similarity(p, t, channel_axis=-1, data_range=data_range) for p, t in zip(pred, true)]}


# ----------------------------------------------------------------------------- set statistics


@dataclasses.dataclass(frozen=True)
class Statistic:
    """columns: what it reads; reduce(*arrays) reduces along the last axis. label, fmt: its row in
    the reports (None: not shown by itself). fold: the statistic whose interval, folded by |.|,
    is this one's (ΔCF's: |x| of a bootstrap straddling 0 is no interval of |x|)."""

    columns: tuple[str, ...]
    reduce: Callable
    label: str | None = None
    fmt: str = "{:.3f}"
    fold: str | None = None


#: key -> Statistic, in the reports' order
STATISTICS: dict[str, Statistic] = {}


def statistic(key: str, *columns: str, reduce=None, label=None, fmt="{:.3f}", fold=None) -> Statistic:
    """Registers a set statistic; reduce defaults to the mean of the one column."""
    STATISTICS[key] = Statistic(columns, reduce or _mean, label, fmt, fold)
    return STATISTICS[key]


def _mean(x):
    return np.mean(x, axis=-1)


def _auc_ratio(area, pixels):
    return 100.0 / AUC_MAX_THRESHOLD * np.sum(area, axis=-1) / np.sum(pixels, axis=-1)


statistic("colorfulness", "colorfulness")
statistic("colorfulness_truth", "colorfulness_truth")
statistic("colorfulness_difference", "colorfulness", "colorfulness_truth", reduce=lambda cf, truth: _mean(cf - truth))
statistic("delta_cf", "colorfulness", "colorfulness_truth", reduce=lambda cf, truth: np.abs(_mean(cf - truth)),
          fold="colorfulness_difference")
statistic("per_image_delta_cf", "colorfulness", "colorfulness_truth", reduce=lambda cf, truth: _mean(np.abs(cf - truth)))
statistic("psnr", "psnr")
statistic("auc_raw", "auc_area", "auc_pixels", reduce=_auc_ratio)
statistic("auc_rebalanced", "rebalanced_area", "rebalanced_pixels", reduce=_auc_ratio)
statistic("ssim", "ssim", label="SSIM (sRGB, 7 × 7 windows) ↑", fmt="{:.3f}")
# one discriminator's columns without a name (`colordisc evaluate --discriminator`); before/after
# names its discriminators (realness_<d>: _discriminator_statistics below)
statistic("mean_realness", "realness")
statistic("mean_realness_truth", "realness_truth")
statistic("detection_auc", "realness_truth", "realness", reduce=lambda real, colorized: detection_auc(real, colorized))


def detection_auc(real, colorized):
    """ROC AUC of real (positive) vs colorized realness, along the last axis (one per row of a
    (resamples, n) batch): metrics.roc_auc, ties counting half, from average ranks."""
    from scipy.stats import rankdata

    real, colorized = np.asarray(real, np.float64), np.asarray(colorized, np.float64)
    n_real, n_colorized = real.shape[-1], colorized.shape[-1]
    ranks = rankdata(np.concatenate([real, colorized], axis=-1), axis=-1)
    return (ranks[..., :n_real].sum(axis=-1) - n_real * (n_real + 1) / 2.0) / (n_real * n_colorized)


def _discriminator_statistics(names: list[str]) -> dict:
    """fool rate, mean realness and detection AUC averaged over the discriminators `names`."""
    colorized = tuple(f"realness_{n}" for n in names)
    pairs = tuple(k for n in names for k in (f"realness_truth_{n}", f"realness_{n}"))
    return {
        "fool_rate": Statistic(colorized, lambda *s: np.mean([_mean(x >= 0.5) for x in s], axis=0)),
        "mean_realness": Statistic(colorized, lambda *s: np.mean([_mean(x) for x in s], axis=0)),
        "detection_auc": Statistic(pairs, lambda *a: np.mean([detection_auc(a[i], a[i + 1])
                                                               for i in range(0, len(a), 2)], axis=0)),
    }


def discriminators_of(values: dict) -> list[str]:
    """The names <d> of the realness_<d> columns."""
    return [key.removeprefix("realness_") for key in values
            if key.startswith("realness_") and not key.startswith("realness_truth")]


def statistics(values: dict) -> dict:
    """{key: Statistic} of what `values` holds: the registered ones whose columns it has, and per
    discriminator <d> fool_rate_<d>, mean_realness_<d>, detection_auc_<d>; `<metric>_retrained`:
    the mean over the fresh discriminators retrained_0, retrained_1, ..."""
    table = {key: s for key, s in STATISTICS.items() if all(c in values for c in s.columns)}
    names = discriminators_of(values)
    groups = {name: [name] for name in names}
    retrained = [name for name in names if name.startswith("retrained_")]
    if retrained:
        groups["retrained"] = retrained
    for group, members in groups.items():
        for metric, entry in _discriminator_statistics(members).items():
            table[f"{metric}_{group}"] = entry
    return table


def fold_interval(interval):
    """The interval of |x| given x's interval."""
    if interval is None:
        return None
    low, high = interval
    if low <= 0 <= high:
        return [0.0, float(max(-low, high))]
    return sorted([float(abs(low)), float(abs(high))])


def summarize(values: dict, confidence: float = metrics.CONFIDENCE, resamples: int = 2000, seed: int = 0) -> dict:
    """{"images": n, key: value, key_ci: [low, high] or None (under 2 images)} of every statistic
    `values` holds; a single discriminator's fool rate has its Wilson interval."""
    if not values:
        return {"images": 0}
    resampling = {"confidence": confidence, "resamples": resamples, "seed": seed, "vectorized": True}
    result = {"images": len(next(iter(values.values())))}
    table = statistics(values)
    for key, entry in table.items():
        arrays = [values[c] for c in entry.columns]
        result[key] = float(entry.reduce(*arrays))
        if not entry.fold:
            result[f"{key}_ci"] = metrics.paired_bootstrap_ci(entry.reduce, *arrays, **resampling)
    for key, entry in table.items():
        if entry.fold:
            result[f"{key}_ci"] = fold_interval(result.get(f"{entry.fold}_ci"))
    for name in discriminators_of(values):
        result[f"fool_rate_{name}_ci"] = metrics.fool_rate_ci(values[f"realness_{name}"])
    return result


def paired_differences(base: dict, other: dict, skip=(), confidence: float = metrics.CONFIDENCE,
                       resamples: int = 2000, seed: int = 0) -> dict:
    """{key: other − base, key_ci: its paired percentile-bootstrap interval} of every statistic
    both hold (but those in `skip`); the columns of both in the same images' order: each resample
    draws the same images for both."""
    resampling = {"confidence": confidence, "resamples": resamples, "seed": seed, "vectorized": True}
    result = {}
    for key, entry in statistics(base).items():
        if key in skip or any(c not in other for c in entry.columns):
            continue
        before = [base[c] for c in entry.columns]
        after = [other[c] for c in entry.columns]

        def difference(*arrays, reduce=entry.reduce, half=len(entry.columns)):
            return reduce(*arrays[half:]) - reduce(*arrays[:half])

        result[key] = float(difference(*before, *after))
        result[f"{key}_ci"] = metrics.paired_bootstrap_ci(difference, *before, *after, **resampling)
    return result


def report_rows(listed) -> list[tuple[str, str, str]]:
    """(key, label, fmt) of the registered statistics with a label that a report's own table
    (`listed`: its keys) does not name: a new metric's row without editing each report."""
    listed = set(listed)
    return [(key, s.label, s.fmt) for key, s in STATISTICS.items() if s.label and key not in listed]
