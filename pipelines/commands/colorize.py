"""Image commands: colorize (a folder of PNGs, optionally scored for realness) and realness (scores)."""

from __future__ import annotations

import os
import sys

from pipelines.commands.common import MODEL_FORMS, UserError, output_apart_from

__all__ = ["register"]


def register(sub) -> None:
    col = sub.add_parser("colorize", help="colorize images with a generator SavedModel, one PNG per input")
    col.add_argument("--model", required=True, help=f"the generator: {MODEL_FORMS}, with its serving SavedModel")
    col.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or patterns")
    col.add_argument("--output", required=True, help="folder for the PNGs (named after the inputs' relative paths)")
    col.add_argument("--overwrite", action="store_true", help="replace a non-empty --output (atomically, on success)")
    col.add_argument("--decode", choices=("annealed", "guided"), default="annealed",
                     help="annealed: the annealed mean at the generator's temperature (default); guided: the discriminator "
                     "picks each image's temperature (needs --model to be saved_models/<name>_colorizer_with_realness)")
    col.add_argument("--discriminator", default=None, help="the discriminator, for --realness: the same forms as --model")
    col.add_argument("--realness", action="store_true",
                     help="score each colorization with --discriminator: realness in colorized.jsonl, a heat-map overlay "
                     "<name>.realness.png beside it (red: least real), and the images ranked least real first")
    col.add_argument("--min-realness", type=float, default=None, metavar="X",
                     help="list only the colorizations the discriminator scores below X (implies --realness)")
    col.set_defaults(func=colorize)

    real = sub.add_parser("realness", help="score images for realness with a discriminator SavedModel")
    real.add_argument("--discriminator", required=True, help=f"the discriminator: {MODEL_FORMS}")
    real.add_argument("inputs", nargs="+", metavar="INPUT")
    real.add_argument("--output", default=None, help="also write JSON lines (path, realness | error) here")
    real.set_defaults(func=realness)


def colorize(args) -> int:
    """Each input decoded the way `preprocess` decodes, sent to the serving signature as PNG;
    a bad file is skipped with its reason. With --realness, a discriminator scores each colorization."""
    import json
    from pathlib import Path

    from colordisc_tf.data.preprocess import expand_inputs
    from colordisc_tf.infra.output_folder import output_folder
    from colordisc_tf.serve.colorize_files import colorize_into, output_names
    from colordisc_tf.serve.model_ref import load_signature

    realness = args.realness or args.min_realness is not None
    if realness and not args.discriminator:
        raise UserError("colorize --realness / --min-realness need --discriminator (a discriminator's SavedModel)")
    if args.min_realness is not None and not 0.0 <= args.min_realness <= 1.0:
        raise UserError(f"--min-realness must be in [0, 1], got {args.min_realness}")
    if args.decode == "guided":
        serve = load_signature(args.model, "colorize_guided", "colorized", "colorizer_with_realness")
    else:
        serve = load_signature(args.model, "serving_default", "colorized", "generator")
    score = load_signature(args.discriminator, "serving_default", "realness_map", "discriminator",
                           "--discriminator") if realness else None
    paths = expand_inputs(args.inputs)
    if not paths:
        raise UserError(f"no files in {' '.join(args.inputs)}")
    output = output_apart_from(paths, args.output)
    names = output_names(paths)
    with output_folder(args.output, args.overwrite) as staging:
        written, skipped = colorize_into(Path(staging), paths, names, serve, score)
        if written:
            with open(Path(staging) / "colorized.jsonl", "w") as f:
                for path, row in written.items():
                    f.write(json.dumps({"input": os.path.abspath(path), **{
                        k: (os.path.join(output, v) if k in ("output", "overlay") else v) for k, v in row.items()}}) + "\n")
    for path, reason in skipped:
        print(f"colorize: skipped {path}: {reason}", file=sys.stderr)
    if realness and written:
        _print_ranking(written, output, args.min_realness)
    print(f"colorize: {len(written)} written, {len(skipped)} skipped -> {args.output}"
          + (" (which input is which output: colorized.jsonl)" if written else ""))
    return 0 if written else 1


def _print_ranking(written: dict, output: str, min_realness: float | None) -> None:
    ranked = sorted(written.items(), key=lambda item: item[1]["realness"])
    if min_realness is None:
        print("realness, least real first (overlays: red where the discriminator finds the colours least real):")
    else:
        ranked = [item for item in ranked if item[1]["realness"] < min_realness]
        print(f"{len(ranked)} of {len(written)} colorizations below realness {min_realness}"
              + (", least real first:" if ranked else ""))
    for path, row in ranked:
        print(f"{row['realness']:.3f}  {os.path.join(output, row['output'])}  ({path})")


def realness(args) -> int:
    import json

    import tensorflow as tf

    from colordisc_tf.data.image_io import ImageRejected
    from colordisc_tf.data.preprocess import expand_inputs
    from colordisc_tf.serve.colorize_files import png_as_preprocess_decodes, skip_reason
    from colordisc_tf.serve.model_ref import load_signature

    score = load_signature(args.discriminator, "serving_default", "realness", "discriminator", "--discriminator")
    rows = []
    for path in expand_inputs(args.inputs):
        try:
            out = score(images=tf.constant([png_as_preprocess_decodes(path)]))
            rows.append({"path": path, "realness": float(out["realness"].numpy()[0])})
        except (ImageRejected, OSError, tf.errors.OpError) as e:
            rows.append({"path": path, "error": skip_reason(e)})
    for row in rows:
        print(f"{row['realness']:.4f}  {row['path']}" if "realness" in row else f"  error  {row['path']}: {row['error']}")
    if args.output:
        with open(args.output, "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    return 0 if any("realness" in r for r in rows) else 1
