"""The generator's network through ONNX Runtime, for `colorize-video --runtime onnx`.

The file `colordisc export` writes ends in the decode (L -> ab), but the stable temporal mode
decodes what it carries across frames, so video needs the network's output before the decode.
This converts that function in memory with the export's converter (serve.portable_onnx's
onnx_bytes: tf2onnx, its dilation rewrite, its refusal of unknown ops), runs it with the export's
runner, and checks it against TensorFlow on a probe before a frame goes through it. What it buys,
and where it does not: docs/video.md, "ONNX Runtime".
"""

from __future__ import annotations

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


def onnx_outputs(network, model_size: int):
    """network: a TensorFlow callable L (B, s, s, 1) -> raw output (B, s/4, s/4, C) -> the same
    as a NumPy function run by ONNX Runtime (CPU)."""
    try:
        import onnxruntime  # noqa: F401
        import tf2onnx  # noqa: F401
    except ImportError as e:
        raise OnnxRefused(f"--runtime onnx needs onnxruntime and tf2onnx installed ({e})") from None
    from colordisc_tf.serve.portable_export import Part
    from colordisc_tf.serve.portable_onnx import onnx_bytes
    from colordisc_tf.serve.portable_runtime import onnx_runner

    spec = tf.TensorSpec([None, None, None, 1], tf.float32, name="L")
    function = tf.function(lambda L: {"output": network(L)}, input_signature=[spec])  # noqa: N803
    try:  # the export's conversion: its dilation rewrite, and its refusal of ops ONNX has no form of
        data = onnx_bytes(Part("generator", function, None, (), LOGIT_TOLERANCE, model_size))
    except Exception as e:  # tf2onnx raises bare Exceptions and ValueErrors for ops it cannot convert
        raise OnnxRefused(f"the generator does not convert to ONNX: {str(e).splitlines()[0] if str(e) else e!r}") \
            from None
    runner = onnx_runner(data)

    def run(l_values: np.ndarray) -> np.ndarray:
        return runner(L=l_values)["output"]

    probe = np.random.default_rng(0).uniform(0, 100, (2, model_size, model_size, 1)).astype(np.float32)
    expected = network(tf.constant(probe)).numpy()
    difference, bound = float(np.max(np.abs(run(probe) - expected))), LOGIT_TOLERANCE * max(1.0, np.abs(expected).max())
    if not difference <= bound:
        raise OnnxRefused(f"the ONNX network differs from TensorFlow by {difference:.2g} on a probe (bound "
                          f"{bound:.2g}): use --runtime tensorflow")
    return run
