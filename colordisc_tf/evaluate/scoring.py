"""Realness scoring of real vs colorized photos (a Beam pass) and the metrics of the scores.
The report drawn from them is evaluate.report; the failure cases they select, evaluate.failures.

Scores file (`scores.jsonl`), one row per photo and split:
    id, source, split, real_score, colorized_score, colorized_map (patch realness of the
    colorization), cf_real, cf_colorized, delta_cf, chroma_real, chroma_colorized, auc
"""

from __future__ import annotations

import json
import logging
import os

import apache_beam as beam
import numpy as np

from colordisc_tf.infra.beam_options import pipeline_options
from colordisc_tf.data.record_format import decode_lab_example, split_file_pattern

__all__ = ["run_scoring", "read_scores", "evaluate_scores", "STAT_NAMES"]

_log = logging.getLogger(__name__)
STAT_NAMES = ("cf_colorized", "delta_cf", "chroma_colorized", "auc")


class _ScoreBatch(beam.DoFn):
    """[(id, {"real": [rec], "colorized": [rec]}), ...] -> score rows. Loads the model once per worker."""

    def __init__(self, model_path: str, split: str):
        self._model_path, self._split = model_path, split

    def setup(self):
        from colordisc_tf.serve.saving import load_discriminator

        self._model, _ = load_discriminator(self._model_path)

    def process(self, batch):
        from colordisc_tf import color
        from colordisc_tf.evaluate.measures import Images, measure_images, per_image_auc
        from colordisc_tf.models.discriminator import realness, realness_map

        pairs = [(key, g["real"][0], g["colorized"][0]) for key, g in batch if g["real"] and g["colorized"]]
        if not pairs:
            return
        real = np.stack([decode_lab_example(r)["lab"] for _, r, _ in pairs])
        colorized_recs = [decode_lab_example(f) for _, _, f in pairs]
        colorized = np.stack([r["lab"] for r in colorized_recs])
        real_logits = np.asarray(self._model(real, training=False))
        colorized_logits = np.asarray(self._model(colorized, training=False))
        real_scores, colorized_scores = np.asarray(realness(real_logits)), np.asarray(realness(colorized_logits))
        colorized_maps = np.asarray(realness_map(colorized_logits))
        measured = measure_images(Images(color.lab_to_rgb(colorized), color.lab_to_rgb(real), colorized[..., 1:],
                                         real[..., 1:]), only=("colorfulness", "auc"))
        cf_real, cf_colorized, auc = measured["colorfulness_truth"], measured["colorfulness"], per_image_auc(measured)
        for i, (key, _, _) in enumerate(pairs):
            yield {
                "id": key, "source": colorized_recs[i]["source"], "split": self._split,
                "real_score": float(real_scores[i]), "colorized_score": float(colorized_scores[i]),
                "colorized_map": np.round(colorized_maps[i], 4).tolist(),
                "cf_real": float(cf_real[i]), "cf_colorized": float(cf_colorized[i]),
                "delta_cf": float(abs(cf_colorized[i] - cf_real[i])),
                "chroma_real": float(np.hypot(real[i, ..., 1], real[i, ..., 2]).mean()),
                "chroma_colorized": float(np.hypot(colorized[i, ..., 1], colorized[i, ..., 2]).mean()),
                "auc": float(auc[i]),
            }


def _id_of(serialized: bytes):
    return decode_lab_example(serialized)["id"], serialized


def run_scoring(model_path: str, real_dir: str, colorized_dir: str, output_dir: str, splits=("train", "eval"),
                batch_size: int = 32, beam_args=None) -> str:
    """Beam: pair real and colorized records by id, score both, write scores.jsonl."""
    os.makedirs(output_dir, exist_ok=True)
    prefix = os.path.join(output_dir, "scores")
    with beam.Pipeline(options=pipeline_options(beam_args)) as p:
        rows = []
        for split in splits:
            grouped = {
                kind: p | f"Read{kind}{split}" >> beam.io.ReadFromTFRecord(split_file_pattern(d, split))
                | f"Key{kind}{split}" >> beam.Map(_id_of)
                for kind, d in (("real", real_dir), ("colorized", colorized_dir))
            }
            rows.append(
                grouped
                | f"Pair{split}" >> beam.CoGroupByKey()
                | f"Batch{split}" >> beam.BatchElements(min_batch_size=1, max_batch_size=batch_size)
                | f"Score{split}" >> beam.ParDo(_ScoreBatch(model_path, split))
            )
        _ = (rows | beam.Flatten() | beam.Map(json.dumps)
             | beam.io.WriteToText(prefix, file_name_suffix=".jsonl", shard_name_template=""))
    return prefix + ".jsonl"


def read_scores(path: str) -> list[dict]:
    if os.path.isdir(path):
        path = os.path.join(path, "scores.jsonl")
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def evaluate_scores(rows: list[dict], split: str = "eval") -> dict:
    """Discriminator metrics on one split plus what its score correlates with."""
    from scipy.stats import spearmanr

    from colordisc_tf import metrics

    rows = [r for r in rows if r["split"] == split]
    if not rows:
        return {"split": split, "images": 0}
    real = np.array([r["real_score"] for r in rows])
    colorized = np.array([r["colorized_score"] for r in rows])
    result = {
        "split": split,
        "images": len(rows),
        "error": metrics.discriminator_error(real, colorized),
        "error_ci": metrics.discriminator_error_ci(real, colorized),
        "roc_auc": metrics.roc_auc(real, colorized),
        "roc_auc_ci": metrics.bootstrap_ci(metrics.roc_auc, real, colorized),  # paired by image
        "fool_rate": metrics.fool_rate(colorized),
        "fool_rate_ci": metrics.fool_rate_ci(colorized),
        "mean_real_score": float(real.mean()),
        "mean_colorized_score": float(colorized.mean()),
        "mean_cf_real": float(np.mean([r["cf_real"] for r in rows])),
        "mean_cf_colorized": float(np.mean([r["cf_colorized"] for r in rows])),
        "mean_delta_cf": float(np.mean([r["delta_cf"] for r in rows])),
        "mean_auc": float(np.mean([r["auc"] for r in rows])),
    }
    if len(rows) > 2:
        corr = {}
        for stat in STAT_NAMES:
            values = np.array([r[stat] for r in rows])
            rho = spearmanr(colorized, values).statistic if np.ptp(values) > 0 and np.ptp(colorized) > 0 else float("nan")
            corr[stat] = None if not np.isfinite(rho) else float(rho)
        result["spearman_colorized_score_vs"] = corr
    return result
