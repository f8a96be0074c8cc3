"""Beam: image files -> Lab TFRecords per split, rejects.jsonl, summary.json. (Which files the
inputs name is colordisc_tf.data.input_files, without Beam.)

Every input ends up in exactly one place: a split's records, or rejects.jsonl
with a reason from `colordisc_tf.data.image_io.REASONS`. The driver checks
inputs == written + rejected after the run and fails loudly otherwise.

Splits are by content hash, and near-duplicates (a re-encoded or resized copy: difference
hashes within NEAR_BITS) share their group's split, so no eval photo has a copy in train.

Output layout (a TFX Examples artifact's, so the same directory serves both):

    <output>/Split-train/data_tfrecord-*.gz
    <output>/Split-eval/data_tfrecord-*.gz
    <output>/rejects.jsonl      {"path", "reason", "detail"} per rejected input
    <output>/summary.json       inputs, written per split, rejected per reason, near-duplicates
"""

from __future__ import annotations

import json
import logging
import os
import time

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from colordisc_tf.infra.beam_options import default_beam_args, pipeline_options
from colordisc_tf.config import PreprocessConfig
from colordisc_tf.data.image_io import REASONS
from colordisc_tf.data.input_files import expand_inputs, fingerprint_inputs, unnameable  # noqa: F401 (their old home)
from colordisc_tf.data.record_format import shard_prefix
from colordisc_tf.infra.output_folder import output_folder

__all__ = [
    "SPLITS",
    "PreprocessConfig",
    "expand_inputs",
    "fingerprint_inputs",
    "build_preprocess",
    "run_preprocess",
    "unnameable",
]

SPLITS = ("train", "eval")
_log = logging.getLogger(__name__)


def _split_of(image_id: str, eval_percent: int) -> str:
    return "eval" if int(image_id[:8], 16) % 100 < eval_percent else "train"


class _ProcessImage(beam.DoFn):
    """path -> (id, record) or a TaggedOutput('rejects', {...})."""

    def __init__(self, config: PreprocessConfig):
        self._config = config
        self._seen = beam.metrics.Metrics.counter("colordisc", "images_processed")

    def setup(self):
        self._count = 0

    def _reject(self, path, reason, detail):
        beam.metrics.Metrics.counter("colordisc", f"rejected_{reason}").inc()
        return beam.pvalue.TaggedOutput("rejects", {"path": path, "reason": reason, "detail": detail})

    def process(self, path):
        # No TensorFlow in the workers: see colordisc_tf.color.srgb8.
        import numpy as np

        from colordisc_tf.color.srgb8 import srgb8_to_lab
        from colordisc_tf.data.image_io import ImageRejected, content_id, decode_image, near_hash, resize_and_center_crop
        from colordisc_tf.data.record_format import encode_lab_example

        self._seen.inc()
        self._count += 1
        if self._count % 500 == 0:
            _log.warning("preprocess worker %d: %d images done", os.getpid(), self._count)
        cfg = self._config
        try:
            with FileSystems.open(path) as f:
                data = f.read()
        except Exception as e:  # noqa: BLE001 - any I/O failure is a reject, never a crash
            yield self._reject(path, "unreadable", f"{type(e).__name__}: {e}")
            return
        try:
            rgb = decode_image(data, cfg.max_pixels)
            height, width = rgb.shape[:2]
            if min(height, width) < cfg.effective_min_side:
                raise ImageRejected("too_small", f"{width}x{height}, shorter side < {cfg.effective_min_side}")
            lab = srgb8_to_lab(resize_and_center_crop(rgb, cfg.size))
            max_chroma = float(np.abs(lab[..., 1:]).max())
            if max_chroma <= cfg.gray_threshold:
                raise ImageRejected("grayscale", f"max |a|,|b| = {max_chroma:.2f} <= {cfg.gray_threshold}")
        except ImageRejected as e:
            yield self._reject(path, e.reason, e.detail)
            return
        image_id = content_id(rgb)
        yield image_id, (path, encode_lab_example(lab, image_id, path, height, width), near_hash(rgb))


#: Near-duplicates: difference hashes at most this many bits apart. Hashes are compared within
#: buckets of one of four 16-bit bands, so any pair this close shares a bucket (pigeonhole).
NEAR_BITS = 3
_BANDS = 4


def _informative(value: int) -> bool:
    """A flat thumbnail (sky, a wall) hashes to nearly all 0s or 1s: it says nothing of the picture."""
    return 8 <= bin(value).count("1") <= 56


