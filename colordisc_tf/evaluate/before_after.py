"""Before/after evaluation of the fine-tuned generator against the base one.

On (a) the held-out eval-split failure cases and (b) the whole eval split, for each generator:
fool rate, mean realness and detection AUC under the fixed discriminator and under
discriminators trained afresh on that generator's own train-split outputs (so a gain is not
just fooling a fixed discriminator), raw and rebalanced AuC, colourfulness, ΔCF and PSNR, and
(when a FID Inception is given: the pipeline's `fid_weights`) the FID of the whole eval split.
ΔCF is the field's, |mean CF(colorized) − mean CF(truth)| over the set (its own interval: the
signed difference's, folded); the mean of per-image |CF − CF(truth)| is `per_image_delta_cf`.

Detection AUC: the ROC AUC with which a discriminator tells the real photos from this
generator's colorizations of them (0.5: cannot tell). Unlike the fool rate it needs no
threshold and no calibration, so it compares two discriminators fairly, and on a handful of
failure cases it moves in finer steps than "k of 9 fooled".

The fresh discriminators are symmetric: the same number per generator (seeds averaged), same
seeds, same budget, each from scratch on real photos vs that generator's colorizations.
(Scoring the base generator with a discriminator trained on the fine-tuned outputs would
flatter the base: that discriminator never saw its mistakes.)

Every metric is a statistic of per-image values (`measure_generator`): AuC of the pooled
pixels as per-image AuC-area sums over pixel counts (colordisc_tf.evaluate.per_image), a
detection AUC from each image's realness as real photo and as colorization. So each set has,
besides each generator's value and interval, `difference`: fine-tuned − base with a paired
percentile-bootstrap interval (the same images resampled for both generators; their shared
difficulty cancels, which two per-generator intervals side by side cannot show). The
blessing (colordisc_tf.evaluate.blessing) reads those intervals.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile

import numpy as np

from colordisc_tf import metrics
from colordisc_tf.serve import inference
from colordisc_tf.config import BlessingConfig
from colordisc_tf.color.bins import nearest_bin
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.models.discriminator import realness
from colordisc_tf.data.record_format import single_shard_path, split_file_pattern
from colordisc_tf.evaluate.blessing import bless
from colordisc_tf.evaluate.frechet import fid_from_features
from colordisc_tf.evaluate.per_image import AUC_MAX_THRESHOLD, PSNR_CAP, auc_area
from colordisc_tf.evaluate.summary import fold_interval

__all__ = ["Measured", "bless", "compare_generators", "detection_auc", "measure_generator", "paired_differences",
           "score_generator", "statistics", "summarize_generator", "train_fresh_discriminators"]

_log = logging.getLogger(__name__)

#: Per-generator metrics with no difference worth showing: the truth's colourfulness is the same
#: for both, and CF − CF(truth) differs exactly as CF does.
_SAME_FOR_BOTH = ("colorfulness_truth", "colorfulness_difference")


@dataclasses.dataclass
class Measured:
    """One generator on one set of records, image by image (every array in `ids`' order).

    values: colorfulness, colorfulness_truth, psnr, auc_area / auc_pixels (per image: summed AuC
    area and pixel count), rebalanced_area / rebalanced_pixels (the same weighted by 1 / prior
    of each pixel's true bin; with a prior), and per discriminator <d>: realness_<d> (of the
    colorization) and realness_truth_<d> (of the real photo)."""

    ids: list
    values: dict
    grid: dict  # {id: (first discriminator's realness, predicted Lab)}: the report's grids
    fid: float | None = None


def measure_generator(generator, pattern: str, discriminators: dict, decoding: Decoding, prior=None,
                      batch_size: int = 32, fid_model=None) -> Measured:
    """Decodes the generator per its `decoding` on the records under pattern and keeps each
    image's numbers. With fid_model (colordisc_tf.models.fid_inception): the set's FID."""
    from colordisc_tf.data.records import record_batches

    inverse_prior = None
    if prior is not None:  # bins absent from the prior carry no information on rarity: weight 0
        prior = np.asarray(prior, np.float64)
        inverse_prior = np.divide(1.0, prior, out=np.zeros_like(prior), where=prior > 0)
    ids, preds, trues, ls = [], [], [], []
    columns = {key: [] for key in ("auc_area", "auc_pixels", "rebalanced_area", "rebalanced_pixels")}
    for name in discriminators:
        columns[f"realness_{name}"], columns[f"realness_truth_{name}"] = [], []
    for batch in record_batches(pattern, batch_size):
        l_chan, ab_true = batch["l"].numpy(), batch["ab"].numpy()
        ab_pred = inference.predict_ab(generator, l_chan, decoding).numpy()
        for name, discriminator in discriminators.items():
            for key, ab in ((f"realness_{name}", ab_pred), (f"realness_truth_{name}", ab_true)):
                columns[key].append(np.asarray(realness(discriminator(np.concatenate([l_chan, ab], -1), training=False))))
        # ab_true, ab_pred: N x H x W x 2
        errors = np.sqrt(np.sum((ab_pred.astype(np.float64) - ab_true.astype(np.float64)) ** 2, axis=-1))
        area = auc_area(errors)  # N x H x W
        columns["auc_area"].append(area.sum(axis=(1, 2)))
        columns["auc_pixels"].append(np.full(len(area), float(area[0].size)))
        if inverse_prior is not None:
            weights = inverse_prior[nearest_bin(ab_true.astype(np.float32))]
            columns["rebalanced_area"].append((weights * area).sum(axis=(1, 2)))
            columns["rebalanced_pixels"].append(weights.sum(axis=(1, 2)))
        ids += [i.decode() for i in batch["id"].numpy()]
        preds.append(ab_pred)
        trues.append(ab_true)
        ls.append(l_chan)
    if not ids:
        return Measured([], {}, {})
    ab_pred, ab_true, l_chan = np.concatenate(preds), np.concatenate(trues), np.concatenate(ls)
    rgb_pred = inference.decode_to_rgb(l_chan, ab_pred).numpy()
    rgb_true = inference.decode_to_rgb(l_chan, ab_true).numpy()
    values = {key: np.concatenate(parts).astype(np.float64) for key, parts in columns.items() if parts}
    values["colorfulness"], values["colorfulness_truth"] = metrics.colorfulness(rgb_pred), metrics.colorfulness(rgb_true)
    values["psnr"] = np.minimum(metrics.psnr(rgb_pred, rgb_true), PSNR_CAP)
    fid = None
    if fid_model is not None and len(ids) >= 2:
        features = [fid_model.predict(rgb.astype(np.float32) / 255.0, batch_size=batch_size, verbose=0)
                    for rgb in (rgb_pred, rgb_true)]
        fid = fid_from_features(*features)
    first = next(iter(discriminators), None)
    grid = {i: (float(values[f"realness_{first}"][n]) if first else 0.0, np.concatenate([l_chan[n], ab_pred[n]], -1))
            for n, i in enumerate(ids)}
    return Measured(ids, values, grid, fid)


# ----------------------------------------------------------------------------- the set statistics


def _mean(x):
    return np.mean(x, axis=-1)


def _auc_ratio(area, pixels):
    return 100.0 / AUC_MAX_THRESHOLD * np.sum(area, axis=-1) / np.sum(pixels, axis=-1)


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
        "fool_rate": (colorized, lambda *s: np.mean([_mean(x >= 0.5) for x in s], axis=0)),
        "mean_realness": (colorized, lambda *s: np.mean([_mean(x) for x in s], axis=0)),
        "detection_auc": (pairs, lambda *a: np.mean([detection_auc(a[i], a[i + 1]) for i in range(0, len(a), 2)],
                                                    axis=0)),
    }


def statistics(values: dict) -> dict:
    """{metric: (the per-image arrays it reads, statistic(*arrays))} of what `values` holds.
    Each statistic reduces along the last axis, so it takes one set (n,) or a batch of
    resamples (resamples, n) alike. `<metric>_retrained`: the mean over the fresh
    discriminators retrained_0, retrained_1, ..."""
    table = {
        "colorfulness": (("colorfulness",), _mean),
        "colorfulness_truth": (("colorfulness_truth",), _mean),
        "colorfulness_difference": (("colorfulness", "colorfulness_truth"), lambda cf, truth: _mean(cf - truth)),
        "delta_cf": (("colorfulness", "colorfulness_truth"), lambda cf, truth: np.abs(_mean(cf - truth))),
        "per_image_delta_cf": (("colorfulness", "colorfulness_truth"), lambda cf, truth: _mean(np.abs(cf - truth))),
        "psnr": (("psnr",), _mean),
        "auc_raw": (("auc_area", "auc_pixels"), _auc_ratio),
    }
    if "rebalanced_area" in values:
        table["auc_rebalanced"] = (("rebalanced_area", "rebalanced_pixels"), _auc_ratio)
    names = [key.removeprefix("realness_") for key in values if key.startswith("realness_")
             and not key.startswith("realness_truth_")]
    groups = {name: [name] for name in names}
    retrained = [name for name in names if name.startswith("retrained_")]
    if retrained:
        groups["retrained"] = retrained
    for group, members in groups.items():
        for metric, entry in _discriminator_statistics(members).items():
            table[f"{metric}_{group}"] = entry
    return table


def _resampling(config: BlessingConfig) -> dict:
    return {"confidence": config.confidence, "resamples": config.resamples, "seed": config.bootstrap_seed,
            "vectorized": True}


def summarize_generator(values: dict, config: BlessingConfig = BlessingConfig()) -> dict:
    """One generator's metrics on one set, each with its percentile-bootstrap interval (`_ci`);
    a single discriminator's fool rate has its Wilson interval, ΔCF the signed difference's folded."""
    if not values:
        return {"images": 0}
    result = {"images": len(values["auc_area"])}
    for metric, (keys, statistic) in statistics(values).items():
        arrays = [values[k] for k in keys]
        result[metric] = float(statistic(*arrays))
        result[f"{metric}_ci"] = metrics.paired_bootstrap_ci(statistic, *arrays, **_resampling(config))
    result["delta_cf_ci"] = fold_interval(result["colorfulness_difference_ci"])
    for key in values:
        if key.startswith("realness_") and not key.startswith("realness_truth_"):
            result[f"fool_rate_{key.removeprefix('realness_')}_ci"] = metrics.fool_rate_ci(values[key])
    return result


def paired_differences(base: Measured, finetuned: Measured, config: BlessingConfig = BlessingConfig()) -> dict:
    """{metric: fine-tuned − base, metric_ci: its paired percentile-bootstrap interval} over the
    images both were measured on: each resample draws the same images for both generators."""
    if not base.ids:
        return {}
    if sorted(base.ids) != sorted(finetuned.ids):
        raise ValueError(f"base and fine-tuned were measured on different images ({len(base.ids)} vs "
                         f"{len(finetuned.ids)})")
    order = {i: n for n, i in enumerate(finetuned.ids)}
    aligned = [order[i] for i in base.ids]
    result = {}
    for metric, (keys, statistic) in statistics(base.values).items():
        if metric in _SAME_FOR_BOTH or any(k not in finetuned.values for k in keys):
            continue
        before = [base.values[k] for k in keys]
        after = [finetuned.values[k][aligned] for k in keys]

        def difference(*arrays, statistic=statistic, half=len(keys)):
            return statistic(*arrays[half:]) - statistic(*arrays[:half])

        result[metric] = float(difference(*before, *after))
        result[f"{metric}_ci"] = metrics.paired_bootstrap_ci(difference, *before, *after, **_resampling(config))
    if base.fid is not None and finetuned.fid is not None:
        result["fid"] = finetuned.fid - base.fid  # no interval: a biased set statistic (see summary)
    return result


def score_generator(generator, pattern: str, discriminators: dict, decoding: Decoding, prior=None,
                    batch_size: int = 32, fid_model=None, config: BlessingConfig = BlessingConfig()) -> tuple[dict, dict]:
    """Metrics of one generator, decoded per its `decoding`, on the records under pattern, and
    per-image {id: (first discriminator's realness, predicted Lab)} for the report's grids. With
    fid_model (colordisc_tf.models.fid_inception), also `fid`: colorized vs truth."""
    measured = measure_generator(generator, pattern, discriminators, decoding, prior, batch_size, fid_model)
    result = summarize_generator(measured.values, config)
    if measured.fid is not None:
        result["fid"] = measured.fid
    return result, measured.grid


def train_fresh_discriminators(base_discriminator_config, generator, decoding: Decoding, real_dir: str, steps: int,
                               work_dir: str, count: int = 1):
    """`count` fresh discriminators (seeds base_discriminator_config.seed, +1, ...) trained on real train
    photos vs this generator's colorizations of them (decoded per its `decoding`)."""
    from colordisc_tf.serve.bulk_colorize import colorize_records
    from colordisc_tf.train.discriminator import train_discriminator

    colorized = single_shard_path(os.path.join(work_dir, "colorized"), "train")
    colorize_records(generator, split_file_pattern(real_dir, "train"), colorized, decoding)
    discriminators = []
    for i in range(count):
        config = dataclasses.replace(base_discriminator_config, steps=steps, steps_per_epoch=steps,
                                     seed=base_discriminator_config.seed + i)
        discriminator, _ = train_discriminator(config, split_file_pattern(real_dir, "train"), colorized, None, None,
                                               os.path.join(work_dir, f"discriminator_{i}"))
        discriminators.append(discriminator)
    return discriminators


def compare_generators(base, finetuned, discriminator, real_dir: str, failures_dir: str, prior=None,
                       blessing: BlessingConfig = BlessingConfig(), fid_weights: str | None = None):
    """base, finetuned: (generator, GeneratorConfig), discriminator: (discriminator, DiscriminatorConfig), as
    colordisc_tf.serve.saving loads them: each generator is decoded with its own decoding.
    fid_weights: pytorch-fid's Inception weights file; then eval_all has each generator's `fid`.

    Returns ({"sets": {set: {"base": metrics, "finetuned": metrics, "difference": fine-tuned − base}},
    "blessed": bool, "outcome": ..., "verdict": "...", "reasons": [...], "checks": [...],
    "intervals": {...}}, per-image data of the eval failures for the report)."""
    fid_model = None
    if fid_weights:
        from colordisc_tf.models.fid_inception_import import import_fid_inception

        fid_model = import_fid_inception(fid_weights)
    generators = {"base": base, "finetuned": finetuned}
    discriminator, discriminator_config = discriminator
    discriminators = {name: {"fixed": discriminator} for name in generators}
    with tempfile.TemporaryDirectory() as work:
        if blessing.retrain_discriminator_steps:
            for name, (model, config) in generators.items():
                retrained = train_fresh_discriminators(discriminator_config, model, config.decoding, real_dir,
                                                       blessing.retrain_discriminator_steps, os.path.join(work, name),
                                                       blessing.retrain_discriminator_seeds)
                discriminators[name].update({f"retrained_{i}": c for i, c in enumerate(retrained)})
        sets = {"eval_failures": split_file_pattern(failures_dir, "eval"), "eval_all": split_file_pattern(real_dir, "eval")}
        report, images = {"sets": {}}, {}
        for set_name, pattern in sets.items():
            # FID on the whole split only: on a handful of failure cases it says nothing
            measured = {name: measure_generator(model, pattern, discriminators[name], config.decoding, prior,
                                                fid_model=fid_model if set_name == "eval_all" else None)
                        for name, (model, config) in generators.items()}
            section = {}
            for name, m in measured.items():
                section[name] = summarize_generator(m.values, blessing)
                if m.fid is not None:
                    section[name]["fid"] = m.fid
            section["difference"] = paired_differences(measured["base"], measured["finetuned"], blessing)
            report["sets"][set_name] = section
            if set_name == "eval_failures":
                images = {name: m.grid for name, m in measured.items()}
    verdict = bless(report, blessing)
    report.update(verdict.as_dict())
    report["intervals"] = {"confidence": blessing.confidence, "resamples": blessing.resamples,
                           "method": "percentile bootstrap over images; differences paired (the same images for both)"}
    return report, images
