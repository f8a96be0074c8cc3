"""Images/s of the realness scoring pass (colordisc_tf.evaluate.scoring.run_scoring: pair real and
colorized records by id, score both with the discriminator, colourfulness and AuC per image) on
Beam vs a plain single-process loop over the same scoring code.

Records: random crops of the bundled demo photos at --size, each a distinct record, scored against
themselves as "colorized" (the cost does not depend on the pixels). Discriminator: the demo
config's (width 32, depth 3), untrained. Printed as preprocess.py prints: ratio to the plain loop,
fixed start-up and per-image cost as the work grows.

    .venv/bin/python -m benchmarks.realness [--images 400 4000] [--size 64] [--portable]
"""

import argparse
import contextlib
import os
import tempfile
import time

import numpy as np
from benchmarks.scaling import beam_runners, print_scaling, trivial_pipeline_s


def write_records(examples_dir: str, count: int, size: int, seed: int = 0) -> None:
    """`count` Lab records (train split) cut from the demo photos."""
    import tensorflow as tf

    from colordisc_tf.color import rgb_to_lab
    from colordisc_tf.data.demo_photos import load_demo_photos
    from colordisc_tf.data.record_format import encode_lab_example, single_shard_path

    rng = np.random.default_rng(seed)
    photos = list(load_demo_photos().values())
    path = single_shard_path(examples_dir, "train")
    os.makedirs(os.path.dirname(path))
    with tf.io.TFRecordWriter(path, tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        for i in range(count):
            photo = photos[i % len(photos)]
            y, x = rng.integers(0, photo.shape[0] - size + 1), rng.integers(0, photo.shape[1] - size + 1)
            lab = np.asarray(rgb_to_lab(photo[y : y + size, x : x + size] / 255.0))
            writer.write(encode_lab_example(lab, f"{i:08x}", f"crop_{i}", size, size))


def plain_loop(model_dir: str, examples_dir: str, batch_size: int) -> int:
    """The Beam pass's scoring code (_ScoreBatch) over the records in one process, no Beam."""
    import tensorflow as tf

    from colordisc_tf.evaluate.scoring import _ScoreBatch
    from colordisc_tf.data.record_format import decode_lab_example, split_file_pattern

    scorer = _ScoreBatch(model_dir, "train")
    scorer.setup()
    records = tf.data.TFRecordDataset(tf.io.gfile.glob(split_file_pattern(examples_dir, "train")), "GZIP")
    pairs = [(decode_lab_example(r)["id"], {"real": [r], "colorized": [r]}) for r in records.as_numpy_iterator()]
    return sum(len(list(scorer.process(pairs[i : i + batch_size]))) for i in range(0, len(pairs), batch_size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, nargs="+", default=[400])
    parser.add_argument("--size", type=int, default=64, help="record size (the demo's tiles are 64)")
    parser.add_argument("--batch-size", type=int, default=32, help="run_scoring's default")
    parser.add_argument("--portable", action="store_true",
                        help="also time Beam's portable runner on a local job service + worker pool (beam-cluster)")
    args = parser.parse_args()

    from colordisc_tf.config import DiscriminatorConfig
    from colordisc_tf.models import build_discriminator
    from colordisc_tf.evaluate.scoring import read_scores, run_scoring
    from colordisc_tf.serve.saving import save_discriminator

    seconds: dict[tuple[str, int], float] = {}
    startup: dict[str, float] = {}
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        model_dir = os.path.join(tmp, "discriminator")
        config = DiscriminatorConfig(serving_size=args.size)
        save_discriminator(build_discriminator(config.width, depth=config.depth), config, model_dir)
        runners = beam_runners(stack, args.portable)
        for name, beam_args in runners.items():
            startup[name] = trivial_pipeline_s(beam_args)
        for n in args.images:
            records = os.path.join(tmp, f"records{n}")
            write_records(records, n, args.size)
            start = time.perf_counter()
            assert plain_loop(model_dir, records, args.batch_size) == n
            seconds[("plain loop (same scoring code, 1 process)", n)] = time.perf_counter() - start
            for name, beam_args in runners.items():
                start = time.perf_counter()
                scores = run_scoring(model_dir, records, records, os.path.join(tmp, f"{name.split()[1]}{n}"),
                                     splits=("train",), batch_size=args.batch_size, beam_args=beam_args)
                seconds[(name, n)] = time.perf_counter() - start
                assert len(read_scores(scores)) == n

    print(f"{args.size}^2 Lab records, real and colorized scored, discriminator width {config.width} depth "
          f"{config.depth}; cores: {os.cpu_count()}")
    print_scaling(seconds, startup, args.images)


if __name__ == "__main__":
    main()
