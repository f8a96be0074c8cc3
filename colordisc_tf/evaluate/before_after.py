"""Before/after evaluation of the fine-tuned generator against the base one.

On (a) the held-out eval-split failure cases and (b) the whole eval split, for
each generator: fool rate against the fixed discriminator, fool rate against a discriminator
retrained on that generator's own train-split outputs (so a gain is not just
fooling a fixed discriminator), raw and rebalanced AuC, colourfulness, ΔCF and PSNR, and
(when a FID Inception is given: the pipeline's `fid_weights`) the FID of the whole eval split.
ΔCF is the field's, |mean CF(colorized) − mean CF(truth)| over the set (interval: the signed
difference's, folded); the mean of per-image |CF − CF(truth)| is `per_image_delta_cf`.

The retrained discriminators are symmetric: the same number per generator (seeds
averaged), same seeds, same budget, each from scratch on real photos vs that
generator's colorizations. (Scoring the
base generator with a discriminator trained on the fine-tuned outputs would flatter the
base: that discriminator never saw its mistakes.)

Per discriminator, also its detection AUC: the ROC AUC with which it tells the real photos
from this generator's colorizations of them (0.5: cannot tell). Unlike the fool
rate it needs no threshold and no calibration, so it compares two discriminators fairly,
and on a handful of failure cases it moves in finer steps than "k of 9 fooled".

A blessing when the fine-tuned model, on the failure cases, raises the fool rate
against the fixed discriminator AND is harder to detect for its own retrained discriminator than
the base is for its own (lower detection AUC), without losing more than
`max_auc_drop` points of raw AuC, nor `max_rebalanced_auc_drop` points of rebalanced
AuC (the one that rewards rare, vivid colours: a generator can please discriminators by
toning colours down), on the whole eval split.
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
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.models.discriminator import realness
from colordisc_tf.data.record_format import single_shard_path, split_file_pattern
from colordisc_tf.evaluate.frechet import fid_from_features
from colordisc_tf.evaluate.summary import fold_interval

__all__ = ["bless", "compare_generators", "score_generator", "train_fresh_discriminators"]

_log = logging.getLogger(__name__)


def score_generator(generator, pattern: str, discriminators: dict, decoding: Decoding, prior=None,
                    batch_size: int = 32, fid_model=None) -> tuple[dict, dict]:
    """Metrics of one generator, decoded per its `decoding`, on the records under pattern, and
    per-image {id: (fixed-discriminator score, predicted Lab)} for the report's grids. With
    fid_model (colordisc_tf.models.fid_inception), also `fid`: colorized vs truth."""
    from colordisc_tf.data.records import record_batches

    ids, preds, trues, ls = [], [], [], []
    scores, real_scores = {name: [] for name in discriminators}, {name: [] for name in discriminators}
    for batch in record_batches(pattern, batch_size):
        batch_ids, l_chan, ab_true = [i.decode() for i in batch["id"].numpy()], batch["l"].numpy(), batch["ab"].numpy()
        ab_pred = inference.predict_ab(generator, l_chan, decoding).numpy()
        lab_pred = np.concatenate([l_chan, ab_pred], axis=-1)
        lab_true = np.concatenate([l_chan, ab_true], axis=-1)
        for name, discriminator in discriminators.items():
            scores[name].append(np.asarray(realness(discriminator(lab_pred, training=False))))
            real_scores[name].append(np.asarray(realness(discriminator(lab_true, training=False))))
        ids += batch_ids
        preds.append(ab_pred)
        trues.append(ab_true)
        ls.append(l_chan)
    if not ids:
        return {"images": 0}, {}
    ab_pred, ab_true, l_chan = np.concatenate(preds), np.concatenate(trues), np.concatenate(ls)
    rgb_pred = inference.decode_to_rgb(l_chan, ab_pred).numpy()
    rgb_true = inference.decode_to_rgb(l_chan, ab_true).numpy()
    cf, cf_truth = metrics.colorfulness(rgb_pred), metrics.colorfulness(rgb_true)
    per_image_values = {
        "colorfulness": cf,
        "colorfulness_truth": cf_truth,
        "colorfulness_difference": cf - cf_truth,
        "per_image_delta_cf": np.abs(cf - cf_truth),
        "psnr": np.minimum(metrics.psnr(rgb_pred, rgb_true), 100.0),
    }
    result = {"images": len(ids), "auc_raw": metrics.auc_raw_accuracy(ab_pred, ab_true)}
    for key, values in per_image_values.items():
        result[key], result[f"{key}_ci"] = float(np.mean(values)), metrics.bootstrap_ci(np.mean, values)
    result["delta_cf"] = abs(result["colorfulness_difference"])
    result["delta_cf_ci"] = fold_interval(result["colorfulness_difference_ci"])
    if fid_model is not None and len(ids) >= 2:
        features = [fid_model.predict(rgb.astype(np.float32) / 255.0, batch_size=batch_size, verbose=0)
                    for rgb in (rgb_pred, rgb_true)]
        result["fid"] = fid_from_features(*features)
    if prior is not None:
        result["auc_rebalanced"] = metrics.auc_rebalanced(ab_pred, ab_true, prior)
    all_scores = {name: np.concatenate(s) for name, s in scores.items()}
    for name, s in all_scores.items():
        real = np.concatenate(real_scores[name])
        result[f"fool_rate_{name}"] = metrics.fool_rate(s)
        result[f"fool_rate_{name}_ci"] = metrics.fool_rate_ci(s)
        result[f"mean_realness_{name}"] = float(s.mean())
        result[f"mean_realness_{name}_ci"] = metrics.bootstrap_ci(np.mean, s)
        result[f"detection_auc_{name}"] = metrics.roc_auc(real, s)
        result[f"detection_auc_{name}_ci"] = metrics.bootstrap_ci(metrics.roc_auc, real, s)  # paired by image
    first = next(iter(all_scores.values()))
    per_image = {i: (float(first[n]), np.concatenate([l_chan[n], ab_pred[n]], -1)) for n, i in enumerate(ids)}
    return result, per_image


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


def _average_retrained(result: dict, count: int) -> dict:
    """metric_retrained = mean of metric_retrained_<i> over the retrained discriminators (kept too);
    its _ci is the mean of theirs (the spread over images, not over discriminator seeds)."""
    for metric in ("fool_rate", "mean_realness", "detection_auc"):
        per_discriminator = [result[f"{metric}_retrained_{i}"] for i in range(count) if f"{metric}_retrained_{i}" in result]
        if per_discriminator:
            result[f"{metric}_retrained"] = float(np.mean(per_discriminator))
        intervals = [result.get(f"{metric}_retrained_{i}_ci") for i in range(count)]
        if intervals and all(intervals):
            result[f"{metric}_retrained_ci"] = np.mean(intervals, axis=0).tolist()
    return result


def compare_generators(base, finetuned, discriminator, real_dir: str, failures_dir: str, prior=None,
                       blessing: BlessingConfig = BlessingConfig(), fid_weights: str | None = None):
    """base, finetuned: (generator, GeneratorConfig), discriminator: (discriminator, DiscriminatorConfig), as
    colordisc_tf.serve.saving loads them: each generator is decoded with its own decoding.
    fid_weights: pytorch-fid's Inception weights file; then eval_all has each generator's `fid`.
    Returns {"sets": {set: {"base": metrics, "finetuned": metrics}}, "blessed": bool,
    "reasons": [...]} plus per-image data of the eval failures for the report."""
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
            report["sets"][set_name] = {}
            for model_name, (model, config) in generators.items():
                # FID on the whole split only: on a handful of failure cases it says nothing
                result, per_image = score_generator(model, pattern, discriminators[model_name], config.decoding, prior,
                                                    fid_model=fid_model if set_name == "eval_all" else None)
                report["sets"][set_name][model_name] = _average_retrained(result, blessing.retrain_discriminator_seeds)
                if set_name == "eval_failures":
                    images[model_name] = per_image
    report["blessed"], report["reasons"] = bless(report, blessing)
    return report, images


def bless(report: dict, config: BlessingConfig) -> tuple[bool, list[str]]:
    failures, whole = report["sets"]["eval_failures"], report["sets"]["eval_all"]
    reasons = []
    if not failures["base"].get("images"):
        return False, ["no eval-split failure cases to compare on"]
    gain = failures["finetuned"]["fool_rate_fixed"] - failures["base"]["fool_rate_fixed"]
    if gain <= config.min_fool_rate_gain:
        reasons.append(f"fool rate on eval failures did not rise by more than {config.min_fool_rate_gain:.3f} "
                       f"({failures['base']['fool_rate_fixed']:.3f} -> {failures['finetuned']['fool_rate_fixed']:.3f})")
    drop = whole["base"]["auc_raw"] - whole["finetuned"]["auc_raw"]
    if drop > config.max_auc_drop:
        reasons.append(f"raw AuC on the eval split dropped {drop:.2f} points (> {config.max_auc_drop})")
    rebalanced_drop = whole["base"].get("auc_rebalanced", 0.0) - whole["finetuned"].get("auc_rebalanced", 0.0)
    if rebalanced_drop > config.max_rebalanced_auc_drop:
        reasons.append(f"rebalanced AuC on the eval split dropped {rebalanced_drop:.2f} points "
                       f"(> {config.max_rebalanced_auc_drop}): the fine-tuned colours are duller")
    base_auc, tuned_auc = (failures[m].get("detection_auc_retrained") for m in ("base", "finetuned"))
    if tuned_auc is not None and base_auc - tuned_auc <= config.min_retrained_auc_drop:
        reasons.append(f"discriminators retrained on each generator's own outputs tell the eval failures' colorizations from "
                       f"the real photos with ROC AUC {base_auc:.3f} (base) -> {tuned_auc:.3f} (fine-tuned), not lower "
                       f"by more than {config.min_retrained_auc_drop:.3f}: the gain exploits the fixed discriminator")
    return not reasons, reasons or [f"fool rate +{gain:.3f} on eval failures, AuC change {0.0 - drop:+.2f} points"]
