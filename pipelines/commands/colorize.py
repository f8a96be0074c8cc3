"""Image commands: colorize (a folder of PNGs, optionally scored for realness) and realness (scores)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
    from colordisc_tf.data.input_files import expand_inputs
    from colordisc_tf.infra.output_folder import output_folder
    from colordisc_tf.serve.colorize_files import MANIFEST, colorize_into, output_names, write_manifest
    from colordisc_tf.serve.model_ref import load_signature

    realness_wanted = args.realness or args.min_realness is not None
    if realness_wanted and not args.discriminator:
        raise UserError("colorize --realness / --min-realness need --discriminator (a discriminator's SavedModel)")
    if args.min_realness is not None and not 0.0 <= args.min_realness <= 1.0:
        raise UserError(f"--min-realness must be in [0, 1], got {args.min_realness}")
    if args.decode == "guided":
        serve = load_signature(args.model, "colorize_guided", "colorized", "colorizer_with_realness")
    else:
        serve = load_signature(args.model, "serving_default", "colorized", "generator")
    score = load_signature(args.discriminator, "serving_default", "realness_map", "discriminator",
                           "--discriminator") if realness_wanted else None
    paths = expand_inputs(args.inputs)
    if not paths:
        raise UserError(f"no files in {' '.join(args.inputs)}")
    output = output_apart_from(paths, args.output)
    with output_folder(args.output, args.overwrite) as staging:
        written, skipped = colorize_into(Path(staging), paths, output_names(paths), serve, score)
        if written:
            write_manifest(staging, written, output)
    for path, reason in skipped:
        print(f"colorize: skipped {path}: {reason}", file=sys.stderr)
    if realness_wanted and written:
        _print_ranking(written, output, args.min_realness)
    print(f"colorize: {len(written)} written, {len(skipped)} skipped -> {args.output}"
          + (f" (which input is which output: {MANIFEST})" if written else ""))
    return 0 if written else 1


def _print_ranking(written: dict, output: str, min_realness: float | None) -> None:
    from colordisc_tf.serve.score_files import rank_by_realness

    ranked = rank_by_realness(written, min_realness)
    if min_realness is None:
        print("realness, least real first (overlays: red where the discriminator finds the colours least real):")
    else:
        print(f"{len(ranked)} of {len(written)} colorizations below realness {min_realness}"
              + (", least real first:" if ranked else ""))
    for path, row in ranked:
        print(f"{row['realness']:.3f}  {os.path.join(output, row['output'])}  ({path})")


def realness(args) -> int:
    import json

    from colordisc_tf.data.input_files import expand_inputs
    from colordisc_tf.serve.model_ref import load_signature
    from colordisc_tf.serve.score_files import score_files

    score = load_signature(args.discriminator, "serving_default", "realness", "discriminator", "--discriminator")
    rows = score_files(score, expand_inputs(args.inputs))
    for row in rows:
        print(f"{row['realness']:.4f}  {row['path']}" if "realness" in row else f"  error  {row['path']}: {row['error']}")
    if args.output:
        with open(args.output, "w") as f:
            f.writelines(json.dumps(row) + "\n" for row in rows)
    return 0 if any("realness" in r for r in rows) else 1
