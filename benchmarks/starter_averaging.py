"""Does averaging weights make the starter generalise better? One training run of the starter's
configuration gives three generators on one trajectory, so they compare paired (the seed, which
moves rebalanced AuC by up to 10 points on the card's sets, is the same for all three):

- raw: the last weights (what the starter ships today);
- ema: Keras' optimizer EMA of the weights (GeneratorConfig.ema_momentum);
- swa: the mean of the last --swa-epochs epoch-end weights (stochastic weight averaging, BN
  statistics averaged with them).

    python -m benchmarks.starter_averaging --records 'starter_root/records/Split-*/*' \\
        --out averaging --seed 0 [--config c1_all_w125_c96_6k_l8] [--steps N] [--ema 0.999] [--swa-epochs 4]
    python -m benchmarks.starter_sweep measure --photos starter_root/photos \\
        --prior 'PRIOR_DIR' --json averaging.json averaging/seed0/*/

Which tiles: --max-short 400 (only those cut near serving's scale), --repeat-short 400 3 (every
tile, those three times over), --keep-tiles 1215 (as many, drawn from every scale).

Run one process per seed (taskset -c N on 2 cores); the records: `colordisc preprocess
starter_root/photos/train --size 160 --output starter_root/records`. Results: docs/starter.md.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from benchmarks.starter_sweep import CONFIGS, _records


def _darkened(records: list[bytes], copies: int, seed: int, low: float = 0.35, high: float = 0.85,
              exposure: bool = False) -> list[bytes]:
    """`copies` more of each tile with L scaled by a random low-high and ab kept: a dusk-blue sky
    seen at the darkness of a sunset (the dark skies the starter paints orange).

    exposure: scale ab with L+16 instead. Lab is a cube root of XYZ, so dimming the light by k
    multiplies L+16, a and b by k^(1/3) alike: the tile as a shorter exposure would have shot it,
    its colours as dull as real dark scenes (keeping ab makes dark tiles more saturated than any
    photo of the dark)."""
    import numpy as np

    from colordisc_tf.data.record_format import decode_lab_example, encode_lab_example

    rng = np.random.default_rng(seed)
    out = []
    for record in records:
        tile = decode_lab_example(record)
        for _ in range(copies):
            lab = tile["lab"].copy()
            factor = rng.uniform(low, high)
            if exposure:
                lab[..., 1:] *= (lab[..., :1] * factor + 16.0) / (lab[..., :1] + 16.0)
            lab[..., 0] *= factor
            out.append(encode_lab_example(lab, tile["id"], tile["source"], tile["orig_height"], tile["orig_width"]))
    return out


def _short_side(record: bytes) -> int:
    from colordisc_tf.data.record_format import source_of
    from colordisc_tf.data.starter_photos import tile_short_side

    return tile_short_side(source_of(record))


def select_tiles(records: list[bytes], max_short: int = 0, repeat_short: tuple[int, int] | None = None,
                 keep_tiles: int = 0, seed: int = 0) -> list[bytes]:
    """The tiles a run trains on, by the scale each was cut at. Serving sees a photo at about 256 px,
    and most starter tiles are cut from 640-px copies (2026-12-05: docs/starter.md).

    max_short: only the tiles cut at a short side of at most this; repeat_short (SHORT, K): every
    tile, those cut at a short side of at most SHORT K times over; keep_tiles: this many drawn at
    random from every scale (max_short's control: as few tiles)."""
    import numpy as np

    if max_short:
        records = [r for r in records if _short_side(r) <= max_short]
    if repeat_short:
        limit, times = repeat_short
        records = [r for r in records for _ in range(times if _short_side(r) <= limit else 1)]
    if keep_tiles:
        keep = np.random.default_rng(seed).choice(len(records), keep_tiles, replace=False)
        records = [records[i] for i in sorted(keep)]
    return records


def train(args) -> None:
    os.environ["COLORDISC_RECORD_READER"] = "numpy"
    import keras
    import numpy as np

    from colordisc_tf.color import bins
    from colordisc_tf.config import GeneratorConfig, from_dict
    from colordisc_tf.data.color_prior import ColorPrior
    from colordisc_tf.data.record_format import read_ab
    from colordisc_tf.data.tfrecord_io import write_records
    from colordisc_tf.serve.saving import save_generator
    from colordisc_tf.train.generator import train_generator

    drop, width, crop, steps, lam = CONFIGS[args.config]
    args.steps = args.steps or steps
    out = os.path.join(args.out, f"seed{args.seed}")
    records = _records(args.records, drop)
    records = select_tiles(records, args.max_short, args.repeat_short, args.keep_tiles, args.seed)
    records += _darkened(records, args.darken, args.seed, *args.darken_range, exposure=args.exposure) if args.darken else []
    write_records(os.path.join(out, "work", "train.gz"), records)
    prior = ColorPrior(sum(bins.count_bins(read_ab(r)) for r in records), lam=lam, sigma=5.0)
    per_epoch = min(500, args.steps)
    config = from_dict(GeneratorConfig, {
        "width": width, "crop_size": crop, "batch_size": 16, "steps": args.steps, "steps_per_epoch": per_epoch,
        "learning_rate": 1e-3, "lr_decay": True, "ema_momentum": args.ema, "eval_batches": 0, "image_every": 0,
        "serving_size": 256, "seed": args.seed})
    epochs = args.steps // per_epoch
    snapshots: list[list[np.ndarray]] = []

    class Snapshots(keras.callbacks.Callback):
        # fit swaps the EMA in after the last epoch_end: the raw weights are read here
        def on_epoch_end(self, epoch, logs=None):
            if epoch >= epochs - args.swa_epochs:
                snapshots.append(self.model.get_weights())
            if args.every_epoch and epoch < epochs - 1:  # the learning curve on photos: a generator an epoch
                save_generator(self.model, config, os.path.join(out, f"s{args.seed}_e{epoch + 1:02d}"), export=False)

    start = time.time()
    model, history = train_generator(config, os.path.join(out, "work", "*.gz"), None, os.path.join(out, "work", "run"),
                                     prior=prior.prior, weights=prior.weights, callbacks=[Snapshots()])
    seconds = time.time() - start
    variants = {"raw": snapshots[-1], **({"ema": model.get_weights()} if args.ema else {}),
                "swa": [np.mean(ws, axis=0) for ws in zip(*snapshots)]}
    for name, weights in variants.items():
        bare = keras.models.clone_model(model)
        bare.set_weights(weights)
        save_generator(bare, config, os.path.join(out, f"s{args.seed}_{name}"), export=False)
    with open(os.path.join(out, "averaging.json"), "w") as f:
        json.dump({"config": args.config, "max_short": args.max_short, "repeat_short": args.repeat_short,
                   "keep_tiles": args.keep_tiles, "darken": args.darken, "darken_range": list(args.darken_range),
                   "exposure": args.exposure,
                   "seed": args.seed, "tiles": len(records), "steps": args.steps, "seconds": seconds,
                   "ema_momentum": args.ema, "swa_epochs": args.swa_epochs, "loss": history.get("loss")}, f)
    print(f"seed {args.seed}: {len(records)} tiles, {args.steps} steps in {seconds:.0f} s", flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", required=True, help="the Lab records of the starter tiles (a glob)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default="c1_all_w125_c96_6k_l8", choices=sorted(CONFIGS),
                        help="a starter_sweep configuration (default: the shipped starter's)")
    parser.add_argument("--steps", type=int, default=None, help="default: the configuration's")
    parser.add_argument("--ema", type=float, default=0.999, help="0: no EMA generator")
    parser.add_argument("--swa-epochs", type=int, default=4)
    parser.add_argument("--every-epoch", action="store_true",
                        help="also save the generator of every epoch end (s<seed>_e<epoch>): the learning curve")
    parser.add_argument("--max-short", type=int, default=0,
                        help="train only on tiles cut at a short side of at most this (0: every tile)")
    parser.add_argument("--repeat-short", type=int, nargs=2, default=None, metavar=("SHORT", "K"),
                        help="repeat the tiles cut at a short side of at most SHORT K times (every tile kept)")
    parser.add_argument("--keep-tiles", type=int, default=0,
                        help="train on this many tiles drawn at random (0: every tile)")
    parser.add_argument("--darken", type=int, default=0, help="darkened copies of each tile to add")
    parser.add_argument("--darken-range", type=float, nargs=2, default=(0.35, 0.85), metavar=("LOW", "HIGH"),
                        help="the darkened copies' L factor, drawn uniformly")
    parser.add_argument("--exposure", action="store_true",
                        help="darken as a shorter exposure would (ab scaled with L+16) instead of keeping ab")
    train(parser.parse_args(argv))


if __name__ == "__main__":
    main()
