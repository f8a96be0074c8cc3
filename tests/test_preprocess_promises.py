"""Promises of the Beam preprocessing job that had no test: the rarer reject reasons, ICC
conversion, the Beam counters, and the run failing when an input goes missing."""

import io
import json
import os

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from PIL import Image, ImageCms

from colordisc_tf.data.preprocess import build_preprocess, run_preprocess
from colordisc_tf.config import PreprocessConfig
from colordisc_tf.data.record_format import decode_lab_example, split_file_pattern

IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


def _colourful(size=(40, 40), seed=0):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    pixels[..., 0] = 200
    return Image.fromarray(pixels)


@pytest.fixture(scope="module")
def odd_inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("odd")
    photos = root / "photos"
    photos.mkdir()
    _colourful(seed=1).save(photos / "fine.png")
    _colourful((120, 100), seed=2).save(photos / "big.png")  # 12,000 pixels: over --max-pixels 10,000
    os.symlink(root / "gone.png", photos / "dangling.png")  # listed, cannot be opened
    buf = io.BytesIO()
    _colourful(seed=3).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[60:200] = bytes(140)  # a PNG header Pillow recognises, then garbage
    (photos / "garbled.png").write_bytes(bytes(data))
    return root


def test_unreadable_corrupt_and_too_large_are_rejected_with_their_reasons(odd_inputs):
    out = str(odd_inputs / "out")
    summary = run_preprocess([str(odd_inputs / "photos")], out, PreprocessConfig(size=32, max_pixels=10_000),
                             IN_MEMORY)
    with open(os.path.join(out, "rejects.jsonl")) as f:
        reasons = {os.path.basename(r["path"]): r["reason"] for r in map(json.loads, f)}
    assert reasons == {"dangling.png": "unreadable", "garbled.png": "corrupt", "big.png": "too_large"}
    assert summary["written_total"] == 1 and summary["inputs"] == 4


def test_beam_counters_count_every_input_and_reject(odd_inputs, tmp_path):
    paths = sorted(str(odd_inputs / "photos" / n) for n in os.listdir(odd_inputs / "photos"))
    pipeline = beam.Pipeline(options=PipelineOptions(IN_MEMORY))
    build_preprocess(pipeline, paths, str(tmp_path / "out"), PreprocessConfig(size=32, max_pixels=10_000))
    result = pipeline.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed
                for c in result.metrics().query(beam.metrics.MetricsFilter().with_namespace("colordisc"))["counters"]}
    written = {k: counters.pop(k) for k in list(counters) if k.startswith("written_")}
    assert sum(written.values()) == 1 and set(written) <= {"written_train", "written_eval"}
    assert counters == {"images_processed": 4, "rejected_unreadable": 1, "rejected_corrupt": 1,
                        "rejected_too_large": 1}


def test_icc_profiles_are_converted_to_srgb(tmp_path):
    """The same pixel values tagged with a wide-gamut profile must come out as different
    (converted) sRGB than untagged ones; the oracle is Pillow's own ICC transform."""
    pixels = _colourful((40, 40), seed=4)
    wide = ImageCms.createProfile("LAB")  # a profile whose colours differ from sRGB's
    lab_image = Image.new("LAB", (40, 40), (60, 200, 70))
    buf = io.BytesIO()
    lab_image.save(buf, "TIFF", icc_profile=ImageCms.ImageCmsProfile(wide).tobytes())
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "lab_tagged.tif").write_bytes(buf.getvalue())
    pixels.save(tmp_path / "photos" / "plain.png")
    out = str(tmp_path / "out")
    summary = run_preprocess([str(tmp_path / "photos")], out, PreprocessConfig(size=32, eval_percent=0), IN_MEMORY)
    assert summary["written_total"] == 2
    import tensorflow as tf

    files = tf.io.gfile.glob(split_file_pattern(out, "train"))
    records = {os.path.basename(r["source"]): r for r in
               (decode_lab_example(x.numpy()) for x in tf.data.TFRecordDataset(files, compression_type="GZIP"))}
    tagged = records["lab_tagged.tif"]["lab"]
    expected = np.asarray(ImageCms.profileToProfile(lab_image, ImageCms.ImageCmsProfile(wide),
                                                    ImageCms.createProfile("sRGB"), outputMode="RGB"))
    from skimage import color as skcolor

    expected_lab = skcolor.rgb2lab(expected[:32, :32] / 255.0)
    assert np.abs(tagged - expected_lab).mean() < 2.0


def test_a_run_that_loses_an_input_fails(tmp_path, monkeypatch):
    from colordisc_tf.data import preprocess as beam_preprocess

    (tmp_path / "photos").mkdir()
    _colourful(seed=5).save(tmp_path / "photos" / "a.png")
    _colourful(seed=6).save(tmp_path / "photos" / "b.png")
    original = beam_preprocess._KeepFirst.process

    def drop_one(self, keyed, groups):  # a bug that loses a record without rejecting it
        if keyed[1] and os.path.basename(sorted(keyed[1])[0][0]) == "b.png":
            return
        yield from original(self, keyed, groups)

    monkeypatch.setattr(beam_preprocess._KeepFirst, "process", drop_one)
    with pytest.raises(RuntimeError, match="lost inputs: 2 in, 1 written"):
        run_preprocess([str(tmp_path / "photos")], str(tmp_path / "out"), PreprocessConfig(size=32), IN_MEMORY)
    assert not (tmp_path / "out").exists()  # and leaves nothing half-written behind
