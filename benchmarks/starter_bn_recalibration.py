"""Re-estimate a generator's BatchNorm statistics for the weights it has: the check behind
docs/starter.md's "EMA with BN statistics re-estimated". Keras' optimizer EMA averages only the
trainable weights, so an EMA generator carries moving statistics gathered for other weights;
this runs --batches training batches through it in training mode (forward only: BN's moving
statistics follow them, momentum 0.99, nothing else changes) and saves the result.

    python -m benchmarks.starter_bn_recalibration MODEL_DIR OUT_DIR \\
        --records 'starter_root/averaging/seed0/work/train.gz' [--batches 600]

Then measure OUT_DIR beside MODEL_DIR with `benchmarks.starter_sweep measure`.
"""

from __future__ import annotations

import argparse
import itertools
import os


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a generator model directory (generator.keras + config.json)")
    parser.add_argument("out", help="where the re-estimated generator goes")
    parser.add_argument("--records", required=True, help="the training records (a glob)")
    parser.add_argument("--batches", type=int, default=600, help="~5 BN time constants at momentum 0.99")
    parser.add_argument("--seed", type=int, default=123)
    args = parser.parse_args(argv)
    os.environ.setdefault("COLORDISC_RECORD_READER", "numpy")
    from colordisc_tf.serve.saving import load_generator, save_generator
    from colordisc_tf.train import inputs

    model, config = load_generator(args.model)
    batches = inputs.lab_batches(args.records, config.batch_size, crop_size=config.crop_size, random_crop=True,
                                 random_flip=config.random_flip, shuffle_buffer=512, repeat=True, seed=args.seed,
                                 drop_remainder=True)
    for lightness, _ in itertools.islice(iter(batches), args.batches):
        model(lightness, training=True)
    save_generator(model, config, args.out, export=False)
    print(f"{args.model}: BN statistics re-estimated on {args.batches} batches -> {args.out}", flush=True)


if __name__ == "__main__":
    main()
