"""Images/s of the Beam preprocessing path vs a plain single-process loop.

Both read the same JPEGs (random crops of the bundled demo photos), decode with
Pillow, resize/centre-crop to --size, convert to Lab and write GZIP TFRecords.
The plain loop uses skimage.color.rgb2lab (imports warmed up before timing); the
Beam path is `run_preprocess` with its default runner (DirectRunner, one worker
process per core). Printed: the end-to-end ratio, and the ratio without the
runner's fixed start-up (timed with a trivial pipeline on the same runner), which
is what larger data sets see.

    .venv/bin/python benchmarks/preprocess.py [--images 400] [--size 256]
"""

import argparse
import os
import tempfile
import time

import numpy as np
from PIL import Image


def make_images(folder: str, count: int, seed: int = 0) -> list[str]:
    from colordisc_tf.demo_data import load_demo_photos

    rng = np.random.default_rng(seed)
    photos = list(load_demo_photos().values())
    paths = []
    for i in range(count):
        photo = photos[i % len(photos)]
        h, w = photo.shape[:2]
        ch, cw = min(h, rng.integers(280, 420)), min(w, rng.integers(360, 560))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        crop = photo[y : y + ch, x : x + cw]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        path = os.path.join(folder, f"img_{i:05d}.jpg")
        Image.fromarray(np.ascontiguousarray(crop)).save(path, quality=90)
        paths.append(path)
    return paths


def plain_loop(paths: list[str], output: str, size: int) -> None:
    import tensorflow as tf
    from skimage.color import rgb2lab

    from colordisc_tf.image_io import content_id, resize_and_center_crop
    from colordisc_tf.record_format import encode_lab_example

    os.makedirs(output, exist_ok=True)
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    with tf.io.TFRecordWriter(os.path.join(output, "data.tfrecord.gz"), options) as writer:
        for path in paths:
            rgb = np.asarray(Image.open(path).convert("RGB"))
            lab = rgb2lab(resize_and_center_crop(rgb, size))
            writer.write(encode_lab_example(lab, content_id(rgb), path, *rgb.shape[:2]))


def _trivial_pipeline_s(beam_args) -> float:
    """Seconds of a pipeline that does nothing: the runner's fixed start-up."""
    import apache_beam as beam

    from colordisc_tf.beam_options import pipeline_options

    start = time.perf_counter()
    with beam.Pipeline(options=pipeline_options(beam_args)) as p:
        _ = p | beam.Create(list(range(8))) | beam.Reshuffle() | beam.Map(abs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, nargs="+", default=[400],
                        help="data set sizes to time (e.g. 400 4000: prints how start-up and per-image cost grow)")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--portable", action="store_true",
                        help="also time Beam's portable runner on a local job service + worker pool (beam-cluster)")
    args = parser.parse_args()

    import contextlib

    import skimage.color  # noqa: F401  (warm the plain loop's imports)
    import tensorflow  # noqa: F401

    from colordisc_tf.beam_cluster import local_beam_cluster
    from colordisc_tf.beam_options import default_beam_args
    from colordisc_tf.beam_preprocess import run_preprocess
    from colordisc_tf.config import PreprocessConfig

    seconds: dict[tuple[str, int], float] = {}
    startup: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        runners = {f"Beam DirectRunner ({os.cpu_count()} workers)": default_beam_args()}
        if args.portable:
            runners["Beam portable (job service + 1 SDK worker)"] = stack.enter_context(local_beam_cluster())
        for name, beam_args in runners.items():
            startup[name] = _trivial_pipeline_s(beam_args)
        for n in args.images:
            with tempfile.TemporaryDirectory() as tmp:
                os.makedirs(os.path.join(tmp, "in"))
                paths = make_images(os.path.join(tmp, "in"), n)
                start = time.perf_counter()
                plain_loop(paths, os.path.join(tmp, "plain"), args.size)
                seconds[("plain loop (Pillow + skimage, 1 process)", n)] = time.perf_counter() - start
                for name, beam_args in runners.items():
                    start = time.perf_counter()
                    summary = run_preprocess([os.path.join(tmp, "in")], os.path.join(tmp, name.split()[1]),
                                             PreprocessConfig(size=args.size), beam_args)
                    seconds[(name, n)] = time.perf_counter() - start
                    assert summary["written_total"] + summary["rejected_total"] == n, summary

    print(f"JPEGs ~280-560 px -> {args.size}^2 Lab records; cores: {os.cpu_count()}")
    print(f"{'path':46s} {'images':>7s} {'seconds':>8s} {'images/s':>9s} {'vs plain':>9s}")
    paths_timed = list(dict.fromkeys(name for name, _ in seconds))
    for n in args.images:
        plain = seconds[(paths_timed[0], n)]
        for name in paths_timed:
            s = seconds[(name, n)]
            print(f"{name:46s} {n:7d} {s:8.1f} {n / s:9.1f} {plain / s:8.2f}x")
    for name, s in startup.items():
        print(f"fixed start-up of {name} (a trivial pipeline): {s:.1f} s")
    if len(args.images) >= 2:
        small, large = min(args.images), max(args.images)
        print(f"cost growth from {small} to {large} images (two-point linear fit: fixed + per image):")
        for name in paths_timed:
            per_image = (seconds[(name, large)] - seconds[(name, small)]) / (large - small)
            fixed = seconds[(name, small)] - small * per_image
            print(f"  {name:46s} fixed {fixed:6.1f} s, {1000 * per_image:6.1f} ms/image "
                  f"({1 / per_image:5.1f} images/s once started)")


if __name__ == "__main__":
    main()
