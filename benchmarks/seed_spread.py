"""How much do the method's headline numbers, and its verdict, move with the seed alone?

The pipeline's method, run in-process (no TFX, the same library calls its components make) on
the same photos once per seed: generator -> colorize -> discriminator -> realness scores ->
failure cases -> adversarial fine-tuning -> before/after with its paired intervals and the
blessing. The seed is every trainer's (generator, discriminator, fine-tuning; the fresh
discriminators take seed, seed + 1, ...); the photos, their split and the colour prior are
made once and shared. A generator that starts from an init and takes no steps (the demo's
starter) is the same in every run: then only what follows it moves.

Writes a JSON results file (every run's numbers: base, fine-tuned, fine-tuned − base with its
paired 95 % interval; the verdict; the time of each stage) with, per headline number, the
mean, standard deviation, min and max over the seeds, the mean width of the within-run
paired interval, and the share of runs blessed; a table beside it (.txt) and on stdout.
A difference whose seed-to-seed spread is larger than its mean is the seed's, not the method's.

    .venv/bin/python -m benchmarks.seed_spread                      # pipelines/configs/demo.json, 5 seeds
    .venv/bin/python -m benchmarks.seed_spread --seeds 2 --config FILE --generator-steps 20 \\
        --discriminator-steps 20 --finetune-steps 10 --retrain-steps 10 --out /tmp/spread.json
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import shutil
import tempfile
import time

import numpy as np

from benchmarks.harness import machine, write_json

IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]

#: (set, metric) of the numbers followed over the seeds: each as base, fine-tuned and their difference.
HEADLINE = [
    ("eval_failures", "detection_auc_retrained"),
    ("eval_failures", "detection_auc_fixed"),
    ("eval_failures", "fool_rate_fixed"),
    ("eval_failures", "auc_raw"),
    ("eval_failures", "delta_cf"),
    ("eval_all", "auc_raw"),
    ("eval_all", "auc_rebalanced"),
    ("eval_all", "delta_cf"),
    ("eval_all", "colorfulness"),
    ("eval_all", "psnr"),
    ("eval_all", "detection_auc_retrained"),
    ("eval_all", "fid"),
]


def _steps(section, steps: int | None):
    """section with `steps` (None: its own), steps_per_epoch kept when it divides them."""
    if steps is None:
        return section
    per_epoch = section.steps_per_epoch if steps and steps % section.steps_per_epoch == 0 else max(steps, 1)
    return dataclasses.replace(section, steps=steps, steps_per_epoch=per_epoch)


def prepare_data(config, work: str) -> dict:
    """Photos (the config's, or the bundled demo photos at its demo_tile) -> Lab records and the
    colour prior, once for every seed."""
    from colordisc_tf.data.demo_photos import write_demo_photos
    from colordisc_tf.data.preprocess import run_preprocess
    from colordisc_tf.data.prior import run_prior
    from colordisc_tf.data.record_format import split_file_pattern

    inputs = list(config.data)
    if not inputs:
        inputs = [os.path.join(work, "photos")]
        write_demo_photos(inputs[0], tile=config.demo_tile)
    examples = os.path.join(work, "examples")
    summary = run_preprocess(inputs, examples, config.preprocess, IN_MEMORY)
    prior_dir = os.path.join(work, "prior")
    run_prior(split_file_pattern(examples, "train"), prior_dir, config.prior.lam, config.prior.sigma, IN_MEMORY)
    return {"examples": examples, "prior": prior_dir, "written": summary["written"]}


def run_method(config, data: dict, work: str) -> dict:
    """One pass of the method under `config`; returns the before/after report (its per-image grids
    dropped), the fixed discriminator's eval metrics, the failure counts and the stage times."""
    import keras

    from colordisc_tf.data.color_prior import load_prior
    from colordisc_tf.data.record_format import split_file_pattern
    from colordisc_tf.evaluate.before_after import compare_generators
    from colordisc_tf.evaluate.failures import select_failures, write_failure_examples
    from colordisc_tf.evaluate.scoring import evaluate_scores, read_scores, run_scoring
    from colordisc_tf.serve.bulk_colorize import colorize_examples
    from colordisc_tf.serve.saving import load_discriminator, load_generator
    from colordisc_tf.train import discriminator, finetune, generator
    from colordisc_tf.train.entry import TrainerOutput

    keras.backend.clear_session()
    examples, times = data["examples"], {}

    def output(name):
        return TrainerOutput(os.path.join(work, name, "model"), os.path.join(work, name, "run"))

    def timed(stage, fn, *args):
        start = time.perf_counter()
        result = fn(*args)
        times[stage] = round(time.perf_counter() - start, 1)
        return result

    patterns = {split: split_file_pattern(examples, split) for split in ("train", "eval")}
    timed("generator", generator.run, config.generator,
          {"train": patterns["train"], "eval": patterns["eval"], "color_prior": data["prior"]}, output("generator"))
    generator_model, generator_config = load_generator(output("generator").model_dir)
    colorized = os.path.join(work, "colorized")
    timed("colorize", colorize_examples, generator_model, examples, colorized, generator_config.decoding,
          ("train", "eval"), config.colorize_batch_size)
    timed("discriminator", discriminator.run, config.discriminator,
          {"real_train": patterns["train"], "colorized_train": split_file_pattern(colorized, "train"),
           "real_eval": patterns["eval"], "colorized_eval": split_file_pattern(colorized, "eval")},
          output("discriminator"))
    scores_dir = os.path.join(work, "scores")
    timed("scoring", run_scoring, output("discriminator").model_dir, examples, colorized, scores_dir,
          ("train", "eval"), config.colorize_batch_size, IN_MEMORY)
    rows = read_scores(scores_dir)
    selection = {"quantile": config.failure_quantile, "threshold": config.failure_threshold}
    manifest = [m for split in ("train", "eval") for m in select_failures(rows, split, **selection)]
    failures = os.path.join(work, "failures")
    counts = write_failure_examples(examples, manifest, failures)
    timed("finetune", finetune.run, config.finetune,
          {"failures": split_file_pattern(failures, "train"), "ordinary": patterns["train"],
           "generator": output("generator").model_dir, "discriminator": output("discriminator").model_dir,
           "color_prior": data["prior"]}, output("finetuned"))
    report, _ = timed("before_after", compare_generators, (generator_model, generator_config),
                      load_generator(output("finetuned").model_dir), load_discriminator(output("discriminator").model_dir),
                      examples, failures, load_prior(data["prior"]).prior, config.blessing)
    fixed = evaluate_scores(rows, "eval")
    return {"report": report, "failures": counts, "seconds": times,
            "discriminator": {k: fixed.get(k) for k in ("images", "error", "roc_auc", "fool_rate")}}


def _numbers(report: dict) -> dict:
    """{"set.metric": {"base", "finetuned", "difference", "difference_ci"}} of the headline numbers."""
    out = {}
    for set_name, metric in HEADLINE:
        section = report["sets"].get(set_name, {})
        difference = section.get("difference", {})
        if metric not in difference:
            continue
        out[f"{set_name}.{metric}"] = {"base": section["base"].get(metric), "finetuned": section["finetuned"].get(metric),
                                       "difference": difference[metric], "difference_ci": difference.get(f"{metric}_ci")}
    return out


def _spread(values) -> dict:
    values = np.asarray([v for v in values if v is not None], np.float64)
    if not len(values):
        return {}
    return {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "min": float(values.min()), "max": float(values.max()), "runs": int(len(values))}


def summarize(runs: list[dict]) -> dict:
    """Per headline number: the spread over the seeds of base, fine-tuned and their difference,
    and the mean width of the runs' paired intervals; the verdicts' counts and the blessed share."""
    numbers = {}
    for key in dict.fromkeys(k for run in runs for k in run["numbers"]):
        entries = [run["numbers"][key] for run in runs if key in run["numbers"]]
        widths = [e["difference_ci"][1] - e["difference_ci"][0] for e in entries if e["difference_ci"]]
        numbers[key] = {part: _spread(e[part] for e in entries) for part in ("base", "finetuned", "difference")}
        numbers[key]["mean_interval_width"] = float(np.mean(widths)) if widths else None
    outcomes = {}
    for run in runs:
        outcomes[run["outcome"]] = outcomes.get(run["outcome"], 0) + 1
    return {"runs": len(runs), "blessed_share": sum(run["blessed"] for run in runs) / len(runs), "outcomes": outcomes,
            "seconds_per_seed": _spread(run["seconds"] for run in runs), "numbers": numbers}


def table(summary: dict) -> str:
    """The results as text: one row per headline number (mean ± sd over the seeds)."""
    lines = [f"{summary['runs']} seeds; blessed in {summary['blessed_share']:.0%} of runs; outcomes "
             + ", ".join(f"{k}: {v}" for k, v in summary["outcomes"].items())
             + f"; {summary['seconds_per_seed'].get('mean', 0):.0f} s per seed",
             "", f"{'number':36s} {'base':>17s} {'fine-tuned':>17s} {'fine-tuned - base':>19s} {'paired CI width':>15s}"]
    for key, entry in summary["numbers"].items():
        cells = [f"{entry[p]['mean']:8.3f} ± {entry[p]['sd']:6.3f}" if entry[p] else f"{'-':>17s}"
                 for p in ("base", "finetuned", "difference")]
        width = entry["mean_interval_width"]
        lines.append(f"{key:36s} {cells[0]:>17s} {cells[1]:>17s} {cells[2]:>19s} "
                     f"{(f'{width:.3f}' if width is not None else '-'):>15s}")
    lines.append("")
    lines.append("mean ± sd over the seeds (sd: the seed's spread); paired CI width: the mean width of each run's "
                 "95 % interval of fine-tuned - base")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="pipelines/configs/demo.json", help="pipeline config (default: the demo's)")
    parser.add_argument("--seeds", type=int, default=5, help="how many seeds (default 5)")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first-seed, first-seed + 1, ...")
    parser.add_argument("--generator-steps", type=int, default=None, help="default: the config's")
    parser.add_argument("--discriminator-steps", type=int, default=None, help="default: the config's")
    parser.add_argument("--finetune-steps", type=int, default=None, help="default: the config's")
    parser.add_argument("--retrain-steps", type=int, default=None,
                        help="steps of each fresh discriminator (blessing.retrain_discriminator_steps; default: the config's)")
    parser.add_argument("--out", default=None,
                        help="results JSON (default benchmarks/results/<date>-seed-spread.json; a .txt table beside it)")
    parser.add_argument("--work-dir", default=None, help="keep every run's models and records here (default: a temp folder, removed)")
    args = parser.parse_args(argv)

    from colordisc_tf.config import load_config, to_dict

    config = load_config(args.config)
    config = dataclasses.replace(
        config, generator=_steps(config.generator, args.generator_steps),
        discriminator=_steps(config.discriminator, args.discriminator_steps),
        finetune=_steps(config.finetune, args.finetune_steps),
        blessing=config.blessing if args.retrain_steps is None else dataclasses.replace(
            config.blessing, retrain_discriminator_steps=args.retrain_steps))
    out = args.out or os.path.join("benchmarks", "results",
                                   f"{datetime.date.today().isoformat()}-seed-spread.json")
    work = args.work_dir or tempfile.mkdtemp(prefix="seed_spread_")
    try:
        start = time.perf_counter()
        data = prepare_data(config, work)
        prepare_seconds = round(time.perf_counter() - start, 1)
        print(f"data: {data['written']} records ({prepare_seconds} s)", flush=True)
        runs = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            seeded = dataclasses.replace(
                config, generator=dataclasses.replace(config.generator, seed=seed),
                discriminator=dataclasses.replace(config.discriminator, seed=seed),
                finetune=dataclasses.replace(config.finetune, seed=seed))
            start = time.perf_counter()
            result = run_method(seeded, data, os.path.join(work, f"seed{seed}"))
            report = result["report"]
            runs.append({"seed": seed, "seconds": round(time.perf_counter() - start, 1), "stages": result["seconds"],
                         "outcome": report["outcome"], "blessed": report["blessed"], "verdict": report["verdict"],
                         "failures": result["failures"], "discriminator": result["discriminator"],
                         "numbers": _numbers(report)})
            print(f"seed {seed}: {runs[-1]['seconds']:.0f} s {result['seconds']}\n  {report['verdict']}", flush=True)
            summary = summarize(runs)
            os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
            write_json(out, {"config": args.config, "settings": to_dict(config), "data": data["written"],
                             "prepare_seconds": prepare_seconds, "summary": summary, "runs": runs})
            with open(os.path.splitext(out)[0] + ".txt", "w") as f:
                f.write(table(summary) + "\n")
        print("\n" + table(summary))
        print(f"\nwrote {out} (+ .txt); machine: {machine()['cores']} cores")
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
