"""Images/s of our Keras ECCV16 generator vs the same layer table in PyTorch (CPU).

Same process, same input sizes, same width; inference (forward, eval mode) and
one training step (forward + cross entropy on the 313 logits + backward + Adam).
Interleaved (benchmarks.harness.interleaved: Keras, PyTorch, Keras, PyTorch, ... each warm):
printed as the median of the per-round ratios Keras / PyTorch (> 1: Keras faster), with IQR,
range and the load average (one timing of each read 0.47x and 1.53x an hour apart).

    .venv/bin/python -m benchmarks.generator [--width 1.0] [--rounds 5] [--jit] [--json FILE]
needs: pip install -r requirements-extras.txt
"""

import argparse
import os

import numpy as np

from benchmarks.harness import interleaved, load_twin, print_interleaved, ratio, write_json


def keras_fns(width, batch, size, jit):
    import keras
    import tensorflow as tf

    from colordisc_tf.models import build_generator

    model = build_generator(width)
    x = tf.constant(np.random.default_rng(0).uniform(0, 100, (batch, size, size, 1)), tf.float32)
    y = tf.constant(np.random.default_rng(1).integers(0, 313, (batch, size // 4, size // 4)), tf.int32)
    # What fit() runs: compiled train step, Adam, cross entropy on the logits.
    model.compile(keras.optimizers.Adam(1e-4), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=jit)

    @tf.function(jit_compile=jit)
    def infer():
        return model(x, training=False)

    return lambda: infer().numpy(), lambda: model.train_on_batch(x, y)


def torch_fns(width, batch, size):
    import torch

    model = load_twin("eccv16_torch").eccv16_torch(width)
    x = torch.from_numpy(np.random.default_rng(0).uniform(-0.5, 0.5, (batch, 1, size, size)).astype(np.float32))
    y = torch.from_numpy(np.random.default_rng(1).integers(0, 313, (batch, size // 4, size // 4)))
    opt = torch.optim.Adam(model.parameters(), 1e-4)

    def infer():
        model.eval()
        with torch.no_grad():
            return model(x)

    def train():
        model.train()
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return infer, train


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jit", action="store_true", help="XLA-compile the Keras functions")
    parser.add_argument("--cases", default="64x32,256x8", help="SIZExBATCH,...")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()
    import torch

    print(f"width {args.width}, cores {os.cpu_count()}, torch threads {torch.get_num_threads()}, XLA {args.jit}")
    results = {"width": args.width, "jit": args.jit, "rounds": args.rounds, "keras_vs_pytorch": {}}
    for case in args.cases.split(","):
        size, batch = map(int, case.split("x"))
        k_inf, k_train = keras_fns(args.width, batch, size, args.jit)
        t_inf, t_train = torch_fns(args.width, batch, size)
        for name, k, t in (("inference", k_inf, t_inf), ("train step", k_train, t_train)):
            rates = interleaved({"Keras": k, "PyTorch": t}, batch, args.rounds)
            r = results["keras_vs_pytorch"][f"{size}^2 batch {batch} {name}"] = {**ratio(rates["Keras"], rates["PyTorch"]),
                                                                                 "rates": rates}
            print_interleaved([(f"{size}^2 batch {batch} {name}", r)], "PyTorch")
    print(f"load average {os.getloadavg()}")
    write_json(args.json, results)


if __name__ == "__main__":
    main()
