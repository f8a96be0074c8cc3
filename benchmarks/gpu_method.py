"""The whole method at the full config's settings, on one GPU, through the library's own code.

    photos -> Lab records -> ColorPrior -> generator.train_generator
      -> colorize every record -> discriminator.train_discriminator
      -> realness of every colorization -> evaluate.failures.select_failures (the config's rule)
      -> finetune.finetune_generator on failures + ordinary crops (TTUR where the config says)
      -> evaluate.before_after.compare_generators: base vs fine-tuned, with fresh discriminators

Settings come from pipelines/configs/full.json; what cannot fit in a few minutes is cut and
said so in method.json: each trainer runs `fit_for_steps` under a train.callbacks.TimeBudget
(its share of --budget) instead of to its step count, and the generator's learning rate is
raised (3e-5 is for 450k steps). Every model trains in --precision.

Training reads the records with the reader data.reader_choice picks: on a JAX-only host (or with
COLORDISC_RECORD_READER=numpy) the NumPy one, and the training process never imports
TensorFlow. The before/after reads records through tf.data, so it runs in a child process
where TensorFlow is installed; elsewhere method.json says so, and `--before-after OUT` runs it
later on a host that has TensorFlow, from the models saved under OUT.

    KERAS_BACKEND=jax python -m benchmarks.gpu_method --photos DIR --out OUT
    # CPU check of the same code (tiny sizes, a few steps each):
    JAX_PLATFORMS=cpu KERAS_BACKEND=jax COLORDISC_RECORD_READER=numpy \\
        python -m benchmarks.gpu_method --photos DIR --out OUT --smoke
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np

SHARE = {"generator": 0.5, "discriminator": 0.2, "finetune": 0.3}
SPLITS = ("train", "eval")


def photo_of(path: str) -> str:
    return os.path.basename(path).split("__")[0]


def write_photo_records(folder: str, examples: str, eval_percent: int) -> dict:
    """Tiles `<photo>__<tile>.jpg|png` -> Lab records per split (every tile of a photo in one
    split, by a hash of the photo's name), without Beam or TensorFlow. Returns counts."""
    from PIL import Image

    from colordisc_tf.color.srgb8 import srgb8_to_lab
    from colordisc_tf.data.record_format import encode_lab_example, single_shard_path
    from colordisc_tf.data.tfrecord_io import write_records

    paths = sorted(glob.glob(os.path.join(folder, "*.jpg")) + glob.glob(os.path.join(folder, "*.png")))
    if not paths:
        raise SystemExit(f"--photos {folder}: no .jpg/.png tiles there")
    records = {split: [] for split in SPLITS}
    for path in paths:
        rgb = np.asarray(Image.open(path).convert("RGB"))
        bucket = int(hashlib.sha256(photo_of(path).encode()).hexdigest(), 16) % 100
        image_id = hashlib.sha256(rgb.tobytes()).hexdigest()[:16]
        records["eval" if bucket < eval_percent else "train"].append(
            encode_lab_example(srgb8_to_lab(rgb), image_id, path, *rgb.shape[:2]))
    return {split: write_records(single_shard_path(examples, split), rows) for split, rows in records.items()}


def colour_prior(pattern: str, config):
    """The ColorPrior of the records' bins (what the pipeline's Beam pass counts)."""
    from colordisc_tf.color import bins
    from colordisc_tf.data.color_prior import ColorPrior
    from colordisc_tf.data.record_format import read_ab
    from colordisc_tf.data.tfrecord_io import local_files, read_records

    counts = sum(bins.count_bins(read_ab(r)) for path in local_files(pattern) for r in read_records(path))
    return ColorPrior(counts, lam=config.lam, sigma=config.sigma)


def colorize(generator, decoding, examples: str, colorized: str, batch_size: int) -> None:
    """Every record with its ab replaced by the generator's (L and the rest kept byte for byte)."""
    from colordisc_tf.data.record_format import replace_ab, single_shard_path, split_file_pattern
    from colordisc_tf.data.tfrecord_io import write_records
    from colordisc_tf.train.callbacks import predict_ab
    from colordisc_tf.train.inputs import record_batches

    for split in SPLITS:
        out = []
        for batch in record_batches(split_file_pattern(examples, split), batch_size):
            ab = predict_ab(generator, batch["l"], decoding)
            out += [replace_ab(bytes(s), a) for s, a in zip(batch["serialized"], ab)]
        write_records(single_shard_path(colorized, split), out)


def score_rows(discriminator, examples: str, colorized: str, batch_size: int) -> list[dict]:
    """One row per colorized record (id, source, split, colorized_score): select_failures' input."""
    from colordisc_tf.data.record_format import decode_lab_example, split_file_pattern
    from colordisc_tf.train.discriminator import score_lab_batches
    from colordisc_tf.train.inputs import record_batches

    rows = []
    for split in SPLITS:
        for batch in record_batches(split_file_pattern(colorized, split), batch_size):
            scores = score_lab_batches(discriminator, [np.concatenate([batch["l"], batch["ab"]], -1)])
            for serialized, score in zip(batch["serialized"], scores):
                record = decode_lab_example(bytes(serialized))
                rows.append({"id": record["id"], "source": record["source"], "split": split,
                             "colorized_score": float(score)})
    return rows


def write_failures(examples: str, manifest: list[dict], failures: str) -> dict:
    """The selected photos' real records per split (write_failure_examples' layout, no TensorFlow)."""
    from colordisc_tf.data.record_format import decode_lab_example, single_shard_path, split_file_pattern
    from colordisc_tf.data.tfrecord_io import local_files, read_records, write_records

    counts = {}
    for split in SPLITS:
        ids = {m["id"] for m in manifest if m["split"] == split}
        chosen = [r for path in local_files(split_file_pattern(examples, split)) for r in read_records(path)
                  if decode_lab_example(r)["id"] in ids]
        counts[split] = write_records(single_shard_path(failures, split), chosen)
    with open(os.path.join(failures, "manifest.jsonl"), "w") as f:
        f.writelines(json.dumps(row) + "\n" for row in manifest)
    return counts


def budgeted(section, seconds: float, max_steps: int):
    """section to train for at most max_steps (whole epochs); the TimeBudget stops it sooner."""
    from colordisc_tf.train.callbacks import TimeBudget

    per_epoch = min(section.steps_per_epoch, max_steps)
    return dataclasses.replace(section, steps=max(1, max_steps // per_epoch) * per_epoch,
                               steps_per_epoch=per_epoch), TimeBudget(seconds)


def settings(args):
    """The full config cut to the run: precision, the generator's rate, smoke sizes, step caps."""
    from colordisc_tf.config import load_config

    config = load_config(args.config)
    gen = dataclasses.replace(config.generator, precision=args.precision, learning_rate=args.generator_lr,
                              lr_decay=False)
    dis = dataclasses.replace(config.discriminator, precision=args.precision)
    ft = dataclasses.replace(config.finetune, precision=args.precision)
    blessing = config.blessing
    if args.smoke:
        gen = dataclasses.replace(gen, width=0.0625, crop_size=32, batch_size=4, eval_batches=1)
        dis = dataclasses.replace(dis, width=8, depth=2, crop_size=32, batch_size=8, eval_batches=1)
        ft = dataclasses.replace(ft, crop_size=32, batch_size=4)
        blessing = dataclasses.replace(blessing, retrain_discriminator_steps=2, resamples=200)
    return dataclasses.replace(config, generator=gen, discriminator=dis, finetune=ft, blessing=blessing)


def train(args, config, report: dict, phase) -> None:
    """Records, prior and the three trainers; models and failure sets saved under args.out."""
    from colordisc_tf.data.record_format import split_file_pattern
    from colordisc_tf.evaluate.failures import select_failures
    from colordisc_tf.serve.saving import save_discriminator, save_generator
    from colordisc_tf.train import discriminator as discriminator_trainer
    from colordisc_tf.train import finetune, generator as generator_trainer
    from colordisc_tf.train.no_tensorflow import keras_without_tensorflow

    out, budget, cap = args.out, {k: v * args.budget for k, v in SHARE.items()}, args.max_steps
    paths = {name: os.path.join(out, name) for name in ("examples", "colorized", "failures", "prior", "models", "runs")}
    if args.photos:
        phase("records", **write_photo_records(args.photos, paths["examples"], args.eval_percent))
    else:
        paths["examples"] = args.examples
    real = {split: split_file_pattern(paths["examples"], split) for split in SPLITS}
    prior = colour_prior(real["train"], config.prior)
    prior.save(paths["prior"])
    phase("prior", **prior.summary())

    gen_cfg, stop = budgeted(config.generator, budget["generator"], cap)
    generator, history = generator_trainer.train_generator(
        gen_cfg, real["train"], real["eval"], os.path.join(paths["runs"], "generator"), prior=prior.prior,
        weights=prior.weights, callbacks=[stop])
    with keras_without_tensorflow():  # Keras' saving would import it only to ask about its types
        save_generator(generator, gen_cfg, os.path.join(paths["models"], "base"), export=False)
    phase("generator", **_fit_stats(history, stop, gen_cfg.batch_size))

    colorize(generator, gen_cfg.decoding, paths["examples"], paths["colorized"], config.colorize_batch_size)
    colorized = {split: split_file_pattern(paths["colorized"], split) for split in SPLITS}
    dis_cfg, stop = budgeted(config.discriminator, budget["discriminator"], cap)
    discriminator, history = discriminator_trainer.train_discriminator(
        dis_cfg, real["train"], colorized["train"], real["eval"], colorized["eval"],
        os.path.join(paths["runs"], "discriminator"), callbacks=[stop])
    with keras_without_tensorflow():  # Keras' saving would import it only to ask about its types
        save_discriminator(discriminator, dis_cfg, os.path.join(paths["models"], "discriminator"), export=False)
    phase("discriminator", **_fit_stats(history, stop, dis_cfg.batch_size))

    rows = score_rows(discriminator, paths["examples"], paths["colorized"], config.colorize_batch_size)
    with open(os.path.join(out, "scores.jsonl"), "w") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    manifest = [m for split in SPLITS for m in select_failures(rows, split, config.failure_quantile,
                                                               config.failure_threshold)]
    phase("failures", **write_failures(paths["examples"], manifest, paths["failures"]), scored=len(rows))

    ft_cfg, stop = budgeted(config.finetune, budget["finetune"], cap)
    batches = finetune.finetune_dataset(split_file_pattern(paths["failures"], "train"), real["train"], ft_cfg)
    history = finetune.finetune_generator(ft_cfg, generator, discriminator, batches,
                                          os.path.join(paths["runs"], "finetune"), gen_cfg.decoding,
                                          class_weights=prior.weights, callbacks=[stop])
    with keras_without_tensorflow():  # Keras' saving would import it only to ask about its types
        save_generator(generator, gen_cfg, os.path.join(paths["models"], "finetuned"), export=False)
    phase("finetune", **_fit_stats(history, stop, ft_cfg.batch_size))
    report["paths"] = paths


def _fit_stats(history: dict, stop, batch_size: int) -> dict:
    seconds = time.perf_counter() - stop.end + stop.seconds
    return {"steps": history["steps"], "seconds": seconds, "crops_per_s": history["steps"] * batch_size / seconds,
            "stopped_by_budget": stop.stopped_early,
            "last_losses": {k: v[-1] for k, v in history.items() if isinstance(v, list) and v}}


def before_after(out: str, config) -> dict:
    """The library's before/after on the models and failure sets train() left under out."""
    from colordisc_tf.data.color_prior import load_prior
    from colordisc_tf.evaluate.before_after import compare_generators
    from colordisc_tf.serve.saving import load_discriminator, load_generator

    with open(os.path.join(out, "method.json")) as f:
        paths = json.load(f)["paths"]
    models = paths["models"]
    report, _ = compare_generators(load_generator(os.path.join(models, "base")),
                                   load_generator(os.path.join(models, "finetuned")),
                                   load_discriminator(os.path.join(models, "discriminator")), paths["examples"],
                                   paths["failures"], load_prior(paths["prior"]).prior, config.blessing)
    return report


def _before_after_elsewhere(args) -> dict:
    """before_after in a child process that may load TensorFlow (this one stays without it)."""
    env = {k: v for k, v in os.environ.items() if k != "COLORDISC_RECORD_READER"}
    command = [sys.executable, "-m", "benchmarks.gpu_method", "--before-after", "--out", args.out,
               "--config", args.config] + (["--smoke"] if args.smoke else [])
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode:
        return {"skipped": "the before/after reads records through tf.data: run `python -m benchmarks.gpu_method "
                           f"--before-after --out {args.out}` where TensorFlow is installed",
                "error_tail": done.stderr[-2000:]}
    with open(os.path.join(args.out, "before_after.json")) as f:
        return json.load(f)


def parse_args(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = parser.add_mutually_exclusive_group()
    data.add_argument("--photos", help="folder of tiles named <photo>__<tile>.jpg (benchmarks.pack_photos)")
    data.add_argument("--examples", help="Lab records already made (Split-train/, Split-eval/)")
    data.add_argument("--before-after", action="store_true", help="only the before/after of the run under --out")
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", default=os.path.join(root, "pipelines", "configs", "full.json"))
    parser.add_argument("--budget", type=float, default=330.0, help="seconds of training, the three trainers together")
    parser.add_argument("--max-steps", type=int, default=10**6, help="each trainer's step cap (whole epochs)")
    parser.add_argument("--eval-percent", type=int, default=20)
    parser.add_argument("--generator-lr", type=float, default=3e-4)
    parser.add_argument("--precision", default="mixed_bfloat16")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (a CPU check of the code path)")
    parser.add_argument("--skip-before-after", action="store_true", help="train only (the before/after can follow "
                        "with --before-after)")
    args = parser.parse_args(argv)
    if not (args.photos or args.examples or args.before_after):
        parser.error("give --photos, --examples or --before-after")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    config = settings(args)
    if args.before_after:
        report = before_after(args.out, config)
        with open(os.path.join(args.out, "before_after.json"), "w") as f:
            json.dump(report, f, indent=1, default=float)
        return report
    import keras

    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    report = {"backend": keras.backend.backend(), "keras": keras.__version__, "precision": args.precision,
              "budget_s": {k: v * args.budget for k, v in SHARE.items()}, "phases": {},
              "cut": "each trainer stops at its time budget or --max-steps, not the config's steps; generator "
                     f"learning rate {args.generator_lr}, no decay"}

    def phase(name, **values):
        report["phases"][name] = values
        print(f"[{time.perf_counter() - t0:6.1f}s] {name}: {json.dumps(values, default=float)}", flush=True)
        save()

    def save():
        with open(os.path.join(args.out, "method.json"), "w") as f:
            json.dump(report, f, indent=1, default=float)

    train(args, config, report, phase)
    report["training_process_imported_tensorflow"] = "tensorflow" in sys.modules
    report["settings"] = {k: dataclasses.asdict(getattr(config, k)) for k in ("generator", "discriminator", "finetune")}
    save()
    if not args.skip_before_after:
        report["before_after"] = _before_after_elsewhere(args)
    report["total_s"] = time.perf_counter() - t0
    save()
    return report


if __name__ == "__main__":
    main()
