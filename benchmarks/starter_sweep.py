"""The starter colorizer's configurations side by side: each trained by the project's trainer
(colordisc_tf.train.generator.train_generator) in its own process, then measured as the model
card measures (colordisc_tf.evaluate.holdout.compare: hold-out + evaluation photos, against grey).

    # on a JAX GPU host (no TensorFlow needed; the NumPy reader feeds it), all configs at once:
    KERAS_BACKEND=jax python -m benchmarks.starter_sweep train --records 'ROOT/LabExampleGen/examples/*/Split-*/*' \\
        --out OUT [--only NAME,NAME] [--seconds 400] [--tiny]
    # here, where TensorFlow is (serving-path colorization):
    python -m benchmarks.starter_sweep measure --photos starter_root/photos \\
        --prior 'ROOT/ColorPriorGen/color_prior/*' --json FILE OUT/*/

train: OUT/models_<i>.tar.gz (4 tars: a device returns few files) holding <name>/generator.keras,
config.json, sweep.json (tiles, seconds, loss per epoch). Records of the photos in DROP are left
out for configs that say so. --tiny: 20 steps at 32 px (a CPU check of the same code).
measure: one table row per (set, model), grey first; the sets are the starter card's.

2026-12-04 (H200, 8 configs in parallel, 131-245 s each): docs/starter.md.
"""

from __future__ import annotations

import argparse
import glob
import json
import multiprocessing as mp
import os
import shutil
import tarfile
import time

DROP = ("retina", "immunohistochemistry", "hubble_deep_field")  # the not-natural scenes, for configs that drop them
# name: (drop DROP, width, crop, steps, lam)
CONFIGS = {
    "c1_all_w125_c96_6k_l8": (False, 0.125, 96, 6000, 0.8),  # the 2026-12-03 starter's
    "c2_nat_w125_c96_6k_l8": (True, 0.125, 96, 6000, 0.8),
    "c3_nat_w125_c96_12k_l8": (True, 0.125, 96, 12000, 0.8),
    "c4_nat_w125_c160_6k_l8": (True, 0.125, 160, 6000, 0.8),
    "c5_nat_w25_c64_8k_l8": (True, 0.25, 64, 8000, 0.8),
    "c6_nat_w125_c96_12k_l6": (True, 0.125, 96, 12000, 0.6),
    "c7_nat_w125_c96_12k_l9": (True, 0.125, 96, 12000, 0.9),
    "c8_nat_w25_c128_12k_l8": (True, 0.25, 128, 12000, 0.8),  # past 2 CPU cores' 2 hours: what capacity buys
    "c9_all_w125_c96_12k_l8": (False, 0.125, 96, 12000, 0.8),  # the 2026-12-04 starter's
    "c10_all_w25_c64_8k_l8": (False, 0.25, 64, 8000, 0.8),  # c5 on every photo: the sweep's best raw AuC
    "c11_all_w125_c96_6k_l9": (False, 0.125, 96, 6000, 0.9),  # c1 with less rebalancing
    # with GCompris' photos (6x the tiles) the starter colours less: more rebalancing (the paper's 0.5)
    "c12_all_w125_c96_6k_l5": (False, 0.125, 96, 6000, 0.5),
    "c13_all_w125_c96_6k_l6": (False, 0.125, 96, 6000, 0.6),
    # no rebalancing: hues as the data has them, the colour left to the fitted chroma gain (grey scenes stay
    # grey where a rebalanced network paints them; 2026-12-04, late)
    "c14_all_w125_c96_12k_l10": (False, 0.125, 96, 12000, 1.0),
    # c10's capacity on the 12-04 photo set (GCompris' and the applications' photos: 4139 tiles, 8x c10's):
    # does width pay once there is more to learn? (2026-12-05)
    "c15_all_w25_c64_12k_l8": (False, 0.25, 64, 12000, 0.8),
}


def _records(pattern: str, drop: bool) -> list[bytes]:
    from colordisc_tf.data.record_format import source_of
    from colordisc_tf.data.tfrecord_io import local_files, read_records

    kept = []
    for path in local_files(pattern):
        for record in read_records(path):
            if not (drop and os.path.basename(source_of(record)).startswith(DROP)):
                kept.append(record)
    return kept


def train_one(name: str, pattern: str, out: str, tiny: bool, seed: int) -> None:
    os.environ["COLORDISC_RECORD_READER"] = "numpy"
    os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"  # several processes share the GPU
    import keras

    from colordisc_tf.color import bins
    from colordisc_tf.config import GeneratorConfig, from_dict
    from colordisc_tf.data.color_prior import ColorPrior
    from colordisc_tf.data.record_format import read_ab
    from colordisc_tf.data.tfrecord_io import write_records
    from colordisc_tf.serve.saving import save_generator
    from colordisc_tf.train.generator import train_generator

    drop, width, crop, steps, lam = CONFIGS[name]
    if tiny:
        steps, crop = 20, 32
    work = os.path.join(out, "work", name)
    records = _records(pattern, drop)
    write_records(os.path.join(work, "data", "train.gz"), records)
    prior = ColorPrior(sum(bins.count_bins(read_ab(r)) for r in records), lam=lam, sigma=5.0)
    config = from_dict(GeneratorConfig, {
        "width": width, "crop_size": crop, "batch_size": 16, "steps": steps, "steps_per_epoch": min(500, steps),
        "learning_rate": 1e-3, "lr_decay": True, "eval_batches": 0, "image_every": 0, "serving_size": 256,
        "jit_compile": True, "seed": seed})
    start = time.time()
    model, history = train_generator(config, os.path.join(work, "data", "*.gz"), None, os.path.join(work, "run"),
                                     prior=prior.prior, weights=prior.weights)
    seconds = time.time() - start
    bare = keras.models.clone_model(model)  # uncompiled: no optimizer state in the file
    bare.set_weights(model.get_weights())
    model_dir = os.path.join(out, "models", name)
    save_generator(bare, config, model_dir, export=False)
    with open(os.path.join(model_dir, "sweep.json"), "w") as f:
        json.dump({"name": name, "tiles": len(records), "steps": steps, "seconds": seconds, "lam": lam,
                   "loss": history.get("loss")}, f)
    print(f"{name}: {len(records)} tiles, {steps} steps in {seconds:.0f} s, last loss {history['loss'][-1]:.3f}",
          flush=True)


