"""The whole method at the full config's settings, on one GPU, on real photos (JAX backend, no TensorFlow).

    generator (ECCV16 width 1.0, 176² crops, batch 40, rebalanced soft-encoded CE)
      -> colorize every photo -> PatchGAN discriminator (width 64, 70x70 patches)
      -> failure filter (the train colorizations the discriminator finds least real: lowest quartile)
      -> TTUR adversarial fine-tune on failures + ordinary crops (both players learn)
      -> held-out photos: discriminator error / ROC AUC, fool rate, detection AUC of fresh discriminators
         base -> fine-tuned, raw / rebalanced AuC, colourfulness vs truth, ΔCF, PSNR
      -> a grid of the worst held-out failures: gray, base, fine-tuned, truth

Settings come from pipelines/configs/full.json (the model sizes, crops, batches, discriminator,
TTUR rates, lambda_adv, failure quantile, mix of ordinary crops); what cannot fit in a few
minutes is cut and said so in the output: each phase trains for a wall-clock budget
instead of the config's step count, and the generator's learning rate is raised (its
3e-5 is for 450k steps). Every model trains in `--precision` (mixed_bfloat16 by default).
The photos are split by photo (`<photo>__<tile>.jpg`: every tile of a photo in one split).

    KERAS_BACKEND=jax python -m benchmarks.gpu_method --photos DIR --out OUT
    # CPU smoke run of the same code (tiny sizes):
    JAX_PLATFORMS=cpu KERAS_BACKEND=jax python -m benchmarks.gpu_method \
        --photos DIR --out OUT --smoke
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import hashlib
import json
import os
import time

import numpy as np



# ----------------------------------------------------------------------------- data


def photo_of(path: str) -> str:
    return os.path.basename(path).split("__")[0]


def load_photos(folder: str, eval_percent: int):
    """{split: (L (N, S, S, 1), ab (N, S, S, 2), names)}; split by a hash of the photo name."""
    from PIL import Image

    from colordisc_tf.color.srgb8 import srgb8_to_lab

    paths = sorted(glob.glob(os.path.join(folder, "*.jpg")) + glob.glob(os.path.join(folder, "*.png")))
    if not paths:
        raise SystemExit(f"no .jpg/.png photos in {folder}")
    splits = {"train": [], "eval": []}
    for path in paths:
        bucket = int(hashlib.sha256(photo_of(path).encode()).hexdigest(), 16) % 100
        splits["eval" if bucket < eval_percent else "train"].append(path)
    out = {}
    for split, files in splits.items():
        lab = np.stack([srgb8_to_lab(np.asarray(Image.open(p).convert("RGB"))) for p in files]).astype(np.float32)
        out[split] = (lab[..., :1], lab[..., 1:], [os.path.basename(p) for p in files])
    return out


class DeviceCrops:
    """Random crops (and horizontal flips) cut on the device from photos uploaded once: the
    host only splits random keys, so the data never stalls the GPU (cutting 176-px crops in
    NumPy held the discriminator to 18 steps/s in the first run)."""

    def __init__(self, lab: np.ndarray, crop: int, seed: int):
        import jax
        import jax.numpy as jnp

        self.images = jnp.asarray(lab)
        self.all = jnp.arange(len(lab))
        self.key = jax.random.PRNGKey(seed)
        n, h, w, c = lab.shape

        def cut(images, key, index, batch):
            k_pick, k_y, k_x, k_flip = jax.random.split(key, 4)
            pick = index[jax.random.randint(k_pick, (batch,), 0, index.shape[0])]
            ys = jax.random.randint(k_y, (batch,), 0, h - crop + 1)
            xs = jax.random.randint(k_x, (batch,), 0, w - crop + 1)
            flips = jax.random.bernoulli(k_flip, 0.5, (batch,))

            def one(i, y, x, flip):
                patch = jax.lax.dynamic_slice(images[i], (y, x, 0), (crop, crop, c))
                return jnp.where(flip, patch[:, ::-1], patch)

            return jax.vmap(one)(pick, ys, xs, flips)

        self._cut = jax.jit(cut, static_argnums=3)

    def __call__(self, batch: int, index=None):
        import jax

        self.key, key = jax.random.split(self.key)
        return self._cut(self.images, key, self.all if index is None else index, batch)


# ----------------------------------------------------------------------------- device helpers


def gpu_memory() -> dict:
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    return {"peak_gib_so_far": stats.get("peak_bytes_in_use", 0) / 2**30, "in_use_gib": stats.get("bytes_in_use", 0) / 2**30}


class Deadline:
    """Stops `fit` at the first epoch end after `seconds` (a batch-end hook would make Keras
    copy every step's logs to the host, a sync that stalls the device queue)."""

    def __new__(cls, seconds: float):
        import keras

        class _Deadline(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.end = time.perf_counter() + seconds

            def on_epoch_end(self, epoch, logs=None):
                if time.perf_counter() > self.end:
                    self.model.stop_training = True

        return _Deadline()


def timed_fit(model, batches, seconds: float, steps_per_epoch: int = 50, max_steps: int = 10**7):
    """Fits until the time budget runs out; returns (steps, seconds, steps/s after the first epoch)."""
    start = time.perf_counter()
    first = model.fit(batches, steps_per_epoch=steps_per_epoch, epochs=1, verbose=0)  # compiles
    compiled = time.perf_counter()
    before = _iterations(model)
    history = model.fit(batches, steps_per_epoch=steps_per_epoch, epochs=max(1, max_steps // steps_per_epoch),
                        verbose=0, callbacks=[Deadline(max(0.0, seconds - (compiled - start)))])
    end = time.perf_counter()
    steps = _iterations(model)
    losses = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    return {"steps": steps, "seconds": end - start, "compile_and_first_epoch_s": compiled - start,
            "steps_per_s": (steps - before) / (end - compiled),
            "first_losses": {k: float(v[0]) for k, v in first.history.items()},
            "last_losses": {k: v[-1] for k, v in losses.items()}}


def _iterations(model) -> int:
    import keras

    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


def colorize_all(model, l_chan, temperature: float, batch: int = 32):
    from benchmarks.gpu_step import keras_infer_fn

    colorize = keras_infer_fn(model, l_chan.shape[1], temperature)
    out = [colorize(l_chan[i:i + batch]) for i in range(0, len(l_chan), batch)]
    return np.concatenate(out)


def discriminator_scores(discriminator, lab, batch: int = 32):
    import jax

    from colordisc_tf.models.discriminator import realness

    trainable = [v.value for v in discriminator.trainable_variables]
    non_trainable = [v.value for v in discriminator.non_trainable_variables]

    @jax.jit
    def score(x):
        logits, _ = discriminator.stateless_call(trainable, non_trainable, x, training=False)
        return realness(logits)

    return np.concatenate([np.asarray(score(lab[i:i + batch])) for i in range(0, len(lab), batch)])


def train_discriminator(config, real, colorized, seconds, seed):
    """A PatchGAN discriminator on random crops: half real Lab, half colorized Lab of the same photos."""
    import keras

    from colordisc_tf.train.losses import PatchBCE
    from colordisc_tf.models import build_discriminator
    from colordisc_tf.models.precision import at_precision

    keras.utils.set_random_seed(seed)
    discriminator = at_precision(build_discriminator(config.width, config.depth, config.global_pool), config.precision)
    discriminator.compile(keras.optimizers.Adam(config.learning_rate, beta_1=config.beta_1), PatchBCE(), jit_compile=True)
    import jax.numpy as jnp

    real_crops, colorized_crops = DeviceCrops(real, config.crop_size, seed), DeviceCrops(colorized, config.crop_size, seed + 1)
    half = config.batch_size // 2
    labels = jnp.asarray(np.concatenate([np.ones(half), np.zeros(half)]).astype("float32"))

    def batches():
        while True:
            yield jnp.concatenate([real_crops(half), colorized_crops(half)]), labels

    return discriminator, timed_fit(discriminator, batches(), seconds)


def rgb(lab):
    import warnings

    from skimage.color import lab2rgb

    with warnings.catch_warnings():  # out-of-gamut predictions: clipped, as intended
        warnings.simplefilter("ignore")
        return np.stack([(np.clip(lab2rgb(x.astype(np.float64)), 0, 1) * 255).round().astype(np.uint8) for x in lab])


def image_metrics(lab_pred, lab_true, prior) -> dict:
    from colordisc_tf import metrics

    rgb_pred, rgb_true = rgb(lab_pred), rgb(lab_true)
    return {
        "auc_raw": metrics.auc_raw_accuracy(lab_pred[..., 1:], lab_true[..., 1:]),
        "auc_rebalanced": metrics.auc_rebalanced(lab_pred[..., 1:], lab_true[..., 1:], prior),
        "colorfulness": float(metrics.colorfulness(rgb_pred).mean()),
        "colorfulness_truth": float(metrics.colorfulness(rgb_true).mean()),
        "delta_cf": float(metrics.delta_colorfulness(rgb_pred, rgb_true).mean()),
        "psnr": float(np.mean(np.minimum(metrics.psnr(rgb_pred, rgb_true), 100.0))),
    }


def grid(rows: dict, path: str):
    """One row per image: gray, base, fine-tuned, truth."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = list(rows)
    n = len(rows[titles[0]])
    fig, axes = plt.subplots(n, len(titles), figsize=(2.2 * len(titles), 2.2 * n), squeeze=False)
    for c, title in enumerate(titles):
        for r in range(n):
            axes[r, c].imshow(rows[title][r])
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
        axes[0, c].set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


# ----------------------------------------------------------------------------- the method


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", required=True, help="folder of 256-px tiles named <photo>__<tile>.jpg")
    parser.add_argument("--out", required=True)
    parser.add_argument("--config", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                         "pipelines", "configs", "full.json"))
    parser.add_argument("--budget", type=float, default=330.0, help="seconds of training, all phases together")
    parser.add_argument("--eval-percent", type=int, default=20)
    parser.add_argument("--generator-lr", type=float, default=3e-4)
    parser.add_argument("--precision", default="mixed_bfloat16")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, a few seconds per phase (CPU check)")
    args = parser.parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    os.makedirs(args.out, exist_ok=True)
    import jax

    jax.config.update("jax_compilation_cache_dir", "/tmp/jax_cache")  # fresh discriminators reuse the compile
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    import keras

    from colordisc_tf import metrics
    from colordisc_tf.color import bins, rebalance
    from colordisc_tf.config import Decoding, load_config
    from colordisc_tf.train.finetune import adversarial_batch, build_adversarial, compile_adversarial
    from colordisc_tf.train.losses import RebalancedCrossEntropy
    from colordisc_tf.models import build_generator
    from colordisc_tf.models.precision import at_precision

    config = load_config(args.config)
    gen_cfg = dataclasses.replace(config.generator, precision=args.precision, learning_rate=args.generator_lr)
    dis_cfg = dataclasses.replace(config.discriminator, precision=args.precision)
    ft_cfg = dataclasses.replace(config.finetune, precision=args.precision)
    share = {"generator": 0.42, "discriminator": 0.12, "finetune": 0.26, "fresh_discriminators": 0.2}
    if args.smoke:
        gen_cfg = dataclasses.replace(gen_cfg, width=0.0625, crop_size=32, batch_size=4)
        dis_cfg = dataclasses.replace(dis_cfg, width=8, crop_size=32, batch_size=8)
        ft_cfg = dataclasses.replace(ft_cfg, crop_size=32, batch_size=4)
    budget = {k: v * args.budget for k, v in share.items()}
    report = {"device": str(jax.devices()[0]), "jax": jax.__version__, "keras": keras.__version__,
              "precision": args.precision, "budget_s": budget, "phases": {},
              "settings": {"generator": dataclasses.asdict(gen_cfg), "discriminator": dataclasses.asdict(dis_cfg),
                           "finetune": dataclasses.asdict(ft_cfg), "failure_quantile": config.failure_quantile},
              "cut": "steps: wall-clock budgets per phase instead of the config's step counts; generator "
                     f"learning rate {args.generator_lr} instead of {config.generator.learning_rate} (450k steps)"}

    def save():
        with open(os.path.join(args.out, "method.json"), "w") as f:
            json.dump(report, f, indent=1, default=float)

    def phase(name, **values):
        report["phases"][name] = {**values, **gpu_memory()}
        print(f"[{time.perf_counter() - t0:6.1f}s] {name}: {json.dumps(report['phases'][name], default=float)}",
              flush=True)
        save()

    t0 = time.perf_counter()
    data = load_photos(args.photos, args.eval_percent)
    (l_tr, ab_tr, _), (l_ev, ab_ev, names_ev) = data["train"], data["eval"]
    photos = {s: sorted({photo_of(n) for n in data[s][2]}) for s in data}
    counts = bins.count_bins(np.clip(np.round(ab_tr), -128, 127).astype(np.int8))
    prior = counts / counts.sum()
    weights = rebalance.rebalance_weights(prior, config.prior.lam, config.prior.sigma)
    phase("data", train_tiles=len(l_tr), eval_tiles=len(l_ev), train_photos=len(photos["train"]),
          eval_photos=len(photos["eval"]), tile=int(l_tr.shape[1]), bins_seen=int(np.count_nonzero(counts)))
    report["eval_photos"] = photos["eval"]

    # 1. The colorizer.
    keras.utils.set_random_seed(gen_cfg.seed)
    generator = at_precision(build_generator(gen_cfg.width), gen_cfg.precision)
    lr = keras.optimizers.schedules.CosineDecay(gen_cfg.learning_rate, decay_steps=int(60 * budget["generator"]),
                                                alpha=0.1)
    generator.compile(keras.optimizers.Adam(lr), RebalancedCrossEntropy(weights, k=gen_cfg.k, sigma=gen_cfg.sigma),
                      jit_compile=True)

    real_crops = DeviceCrops(np.concatenate([l_tr, ab_tr], -1), gen_cfg.crop_size, gen_cfg.seed)

    def gen_batches():
        while True:
            lab = real_crops(gen_cfg.batch_size)
            yield lab[..., :1], lab[..., 1:]

    stats = timed_fit(generator, gen_batches(), budget["generator"], steps_per_epoch=100)
    phase("generator", **stats, crops_per_s=stats["steps_per_s"] * gen_cfg.batch_size)

    # 2. Colorize every tile; the discriminator learns real vs colorized on the train photos.
    t = time.perf_counter()
    T = gen_cfg.temperature
    colorized_tr = np.concatenate([l_tr, colorize_all(generator, l_tr, T)], -1)
    colorized_ev_base = np.concatenate([l_ev, colorize_all(generator, l_ev, T)], -1)
    real_tr, real_ev = np.concatenate([l_tr, ab_tr], -1), np.concatenate([l_ev, ab_ev], -1)
    phase("colorize", seconds=time.perf_counter() - t, tiles=len(colorized_tr) + len(colorized_ev_base),
          tiles_per_s=(len(colorized_tr) + len(colorized_ev_base)) / (time.perf_counter() - t))
    discriminator, stats = train_discriminator(dis_cfg, real_tr, colorized_tr, budget["discriminator"], dis_cfg.seed)
    real_s, colorized_s = discriminator_scores(discriminator, real_ev), discriminator_scores(discriminator, colorized_ev_base)
    phase("discriminator", **stats, heldout_error=metrics.discriminator_error(real_s, colorized_s),
          heldout_roc_auc=metrics.roc_auc(real_s, colorized_s), heldout_real=len(real_s), heldout_colorized=len(colorized_s))

    # 3. Failure filter: the train colorizations the discriminator finds least real.
    train_scores = discriminator_scores(discriminator, colorized_tr)
    cut = float(np.quantile(train_scores, config.failure_quantile))
    failures = np.flatnonzero(train_scores <= cut)
    phase("failure_filter", quantile=config.failure_quantile, threshold=cut, failures=len(failures),
          of=len(train_scores))

    # 4. TTUR fine-tune on failures mixed with ordinary crops; the discriminator learns alongside.
    discriminator_weights = [w.copy() for w in discriminator.get_weights()]
    keras.utils.set_random_seed(ft_cfg.seed)
    ttur = ft_cfg.discriminator_learning_rate > 0
    model = compile_adversarial(build_adversarial(generator, discriminator, Decoding(T), train_discriminator=ttur), ft_cfg,
                                Decoding(T), weights)
    import jax.numpy as jnp

    ft_crops = DeviceCrops(real_tr, ft_cfg.crop_size, ft_cfg.seed)
    failure_index = jnp.asarray(failures)
    n_fail = int(round(ft_cfg.batch_size * (1 - ft_cfg.mix_ordinary)))

    def ft_batches():
        while True:
            lab = jnp.concatenate([ft_crops(n_fail, failure_index), ft_crops(ft_cfg.batch_size - n_fail)])
            yield adversarial_batch(lab[..., :1], lab[..., 1:], ttur)

    stats = timed_fit(model, ft_batches(), budget["finetune"])
    phase("finetune", **stats, crops_per_s=stats["steps_per_s"] * ft_cfg.batch_size, ttur=ttur)
    colorized_ev_finetuned = np.concatenate([l_ev, colorize_all(generator, l_ev, T)], -1)
    colorized_tr_finetuned = np.concatenate([l_tr, colorize_all(generator, l_tr, T)], -1)
    discriminator.set_weights(discriminator_weights)  # the base discriminator judges both generators

    # 5. Held-out comparison.
    base_s, tuned_s = discriminator_scores(discriminator, colorized_ev_base), discriminator_scores(discriminator, colorized_ev_finetuned)
    worst = np.argsort(base_s)[:max(1, int(round(len(base_s) * config.failure_quantile)))]
    results = {}
    for name, colorized, scores in (("base", colorized_ev_base, base_s), ("finetuned", colorized_ev_finetuned, tuned_s)):
        results[name] = {**image_metrics(colorized, real_ev, prior), "fool_rate": metrics.fool_rate(scores),
                         "mean_realness": float(scores.mean()),
                         "fool_rate_on_eval_failures": metrics.fool_rate(scores[worst]),
                         "discriminator_error": metrics.discriminator_error(real_s, scores),
                         "discriminator_roc_auc": metrics.roc_auc(real_s, scores)}
    report["heldout"] = results
    phase("heldout_metrics", eval_failures=len(worst))

    # 6. Fresh discriminators, one per generator, trained the same way on its own train colorizations:
    # how well can a new discriminator still tell that generator's held-out colorizations from photos?
    per = budget["fresh_discriminators"] / 2
    for name, colorized_train, colorized_eval in (("base", colorized_tr, colorized_ev_base), ("finetuned", colorized_tr_finetuned, colorized_ev_finetuned)):
        fresh, stats = train_discriminator(dis_cfg, real_tr, colorized_train, per, dis_cfg.seed + 100)
        r, f = discriminator_scores(fresh, real_ev), discriminator_scores(fresh, colorized_eval)
        results[name].update(detection_auc_fresh_discriminator=metrics.roc_auc(r, f),
                             detection_auc_fresh_discriminator_eval_failures=metrics.roc_auc(r, f[worst]),
                             fresh_discriminator_steps=stats["steps"])
        phase(f"fresh_discriminator_{name}", **stats)

    # 7. The worst held-out failures, before and after.
    show = worst[:6]
    grid({"gray": rgb(np.concatenate([l_ev[show], 0 * ab_ev[show]], -1)),
          "base": rgb(colorized_ev_base[show]), "fine-tuned": rgb(colorized_ev_finetuned[show]), "truth": rgb(real_ev[show])},
         os.path.join(args.out, "worst_failures.png"))
    report["grid"] = {"file": "worst_failures.png", "tiles": [names_ev[i] for i in show],
                      "base_realness": [float(base_s[i]) for i in show],
                      "finetuned_realness": [float(tuned_s[i]) for i in show]}
    report["total_s"] = time.perf_counter() - t0
    save()
    _print_table(report)
    return report


def _print_table(report):
    heldout = report["heldout"]
    keys = ["discriminator_error", "discriminator_roc_auc", "fool_rate", "fool_rate_on_eval_failures", "detection_auc_fresh_discriminator",
            "detection_auc_fresh_discriminator_eval_failures", "auc_raw", "auc_rebalanced", "colorfulness",
            "colorfulness_truth", "delta_cf", "psnr"]
    print(f"\n{'held-out (' + str(report['phases']['data']['eval_tiles']) + ' tiles)':44s} {'base':>9s} {'fine-tuned':>11s}")
    for key in keys:
        b, t = heldout["base"].get(key, float("nan")), heldout["finetuned"].get(key, float("nan"))
        print(f"{key:44s} {b:9.3f} {t:11.3f}")
    for name in ("generator", "discriminator", "finetune"):
        p = report["phases"][name]
        print(f"{name:12s} {p['steps']:6d} steps  {p['steps_per_s']:7.2f} steps/s  peak so far {p['peak_gib_so_far']:.1f} GiB")
    print(f"total {report['total_s']:.0f} s")


if __name__ == "__main__":
    main()
