import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from colordisc_tf import color
from colordisc_tf.data.preprocess import expand_inputs, run_preprocess
from colordisc_tf.config import PreprocessConfig
from colordisc_tf.data.image_io import decode_image, resize_and_center_crop
from colordisc_tf.data.color_prior import load_prior
from colordisc_tf.data.prior import run_prior
from colordisc_tf.data.records import lab_dataset, parse_lab_example, split_file_pattern
from planted import make_planted_folder

IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]
SIZE = 32


def _records(out_dir, split):
    files = tf.io.gfile.glob(split_file_pattern(out_dir, split))
    return [parse_lab_example(r) for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    expected = make_planted_folder(root / "photos")
    out = str(root / "out")
    summary = run_preprocess([str(root / "photos")], out, PreprocessConfig(size=SIZE, eval_percent=30), IN_MEMORY)
    return root, expected, out, summary


def test_every_input_accounted_for_with_the_right_reason(planted):
    root, expected, out, summary = planted
    with open(os.path.join(out, "rejects.jsonl")) as f:
        rejects = {os.path.basename(r["path"]): r for r in map(json.loads, f)}
    assert {name: r["reason"] for name, r in rejects.items()} == {
        name: reason for name, reason in expected.items() if reason
    }
    sources = {os.path.basename(r["source"].numpy().decode()) for s in ("train", "eval") for r in _records(out, s)}
    assert sources == {name for name, reason in expected.items() if reason is None}
    assert summary["inputs"] == len(expected)
    assert summary["written_total"] + summary["rejected_total"] == summary["inputs"]
    assert summary["rejected"]["duplicate"] == 1
    assert summary["rejected"]["grayscale"] == 2
    with open(os.path.join(out, "summary.json")) as f:
        assert json.load(f) == summary


def test_records_decode_back_to_the_resized_original(planted):
    root, _, out, _ = planted
    records = {os.path.basename(r["source"].numpy().decode()): r for s in ("train", "eval") for r in _records(out, s)}
    for name in ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"):
        rec = records[name]
        original = decode_image((root / "photos" / name).read_bytes())
        assert (int(rec["orig_height"]), int(rec["orig_width"])) == original.shape[:2]
        expected_rgb = resize_and_center_crop(original, SIZE).astype(np.float32) / 255
        lab = np.concatenate([rec["l"].numpy(), rec["ab"].numpy()], axis=-1)
        assert lab.shape == (SIZE, SIZE, 3)
        rgb = color.lab_to_rgb(lab)
        assert np.max(np.abs(rgb - expected_rgb)) < 0.03, name
        assert np.mean(np.abs(rgb - expected_rgb)) < 0.004, name


def _ids_by_split(out):
    return {s: sorted(r["id"].numpy().decode() for r in _records(out, s)) for s in ("train", "eval")}


def test_splits_are_deterministic_and_by_content(planted, tmp_path):
    root, _, out, _ = planted
    renamed = tmp_path / "renamed"
    shutil.copytree(root / "photos", renamed)
    for p in sorted(renamed.iterdir()):
        p.rename(p.with_name("z_" + p.name))  # other names, other order: same content
    out2 = str(tmp_path / "out2")
    run_preprocess([str(renamed)], out2, PreprocessConfig(size=SIZE, eval_percent=30), IN_MEMORY)
    assert _ids_by_split(out2) == _ids_by_split(out)
    for split, ids in _ids_by_split(out).items():
        assert all((int(i[:8], 16) % 100 < 30) == (split == "eval") for i in ids)


def test_prior_matches_a_direct_count(planted, tmp_path):
    _, _, out, _ = planted
    prior = run_prior(split_file_pattern(out, "train"), str(tmp_path / "prior"), beam_args=IN_MEMORY)
    ab = np.concatenate([r["ab"].numpy().reshape(-1, 2) for r in _records(out, "train")])
    direct = np.bincount(color.nearest_bin(ab), minlength=313)
    np.testing.assert_array_equal(prior.counts, direct)
    assert prior.prior.sum() == pytest.approx(1.0)
    assert float(np.sum(prior.prior * prior.weights)) == pytest.approx(1.0, abs=1e-5)
    loaded = load_prior(str(tmp_path / "prior"))
    np.testing.assert_allclose(loaded.weights, prior.weights)
    assert (tmp_path / "prior" / "prior.png").stat().st_size > 10_000


def test_lab_dataset_batches_crops_and_flips(planted):
    _, _, out, summary = planted
    pattern = split_file_pattern(out, "train")
    l_batch, ab_batch = next(iter(lab_dataset(pattern, batch_size=2)))
    assert l_batch.shape == (2, SIZE, SIZE, 1) and ab_batch.shape == (2, SIZE, SIZE, 2)
    assert 0 <= float(tf.reduce_min(l_batch)) and float(tf.reduce_max(l_batch)) <= 100
    crops = [b for b in lab_dataset(pattern, 4, crop_size=16, random_crop=True, random_flip=True, seed=3)]
    again = [b for b in lab_dataset(pattern, 4, crop_size=16, random_crop=True, random_flip=True, seed=3)]
    assert crops[0][0].shape[1:] == (16, 16, 1)
    np.testing.assert_array_equal(crops[0][1].numpy(), again[0][1].numpy())
    assert sum(int(b[0].shape[0]) for b in crops) == summary["written"]["train"]
    with pytest.raises(FileNotFoundError, match="no Lab TFRecord"):
        lab_dataset(os.path.join(out, "Split-nope", "*"), 2)


def test_custom_beam_flags_reach_the_pipeline(planted, tmp_path):
    root, _, _, _ = planted
    flags = IN_MEMORY + ["--job_name=colordisc-flag-test", "--max_num_workers=3"]
    summary = run_preprocess([str(root / "photos" / "chelsea.png")], str(tmp_path / "o"),
                             PreprocessConfig(size=SIZE), flags)
    assert summary["beam_options"]["job_name"] == "colordisc-flag-test"
    assert summary["beam_options"]["max_num_workers"] == 3


def test_default_multiprocessing_runner_on_real_photos(tmp_path):
    from colordisc_tf.data.demo_photos import write_demo_photos

    write_demo_photos(tmp_path / "photos", tile=32, max_side=96, names=["astronaut", "coffee"])
    summary = run_preprocess([str(tmp_path / "photos")], str(tmp_path / "out"), PreprocessConfig(size=32))
    assert summary["inputs"] == 9 + 6
    assert summary["written_total"] + summary["rejected_total"] == 15
    assert summary["beam_options"]["direct_running_mode"] == "multi_processing"


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        expand_inputs([str(tmp_path / "nope*.png")])


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="eval_percent"):
        PreprocessConfig(eval_percent=120)


