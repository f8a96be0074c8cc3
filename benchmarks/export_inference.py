"""CPU inference images/s of the generator, L -> ab at the input's size (network + annealed mean +
bilinear upsampling), in every runtime it deploys to, against the PyTorch twin in the same run:

    ONNX Runtime, LiteRT   the files `colordisc export` writes (colordisc_tf.serve.portable_export)
    TF SavedModel          its colorize_lab signature (what TF Serving runs, minus image decoding)
    Keras TF / Keras JAX   the Keras model + the DecodeAb layer, predict_on_batch (compiled by each
                           backend; JAX in a child process, as KERAS_BACKEND is fixed at import)
    PyTorch                the ECCV16 layer table of tests/reference (benchmarks/generator.py's twin)
                           + the same decode in torch ops, eval mode, no_grad

Same width, same random weights scale, same inputs size; every runtime with its default threads
(one per core). Printed as ratios to PyTorch (> 1: faster than PyTorch).

    .venv/bin/python -m benchmarks.export_inference [--width 1.0] [--size 256] [--batches 1 16] [--json FILE]
needs: pip install -r requirements-extras.txt, plus onnx, onnxruntime, tf2onnx, ai-edge-litert
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from benchmarks.harness import images_per_second, load_twin, machine, print_ratios, write_json

_SEED = 0


def _inputs(batch: int, size: int) -> np.ndarray:
    return np.random.default_rng(_SEED).uniform(0, 100, (batch, size, size, 1)).astype(np.float32)


def _rate(fn, batch: int, repeats: int) -> float:
    """img/s of fn() on `batch` images: each timing covers at least 16 images."""
    steps = max(1, 16 // batch)
    return images_per_second(lambda n: [fn() for _ in range(n)], steps, batch, repeats)


def _decoding_wrapper(model, decoding):
    """The generator with the decode inside: L -> ab at 4x the logits' size (the input's, at 256^2)."""
    import keras

    from colordisc_tf.color.decode_layer import DecodeAb

    return keras.Model(model.input, DecodeAb(decoding)(model.output))


def keras_worker(model_path: str, size: int, batches: list[int], repeats: int) -> dict:
    """Images/s of the Keras model + DecodeAb under this process' backend, by batch."""
    from colordisc_tf.serve.saving import load_generator

    model, config = load_generator(model_path)
    wrapper = _decoding_wrapper(model, config.decoding)
    return {str(b): _rate(lambda x=_inputs(b, size): wrapper.predict_on_batch(x), b, repeats) for b in batches}


def torch_rates(width: float, size: int, batches: list[int], repeats: int, temperature: float) -> dict:
    import torch

    from colordisc_tf.color.bins import AB_BINS

    model = load_twin("eccv16_torch").eccv16_torch(width).eval()
    bins = torch.from_numpy(AB_BINS.astype(np.float32))

    def colorize(L):  # noqa: N803
        with torch.no_grad():
            logits = model((L - 50.0) / 100.0)
            annealed = torch.softmax(torch.log_softmax(logits, dim=1) / temperature, dim=1)
            ab = torch.einsum("bqhw,qc->bchw", annealed, bins)
            return torch.nn.functional.interpolate(ab, size=L.shape[2:], mode="bilinear", align_corners=False)

    return {str(b): _rate(lambda x=torch.from_numpy(_inputs(b, size).transpose(0, 3, 1, 2).copy()): colorize(x), b,
                          repeats) for b in batches}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--keras-worker", default=None, help=argparse.SUPPRESS)  # the JAX child's model path
    args = parser.parse_args()
    if args.keras_worker:
        print(json.dumps(keras_worker(args.keras_worker, args.size, args.batches, args.repeats)))
        return

    import keras
    import tensorflow as tf

    from colordisc_tf.config import GeneratorConfig
    from colordisc_tf.models import build_generator
    from colordisc_tf.serve.portable_export import export_portable
    from colordisc_tf.serve.portable_runtime import litert_runner, onnx_runner
    from colordisc_tf.serve.saving import save_generator

    keras.utils.set_random_seed(_SEED)
    config = GeneratorConfig(width=args.width, serving_size=args.size)
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = os.path.join(tmp, "generator")
        save_generator(build_generator(args.width), config, model_dir)
        onnx_file = export_portable(model_dir, os.path.join(tmp, "g.onnx"), "onnx")[0][0]
        litert_file = export_portable(model_dir, os.path.join(tmp, "g.tflite"), "litert")[0][0]
        colorize_lab = tf.saved_model.load(os.path.join(model_dir, "serving")).signatures["colorize_lab"]
        ort_run, litert_run = onnx_runner(onnx_file), litert_runner(litert_file, threads=os.cpu_count())
        runs = {
            "ONNX Runtime": lambda x: ort_run(L=x),
            "LiteRT": lambda x: litert_run(L=x),
            "TF SavedModel": lambda x: colorize_lab(L=tf.constant(x))["ab"].numpy(),
        }
        for name, run in runs.items():
            rates[name] = {str(b): _rate(lambda x=_inputs(b, args.size): run(x), b, args.repeats) for b in args.batches}
            print(f"{name}: {rates[name]}", flush=True)
        rates["Keras TF"] = keras_worker(model_dir, args.size, args.batches, args.repeats)
        print(f"Keras TF: {rates['Keras TF']}", flush=True)
        child = subprocess.run([sys.executable, "-m", "benchmarks.export_inference", "--keras-worker", model_dir,
                                "--size", str(args.size), "--repeats", str(args.repeats), "--batches",
                                *map(str, args.batches)], env={**os.environ, "KERAS_BACKEND": "jax"},
                               capture_output=True, text=True, check=True)
        rates["Keras JAX"] = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"Keras JAX: {rates['Keras JAX']}", flush=True)
    rates["PyTorch"] = torch_rates(args.width, args.size, args.batches, args.repeats, config.temperature)
    print(f"\nwidth {args.width}, {args.size}^2, L -> ab, {machine()['cores']} cores, best of {args.repeats}")
    for batch in map(str, args.batches):
        print_ratios([(f"{name} batch {batch}", rates[name][batch], rates["PyTorch"][batch])
                      for name in rates if name != "PyTorch"], "", "PyTorch")
    write_json(args.json, {"width": args.width, "size": args.size, "images_per_second": rates})


if __name__ == "__main__":
    main()
