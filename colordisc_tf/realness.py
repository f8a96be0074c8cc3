"""Realness scoring of real vs colorized photos (a Beam pass), the evaluation
report, and the failure-case filter. No TFX here (see components/).

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

from colordisc_tf.beam_options import pipeline_options
from colordisc_tf.record_format import decode_lab_example, single_shard_path, split_file_pattern

__all__ = ["run_scoring", "read_scores", "evaluate_scores", "write_report", "select_failures",
           "write_failure_examples", "STAT_NAMES"]

_log = logging.getLogger(__name__)
STAT_NAMES = ("cf_colorized", "delta_cf", "chroma_colorized", "auc")


class _ScoreBatch(beam.DoFn):
    """[(id, {"real": [rec], "colorized": [rec]}), ...] -> score rows. Loads the model once per worker."""

    def __init__(self, model_path: str, split: str):
        self._model_path, self._split = model_path, split

    def setup(self):
        from colordisc_tf.saving import load_discriminator

        self._model, _ = load_discriminator(self._model_path)

    def process(self, batch):
        from colordisc_tf import color, metrics
        from colordisc_tf.models.discriminator import realness

        pairs = [(key, g["real"][0], g["colorized"][0]) for key, g in batch if g["real"] and g["colorized"]]
        if not pairs:
            return
        real = np.stack([decode_lab_example(r)["lab"] for _, r, _ in pairs])
        colorized_recs = [decode_lab_example(f) for _, _, f in pairs]
        colorized = np.stack([r["lab"] for r in colorized_recs])
        real_logits = np.asarray(self._model(real, training=False))
        colorized_logits = np.asarray(self._model(colorized, training=False))
        real_scores, colorized_scores = np.asarray(realness(real_logits)), np.asarray(realness(colorized_logits))
        colorized_maps = 1.0 / (1.0 + np.exp(-colorized_logits[..., 0]))
        rgb_real, rgb_colorized = color.lab_to_rgb(real), color.lab_to_rgb(colorized)
        cf_real, cf_colorized = metrics.colorfulness(rgb_real), metrics.colorfulness(rgb_colorized)
        for i, (key, _, _) in enumerate(pairs):
            yield {
                "id": key, "source": colorized_recs[i]["source"], "split": self._split,
                "real_score": float(real_scores[i]), "colorized_score": float(colorized_scores[i]),
                "colorized_map": np.round(colorized_maps[i], 4).tolist(),
                "cf_real": float(cf_real[i]), "cf_colorized": float(cf_colorized[i]),
                "delta_cf": float(abs(cf_colorized[i] - cf_real[i])),
                "chroma_real": float(np.hypot(real[i, ..., 1], real[i, ..., 2]).mean()),
                "chroma_colorized": float(np.hypot(colorized[i, ..., 1], colorized[i, ..., 2]).mean()),
                "auc": metrics.auc_raw_accuracy(colorized[i, ..., 1:], real[i, ..., 1:]),
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


def write_report(rows: list[dict], output_dir: str, worst: int = 8, split: str = "eval", real_dir: str | None = None,
                 colorized_dir: str | None = None) -> dict:
    """metrics.json, histogram.png and worst_<i>.png (gray | colorized | realness map | truth)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(output_dir, exist_ok=True)
    result = evaluate_scores(rows, split)
    with open(os.path.join(output_dir, "metrics.json"), "w") as f:
        json.dump(result, f, indent=2)
    split_rows = [r for r in rows if r["split"] == split]
    if not split_rows:
        return result
    fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
    bins = np.linspace(0, 1, 26)
    ax.hist([r["real_score"] for r in split_rows], bins, alpha=0.6, label="real photos")
    ax.hist([r["colorized_score"] for r in split_rows], bins, alpha=0.6, label="colorized")
    ax.axvline(0.5, color="k", lw=0.8, ls="--")
    ax.set(xlabel="realness", ylabel="images", title=f"{split}: error {result['error']:.1%}, AUC {result['roc_auc']:.3f}")
    ax.legend()
    fig.savefig(os.path.join(output_dir, "histogram.png"), dpi=110)
    plt.close(fig)
    if real_dir and colorized_dir:
        _worst_overlays(sorted(split_rows, key=lambda r: r["colorized_score"])[:worst], real_dir, colorized_dir, split, output_dir)
    return result


