"""Training and inference img/s of our Keras ECCV16 generator on JAX vs its PyTorch twin, one GPU.

For the GPU host (JAX + PyTorch, no TensorFlow needed). Same process, same card, same
sizes, same layer table (tests/reference/eccv16_torch.py), same data on the device:

  train      forward + cross entropy on the 313 logits + backward + Adam, at `--crop`²,
             batch `--batch`; Keras runs the train function `fit` runs (jitted, donated
             state), PyTorch a plain loop (channels-last, cuDNN autotuning on).
  infer      forward + annealed-mean decode (T=0.38) + bilinear upsampling, at `--size`²,
             batch `--infer-batch`, only ab copied to the host; Keras through
             colordisc_tf.color.keras_ops.decode_ab, the decode the SavedModels use.

Each in float32 (TF32 matrix units on both) and bf16 (Keras `mixed_bfloat16`, PyTorch
autocast). Prints img/s, Keras / PyTorch at the same precision, and the fraction of the
bf16 limit: the card's measured bf16 matrix rate over the model's FLOPs (training ≈ 3 x
forward). `--variants` also times layer-table variants of the Keras model (no BatchNorm,
the transposed conv as a sub-pixel conv) to find where the time goes; a third one, "same"
padding at stride 1 instead of a separate pad layer, measured +3.9 % and is now the model.
`--profile DIR` writes a JAX trace of the bf16 train step.

    KERAS_BACKEND=jax python -m benchmarks.gpu_step --json out.json
    # a CPU smoke run of the same code:
    JAX_PLATFORMS=cpu KERAS_BACKEND=jax python -m benchmarks.gpu_step \
        --width 0.0625 --crop 32 --batch 2 --size 32 --infer-batch 2 --steps 2
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from benchmarks.harness import images_per_second, load_twin, write_json

T = 0.38


# ----------------------------------------------------------------------------- Keras / JAX


def keras_generator(width: float, precision: str, variant: str = "as_is", size: int | None = None):
    from colordisc_tf.models import build_generator
    from colordisc_tf.models.precision import at_precision

    if variant == "as_is":
        return at_precision(build_generator(width), precision)
    import keras

    keras.config.set_dtype_policy(precision)  # built in its precision (a Lambda cannot be re-created)
    try:
        return _variant_generator(width, variant, size)
    finally:
        keras.config.set_dtype_policy("float32")


def _variant_generator(width, variant, size):
    """The layer table with one thing changed: where a variant is much faster, that thing is slow."""
    import keras
    from keras import layers

    from colordisc_tf.color.bins import NUM_BINS
    from colordisc_tf.models.generator import ECCV16_BLOCKS, _channels
    from colordisc_tf.models.precision import Float32

    l_in = keras.Input((size, size, 1))
    x = layers.Rescaling(0.01, offset=-0.5)(l_in)
    for _, channels, convs, last_stride, dilation, _bn in ECCV16_BLOCKS:
        for i in range(convs):
            stride = last_stride if i == convs - 1 else 1
            if stride == 1:
                x = layers.Conv2D(_channels(channels, width), 3, padding="same", dilation_rate=dilation)(x)
            else:
                x = layers.ZeroPadding2D(dilation)(x)
                x = layers.Conv2D(_channels(channels, width), 3, strides=stride, dilation_rate=dilation)(x)
            x = layers.ReLU()(x)
        if variant != "no_batchnorm":
            x = layers.BatchNormalization(epsilon=1e-5, momentum=0.9)(x)
    c8 = _channels(256, width)
    if variant == "subpixel_upsampling":  # same output size and FLOPs as the 4x4/2 transposed conv
        x = layers.Conv2D(4 * c8, 2, padding="same")(x)
        x = layers.Lambda(_depth_to_space)(x)
    else:
        x = layers.Conv2DTranspose(c8, 4, strides=2, padding="valid")(x)
        x = layers.Cropping2D(1)(x)
    x = layers.ReLU()(x)
    for _ in range(2):
        x = layers.Conv2D(c8, 3, padding="same", activation="relu")(x)
    return keras.Model(l_in, Float32()(layers.Conv2D(NUM_BINS, 1)(x)))


def _depth_to_space(t):
    from keras import ops

    b, h, w, c = ops.shape(t)
    t = ops.reshape(t, (b, h, w, 2, 2, c // 4))
    t = ops.transpose(t, (0, 1, 3, 2, 4, 5))
    return ops.reshape(t, (b, h * 2, w * 2, c // 4))


def keras_train_rate(model, x, y, loss, steps):
    """img/s of the train step `fit` runs: jitted, state donated, batches already on the device."""
    import keras

    model.compile(keras.optimizers.Adam(1e-4), loss, jit_compile=True)

    def batches():
        while True:
            yield x, y

    def run(n):
        model.fit(batches(), steps_per_epoch=n, epochs=1, verbose=0)  # ends with a state sync: blocks

    return images_per_second(run, steps, x.shape[0])


def keras_train_on_batch_rate(model, x, y, steps):
    """The issue's first measurement: train_on_batch (state synced and loss copied out every step)."""

    def run(n):
        for _ in range(n):
            model.train_on_batch(x, y)

    return images_per_second(run, steps, x.shape[0])


