"""The `colordisc` command line."""

from __future__ import annotations

import argparse
import os
import sys

# TensorFlow's C++ start-up chatter (CUDA probing on CPU hosts) is not for CLI users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["main", "build_parser"]


def _cmd_demo_photos(args) -> int:
    from colordisc_tf.demo_data import write_demo_photos

    paths = write_demo_photos(args.output, tile=args.tile, max_side=args.max_side)
    print(f"wrote {len(paths)} demo photos to {args.output}")
    return 0


def _print_preprocess_summary(summary: dict, output: str) -> None:
    written = ", ".join(f"{k} {v}" for k, v in summary["written"].items())
    rejected = ", ".join(f"{k} {v}" for k, v in summary["rejected"].items() if v) or "none"
    print(f"preprocess: {summary['inputs']} inputs -> written {written}; rejected {rejected} "
          f"({summary['seconds']:.1f} s). Rejects: {output}/rejects.jsonl")


def _cmd_preprocess(args) -> int:
    from colordisc_tf.beam_preprocess import PreprocessConfig, default_beam_args, expand_inputs, run_preprocess

    config = PreprocessConfig(
        size=args.size, eval_percent=args.eval_percent, min_side=args.min_side, max_pixels=args.max_pixels
    )
    beam_args = args.beam_args or default_beam_args()
    print(f"preprocess: {len(expand_inputs(args.inputs))} input files -> {args.output} "
          f"(size {config.size}, eval {config.eval_percent}%, Beam: {' '.join(beam_args)})", flush=True)
    summary = run_preprocess(args.inputs, args.output, config, beam_args)
    _print_preprocess_summary(summary, args.output)
    return 0


def _cmd_prior(args) -> int:
    from colordisc_tf.prior import run_prior
    from colordisc_tf.records import split_file_pattern

    pattern = split_file_pattern(args.examples, args.split)
    prior = run_prior(pattern, args.output, lam=args.lam, sigma=args.sigma, beam_args=args.beam_args)
    info = prior.summary()
    print(f"prior: {info['pixels']:,} pixels, {info['bins_seen']}/313 bins seen, weights "
          f"{info['weight_min']:.2f}..{info['weight_max']:.2f} -> {args.output}/prior.npz, prior.png")
    return 0


def _cmd_demo(args) -> int:
    """The main job on the bundled photos: as much of the pipeline as exists so far."""
    from pathlib import Path

    from colordisc_tf.beam_preprocess import PreprocessConfig, default_beam_args, run_preprocess
    from colordisc_tf.demo_data import write_demo_photos
    from colordisc_tf.prior import run_prior
    from colordisc_tf.records import split_file_pattern

    out = Path(args.output)
    photos = write_demo_photos(out / "photos", tile=args.tile)
    print(f"demo: wrote {len(photos)} {args.tile}px tiles of the bundled photos to {out / 'photos'}", flush=True)
    examples = str(out / "examples")
    summary = run_preprocess([str(out / "photos")], examples, PreprocessConfig(size=args.tile, eval_percent=20),
                             args.beam_args or default_beam_args())
    _print_preprocess_summary(summary, examples)
    prior = run_prior(split_file_pattern(examples, "train"), str(out / "prior"), beam_args=args.beam_args)
    info = prior.summary()
    print(f"demo: colour prior over {info['pixels']:,} train pixels, {info['bins_seen']}/313 bins seen, "
          f"rebalancing weights {info['weight_min']:.2f}..{info['weight_max']:.2f}; plot: {out / 'prior' / 'prior.png'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colordisc",
        description="Colourisation with a realness discriminator (Zhang et al. 2016 + GAN fine-tuning).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo-photos",
        help="write the bundled demo photos (scikit-image / scikit-learn samples) as PNGs",
    )
    demo.add_argument("--output", required=True, help="folder to write into")
    demo.add_argument("--tile", type=int, default=None, help="cut photos into TILE x TILE crops")
    demo.add_argument("--max-side", type=int, default=320, help="scale photos to this longer side before tiling")
    demo.set_defaults(func=_cmd_demo_photos)

    pre = sub.add_parser(
        "preprocess",
        help="image files/folders -> Lab TFRecords per split, rejects.jsonl, summary.json (Beam)",
        description="Unrecognised --flags are passed to Apache Beam, e.g. --runner=FlinkRunner. "
        "Default: DirectRunner, one worker process per core.",
    )
    pre.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders (recursive) or glob patterns")
    pre.add_argument("--output", required=True, help="output directory (a TFX Examples layout)")
    pre.add_argument("--size", type=int, default=256, help="crop size in pixels (default 256)")
    pre.add_argument("--eval-percent", type=int, default=10, help="share of images in the eval split (default 10)")
    pre.add_argument("--min-side", type=int, default=None, help="reject images whose shorter side is below this (default: --size)")
    pre.add_argument("--max-pixels", type=int, default=40_000_000, help="reject images with more pixels (read from the header)")
    pre.set_defaults(func=_cmd_preprocess, takes_beam_args=True)

    pri = sub.add_parser("prior", help="empirical ab colour prior + rebalancing weights + plot of a split (Beam)")
    pri.add_argument("examples", help="a preprocess output directory")
    pri.add_argument("--output", required=True, help="where prior.npz / prior.json / prior.png go")
    pri.add_argument("--split", default="train")
    pri.add_argument("--lam", type=float, default=0.5, help="mix with uniform (default 0.5)")
    pri.add_argument("--sigma", type=float, default=5.0, help="Gaussian smoothing in ab units (default 5)")
    pri.set_defaults(func=_cmd_prior, takes_beam_args=True)

    run_demo = sub.add_parser("demo", help="run the main job on the bundled demo photos")
    run_demo.add_argument("--output", default="demo_output", help="folder for everything it writes")
    run_demo.add_argument("--tile", type=int, default=64, help="tile size of the demo crops")
    run_demo.set_defaults(func=_cmd_demo, takes_beam_args=True)
    return parser


def main(argv=None) -> int:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "takes_beam_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    bad = [a for a in extra if not a.startswith("--")]
    if bad:
        parser.error(f"unrecognized arguments: {' '.join(bad)} (Beam flags look like --name=value)")
    args.beam_args = extra
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
