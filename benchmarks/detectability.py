"""How well does a fresh discriminator tell each generator's colorizations from real photos?

For every generator given and every seed: train a discriminator from scratch (the base
discriminator's config, `--steps` steps) on real train photos vs that generator's
colorizations of them, then report its detection AUC (ROC AUC, real vs colorized; 0.5:
cannot tell) on the eval split and on the eval failure cases. The mean over seeds is
what to compare: one discriminator's AUC on a handful of failures moves by a few hundredths
with the seed alone.

    .venv/bin/python -m benchmarks.detectability --pipeline-root pipeline_root \\
        base=pipeline_root/GeneratorTrainer/model/3 finetuned=pipeline_root/FineTuneTrainer/model/32
"""

import argparse
import glob
import os
import tempfile

import numpy as np


def _latest(root: str, component: str, output: str) -> str:
    runs = glob.glob(os.path.join(root, component, output, "*"))
    if not runs:
        raise SystemExit(f"no {component}/{output} artifact under {root}: run the pipeline first")
    return max(runs, key=lambda p: int(os.path.basename(p)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("generators", nargs="+", help="name=generator model dir")
    parser.add_argument("--pipeline-root", default="pipeline_root")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()

    from colordisc_tf.evaluate.before_after import score_generator, train_fresh_discriminators
    from colordisc_tf.data.record_format import split_file_pattern
    from colordisc_tf.serve.saving import load_discriminator, load_generator

    root = args.pipeline_root
    examples = _latest(root, "LabExampleGen", "examples")
    sets = {"eval_all": split_file_pattern(examples, "eval"),
            "eval_failures": split_file_pattern(_latest(root, "FailureFilter", "failures"), "eval")}
    discriminator_dir = _latest(root, "DiscriminatorTrainer", "model")
    fixed, discriminator_config = load_discriminator(discriminator_dir)
    generators = dict(g.split("=", 1) for g in args.generators)
    rows = []
    for name, path in generators.items():
        generator, generator_config = load_generator(path)
        with tempfile.TemporaryDirectory() as work:
            fresh = train_fresh_discriminators(discriminator_config, generator, generator_config.decoding, examples,
                                               args.steps, work, args.seeds)
        discriminators = {"fixed": fixed, **{f"fresh_{i}": discriminator for i, discriminator in enumerate(fresh)}}
        for set_name, pattern in sets.items():  # one pass of the generator per set, every discriminator on it
            scores, _ = score_generator(generator, pattern, discriminators, generator_config.decoding)
            aucs = np.array([scores[f"detection_auc_fresh_{i}"] for i in range(len(fresh))])
            print(f"{name} {set_name}: detection AUC per fresh discriminator {np.round(aucs, 3).tolist()}, "
                  f"fixed {scores['detection_auc_fixed']:.3f}", flush=True)
            rows.append((name, set_name, aucs, scores["detection_auc_fixed"]))
    print(f"\n{'generator':12s} {'set':14s} {'fresh discriminators (mean ± sd over seeds)':>38s} {'fixed discriminator':>13s}")
    for name, set_name, aucs, fixed_auc in rows:
        print(f"{name:12s} {set_name:14s} {aucs.mean():31.3f} ± {aucs.std():.3f} {fixed_auc:13.3f}")


if __name__ == "__main__":
    main()