class _NearDuplicateGroups(beam.CombineFn):
    """(id, hash) of every kept image -> {id: group} for images with a near-duplicate (a
    re-encoded or resized copy of another), the group named by its smallest id: a group goes
    to one split, so an eval photo's copy never trains the model. Images alone are left out."""

    def create_accumulator(self):
        return {}

    def add_input(self, acc, item):
        acc[item[0]] = item[1]
        return acc

    def merge_accumulators(self, accs):
        merged = {}
        for acc in accs:
            merged.update(acc)
        return merged

    def extract_output(self, acc):
        parent = {key: key for key in acc}

        def root(key):
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for band in range(_BANDS):
            buckets = {}
            for key, value in acc.items():
                if _informative(value):
                    buckets.setdefault((value >> (16 * band)) & 0xFFFF, []).append(key)
            for members in buckets.values():
                for i, a in enumerate(members):
                    for b in members[i + 1:]:
                        if bin(acc[a] ^ acc[b]).count("1") <= NEAR_BITS:
                            ra, rb = root(a), root(b)
                            if ra != rb:
                                parent[max(ra, rb)] = min(ra, rb)
        groups = {key: root(key) for key in acc}
        sizes = {}
        for group in groups.values():
            sizes[group] = sizes.get(group, 0) + 1
        return {key: group for key, group in groups.items() if sizes[group] > 1}


class _KeepFirst(beam.DoFn):
    """(id, [(path, record, hash), ...]) -> the first by path to its split (its near-duplicate
    group's split); the rest rejected as exact duplicates."""

    def __init__(self, eval_percent: int):
        self._eval_percent = eval_percent

    def process(self, keyed, groups):
        image_id, items = keyed
        (path, record, _), *dups = sorted(items)
        split = _split_of(groups.get(image_id, image_id), self._eval_percent)
        beam.metrics.Metrics.counter("colordisc", f"written_{split}").inc()
        yield beam.pvalue.TaggedOutput(split, record)
        for dup_path, _, _ in dups:
            beam.metrics.Metrics.counter("colordisc", "rejected_duplicate").inc()
            yield beam.pvalue.TaggedOutput(
                "rejects", {"path": dup_path, "reason": "duplicate", "detail": f"same pixels as {path}"}
            )


def build_preprocess(pipeline: beam.Pipeline, paths: list[str], output_dir: str, config: PreprocessConfig):
    """Adds the preprocessing transforms to `pipeline` (for callers that own it)."""
    processed = (
        pipeline
        | "Inputs" >> beam.Create(paths)
        | "Spread" >> beam.Reshuffle()
        | "DecodeToLab" >> beam.ParDo(_ProcessImage(config)).with_outputs("rejects", main="ok")
    )
    by_content = processed.ok | "GroupByContent" >> beam.GroupByKey()
    groups = (
        by_content
        | "NearHash" >> beam.Map(lambda keyed: (keyed[0], next(iter(keyed[1]))[2]))  # same pixels, same hash
        | "NearDuplicates" >> beam.CombineGlobally(_NearDuplicateGroups())
    )
    kept = by_content | "Dedup" >> beam.ParDo(_KeepFirst(config.eval_percent),
                                              beam.pvalue.AsSingleton(groups)).with_outputs("rejects", *SPLITS)
    _ = (
        groups
        | "GroupCounts" >> beam.Map(lambda g: json.dumps({"near_duplicate_images": len(g),
                                                           "near_duplicate_groups": len(set(g.values()))}))
        | "WriteGroupCounts" >> beam.io.WriteToText(
            os.path.join(output_dir, "_near_duplicates"), file_name_suffix=".json", shard_name_template="")
    )
    for split in SPLITS:
        _ = kept[split] | f"Write{split.title()}" >> beam.io.WriteToTFRecord(
            shard_prefix(output_dir, split),
            file_name_suffix=".gz",
            num_shards=config.num_shards,
        )
    rejects = (processed.rejects, kept.rejects) | "AllRejects" >> beam.Flatten()
    _ = (
        rejects
        | "RejectsToJson" >> beam.Map(lambda r: json.dumps(r, sort_keys=True))
        | "WriteRejects" >> beam.io.WriteToText(
            os.path.join(output_dir, "rejects"), file_name_suffix=".jsonl", shard_name_template=""
        )
    )
    outcomes = [kept[s] | f"Outcome{s.title()}" >> beam.Map(lambda _, s=s: f"written:{s}") for s in SPLITS]
    outcomes.append(rejects | "OutcomeRejects" >> beam.Map(lambda r: f"rejected:{r['reason']}"))
    _ = (
        outcomes
        | "AllOutcomes" >> beam.Flatten()
        | "CountOutcomes" >> beam.combiners.Count.PerElement()
        | "OneDict" >> beam.combiners.ToDict()
        | "CountsToJson" >> beam.Map(lambda d: json.dumps(d, sort_keys=True))
        | "WriteCounts" >> beam.io.WriteToText(
            os.path.join(output_dir, "_outcome_counts"), file_name_suffix=".json", shard_name_template=""
        )
    )


