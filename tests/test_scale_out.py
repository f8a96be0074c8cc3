"""Beam on portable workers (`colordisc beam-cluster`): preprocess, the colour prior and
realness scoring give the DirectRunner's results when run through Beam's job service and an
external SDK worker pool (docs/scaling.md)."""

import gzip
import json
import os
import struct

import numpy as np
import pytest
from PIL import Image

from colordisc_tf.infra.beam_cluster import local_beam_cluster
from colordisc_tf.data.preprocess import run_preprocess
from colordisc_tf.config import PreprocessConfig
from colordisc_tf.data.demo_photos import write_demo_photos
from colordisc_tf.data.prior import run_prior
from colordisc_tf.data.record_format import decode_lab_example, split_file_pattern

DIRECT = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    logs = tmp_path_factory.mktemp("cluster_logs")
    with local_beam_cluster(log_dir=str(logs)) as flags:
        yield flags


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("photos")
    write_demo_photos(root / "good", tile=32, max_side=96, names=["astronaut", "coffee", "chelsea"])
    (root / "bad").mkdir()
    (root / "bad" / "notes.txt").write_text("not an image")
    Image.new("RGB", (40, 40), (128, 128, 128)).save(root / "bad" / "gray.png")
    png = (root / "good" / sorted(os.listdir(root / "good"))[0]).read_bytes()
    (root / "bad" / "cut.png").write_bytes(png[: len(png) // 2])
    (root / "bad" / "copy.png").write_bytes(png)
    return root


def _records(examples_dir: str) -> dict:
    """{split: {id: serialized record}} read with the standard library (no shared reader).
    Byte-equal across processes only because records serialize deterministically (protobuf
    map entries otherwise follow each process's hash seed)."""
    out = {}
    for split in ("train", "eval"):
        folder = os.path.join(examples_dir, f"Split-{split}")
        out[split] = {}
        for name in sorted(os.listdir(folder)):
            data = gzip.open(os.path.join(folder, name)).read()
            at = 0
            while at < len(data):
                (length,) = struct.unpack("<Q", data[at:at + 8])
                record = data[at + 12:at + 12 + length]
                out[split][decode_lab_example(record)["id"]] = record
                at += 12 + length + 4
    return out


def _rejects(examples_dir: str) -> list:
    with open(os.path.join(examples_dir, "rejects.jsonl")) as f:
        return sorted((row["path"], row["reason"]) for row in map(json.loads, f))


@pytest.fixture(scope="module")
def both_preprocessed(cluster, photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    config = PreprocessConfig(size=32, eval_percent=30)
    summaries = {name: run_preprocess([str(photos)], str(out / name), config, args)
                 for name, args in (("direct", DIRECT), ("portable", cluster))}
    return out, summaries


def test_preprocess_on_portable_workers_equals_the_direct_runner(both_preprocessed):
    out, summaries = both_preprocessed
    assert summaries["portable"]["beam_options"]["runner"] == "PortableRunner"
    for key in ("inputs", "written", "rejected"):
        assert summaries["portable"][key] == summaries["direct"][key], key
    assert summaries["direct"]["rejected_total"] == 4 and min(summaries["direct"]["written"].values()) > 0
    assert _rejects(out / "portable") == _rejects(out / "direct")
    assert _records(out / "portable") == _records(out / "direct")  # same ids, same bytes


def test_the_prior_on_portable_workers_equals_the_direct_runner(cluster, both_preprocessed, tmp_path):
    out, _ = both_preprocessed
    priors = {name: run_prior(split_file_pattern(str(out / name), "train"), str(tmp_path / name), beam_args=args)
              for name, args in (("direct", DIRECT), ("portable", cluster))}
    np.testing.assert_array_equal(priors["portable"].counts, priors["direct"].counts)
    assert priors["direct"].counts.sum() > 0


@pytest.mark.slow  # the worker imports TensorFlow to score (~30 s)
def test_realness_scoring_on_portable_workers_equals_the_direct_runner(cluster, both_preprocessed, tmp_path):
    from colordisc_tf.config import DiscriminatorConfig
    from colordisc_tf.models import build_discriminator
    from colordisc_tf.evaluate.scoring import read_scores, run_scoring
    from colordisc_tf.serve.saving import save_discriminator

    out, _ = both_preprocessed
    model_dir = str(tmp_path / "discriminator")
    save_discriminator(build_discriminator(8, depth=2), DiscriminatorConfig(width=8, depth=2, serving_size=32), model_dir)
    real = str(out / "direct")
    scores = {name: sorted(read_scores(run_scoring(model_dir, real, real, str(tmp_path / name), beam_args=args)),
                           key=lambda row: row["id"])
              for name, args in (("direct", DIRECT), ("portable", cluster))}
    assert scores["portable"] == scores["direct"] and len(scores["direct"]) == sum(
        len(records) for records in _records(real).values())