def keras_infer_fn(model, size, temperature: float = T):
    """A jitted colorizer: L batch on the device -> ab on the host; logits never leave the device."""
    import jax

    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.color.keras_ops import decode_ab

    @jax.jit
    def colorize(trainable, non_trainable, l_batch):
        logits, _ = model.stateless_call(trainable, non_trainable, l_batch, training=False)
        return decode_ab(logits, (size, size), Decoding(temperature))

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    return lambda l_batch: np.asarray(colorize(trainable, non_trainable, l_batch))  # ab to the host


def keras_infer_rate(model, size, batch, steps):
    import jax.numpy as jnp

    l_batch = jnp.asarray(np.random.default_rng(0).uniform(0, 100, (batch, size, size, 1)).astype("float32"))
    colorize = keras_infer_fn(model, size)

    def run(n):
        for _ in range(n):
            colorize(l_batch)

    return images_per_second(run, steps, batch)


def generator_flops(width: float, size: int) -> float:
    """Forward FLOPs of one image (2 per multiply-add) from the Keras model's own layer shapes."""
    import keras

    from colordisc_tf.models import build_generator

    model = build_generator(width, input_shape=(size, size, 1))
    total = 0.0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2DTranspose):  # each input pixel scatters a k x k x Cout patch
            h, w, cin = layer.input.shape[1:]
            total += 2.0 * h * w * cin * layer.filters * np.prod(layer.kernel_size)
        elif isinstance(layer, keras.layers.Conv2D):
            h, w, cout = layer.output.shape[1:]
            total += 2.0 * h * w * cout * layer.input.shape[-1] * np.prod(layer.kernel_size)
    return total


# ----------------------------------------------------------------------------- PyTorch