def _add_rejects(output_dir: str, rejects: list[dict]) -> None:
    """Rejects found before the pipeline ran, appended to the rejects.jsonl it wrote."""
    if not rejects:
        return
    path = os.path.join(output_dir, "rejects.jsonl")
    with FileSystems.open(path) as f:
        text = f.read()
    with FileSystems.create(path) as f:
        f.write(text + "".join(json.dumps(r, sort_keys=True) + "\n" for r in rejects).encode())


def _summarise(output_dir: str, inputs: int, beam_options: dict, seconds: float, early_rejects=()) -> dict:
    counts_path = os.path.join(output_dir, "_outcome_counts.json")
    with FileSystems.open(counts_path) as f:
        text = f.read().decode().strip()
    FileSystems.delete([counts_path])
    counts = json.loads(text) if text else {}
    for reject in early_rejects:
        key = f"rejected:{reject['reason']}"
        counts[key] = counts.get(key, 0) + 1
    _add_rejects(output_dir, list(early_rejects))
    written = {s: int(counts.get(f"written:{s}", 0)) for s in SPLITS}
    rejected = {r: int(counts.get(f"rejected:{r}", 0)) for r in REASONS}
    near_path = os.path.join(output_dir, "_near_duplicates.json")
    with FileSystems.open(near_path) as f:
        near = json.loads(f.read().decode().strip() or "{}")
    FileSystems.delete([near_path])
    summary = {
        "inputs": inputs,
        "written": written,
        "written_total": sum(written.values()),
        "rejected": rejected,
        "rejected_total": sum(rejected.values()),
        # near-duplicates (re-encoded or resized copies) kept, each group in one split
        "near_duplicate_groups": int(near.get("near_duplicate_groups", 0)),
        "near_duplicate_images": int(near.get("near_duplicate_images", 0)),
        "seconds": round(seconds, 2),
        "beam_options": beam_options,
    }
    if summary["written_total"] + summary["rejected_total"] != inputs:
        raise RuntimeError(
            f"preprocessing lost inputs: {inputs} in, {summary['written_total']} written + "
            f"{summary['rejected_total']} rejected (see {output_dir})"
        )
    with FileSystems.create(os.path.join(output_dir, "summary.json")) as f:
        f.write(json.dumps(summary, indent=2, sort_keys=True).encode())
    return summary


def run_preprocess(
    inputs, output_dir: str, config: PreprocessConfig = PreprocessConfig(), beam_args: list[str] | None = None,
    overwrite: bool = False,
) -> dict:
    """Run the preprocessing Beam pipeline; returns (and writes) the summary.

    The output never mixes runs: a non-empty output_dir is refused unless `overwrite`,
    a second run into the same folder at the same time is refused at once (a lock), and
    a local output is written to a staging folder that replaces output_dir only when the
    run succeeded (a failed run leaves the old output as it was)."""
    paths = expand_inputs(inputs)
    if not paths:
        raise FileNotFoundError(f"no files in {inputs}: nothing to preprocess")
    beam_args = default_beam_args() if beam_args is None else list(beam_args)
    usable, early_rejects = unnameable(paths)
    with output_folder(output_dir, overwrite) as staging:
        _log.info("preprocess: %d inputs -> %s with %s", len(paths), output_dir, beam_args)
        start = time.time()
        with beam.Pipeline(options=pipeline_options(beam_args)) as pipeline:
            build_preprocess(pipeline, usable, staging, config)
            # What the pipeline really ran with (flags that reached it), for the summary.
            options = pipeline.options.get_all_options(drop_default=True, retain_unknown_options=True)
        return _summarise(staging, len(paths), _jsonable(options), time.time() - start, early_rejects)


def _jsonable(options: dict) -> dict:
    return {k: v if isinstance(v, (str, int, float, bool, type(None), list)) else str(v) for k, v in options.items()}
