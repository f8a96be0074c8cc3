"""The Beam pass counting a split's empirical ab colour prior; the value it saves (ColorPrior,
its artifacts, load_prior) is `colordisc_tf.data.color_prior`, which needs no Beam."""

from __future__ import annotations

import json
import os

import apache_beam as beam
import numpy as np

# NumPy only (no TensorFlow): Beam workers import this module.
from colordisc_tf.color import bins
from colordisc_tf.data.color_prior import ColorPrior
from colordisc_tf.infra.beam_options import pipeline_options
from colordisc_tf.data.record_format import read_ab

__all__ = ["BinHistogramFn", "build_prior_counts", "run_prior"]


def _record_counts(serialized: bytes) -> np.ndarray:
    return bins.count_bins(read_ab(serialized))


class BinHistogramFn(beam.CombineFn):
    """Sums per-image bin counts into one (Q,) histogram."""

    def create_accumulator(self):
        return np.zeros(bins.NUM_BINS, np.int64)

    def add_input(self, acc, counts):
        acc += counts
        return acc

    def merge_accumulators(self, accs):
        return np.sum(list(accs), axis=0, dtype=np.int64)

    def extract_output(self, acc):
        return acc


def build_prior_counts(pipeline: beam.Pipeline, file_pattern: str):
    """PCollection with one (Q,) int64 histogram of the records under file_pattern."""
    return (
        pipeline
        | "ReadLabRecords" >> beam.io.ReadFromTFRecord(file_pattern)
        | "CountBins" >> beam.Map(_record_counts)
        | "SumCounts" >> beam.CombineGlobally(BinHistogramFn())
    )


def run_prior(
    file_pattern: str, output_dir: str, lam: float = 0.5, sigma: float = 5.0, beam_args: list[str] | None = None
) -> ColorPrior:
    """Beam pass over the records under file_pattern; saves and returns the prior."""
    os.makedirs(output_dir, exist_ok=True)
    counts_prefix = os.path.join(output_dir, "_counts")
    with beam.Pipeline(options=pipeline_options(beam_args)) as pipeline:
        _ = (
            build_prior_counts(pipeline, file_pattern)
            | "ToJson" >> beam.Map(lambda c: json.dumps(c.tolist()))
            | "WriteCounts" >> beam.io.WriteToText(counts_prefix, file_name_suffix=".json", shard_name_template="")
        )
    with open(counts_prefix + ".json") as f:
        counts = json.loads(f.read())
    os.remove(counts_prefix + ".json")
    result = ColorPrior(counts, lam=lam, sigma=sigma)
    result.save(output_dir)
    return result