def _worst_overlays(rows, real_dir, colorized_dir, split, output_dir):
    import matplotlib.pyplot as plt

    from colordisc_tf import color
    from colordisc_tf.records import read_records_by_id

    ids = {r["id"] for r in rows}
    real, colorized = read_records_by_id(real_dir, split, ids), read_records_by_id(colorized_dir, split, ids)
    for i, row in enumerate(rows):
        lab_real, lab_colorized = real[row["id"]][1]["lab"], colorized[row["id"]][1]["lab"]
        gray = lab_real.copy()
        gray[..., 1:] = 0
        fig, axes = plt.subplots(1, 4, figsize=(10, 2.9), constrained_layout=True)
        panels = [(color.lab_to_rgb(gray), "input (gray)"), (color.lab_to_rgb(lab_colorized), f"colorized {row['colorized_score']:.2f}"),
                  (None, "realness map"), (color.lab_to_rgb(lab_real), f"truth {row['real_score']:.2f}")]
        for ax, (img, title) in zip(axes, panels):
            if img is None:
                ax.imshow(color.lab_to_rgb(lab_colorized))
                h, w = lab_colorized.shape[:2]
                ax.imshow(np.array(row["colorized_map"]), cmap="RdYlGn", vmin=0, vmax=1, alpha=0.55,
                          extent=(0, w, h, 0), interpolation="nearest")
            else:
                ax.imshow(img)
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        fig.suptitle(os.path.basename(row["source"]), fontsize=9)
        fig.savefig(os.path.join(output_dir, f"worst_{i:02d}.png"), dpi=90)
        plt.close(fig)


def select_failures(rows: list[dict], split: str, quantile: float | None = 0.25,
                    threshold: float | None = None) -> list[dict]:
    """The colorizations of `split` scored least real: the lowest `quantile`
    (ties at the cut included), or every one below an absolute `threshold`.
    Returns manifest rows (id, source, split, score, rank), rank 1 = least real."""
    if (quantile is None) == (threshold is None):
        raise ValueError("give exactly one of quantile and threshold")
    split_rows = sorted((r for r in rows if r["split"] == split), key=lambda r: (r["colorized_score"], r["id"]))
    if not split_rows:
        return []
    scores = np.array([r["colorized_score"] for r in split_rows])
    if threshold is None:
        if not 0 < quantile <= 1:
            raise ValueError(f"quantile must be in (0, 1], got {quantile}")
        # (+1e-9: 0.29 * 100 is 28.999999999999996 in floating point, and must select 29)
        count = int(np.floor(quantile * len(split_rows) + 1e-9))
        if count == 0:
            return []
        cut = scores[count - 1]
        chosen = [r for r in split_rows if r["colorized_score"] <= cut]
    else:
        chosen = [r for r in split_rows if r["colorized_score"] < threshold]
    return [{"id": r["id"], "source": r["source"], "split": split, "score": r["colorized_score"], "rank": i + 1}
            for i, r in enumerate(chosen)]


def write_failure_examples(real_dir: str, manifest: list[dict], output_dir: str, splits=("train", "eval")) -> dict:
    """Copy the selected photos' real records (L and true ab) into an Examples
    layout, plus manifest.jsonl. Returns counts per split (0 is fine)."""
    import tensorflow as tf

    from colordisc_tf.records import read_records_by_id

    counts = {}
    for split in splits:
        ids = {m["id"] for m in manifest if m["split"] == split}
        out = single_shard_path(output_dir, split)
        tf.io.gfile.makedirs(os.path.dirname(out))
        records = read_records_by_id(real_dir, split, ids)
        with tf.io.TFRecordWriter(out, tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
            for key in sorted(records):
                writer.write(records[key][0])
        counts[split] = len(records)
    with open(os.path.join(output_dir, "manifest.jsonl"), "w") as f:
        for row in manifest:
            f.write(json.dumps(row) + "\n")
    return counts
