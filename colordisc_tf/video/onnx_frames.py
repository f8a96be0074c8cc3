"""The generator's network through ONNX Runtime, for `colorize-video --runtime onnx`.

The file `colordisc export` writes ends in the decode (L -> ab), but the stable temporal mode
decodes what it carries across frames, so video needs the network's output before the decode.
This converts that function in memory with the export's converter (tf2onnx plus
serve.portable_onnx's dilation rewrite) and checks it against TensorFlow on a probe before a
frame goes through it. What it buys, and where it does not: docs/video.md, "ONNX Runtime".
"""

from __future__ import annotations

import time

import numpy as np
import tensorflow as tf

__all__ = ["RUNTIMES", "OnnxRefused", "onnx_outputs"]

RUNTIMES = ("tensorflow", "onnx")
#: the largest |ONNX - TensorFlow| on the probe, relative to the largest |logit| (at least 1): float32
#: sums in another order. Measured: 1.3e-5 on the starter, whose logits reach 32 (4e-7 of it).
LOGIT_TOLERANCE = 1e-4


class OnnxRefused(ValueError):
    """The network cannot go through ONNX Runtime here (not installed, not convertible, or
    it does not reproduce TensorFlow), said in one line."""


def onnx_outputs(network, model_size: int, threads: int | None = None):
    """network: a TensorFlow callable L (B, s, s, 1) -> raw output (B, s/4, s/4, C) -> the same
    as a NumPy function run by ONNX Runtime (CPU), and the seconds the conversion took."""
    try:
        import onnxruntime as ort
        import tf2onnx
    except ImportError as e:
        raise OnnxRefused(f"--runtime onnx needs onnxruntime and tf2onnx installed ({e})") from None
    from colordisc_tf.serve.portable_onnx import ONNX_OPSET, rewrite_dynamic_dilations

    started = time.perf_counter()
    spec = tf.TensorSpec([None, None, None, 1], tf.float32, name="L")
    function = tf.function(lambda L: {"output": network(L)}, input_signature=[spec])  # noqa: N803
    tf2onnx.logging.set_level(tf2onnx.logging.ERROR)
    try:
        model, _ = tf2onnx.convert.from_function(function, function.input_signature, opset=ONNX_OPSET,
                                                 custom_rewriter=[rewrite_dynamic_dilations])
    except Exception as e:  # tf2onnx raises bare Exceptions and ValueErrors for ops it cannot convert
        raise OnnxRefused(f"the generator does not convert to ONNX: {str(e).splitlines()[0] if str(e) else e!r}") \
            from None
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def run(l_values: np.ndarray) -> np.ndarray:
        return session.run(None, {name: np.asarray(l_values, np.float32)})[0]

    probe = np.random.default_rng(0).uniform(0, 100, (2, model_size, model_size, 1)).astype(np.float32)
    expected = network(tf.constant(probe)).numpy()
    difference, bound = float(np.max(np.abs(run(probe) - expected))), LOGIT_TOLERANCE * max(1.0, np.abs(expected).max())
    if not difference <= bound:
        raise OnnxRefused(f"the ONNX network differs from TensorFlow by {difference:.2g} on a probe (bound "
                          f"{bound:.2g}): use --runtime tensorflow")
    return run, time.perf_counter() - started
