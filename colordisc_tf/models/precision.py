"""Training precision: float32, or Keras' mixed_bfloat16 (bf16 compute, float32 weights).

Every model of the project ends in a `Float32` layer, so whatever a model computes in,
its outputs -- the 313 logits, the discriminator's patch logits -- are float32, and the losses,
softmax, annealed mean and metrics downstream run in float32. Precision is a training
setting, not a property of the artifact: `at_precision(model, "float32")` is what
`colordisc_tf.serve.saving` writes, so saved models and SavedModels take and return float32
whatever they were trained in. bf16 keeps float32's exponent range, so no loss scaling
is needed (mixed_float16, which would need it, is not offered).
"""

from __future__ import annotations

import functools
import logging

import keras
from keras import layers, ops

from colordisc_tf.constants import PRECISIONS

__all__ = ["PRECISIONS", "Float32", "resolve_precision", "at_precision", "model_precision"]

_log = logging.getLogger(__name__)


@keras.saving.register_keras_serializable(package="colordisc")
class Float32(layers.Layer):
    """Casts its input to float32; it keeps that policy when a model is converted."""

    def __init__(self, **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)

    def call(self, x):
        return ops.cast(x, "float32")

    def compute_output_shape(self, input_shape):
        return input_shape


@functools.lru_cache(maxsize=None)
def _bf16_hardware() -> bool:
    """A GPU the backend can use, or a CPU with bf16 matrix instructions (AVX512-BF16, AMX)."""
    backend = keras.backend.backend()
    try:
        if backend == "jax":
            import jax

            if jax.default_backend() in ("gpu", "cuda", "rocm", "tpu"):
                return True
        elif backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                return True
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return True
    except Exception:  # a broken accelerator setup: stay on float32
        return False
    try:
        with open("/proc/cpuinfo") as f:
            flags = f.read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_precision(precision: str) -> str:
    """"auto" -> mixed_bfloat16 on bf16 hardware (any GPU, bf16 CPUs), else float32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "auto":
        precision = "mixed_bfloat16" if _bf16_hardware() else "float32"
        _log.info("precision auto: %s", precision)
    return precision


def model_precision(model: keras.Model) -> str:
    """The policy its layers compute in ("float32" when all do)."""
    names = {layer.dtype_policy.name for layer in _walk(model) if not isinstance(layer, (Float32, layers.InputLayer))}
    others = sorted(names - {"float32"})
    return others[0] if others else "float32"


def _walk(layer):
    yield layer
    for sub in getattr(layer, "_layers", None) or getattr(layer, "layers", None) or ():
        yield from _walk(sub)
    inner = getattr(layer, "layer", None)  # wrappers (SpectralNormalization)
    if isinstance(inner, layers.Layer):
        yield from _walk(inner)


def _set_policy(config, policy: str):
    """Rewrites every layer's dtype policy in a serialized (functional) model config."""
    if isinstance(config, list):
        return [_set_policy(item, policy) for item in config]
    if not isinstance(config, dict):
        return config
    if "class_name" in config and isinstance(config.get("config"), dict):
        inner = dict(config["config"])
        # InputLayer's dtype is its tensor's dtype, Float32 fixes its own, a nested model's is not a layer's.
        if config["class_name"] not in ("InputLayer", "Float32", "Functional") and "dtype" in inner:
            inner["dtype"] = policy
        return {**config, "config": {k: _set_policy(v, policy) if k != "dtype" else v for k, v in inner.items()}}
    return {k: _set_policy(v, policy) for k, v in config.items()}


def at_precision(model: keras.Model, precision: str) -> keras.Model:
    """`model` itself if it already computes in `precision`; else a copy that does, with
    the same weights (variables are float32 under either policy, so nothing is rounded)."""
    precision = resolve_precision(precision)
    if model_precision(model) == precision:
        return model
    config = _set_policy(model.get_config(), precision)
    copy = model.__class__.from_config(config)
    copy.set_weights(model.get_weights())
    return copy