def train(args) -> None:
    names = args.only.split(",") if args.only else list(CONFIGS)
    os.makedirs(os.path.join(args.out, "models"), exist_ok=True)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=train_one, args=(n, args.records, args.out, args.tiny, args.seed)) for n in names]
    for p in procs:
        p.start()
    deadline = None if args.seconds is None else time.time() + args.seconds
    for p in procs:
        p.join(None if deadline is None else max(1.0, deadline - time.time()))
    models = os.path.join(args.out, "models")
    done = sorted(n for n in os.listdir(models) if os.path.exists(os.path.join(models, n, "sweep.json")))
    print(f"trained {len(done)} of {len(names)}", flush=True)
    for i in range(4):
        with tarfile.open(os.path.join(args.out, f"models_{i}.tar.gz"), "w:gz") as tar:
            for n in done[i::4]:
                tar.add(os.path.join(models, n), arcname=n)
    for p in procs:
        if p.is_alive():
            p.terminate()
    time.sleep(2)
    for folder in ("models", "work"):
        shutil.rmtree(os.path.join(args.out, folder), ignore_errors=True)


def _margins(vs_grey: dict | None) -> str:
    """The AuC margins over grey with their paired intervals (holdout.compare's vs_grey)."""
    if not vs_grey or vs_grey["auc_raw_ci"] is None:
        return ""
    return "".join(f"  {key} vs grey {vs_grey[key]:+.1f} [{vs_grey[key + '_ci'][0]:+.1f}, {vs_grey[key + '_ci'][1]:+.1f}]"
                   for key in ("auc_raw", "auc_rebalanced"))


def _per_photo(colorized: dict, paths: list[str]) -> dict:
    """{photo: {model: its raw AuC − grey's}}, printed: which photos a pooled margin comes from."""
    from colordisc_tf.evaluate.holdout import GREY, photo_auc_raw

    truths = colorized["truth"]
    aucs = {name: photo_auc_raw(preds, truths) for name, preds in colorized.items() if name != "truth"}
    table = {os.path.splitext(os.path.basename(p))[0]: {name: round(float(aucs[name][i] - aucs[GREY][i]), 2)
                                                         for name in aucs if name != GREY}
             for i, p in enumerate(paths)}
    for grey_auc, (photo, margins) in zip(aucs[GREY], table.items()):
        print(f"  {photo:36s} grey {grey_auc:6.2f}  " + "  ".join(f"{name} {m:+6.1f}" for name, m in margins.items()),
              flush=True)
    return table


def measure(args) -> None:
    from colordisc_tf.data.color_prior import load_prior
    from colordisc_tf.evaluate.holdout import GREY, compare
    from colordisc_tf.evaluate.starter_card import photo_sets

    prior = load_prior(sorted(glob.glob(args.prior))[-1]).prior
    models = {GREY: None, **{os.path.basename(os.path.normpath(m)): m for m in args.models}}
    results = {}
    for set_name, paths in photo_sets(args.photos).items():
        if not paths:  # e.g. holdout_gcompris of a starter set without GCompris
            continue
        results[set_name], colorized = compare(models, paths, prior)
        for name, s in results[set_name].items():
            print(f"{set_name:36s} {name:24s} raw {s['auc_raw']:6.2f}  rebalanced {s['auc_rebalanced']:6.2f}  "
                  f"CF {s['cf']:5.1f} (truth {s['cf_truth']:5.1f})  ΔCF {s['delta_cf']:5.1f}  PSNR {s['psnr']:5.2f}"
                  + _margins(s.get("vs_grey")), flush=True)
        if set_name == args.per_photo:
            results[f"{set_name}_photos"] = _per_photo(colorized, paths)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("train")
    t.add_argument("--records", required=True, help="the Lab records of the starter photos (a glob)")
    t.add_argument("--out", required=True)
    t.add_argument("--only", default=None, help="comma-separated config names (default: all)")
    t.add_argument("--seconds", type=float, default=None, help="pack what has finished after this long")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--tiny", action="store_true")
    m = sub.add_parser("measure")
    m.add_argument("--photos", required=True, help="a starter-photos folder (holdout/, evaluation/)")
    m.add_argument("--prior", required=True, help="the prior directory (a glob: the newest is taken)")
    m.add_argument("--json", default=None)
    m.add_argument("--per-photo", default=None, metavar="SET",
                   help="also each photo's raw AuC − grey's on this set (e.g. unseen_pooled)")
    m.add_argument("models", nargs="+", help="generator model folders (generator.keras + config.json)")
    args = parser.parse_args(argv)
    train(args) if args.what == "train" else measure(args)


if __name__ == "__main__":
    main()
