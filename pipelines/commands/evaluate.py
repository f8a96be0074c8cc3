"""evaluate: a generator under the field's frozen protocol (colordisc_tf.evaluate.standard); resumable."""

from __future__ import annotations

from pipelines.commands.common import MODEL_FORMS, UserError

__all__ = ["register"]


def register(sub) -> None:
    ev = sub.add_parser(
        "evaluate", help="a generator on ImageNet val5k (or any folder) under a frozen protocol: FID, CF, ΔCF, PSNR, AuC",
        description="Centre crop to the short side, resize to 256x256 (Pillow bilinear), colorize as serving does (the "
        "network at the model's serving size, ab upsampled to 256), metrics at 256 against the truth cut the same way "
        "(docs/evaluation.md). Writes metrics.json and index.html; a killed run resumes where it stopped when run "
        "again with the same arguments.")
    ev.add_argument("--model", required=True, help=f"the generator: {MODEL_FORMS}")
    ev.add_argument("--images", required=True, help="the folder of photos (e.g. ImageNet's ILSVRC2012_img_val)")
    ev.add_argument("--list", default=None, metavar="FILE",
                    help="names to evaluate, one per line, relative to --images; 'val5k' is the shipped list "
                    "(ILSVRC2012_val_00000001..00005000.JPEG). Default: every file under --images")
    ev.add_argument("--fid-weights", default=None, metavar="FILE",
                    help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth (needs torch to read); without it no FID")
    ev.add_argument("--discriminator", default=None, metavar="DIR",
                    help="a discriminator (the same forms as --model): mean realness of the colorized images and of "
                    "the truth")
    ev.add_argument("--prior", default=None, metavar="PRIOR",
                    help="a colour prior (prior.npz or its folder) for the rebalanced AuC; default: the truth images' own")
    ev.add_argument("--output", required=True,
                    help="folder for metrics.json, index.html and the per-image rows (not inside --images)")
    ev.add_argument("--batch-size", type=int, default=8)
    ev.add_argument("--save-images", action="store_true", help="also write each colorization, colorized/<name>.png")
    ev.add_argument("--overwrite", action="store_true",
                    help="start over in an --output that holds an evaluation with other settings")
    ev.set_defaults(func=evaluate)


def evaluate(args) -> int:
    """The field's metrics under the frozen protocol (colordisc_tf.evaluate.standard); resumable."""
    from colordisc_tf.evaluate.standard import EvaluationError, evaluate_images

    try:
        result = evaluate_images(args.model, args.images, args.output, args.list, args.fid_weights,
                                 args.discriminator, args.prior, args.batch_size, args.overwrite, args.save_images)
    except EvaluationError as e:
        raise UserError(str(e)) from None

    def value(key, fmt=".2f"):
        ci = result.get(f"{key}_ci")
        return format(result[key], fmt) + (f" [{format(ci[0], fmt)}, {format(ci[1], fmt)}]" if ci else "")

    if not result["images"]:
        print(f"evaluate: no image could be measured ({result['skipped']} skipped) -> {args.output}/metrics.json")
        return 1
    fid = f"FID {result['fid']:.2f}" if result.get("fid") is not None else result.get("fid_note", "")
    print(f"evaluate: {result['images']} images ({result['skipped']} skipped): {fid}; CF {value('colorfulness')} "
          f"(truth {value('colorfulness_truth')}); ΔCF {value('delta_cf')}; PSNR {value('psnr')} dB; AuC raw "
          f"{value('auc_raw')} %, rebalanced {value('auc_rebalanced')} %"
          + (f"; realness {value('mean_realness', '.3f')}" if "mean_realness" in result else "")
          + f" [95 % intervals] -> {args.output}/metrics.json, index.html")
    return 0
