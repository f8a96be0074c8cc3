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

Every metric is a statistic of per-image values (`measure_generator`, through
colordisc_tf.evaluate.measures): AuC of the pooled pixels as per-image AuC-area sums over pixel counts, a
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

from colordisc_tf.serve import inference
from colordisc_tf.config import BlessingConfig
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.models.discriminator import realness
from colordisc_tf.data.record_format import single_shard_path, split_file_pattern
from colordisc_tf.evaluate.blessing import bless
from colordisc_tf.evaluate.frechet import fid_from_features
from colordisc_tf.evaluate import measures
from colordisc_tf.evaluate.measures import Images, detection_auc, measure_images, statistics

__all__ = ["Measured", "bless", "compare_generators", "detection_auc", "measure_generator", "paired_differences",
           "score_generator", "statistics", "summarize_generator", "train_fresh_discriminators"]

_log = logging.getLogger(__name__)

#: Per-generator metrics with no difference worth showing: the truth's colourfulness is the same
#: for both, and CF − CF(truth) differs exactly as CF does.
_SAME_FOR_BOTH = ("colorfulness_truth", "colorfulness_difference")


@dataclasses.dataclass
class Measured:
    """One generator on one set of records, image by image (every array in `ids`' order).

    values: the per-image columns of colordisc_tf.evaluate.measures (colourfulness, PSNR, AuC
    areas, SSIM, ...) and per discriminator <d>: realness_<d> (of the colorization) and
    realness_truth_<d> (of the real photo)."""

    ids: list
    values: dict
    grid: dict  # {id: (first discriminator's realness, predicted Lab)}: the report's grids
    fid: float | None = None


def measure_generator(generator, pattern: str, discriminators: dict, decoding: Decoding, prior=None,
                      batch_size: int = 32, fid_model=None) -> Measured:
    """Decodes the generator per its `decoding` on the records under pattern and keeps each
    image's numbers (colordisc_tf.evaluate.measures). With fid_model
    (colordisc_tf.models.fid_inception): the set's FID."""
    from colordisc_tf.data.records import record_batches

    ids, preds, trues, ls = [], [], [], []
    columns = {}
    for name in discriminators:
        columns[f"realness_{name}"], columns[f"realness_truth_{name}"] = [], []
    for batch in record_batches(pattern, batch_size):
        l_chan, ab_true = batch["l"].numpy(), batch["ab"].numpy()
        ab_pred = inference.predict_ab(generator, l_chan, decoding).numpy()
        for name, discriminator in discriminators.items():
            for key, ab in ((f"realness_{name}", ab_pred), (f"realness_truth_{name}", ab_true)):
                columns[key].append(np.asarray(realness(discriminator(np.concatenate([l_chan, ab], -1), training=False))))
        ids += [i.decode() for i in batch["id"].numpy()]
        preds.append(ab_pred)
        trues.append(ab_true)
        ls.append(l_chan)
    if not ids:
        return Measured([], {}, {})
    ab_pred, ab_true, l_chan = np.concatenate(preds), np.concatenate(trues), np.concatenate(ls)
    rgb_pred = inference.decode_to_rgb(l_chan, ab_pred).numpy()
    rgb_true = inference.decode_to_rgb(l_chan, ab_true).numpy()
    values = measure_images(Images(rgb_pred, rgb_true, ab_pred, ab_true, prior))
    values.update({key: np.concatenate(parts).astype(np.float64) for key, parts in columns.items() if parts})
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


def _resampling(config: BlessingConfig) -> dict:
    return {"confidence": config.confidence, "resamples": config.resamples, "seed": config.bootstrap_seed}


def summarize_generator(values: dict, config: BlessingConfig = BlessingConfig()) -> dict:
    """One generator's metrics on one set, each with its percentile-bootstrap interval (`_ci`);
    a single discriminator's fool rate has its Wilson interval, ΔCF the signed difference's folded."""
    return measures.summarize(values, **_resampling(config))


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
    result = measures.paired_differences(base.values, {k: v[aligned] for k, v in finetuned.values.items()},
                                         _SAME_FOR_BOTH, **_resampling(config))
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
