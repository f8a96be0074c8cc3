"""Models in and out: export (ONNX / LiteRT files), import-eccv16 (Zhang et al.'s released weights)."""

from __future__ import annotations

import os

from colordisc_tf.serve.portable_formats import FORMATS
from pipelines.commands.common import MODEL_FORMS, UserError

__all__ = ["register"]


def register(sub) -> None:
    exp = sub.add_parser(
        "export", help="a saved generator or discriminator as an ONNX or LiteRT (TFLite) file (docs/deploy.md)",
        description="Generator: L float32 [N,H,W,1] (0..100) -> ab float32 [N,H,W,2], decoded as serving decodes. "
        "Discriminator: lab float32 [N,H,W,3] -> realness [N], realness_map [N,h,w]. A colorizer with realness "
        "gives two files, OUTPUT's stem + .generator / .discriminator. Each file is run in its runtime and compared "
        "with the model before it is written; what cannot be converted exactly is refused.")
    exp.add_argument("--format", required=True, choices=tuple(FORMATS),
                     help=", ".join(f"{name} ({f.runtime}, {f.extension})" for name, f in FORMATS.items()))
    exp.add_argument("--model", required=True, help=f"a generator, discriminator or colorizer with realness: {MODEL_FORMS}, "
                     "or a bare .keras file")
    exp.add_argument("--output", required=True, help="the file to write (.onnx / .tflite added when it has no extension)")
    exp.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    exp.add_argument("--quantize", choices=("int8",), default=None,
                     help="int8 (ONNX Runtime static QDQ; LiteRT dynamic range), written only when its colour cost "
                     "against float32 is within bounds (docs/deploy.md, int8)")
    exp.add_argument("--held-out", default=None, metavar="FOLDER",
                     help="with --quantize: images to measure the cost on besides the bundled photos")
    exp.set_defaults(func=export)

    imp = sub.add_parser("import-eccv16", help="Zhang et al.'s released PyTorch weights -> our Keras generator (needs torch)")
    imp.add_argument("weights", help="colorization_release_v2-9b330a0b.pth (or any eccv16 state dict)")
    imp.add_argument("--output", required=True, help="folder for generator.keras and serving/")
    imp.add_argument("--serving-size", type=int, default=256, help="resolution the serving model predicts at")
    imp.set_defaults(func=import_eccv16)


def export(args) -> int:
    """A saved generator / discriminator as an ONNX or LiteRT file, checked in its runtime first."""
    from colordisc_tf.serve.portable_export import ExportRefused, export_portable, export_quantized

    if args.held_out and not args.quantize:
        raise UserError("export: --held-out measures int8's cost; add --quantize int8")
    try:
        if args.quantize:
            return _print_quantized(export_quantized(args.model, args.output, args.format, args.overwrite,
                                                     args.held_out))
        written = export_portable(args.model, args.output, args.format, overwrite=args.overwrite)
    except ExportRefused as e:
        raise UserError(f"export: {e}") from None
    for path, role, worst in written:
        print(f"export: {role} -> {path} ({os.path.getsize(path) / 1e6:.1f} MB; in its runtime it matches the model "
              f"within {worst:.1g} on the probe inputs)")
    return 0


def _print_quantized(written) -> int:
    for path, role, cost in written:
        measured = "; ".join(f"{photos}: " + ", ".join(f"{k} {v['float']:.2f} -> {v['int8']:.2f}" for k, v in m.items())
                             for photos, m in cost.items())
        print(f"export: int8 {role} -> {path} ({os.path.getsize(path) / 1e6:.1f} MB; float32 -> int8 {measured})")
    return 0


def import_eccv16(args) -> int:
    from colordisc_tf.config import GeneratorConfig
    from colordisc_tf.models.eccv16_import import import_eccv16 as import_weights
    from colordisc_tf.serve.saving import save_generator

    model = import_weights(args.weights)
    width = model.get_layer("conv1_1").filters / 64
    config = GeneratorConfig(width=width, steps=0, init=os.path.abspath(args.output), serving_size=args.serving_size)
    serving = save_generator(model, config, args.output)
    print(f"import-eccv16: {model.count_params():,} parameters -> {args.output}/generator.keras, "
          f"serving SavedModel {serving}. Use it in the pipeline with generator.init = {os.path.abspath(args.output)}")
    return 0
