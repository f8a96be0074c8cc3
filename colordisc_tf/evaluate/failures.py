"""The failure cases: the colorizations the discriminator scores least real, and their real
records copied into an Examples layout for fine-tuning."""

from __future__ import annotations

import json
import os

import numpy as np

from colordisc_tf.config import failure_selection
from colordisc_tf.data.record_format import single_shard_path

__all__ = ["select_failures", "write_failure_examples"]


def select_failures(rows: list[dict], split: str, quantile: float | None = 0.25,
                    threshold: float | None = None) -> list[dict]:
    """The colorizations of `split` scored least real: the lowest `quantile`
    (ties at the cut included), or every one below an absolute `threshold`.
    Returns manifest rows (id, source, split, score, rank), rank 1 = least real."""
    failure_selection(quantile, threshold)
    split_rows = sorted((r for r in rows if r["split"] == split), key=lambda r: (r["colorized_score"], r["id"]))
    if not split_rows:
        return []
    scores = np.array([r["colorized_score"] for r in split_rows])
    if threshold is None:
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

    from colordisc_tf.data.records import read_records_by_id

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
