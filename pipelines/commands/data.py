"""Data commands: demo-photos, preprocess (image files -> Lab TFRecords, Beam), prior (Beam)."""

from __future__ import annotations

from colordisc_tf.constants import DEFAULT_MAX_PIXELS

__all__ = ["register"]


def register(sub) -> None:
    demo = sub.add_parser(
        "demo-photos",
        help="write the bundled demo photos (scikit-image / scikit-learn samples) as PNGs",
    )
    demo.add_argument("--output", required=True, help="folder to write into")
    demo.add_argument("--tile", type=int, default=None, help="cut photos into TILE x TILE crops")
    demo.add_argument("--max-side", type=int, default=320, help="scale photos to this longer side before tiling")
    demo.set_defaults(func=demo_photos)

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
    pre.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                     help="reject images with more pixels (read from the header)")
    pre.add_argument("--overwrite", action="store_true", help="replace a non-empty --output (atomically, on success)")
    pre.set_defaults(func=preprocess, takes_beam_args=True)

    pri = sub.add_parser("prior", help="empirical ab colour prior + rebalancing weights + plot of a split (Beam)")
    pri.add_argument("examples", help="a preprocess output directory")
    pri.add_argument("--output", required=True, help="where prior.npz / prior.json / prior.png go")
    pri.add_argument("--split", default="train")
    pri.add_argument("--lam", type=float, default=0.5, help="mix with uniform (default 0.5)")
    pri.add_argument("--sigma", type=float, default=5.0, help="Gaussian smoothing in ab units (default 5)")
    pri.set_defaults(func=prior, takes_beam_args=True)


def demo_photos(args) -> int:
    from colordisc_tf.data.demo_photos import write_demo_photos

    paths = write_demo_photos(args.output, tile=args.tile, max_side=args.max_side)
    print(f"wrote {len(paths)} demo photos to {args.output}")
    return 0


def preprocess(args) -> int:
    from colordisc_tf.config import PreprocessConfig
    from colordisc_tf.data.preprocess import expand_inputs, run_preprocess
    from colordisc_tf.infra.beam_options import default_beam_args

    config = PreprocessConfig(
        size=args.size, eval_percent=args.eval_percent, min_side=args.min_side, max_pixels=args.max_pixels
    )
    beam_args = args.beam_args or default_beam_args()
    print(f"preprocess: {len(expand_inputs(args.inputs))} input files -> {args.output} "
          f"(size {config.size}, eval {config.eval_percent}%, Beam: {' '.join(beam_args)})", flush=True)
    summary = run_preprocess(args.inputs, args.output, config, beam_args, overwrite=args.overwrite)
    written = ", ".join(f"{k} {v}" for k, v in summary["written"].items())
    rejected = ", ".join(f"{k} {v}" for k, v in summary["rejected"].items() if v) or "none"
    print(f"preprocess: {summary['inputs']} inputs -> written {written}; rejected {rejected} "
          f"({summary['seconds']:.1f} s). Rejects: {args.output}/rejects.jsonl")
    return 0


def prior(args) -> int:
    from colordisc_tf.data.prior import run_prior
    from colordisc_tf.data.record_format import split_file_pattern

    pattern = split_file_pattern(args.examples, args.split)
    value = run_prior(pattern, args.output, lam=args.lam, sigma=args.sigma, beam_args=args.beam_args)
    info = value.summary()
    print(f"prior: {info['pixels']:,} pixels, {info['bins_seen']}/313 bins seen, weights "
          f"{info['weight_min']:.2f}..{info['weight_max']:.2f} -> {args.output}/prior.npz, prior.png")
    return 0
