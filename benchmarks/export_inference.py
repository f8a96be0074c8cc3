"""CPU inference images/s of the generator, L -> ab at the input's size (network + annealed mean +
bilinear upsampling), in every runtime it deploys to, against the PyTorch twin in the same rounds:

    ONNX Runtime, LiteRT   the files `colordisc export` writes (colordisc_tf.serve.portable_export),
                           float32 and int8 (`--quantize int8`: ORT static QDQ, LiteRT dynamic range)
    TF SavedModel          its colorize_lab signature (what TF Serving runs, minus image decoding)
    Keras TF / Keras JAX   the Keras model + the DecodeAb layer, predict_on_batch (compiled by each
                           backend; JAX in a child process driven round by round, as KERAS_BACKEND
                           is fixed at import)
    PyTorch                the ECCV16 layer table of tests/reference (benchmarks/generator.py's twin)
                           + the same decode in torch ops, eval mode, no_grad

Interleaved (benchmarks.harness.interleaved): every runtime warm, then --rounds rounds of one
call each in turn; each ratio to PyTorch is the median of the per-round ratios, with its IQR and
range, and the load average is recorded with the results. Same width, same random weights, same
inputs; every runtime with its default threads (one per core).

--variants adds what was tried (docs/deploy.md, Speed): on ONNX Runtime, tf2onnx's plain
conversion (before the rewrites), the file ORT-optimized offline (level all, saved) and run with
the session's optimizations off, one thread, and no spin-waiting; on Keras JAX, XLA's flags that
route convolutions to oneDNN or XNNPACK (JAX_VARIANTS). --ceiling adds a float32 GEMM to the
rounds and prints each runtime's GFLOP/s beside it (the network's FLOPs from
benchmarks.gpu_step.generator_flops). --profile adds ORT's profile (time by op type) and the node
counts of the plain and the exported file.
--cost-model MODEL measures int8's colour cost (portable_quality) on a trained generator (the
width-1.0 model here has random weights: its colours mean nothing).

    .venv/bin/python -m benchmarks.export_inference [--width 1.0] [--size 256] [--batches 1 16]
        [--rounds 5] [--variants] [--ceiling] [--profile] [--cost-model starter] [--json FILE]
needs: pip install -r requirements-extras.txt, plus onnx, onnxruntime, tf2onnx, ai-edge-litert
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from benchmarks.gpu_step import generator_flops
from benchmarks.harness import interleaved, load_twin, machine, print_interleaved, ratio, write_json

_SEED = 0


def _inputs(batch: int, size: int) -> np.ndarray:
    return np.random.default_rng(_SEED).uniform(0, 100, (batch, size, size, 1)).astype(np.float32)


def _decoding_wrapper(model, decoding):
    """The generator with the decode inside: L -> ab at 4x the logits' size (the input's, at 256^2)."""
    import keras

    from colordisc_tf.color.decode_layer import DecodeAb

    return keras.Model(model.input, DecodeAb(decoding)(model.output))


def keras_worker(model_path: str, size: int, batches: list[int]) -> None:
    """The child: reads a batch size a line, runs predict_on_batch on it, answers the seconds it took."""
    from colordisc_tf.serve.saving import load_generator

    model, config = load_generator(model_path)
    wrapper = _decoding_wrapper(model, config.decoding)
    inputs = {b: _inputs(b, size) for b in batches}
    print("ready", flush=True)
    for line in sys.stdin:
        batch = int(line)
        start = time.perf_counter()
        wrapper.predict_on_batch(inputs[batch])
        print(time.perf_counter() - start, flush=True)


class _Child:
    """A Keras worker under another backend, called like a local run: fn() blocks until it answers."""

    def __init__(self, model_dir: str, size: int, batches: list[int], backend: str, xla_flags: str = ""):
        env = {**os.environ, "KERAS_BACKEND": backend}
        if xla_flags:
            env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {xla_flags}".strip()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.export_inference", "--keras-worker", model_dir, "--size", str(size),
             "--batches", *map(str, batches)], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        while self.process.stdout.readline().strip() != "ready":
            if self.process.poll() is not None:
                raise RuntimeError(f"the {backend} worker exited ({self.process.returncode})")

    def run(self, batch: int) -> None:
        self.process.stdin.write(f"{batch}\n")
        self.process.stdin.flush()
        float(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def torch_colorize(width: float, temperature: float):
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

    return colorize


def gemm_ceiling(seconds: float):
    """(fn, GFLOP a call): float32 GEMMs of 2048^3 in PyTorch (MKL), about `seconds` a call, timed
    in the same rounds: the rate the stack reaches on the densest float32 work there is, which a
    convolution with good kernels can match but not beat by much (docs/deploy.md, Speed)."""
    import torch

    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    start = time.perf_counter()
    a @ b
    a @ b
    repeats = max(1, round(seconds / ((time.perf_counter() - start) / 2)))

    def run():
        for _ in range(repeats):
            a @ b

    return run, repeats * 2 * 2048**3 / 1e9


def _ort(path_or_bytes, threads=None, spinning=True, optimized=True):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if not optimized:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(path_or_bytes, options, providers=["CPUExecutionProvider"])
    return lambda x: session.run(None, {"L": x})


def _ort_saved_optimized(data: bytes, folder: str):
    """ORT's graph optimizations at level all, saved as a model (what a deployment would ship)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.optimized_model_filepath = os.path.join(folder, "optimized.onnx")
    options.log_severity_level = 3
    ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    return options.optimized_model_filepath