def torch_rates(width, crop, batch, size, infer_batch, steps, bf16: bool):
    import torch
    import torch.nn.functional as F
    eccv16_torch = load_twin("eccv16_torch").eccv16_torch

    from colordisc_tf.color.bins import AB_BINS

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    model = eccv16_torch(width).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-0.5, 0.5, (batch, 1, crop, crop)).astype(np.float32)).to(device)
    x = x.contiguous(memory_format=torch.channels_last)
    y = torch.from_numpy(rng.integers(0, 313, (batch, crop // 4, crop // 4))).to(device)
    autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=bf16)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def train(n):
        model.train()
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            with autocast:
                loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        sync()

    bins = torch.from_numpy(AB_BINS.astype(np.float32)).to(device)
    xi = torch.from_numpy(rng.uniform(-0.5, 0.5, (infer_batch, 1, size, size)).astype(np.float32)).to(device)
    xi = xi.contiguous(memory_format=torch.channels_last)

    @torch.no_grad()
    def infer(n):
        model.eval()
        for _ in range(n):
            with autocast:
                logits = model(xi)
            probs = torch.softmax(logits.float() / T, dim=1)
            ab = F.interpolate(torch.einsum("bqhw,qc->bchw", probs, bins), size=(size, size), mode="bilinear",
                               align_corners=False)
            ab.cpu()

    return images_per_second(train, steps, batch), images_per_second(infer, steps, infer_batch)


def bf16_matmul_tflops() -> float:
    """The card's bf16 matrix rate on random data (8192³, PyTorch)."""
    import torch

    if not torch.cuda.is_available():
        return float("nan")
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(20):
        a @ b
    torch.cuda.synchronize()
    return 20 * 2 * 8192**3 / (time.perf_counter() - start) / 1e12


# ----------------------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--crop", type=int, default=176)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--size", type=int, default=256, help="inference side")
    parser.add_argument("--infer-batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20, help="steps per timing (best of 3)")
    parser.add_argument("--variants", action="store_true", help="also time the layer-table variants (bf16)")
    parser.add_argument("--profile", help="write a JAX trace of 3 bf16 train steps here")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import jax
    import jax.numpy as jnp
    import keras

    from colordisc_tf.train.losses import RebalancedCrossEntropy

    results = {"device": str(jax.devices()[0]), "keras": keras.__version__, "jax": jax.__version__,
               "backend": keras.backend.backend(), "args": vars(args), "rows": []}
    try:
        import torch

        results["torch"] = torch.__version__
    except ImportError:
        torch = None
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(0, 100, (args.batch, args.crop, args.crop, 1)).astype("float32"))
    y = jnp.asarray(rng.integers(0, 313, (args.batch, args.crop // 4, args.crop // 4)).astype("int32"))
    ab = jnp.asarray(rng.uniform(-60, 60, (args.batch, args.crop, args.crop, 2)).astype("float32"))
    sparse_ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def row(name, framework, precision, train=None, infer=None, **extra):
        results["rows"].append({"name": name, "framework": framework, "precision": precision, "train_img_s": train,
                                "infer_img_s": infer, **extra})
        print(f"{name:38s} train {train or float('nan'):8.1f} img/s   infer {infer or float('nan'):8.1f} img/s",
              flush=True)

    def keras_pair(precision):
        model = keras_generator(args.width, precision)
        row(f"keras/jax {precision}", "keras", precision, keras_train_rate(model, x, y, sparse_ce, args.steps),
            keras_infer_rate(model, args.size, args.infer_batch, args.steps))
        return model

    def torch_pair(bf16):
        precision = "bf16 autocast" if bf16 else "float32"
        row(f"pytorch {precision}", "torch", precision,
            *torch_rates(args.width, args.crop, args.batch, args.size, args.infer_batch, args.steps, bf16))

    def rebalanced_and_profile():
        model = keras_generator(args.width, "mixed_bfloat16")
        row("keras/jax bf16, rebalanced soft-encoded CE", "keras", "mixed_bfloat16",
            keras_train_rate(model, x, ab, RebalancedCrossEntropy(np.ones(313, np.float32)), args.steps),
            loss="rebalanced_ce")
        if args.profile:
            import jax.profiler

            with jax.profiler.trace(args.profile):
                model.fit(((x, ab) for _ in iter(int, 1)), steps_per_epoch=3, epochs=1, verbose=0)

    def variant(name):
        model = keras_generator(args.width, "mixed_bfloat16", name, args.crop)
        row(f"keras/jax bf16, variant {name}", "keras", "mixed_bfloat16",
            keras_train_rate(model, x, y, sparse_ce, args.steps), variant=name)

    # Most wanted first: a run cut short by its time limit keeps the headline rows (saved after each).
    stages = [lambda: results.__setitem__("bf16_model", keras_pair("mixed_bfloat16"))]
    if torch is not None:
        stages += [lambda: torch_pair(True), lambda: torch_pair(False)]
    stages += [lambda: row("keras/jax bf16, train_on_batch", "keras", "mixed_bfloat16",
                           keras_train_on_batch_rate(results.pop("bf16_model"), x, y, args.steps),
                           loop="train_on_batch"),
               rebalanced_and_profile, lambda: keras_pair("float32")]
    if args.variants:
        stages += [lambda name=name: variant(name) for name in ("no_batchnorm", "subpixel_upsampling")]
    _summary(args, results, torch is not None)
    for stage in stages:
        try:
            stage()
        except Exception as e:  # one failed stage (a profiler without CUPTI, say) keeps the others
            print(f"stage failed: {type(e).__name__}: {e}", flush=True)
            results.setdefault("failed", []).append(f"{type(e).__name__}: {e}")
        _summary(args, results, torch is not None, quiet=True)
    return _summary(args, results, torch is not None)


def _summary(args, results, have_torch: bool, quiet: bool = False):
    """Ratios and the bf16 limit; writes --json (called after every stage)."""
    if "bf16_matmul_tflops" not in results:
        flops = generator_flops(args.width, args.crop)
        tflops = bf16_matmul_tflops() if have_torch else float("nan")
        results.update(forward_gflop_per_crop=flops / 1e9, bf16_matmul_tflops=tflops,
                       bf16_train_limit_img_s=tflops * 1e12 / (3 * flops))
    flops, tflops = results["forward_gflop_per_crop"] * 1e9, results["bf16_matmul_tflops"]
    limit = results["bf16_train_limit_img_s"]
    say = (lambda *a: None) if quiet else print
    by = {(r["framework"], r["precision"]): r for r in results["rows"] if "variant" not in r and "loss" not in r
          and "loop" not in r}
    say(f"\nforward {flops / 1e9:.1f} GFLOP per {args.crop}² crop; bf16 matrix rate {tflops:.0f} TFLOP/s "
          f"-> bf16 training limit {limit:.0f} img/s")
    for ours, theirs in ((("keras", "float32"), ("torch", "float32")),
                         (("keras", "mixed_bfloat16"), ("torch", "bf16 autocast"))):
        if ours in by and theirs in by:
            k, t = by[ours], by[theirs]
            ratios = {"train_ratio": k["train_img_s"] / t["train_img_s"], "infer_ratio": k["infer_img_s"] / t["infer_img_s"],
                      "train_fraction_of_limit": k["train_img_s"] / limit}
            results.setdefault("ratios", {})[ours[1]] = ratios
            say(f"Keras/JAX {ours[1]:15s} / PyTorch {theirs[1]:14s}: train {ratios['train_ratio']:.2f}x  "
                  f"infer {ratios['infer_ratio']:.2f}x   (train at {100 * ratios['train_fraction_of_limit']:.0f} % "
                  f"of the bf16 limit; PyTorch at {100 * t['train_img_s'] / limit:.0f} %)")
    write_json(args.json, {k: v for k, v in results.items() if k != "bf16_model"})
    return results


if __name__ == "__main__":
    main()
