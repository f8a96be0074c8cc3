"""Running the exported ONNX and LiteRT files, without TensorFlow: what `colordisc export`
checks each file with before writing it, and what the tests and benchmarks/export_inference.py
run. Each runner takes a path or the file's bytes and returns run(**inputs) -> {name: array}.

Inputs are [N, H, W, C] with H and W at least MIN_SIDE: smaller ones are refused in one line
(InputRefused), since the bare files do not refuse them usefully -- the generator's mirror pad
to a multiple of 8 fails inside the runtime below 4 px and sees mostly its own padding below 8;
the discriminator returns a realness of a few pixels that judges nothing (docs/deploy.md).
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["MIN_SIDE", "InputRefused", "onnx_runner", "litert_runner", "runner"]

#: the generator's total downsampling: one cell of its coarsest feature map
MIN_SIDE = 8


class InputRefused(ValueError):
    """An input under MIN_SIDE pixels a side (or not [N, H, W, C]), said in one line."""


def _checked(model, inputs: dict) -> dict:
    """The inputs as float32 arrays, refused when one is not [N, H, W, C] with H, W >= MIN_SIDE."""
    source = os.fspath(model) if isinstance(model, (str, os.PathLike)) else "the model"
    arrays = {name: np.asarray(value, np.float32) for name, value in inputs.items()}
    for name, array in arrays.items():
        if array.ndim != 4:
            raise InputRefused(f"{source}: input {name} has shape {list(array.shape)}; the file takes [N, H, W, C]")
        if min(array.shape[1:3]) < MIN_SIDE:
            raise InputRefused(f"{source}: input {name} is {array.shape[1]}x{array.shape[2]} pixels; the file needs "
                                f"at least {MIN_SIDE}x{MIN_SIDE} (resize it up first)")
    return arrays


def onnx_runner(model, threads: int | None = None):
    """ONNX Runtime on the CPU; threads None: its default (one per core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3  # its warnings about unused initializers are not the user's
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]

    def run(**inputs):
        return dict(zip(names, session.run(names, _checked(model, inputs))))

    return run


def litert_runner(model, threads: int | None = None):
    """The LiteRT interpreter (ai-edge-litert) with its default CPU delegate (XNNPACK); the
    signature runner resizes the inputs to each call's shapes."""
    from ai_edge_litert.interpreter import Interpreter

    kwargs = {"model_content": model} if isinstance(model, (bytes, bytearray)) else {"model_path": str(model)}
    interpreter = Interpreter(num_threads=threads, **kwargs)
    signature = interpreter.get_signature_runner()

    def run(**inputs):
        return {k: np.array(v) for k, v in signature(**_checked(model, inputs)).items()}

    return run


def runner(fmt: str, model, threads: int | None = None):
    """The runner of a registered format (colordisc_tf.serve.portable_formats: "onnx", "litert")."""
    from colordisc_tf.serve.portable_formats import format_named

    return format_named(fmt).runner(model, threads)