def _plain_onnx(part) -> bytes:
    """tf2onnx's own conversion, without portable_onnx's two rewrites (the before)."""
    import tf2onnx

    from colordisc_tf.serve.portable_onnx import ONNX_OPSET

    tf2onnx.logging.set_level(tf2onnx.logging.ERROR)
    model, _ = tf2onnx.convert.from_function(part.function, part.function.input_signature, opset=ONNX_OPSET)
    model.graph.input[0].name, old = "L", model.graph.input[0].name
    for node in model.graph.node:
        node.input[:] = ["L" if name == old else name for name in node.input]
    return model.SerializeToString()


def profile(files: dict, size: int) -> dict:
    """name -> {"nodes": n, "transposes": n, "ms_by_op": {op: ms per run}} at batch 1 (3 runs)."""
    import collections

    import onnx
    import onnxruntime as ort

    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, data in files.items():
            graph = onnx.load_from_string(data).graph
            options = ort.SessionOptions()
            options.enable_profiling, options.log_severity_level = True, 3
            options.profile_file_prefix = os.path.join(folder, "profile")
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            for _ in range(3):
                session.run(None, {"L": _inputs(1, size)})
            with open(session.end_profiling()) as f:
                events = json.load(f)
            by_op = collections.Counter()
            for event in events:
                if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
                    by_op[event["args"]["op_name"]] += event["dur"] / 3 / 1000
            out[name] = {"nodes": len(graph.node), "transposes": sum(n.op_type == "Transpose" for n in graph.node),
                         "ms_by_op": {k: round(v, 1) for k, v in by_op.most_common(10)}}
            print(f"profile {name}: {out[name]}", flush=True)
    return out


def int8_cost(model: str) -> dict:
    """portable_quality's cost of int8 against float32, each format, for a trained generator."""
    from colordisc_tf.serve.portable_export import convert, parts_of, quantize
    from colordisc_tf.serve.portable_quality import QuantizationBounds

    [part] = parts_of(model)
    unbounded = QuantizationBounds(float("inf"), float("inf"), float("inf"))
    return {fmt: quantize(part, fmt, convert(part, fmt)[0], bounds=unbounded)[1] for fmt in ("onnx", "litert")}


#: XLA_FLAGS of the Keras JAX variants (--variants)
JAX_VARIANTS = {"Keras JAX oneDNN": "--xla_cpu_use_onednn=true", "Keras JAX XNNPACK": "--xla_cpu_use_xnnpack=true"}


