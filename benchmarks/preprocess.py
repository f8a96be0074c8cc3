"""Images/s of the Beam preprocessing path vs a plain single-process loop.

Both read the same JPEGs (random crops of the bundled demo photos), decode with
Pillow, resize/centre-crop to --size, convert to Lab and write GZIP TFRecords.
The plain loop uses skimage.color.rgb2lab (imports warmed up before timing); the
Beam path is `run_preprocess` with its default runner (DirectRunner, one worker
process per core). Printed: the end-to-end ratio, and the ratio without the
runner's fixed start-up (timed with a trivial pipeline on the same runner), which
is what larger data sets see.

    .venv/bin/python -m benchmarks.preprocess [--images 400] [--size 256]
"""

import argparse
import os
import tempfile
import time

import numpy as np
from PIL import Image
from benchmarks.scaling import beam_runners, print_scaling, trivial_pipeline_s


def make_images(folder: str, count: int, seed: int = 0) -> list[str]:
    from colordisc_tf.data.demo_photos import load_demo_photos

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

    from colordisc_tf.data.image_io import content_id, resize_and_center_crop
    from colordisc_tf.data.record_format import encode_lab_example

    os.makedirs(output, exist_ok=True)
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    with tf.io.TFRecordWriter(os.path.join(output, "data.tfrecord.gz"), options) as writer:
        for path in paths:
            rgb = np.asarray(Image.open(path).convert("RGB"))
            lab = rgb2lab(resize_and_center_crop(rgb, size))
            writer.write(encode_lab_example(lab, content_id(rgb), path, *rgb.shape[:2]))


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

    from colordisc_tf.data.preprocess import run_preprocess
    from colordisc_tf.config import PreprocessConfig

    seconds: dict[tuple[str, int], float] = {}
    startup: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        runners = beam_runners(stack, args.portable)
        for name, beam_args in runners.items():
            startup[name] = trivial_pipeline_s(beam_args)
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
    print_scaling(seconds, startup, args.images)


if __name__ == "__main__":
    main()
