"""Bulk inference: colorize every record of a split into a record of the same
format (the real L kept byte for byte, ab predicted), for the discriminator."""

from __future__ import annotations

import logging
import os

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from colordisc_tf.serve import inference
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.data.record_format import replace_ab, single_shard_path, split_file_pattern
from colordisc_tf.data.records import record_batches

__all__ = ["colorize_records", "colorize_examples"]

_log = logging.getLogger(__name__)


def colorize_records(model, file_pattern: str, output_file: str, decoding: Decoding, batch_size: int = 32) -> int:
    """Colorize the records under file_pattern into one GZIP TFRecord file.
    Adds a `confidence` feature: the mean over pixels of the top bin probability."""
    tf.io.gfile.makedirs(os.path.dirname(output_file))
    count = 0
    with tf.io.TFRecordWriter(output_file, tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        for batch in tqdm(record_batches(file_pattern, batch_size), desc=f"colorize {os.path.basename(os.path.dirname(output_file))}",
                                        unit="batch", leave=False, disable=None):
            serialized, l_batch = batch["serialized"], batch["l"]
            ab = inference.predict_ab(model, l_batch, decoding).numpy()
            if decoding.anneals:
                probs = tf.nn.softmax(model(l_batch, training=False), axis=-1)
                confidence = tf.reduce_mean(tf.reduce_max(probs, axis=-1), axis=[1, 2]).numpy()
            else:
                confidence = np.full(len(ab), np.nan)
            for record, ab_one, conf in zip(serialized.numpy(), ab, confidence):
                writer.write(replace_ab(record, ab_one, {"confidence": conf}))
                count += 1
    return count


def colorize_examples(model, examples_dir: str, output_dir: str, decoding: Decoding, splits=("train", "eval"),
                      batch_size: int = 32) -> dict:
    """Every split of an Examples directory -> the same layout under output_dir."""
    counts = {}
    for split in splits:
        out = single_shard_path(output_dir, split)
        counts[split] = colorize_records(model, split_file_pattern(examples_dir, split), out, decoding, batch_size)
        _log.info("colorized %d %s records", counts[split], split)
    return counts