def _print_ceiling(rates: dict, gemm_rates: list[float], gflop_per_image: float) -> None:
    """Each runtime's median GFLOP/s against the GEMM's (the same rounds)."""
    ceiling = float(np.median(gemm_rates))
    print(f"GEMM ceiling {ceiling:.0f} GFLOP/s (float32 2048^3, PyTorch); the network {gflop_per_image:.1f} GFLOP an image")
    for name, r in rates.items():
        achieved = float(np.median(r)) * gflop_per_image
        print(f"  {name:32s} {achieved:6.0f} GFLOP/s  {100 * achieved / ceiling:5.1f} % of the ceiling")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--variants", action="store_true", help="also ONNX Runtime's variants (the module docstring)")
    parser.add_argument("--profile", action="store_true", help="ORT's profile of the plain and the exported file")
    parser.add_argument("--ceiling", action="store_true", help="also a float32 GEMM in the rounds: each runtime's "
                        "GFLOP/s as a share of what this CPU's matrix units reach")
    parser.add_argument("--no-int8", action="store_true", help="leave the int8 files out")
    parser.add_argument("--cost-model", default=None, help="a trained generator to measure int8's colour cost on "
                        "('starter': the shipped one)")
    parser.add_argument("--json", default=None, help="also write the results here")
    parser.add_argument("--keras-worker", default=None, help=argparse.SUPPRESS)  # the child's model path
    args = parser.parse_args()
    if args.keras_worker:
        return keras_worker(args.keras_worker, args.size, args.batches)

    import keras
    import tensorflow as tf
    import torch

    from colordisc_tf.config import GeneratorConfig
    from colordisc_tf.models import build_generator
    from colordisc_tf.serve.portable_export import convert, parts_of, quantize
    from colordisc_tf.serve.portable_quality import QuantizationBounds
    from colordisc_tf.serve.portable_runtime import litert_runner
    from colordisc_tf.serve.saving import load_generator, save_generator

    keras.utils.set_random_seed(_SEED)
    config = GeneratorConfig(width=args.width, serving_size=args.size)
    results = {"width": args.width, "size": args.size, "rounds": args.rounds}
    unbounded = QuantizationBounds(float("inf"), float("inf"), float("inf"))  # random weights: speed only here
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = os.path.join(tmp, "generator")
        save_generator(build_generator(args.width), config, model_dir)
        [part] = parts_of(model_dir)
        files = {fmt: convert(part, fmt)[0] for fmt in ("onnx", "litert")}
        colorize_lab = tf.saved_model.load(os.path.join(model_dir, "serving")).signatures["colorize_lab"]
        model, _ = load_generator(model_dir)
        wrapper = _decoding_wrapper(model, config.decoding)
        twin = torch_colorize(args.width, config.temperature)
        ort_run, litert_run = _ort(files["onnx"]), litert_runner(files["litert"], threads=os.cpu_count())
        runs = {"ONNX Runtime": ort_run, "LiteRT": lambda x: litert_run(L=x),
                "TF SavedModel": lambda x: colorize_lab(L=tf.constant(x))["ab"].numpy(),
                "Keras TF": wrapper.predict_on_batch}
        if not args.no_int8:
            int8 = {fmt: quantize(part, fmt, files[fmt], bounds=unbounded)[0] for fmt in ("onnx", "litert")}
            int8_litert = litert_runner(int8["litert"], threads=os.cpu_count())
            runs["ONNX Runtime int8"], runs["LiteRT int8"] = _ort(int8["onnx"]), lambda x: int8_litert(L=x)
        if args.variants or args.profile:
            plain = _plain_onnx(part)
        if args.variants:
            runs["ORT tf2onnx plain"] = _ort(plain)
            runs["ORT saved optimized (all)"] = _ort(_ort_saved_optimized(files["onnx"], tmp), optimized=False)
            runs["ORT 1 thread"] = _ort(files["onnx"], threads=1)
            runs["ORT no spinning"] = _ort(files["onnx"], spinning=False)
        if args.profile:
            results["profile"] = profile({"tf2onnx plain": plain, "exported": files["onnx"]}, args.size)
        children = {"Keras JAX": _Child(model_dir, args.size, args.batches, "jax")}
        if args.variants:  # XLA:CPU's own convolution emitter against the oneDNN / XNNPACK kernels it can call
            for name, flag in JAX_VARIANTS.items():
                children[name] = _Child(model_dir, args.size, args.batches, "jax", flag)
        if args.ceiling:
            results["gflop_per_image"] = generator_flops(args.width, args.size) / 1e9
        try:
            results["images_per_second"], results["vs_pytorch"] = {}, {}
            for batch in args.batches:
                x = _inputs(batch, args.size)
                torch_x = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
                timed = {name: (lambda run=run: run(x)) for name, run in runs.items()}
                timed.update({name: (lambda child=child: child.run(batch)) for name, child in children.items()})
                timed["PyTorch"] = lambda: twin(torch_x)
                if args.ceiling:
                    gemm, gemm_gflop = gemm_ceiling(batch / 2.0)
                    timed["GEMM ceiling"] = gemm
                rates = interleaved(timed, batch, args.rounds)
                if args.ceiling:  # the GEMM's "img/s" as GFLOP/s
                    gemm_rates = [r * gemm_gflop / batch for r in rates.pop("GEMM ceiling")]
                    results.setdefault("gemm_gflop_per_second", {})[str(batch)] = gemm_rates
                    _print_ceiling(rates, gemm_rates, results["gflop_per_image"])
                results["images_per_second"][str(batch)] = rates
                results["vs_pytorch"][str(batch)] = {name: ratio(r, rates["PyTorch"]) for name, r in rates.items()
                                                     if name != "PyTorch"}
                print(f"\nbatch {batch} (load average {os.getloadavg()[0]:.1f})")
                print_interleaved([(name, r) for name, r in results["vs_pytorch"][str(batch)].items()], "PyTorch")
                if not args.no_int8:
                    print_interleaved([("ONNX Runtime int8 vs float", ratio(rates["ONNX Runtime int8"],
                                                                             rates["ONNX Runtime"]))], "ORT float")
        finally:
            for child in children.values():
                child.close()
    if args.cost_model:
        from colordisc_tf.models.starter import resolve_init

        results["int8_cost"] = int8_cost(resolve_init(args.cost_model))
        print(f"int8 colour cost on {args.cost_model}: {json.dumps(results['int8_cost'], indent=1)}")
    print(f"\nwidth {args.width}, {args.size}^2, L -> ab, {machine()}")
    write_json(args.json, results)


if __name__ == "__main__":
    main()
