"""The export formats `colordisc export --format` knows, one entry each: adding a format is one
module (its converter, its runner) and one `register_format` call here.

Imports nothing heavy: the runners must load where TensorFlow is absent, the converters only
where it is there. Each callable imports its own module when first called.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

__all__ = ["Format", "FORMATS", "register_format", "format_named"]


@dataclasses.dataclass(frozen=True)
class Format:
    """One portable format.

    convert(part) -> the file's bytes (TensorFlow side: colordisc_tf.serve.portable_export.Part)
    runner(model, threads) -> run(**inputs) -> {name: array}; model is a path or the file's bytes
    quantize(data, part, calibration) -> the int8 file's bytes, or None where the format has none;
        calibration: float32 inputs the file will see (photos' L, or their Lab for a discriminator)
    """

    name: str
    extension: str
    runtime: str  # in words, for refusals: "ONNX Runtime"
    needs: str  # the packages, for the refusal when one is missing
    convert: Callable
    runner: Callable
    quantize: Callable | None = None


#: name -> Format, in the order the command line lists them
FORMATS: dict[str, Format] = {}


def register_format(fmt: Format) -> Format:
    if fmt.name in FORMATS:
        raise ValueError(f"export format {fmt.name!r} is registered twice")
    FORMATS[fmt.name] = fmt
    return fmt


def format_named(name: str) -> Format:
    """The registered format called `name`; ValueError naming the known ones otherwise."""
    if name not in FORMATS:
        raise ValueError(f"--format must be one of {', '.join(FORMATS)}, got {name!r}")
    return FORMATS[name]


def _lazy(module: str, function: str) -> Callable:
    def call(*args, **kwargs):
        import importlib

        return getattr(importlib.import_module(module), function)(*args, **kwargs)

    call.__name__ = function
    return call


register_format(Format(
    "onnx", ".onnx", "ONNX Runtime", "tf2onnx, onnx and onnxruntime",
    convert=_lazy("colordisc_tf.serve.portable_onnx", "onnx_bytes"),
    runner=_lazy("colordisc_tf.serve.portable_runtime", "onnx_runner"),
    quantize=_lazy("colordisc_tf.serve.portable_onnx", "quantized_onnx_bytes")))
register_format(Format(
    "litert", ".tflite", "the LiteRT interpreter", "ai-edge-litert",
    convert=_lazy("colordisc_tf.serve.portable_litert", "litert_bytes"),
    runner=_lazy("colordisc_tf.serve.portable_runtime", "litert_runner"),
    quantize=_lazy("colordisc_tf.serve.portable_litert", "dynamic_range_litert_bytes")))