def test_record_format_is_tf_example_wire_format():
    from colordisc_tf.data.record_format import decode_lab_example, encode_lab_example

    rng = np.random.default_rng(0)
    lab = np.concatenate([rng.uniform(0, 100, (5, 7, 1)), rng.uniform(-100, 100, (5, 7, 2))], -1)
    data = encode_lab_example(lab, "abc123", "/x/y.png", 50, 70)
    ours = decode_lab_example(data)
    theirs = tf.train.Example.FromString(data).features.feature
    assert theirs["source"].bytes_list.value[0] == b"/x/y.png"
    assert theirs["orig_width"].int64_list.value[0] == 70
    parsed = parse_lab_example(tf.constant(data))
    np.testing.assert_allclose(parsed["l"].numpy()[..., 0], ours["lab"][..., 0])
    np.testing.assert_allclose(parsed["ab"].numpy(), ours["lab"][..., 1:])
    np.testing.assert_allclose(ours["lab"], lab, atol=0.5 + 1e-6)
    assert np.abs(ours["lab"][..., 0] - lab[..., 0]).max() <= 0.5 / 2.55 + 1e-6


def test_numpy_lab_twin_matches_tfio_and_skimage():
    from skimage.color import rgb2lab

    from colordisc_tf.color.srgb8 import srgb8_to_lab

    rgb = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    ours = srgb8_to_lab(rgb)
    np.testing.assert_allclose(ours, color.rgb_to_lab(rgb.astype(np.float32) / 255), atol=1e-3)
    assert np.abs(ours - rgb2lab(rgb)).max() < 0.5


def test_beam_worker_modules_do_not_import_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys; import colordisc_tf.data.preprocess, colordisc_tf.data.prior, colordisc_tf.data.record_format, "
        "colordisc_tf.color.srgb8, colordisc_tf.data.image_io, colordisc_tf.color.bins; "
        "sys.exit('tensorflow' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
