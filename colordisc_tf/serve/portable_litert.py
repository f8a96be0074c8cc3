"""The LiteRT (.tflite) file of a Part (colordisc_tf.serve.portable_export), through TensorFlow's
converter with its built-in ops only: a file that needs TensorFlow's "Flex" kernels runs neither
in ai-edge-litert nor on a phone without them."""

from __future__ import annotations

__all__ = ["litert_bytes", "dynamic_range_litert_bytes"]


def _converter(part):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([part.function.get_concrete_function()], part.owner)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter


def _converted(converter, part) -> bytes:
    from colordisc_tf.serve.portable_export import ExportRefused

    try:
        return converter.convert()
    except Exception as e:  # noqa: BLE001 (ConverterError: pages of MLIR; one line of it names the ops)
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        summary = next((line for line in lines if line.startswith(("TF Select ops", "Flex ops", "Custom ops"))),
                       lines[-1][:200] if lines else type(e).__name__)
        raise ExportRefused(f"LiteRT's converter cannot build the {part.role} from its built-in ops ({summary})") from None


def litert_bytes(part) -> bytes:
    return _converted(_converter(part), part)


def dynamic_range_litert_bytes(data: bytes, part, calibration) -> bytes:
    """LiteRT's dynamic-range quantization: int8 weights, activations quantized on the fly per
    batch (no calibration: `data` and `calibration` are not needed; the file is converted again)."""
    import tensorflow as tf

    del data, calibration
    converter = _converter(part)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return _converted(converter, part)
