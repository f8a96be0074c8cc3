"""Does realness-guided decoding help? Fixed T = 0.38 vs guided, on the eval split.

Takes a pipeline run's generator, discriminator (the guide), prior and records (the newest of
each under --pipeline-root, e.g. after `make demo`). Every eval photo is decoded both
ways; metrics against the truth: raw / rebalanced AuC, colourfulness vs truth, ΔCF,
PSNR. The judge is not the guide: for each decoding, `--judges` fresh discriminators (the
guide's config, other seeds) are trained on real train photos vs that decoding's train
colorizations, and their detection AUC on the eval photos is averaged (lower: harder to
tell from real photos).

    .venv/bin/python -m benchmarks.guided_decode [--pipeline-root pipeline_root] [--judge-steps 300]
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import tempfile

import numpy as np


def newest(root: str, component: str, artifact: str) -> str:
    runs = glob.glob(os.path.join(root, component, artifact, "*"))
    if not runs:
        raise SystemExit(f"no {component}/{artifact} under {root}: run `make demo` first")
    return max(runs, key=lambda p: int(os.path.basename(p)))


def decode_split(generator, discriminator, pattern: str, output_file: str, temperature: float, guided: bool):
    """Decodes every record under pattern; writes them (ab replaced) to output_file.
    Returns (L, ab_true, ab_pred, chosen temperatures)."""
    import tensorflow as tf

    from colordisc_tf.serve.guided_decode import guided_decode
    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.color.keras_ops import decode_ab
    from colordisc_tf.data.record_format import replace_ab
    from colordisc_tf.data.records import parse_lab_example

    raw = tf.data.TFRecordDataset(sorted(tf.io.gfile.glob(pattern)), compression_type="GZIP")
    ls, trues, preds, temps = [], [], [], []
    os.makedirs(os.path.dirname(output_file), exist_ok=True)
    with tf.io.TFRecordWriter(output_file, tf.io.TFRecordOptions(compression_type="GZIP")) as writer:
        for serialized, rec in raw.map(lambda r: (r, parse_lab_example(r))).batch(32):
            l_chan = rec["l"].numpy()
            logits = generator(l_chan, training=False)
            if guided:
                ab, chosen, _ = guided_decode(logits, l_chan, discriminator, Decoding(temperature))
            else:
                ab, chosen = decode_ab(logits, l_chan.shape[1:3], Decoding(temperature)), np.full(len(l_chan), temperature)
            ab = np.asarray(ab)
            for record, ab_one in zip(serialized.numpy(), ab):
                writer.write(replace_ab(record, ab_one))
            ls.append(l_chan)
            trues.append(rec["ab"].numpy())
            preds.append(ab)
            temps.append(np.asarray(chosen))
    return tuple(np.concatenate(x) for x in (ls, trues, preds, temps))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline-root", default="pipeline_root")
    parser.add_argument("--judges", type=int, default=2, help="fresh discriminators per decoding (seeds averaged)")
    parser.add_argument("--judge-steps", type=int, default=300)
    parser.add_argument("--json", help="write the table here too")
    args = parser.parse_args(argv)

    from colordisc_tf import metrics
    from colordisc_tf.serve import inference
    from colordisc_tf.evaluate import measures
    from colordisc_tf.evaluate.measures import Images, measure_images
    from colordisc_tf.models.discriminator import realness
    from colordisc_tf.data.color_prior import load_prior
    from colordisc_tf.data.record_format import single_shard_path, split_file_pattern
    from colordisc_tf.serve.saving import load_discriminator, load_generator
    from colordisc_tf.train.discriminator import train_discriminator

    root = args.pipeline_root
    generator, gen_config = load_generator(newest(root, "GeneratorTrainer", "model"))
    discriminator, discriminator_config = load_discriminator(newest(root, "DiscriminatorTrainer", "model"))
    examples = newest(root, "LabExampleGen", "examples")
    prior = load_prior(newest(root, "ColorPriorGen", "color_prior")).prior
    table = {}
    with tempfile.TemporaryDirectory() as work:
        for name, guided in (("fixed T=%.2f" % gen_config.temperature, False), ("guided", True)):
            out = os.path.join(work, name.split()[0])
            decoded = {split: decode_split(generator, discriminator, split_file_pattern(examples, split),
                                           single_shard_path(out, split), gen_config.temperature, guided)
                       for split in ("train", "eval")}
            l_chan, ab_true, ab_pred, temps = decoded["eval"]
            rgb_pred = inference.decode_to_rgb(l_chan, ab_pred).numpy()
            rgb_true = inference.decode_to_rgb(l_chan, ab_true).numpy()
            # the library's one measuring path: ΔCF is the field's, |mean CF - mean CF(truth)|
            row = measures.summarize(measure_images(Images(rgb_pred, rgb_true, ab_pred, ab_true, prior)))
            row.update(images=len(l_chan), temperatures={f"{t:.2f}": int(n) for t, n in zip(*np.unique(temps.round(2), return_counts=True))})
            aucs = []
            for seed in range(args.judges):
                config = dataclasses.replace(discriminator_config, steps=args.judge_steps, steps_per_epoch=args.judge_steps,
                                             seed=discriminator_config.seed + 1000 + seed)
                judge, _ = train_discriminator(config, split_file_pattern(examples, "train"),
                                               single_shard_path(out, "train"), None, None,
                                               os.path.join(work, f"judge_{name.split()[0]}_{seed}"))
                real = np.asarray(realness(judge(np.concatenate([l_chan, ab_true], -1), training=False)))
                colorized = np.asarray(realness(judge(np.concatenate([l_chan, ab_pred], -1), training=False)))
                aucs.append(metrics.roc_auc(real, colorized))
            row["detection_auc_fresh_discriminators"] = float(np.mean(aucs))
            row["detection_auc_per_judge"] = aucs
            table[name] = row
    keys = ["auc_raw", "auc_rebalanced", "colorfulness", "colorfulness_truth", "delta_cf", "per_image_delta_cf", "psnr",
            "ssim", "detection_auc_fresh_discriminators"]
    names = list(table)
    print(f"\n{'eval split (' + str(table[names[0]]['images']) + ' images)':32s}" + "".join(f"{n:>14s}" for n in names))
    for key in keys:
        print(f"{key:32s}" + "".join(f"{table[n].get(key, float('nan')):14.3f}" for n in names))
    print(f"{'temperatures chosen (guided)':32s} {table['guided']['temperatures']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(table, f, indent=1)
    return table


if __name__ == "__main__":
    main()
