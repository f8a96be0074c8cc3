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


def _cmd_demo(args) -> int:
    """The main job on the bundled photos: as much of the pipeline as exists so far."""
    from pathlib import Path

    import numpy as np

    from colordisc_tf import color
    from colordisc_tf.demo_data import write_demo_photos

    out = Path(args.output)
    paths = write_demo_photos(out / "photos", tile=args.tile)
    print(f"demo: wrote {len(paths)} {args.tile}px tiles of the bundled photos to {out / 'photos'}")
    from PIL import Image

    rgb = np.stack([np.asarray(Image.open(p).convert("RGB")) for p in paths]).astype(np.float32) / 255
    lab = color.rgb_to_lab(rgb)
    counts = np.bincount(color.nearest_bin(lab[..., 1:]).ravel(), minlength=color.NUM_BINS)
    prior = counts / counts.sum()
    weights = color.rebalance_weights(prior)
    np.savez(out / "prior.npz", prior=prior, weights=weights, bins=color.AB_BINS)
    print(f"demo: {np.count_nonzero(counts)} of {color.NUM_BINS} ab bins seen; "
          f"rebalancing weights {weights.min():.2f}..{weights.max():.2f}; wrote {out / 'prior.npz'}")
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

    run_demo = sub.add_parser("demo", help="run the main job on the bundled demo photos")
    run_demo.add_argument("--output", default="demo_output", help="folder for everything it writes")
    run_demo.add_argument("--tile", type=int, default=64, help="tile size of the demo crops")
    run_demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
