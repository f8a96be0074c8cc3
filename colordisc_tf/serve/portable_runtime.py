"""Running the exported ONNX and LiteRT files, without TensorFlow: what `colordisc export`
checks each file with before writing it, and what the tests and benchmarks/export_inference.py
run. Each runner takes a path or the file's bytes and returns run(**inputs) -> {name: array}.
"""

from __future__ import annotations

import numpy as np

__all__ = ["onnx_runner", "litert_runner", "runner"]


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
        return dict(zip(names, session.run(names, {k: np.asarray(v, np.float32) for k, v in inputs.items()})))

    return run


def litert_runner(model, threads: int | None = None):
    """The LiteRT interpreter (ai-edge-litert) with its default CPU delegate (XNNPACK); the
    signature runner resizes the inputs to each call's shapes."""
    from ai_edge_litert.interpreter import Interpreter

    kwargs = {"model_content": model} if isinstance(model, (bytes, bytearray)) else {"model_path": str(model)}
    interpreter = Interpreter(num_threads=threads, **kwargs)
    signature = interpreter.get_signature_runner()

    def run(**inputs):
        return {k: np.array(v) for k, v in signature(**{k: np.asarray(v, np.float32) for k, v in inputs.items()}).items()}

    return run


def runner(fmt: str, model, threads: int | None = None):
    """onnx_runner or litert_runner by format name ("onnx" or "litert")."""
    return {"onnx": onnx_runner, "litert": litert_runner}[fmt](model, threads)
