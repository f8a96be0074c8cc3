"""Realness of image files and the ranking colorize --realness prints (colordisc_tf.serve.score_files)."""

import numpy as np
from PIL import Image

from colordisc_tf.serve.score_files import rank_by_realness, score_files


def _mean_red(images):
    """A stand-in discriminator: realness = the PNG's mean red / 255 (computed by TensorFlow's decoder)."""
    import tensorflow as tf

    rgb = tf.io.decode_png(images[0], channels=3)
    return {"realness": tf.reshape(tf.reduce_mean(tf.cast(rgb[..., 0], tf.float32)) / 255.0, [1])}


def test_each_file_gets_its_score_or_its_reason_in_order(tmp_path):
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = np.arange(64, dtype=np.uint8).reshape(8, 8) * 3
    Image.fromarray(red).save(tmp_path / "b.png")
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(tmp_path / "a.jpg", quality=100)
    (tmp_path / "c.png").write_bytes(b"not an image")
    paths = [str(tmp_path / n) for n in ("b.png", "c.png", "a.jpg")]

    rows = score_files(lambda images: _mean_red(images), paths)

    assert [r["path"] for r in rows] == paths
    assert abs(rows[0]["realness"] - red[..., 0].mean() / 255) < 1e-6
    jpeg_red = np.asarray(Image.open(tmp_path / "a.jpg").convert("RGB"))[..., 0].mean() / 255
    assert abs(rows[2]["realness"] - jpeg_red) < 1e-6
    assert "realness" not in rows[1] and rows[1]["error"] and "\n" not in rows[1]["error"]


def test_ranking_puts_the_least_real_first_and_keeps_only_those_below_the_bound():
    written = {"a": {"output": "a.png", "realness": 0.7}, "b": {"output": "b.png", "realness": 0.2},
               "c": {"output": "c.png", "realness": 0.5}}

    assert [p for p, _ in rank_by_realness(written)] == ["b", "c", "a"]
    assert [p for p, _ in rank_by_realness(written, below=0.5)] == ["b"]  # strictly below
    assert rank_by_realness(written, below=0.1) == []
