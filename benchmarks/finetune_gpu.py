"""Steps/s of the adversarial fine-tune step under KERAS_BACKEND=jax, GPU vs CPU.

For a GPU host with JAX but no TensorFlow. Needs only: keras, jax (CUDA build on the
GPU host), numpy, and this repository's colordisc_tf/ folder on PYTHONPATH.

    # here (TensorFlow available): pack demo crops into a small npz
    .venv/bin/python -m benchmarks.finetune_gpu pack --examples pipeline_root/LabExampleGen/examples/<id> \
        --output demo_crops.npz
    # on the GPU host
    KERAS_BACKEND=jax python -m benchmarks.finetune_gpu run --data demo_crops.npz

`run` times the same step on every platform JAX sees (gpu, then cpu), each in a fresh
process, and prints steps/s and the ratio. `--discriminator-lr 4e-4` times the TTUR step
(discriminator learning too) instead of the fixed-discriminator one.
"""

import argparse
import json
import os
import subprocess
import sys
import time


def pack(args):
    import numpy as np

    from colordisc_tf.data.records import lab_dataset, split_file_pattern

    l_chan, ab = next(iter(lab_dataset(split_file_pattern(args.examples, "train"), args.count,
                                       crop_size=args.crop)))
    np.savez_compressed(args.output, L=l_chan.numpy(), ab=ab.numpy())
    print(f"packed {l_chan.shape[0]} crops of {args.crop}px into {args.output}")


def one_platform(args):
    import jax
    import keras
    import numpy as np

    from colordisc_tf.config import Decoding, FineTuneConfig
    from colordisc_tf.train.finetune import adversarial_batch, build_adversarial, compile_adversarial
    from colordisc_tf.models import build_discriminator, build_generator

    data = np.load(args.data)
    l_chan, ab = data["L"], data["ab"]
    batch = args.batch
    config = FineTuneConfig(batch_size=batch, crop_size=l_chan.shape[1], discriminator_learning_rate=args.discriminator_lr)
    model = build_adversarial(build_generator(args.width), build_discriminator(args.d_width), Decoding(),
                              train_discriminator=args.discriminator_lr > 0)
    model = compile_adversarial(model, config, Decoding())
    idx = np.arange(batch) % len(l_chan)
    x, y = adversarial_batch(l_chan[idx], ab[idx], args.discriminator_lr > 0)
    for _ in range(3):  # compile + warm-up
        model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = model.train_on_batch(x, y)
    elapsed = time.perf_counter() - start
    print(json.dumps({"platform": jax.devices()[0].platform, "device": str(jax.devices()[0]),
                      "steps_per_s": args.steps / elapsed, "loss": float(np.ravel(loss)[0]),
                      "keras": keras.__version__, "jax": jax.__version__}))


def run(args):
    results = []
    for platform in ("cuda", "cpu"):
        env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": platform}
        cmd = [sys.executable, __file__, "_one", "--data", args.data, "--steps", str(args.steps),
               "--batch", str(args.batch), "--width", str(args.width), "--d-width", str(args.d_width),
               "--discriminator-lr", str(args.discriminator_lr)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{platform}: not available ({proc.stderr.strip().splitlines()[-1] if proc.stderr else proc.returncode})")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"{platform:5s} {result['device']}: {result['steps_per_s']:.2f} steps/s "
              f"(batch {args.batch}, generator width {args.width}, "
              f"{'TTUR' if args.discriminator_lr > 0 else 'fixed discriminator'})")
    if len(results) == 2:
        print(f"GPU / CPU: {results[0]['steps_per_s'] / results[1]['steps_per_s']:.1f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("--examples", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--count", type=int, default=64)
    p.add_argument("--crop", type=int, default=64)
    for name in ("run", "_one"):
        r = sub.add_parser(name)
        r.add_argument("--data", required=True)
        r.add_argument("--steps", type=int, default=20)
        r.add_argument("--batch", type=int, default=16)
        r.add_argument("--width", type=float, default=1.0)
        r.add_argument("--d-width", type=int, default=64)
        r.add_argument("--discriminator-lr", type=float, default=0.0, help="> 0: time the TTUR step (discriminator learning too)")
    args = parser.parse_args()
    {"pack": pack, "run": run, "_one": one_platform}[args.cmd](args)


if __name__ == "__main__":
    main()
