"""The colour-core ops the models need, in keras.ops: they run inside Keras losses, train
steps and exported SavedModels on any backend (TensorFlow or JAX), differentiably.
`colordisc_tf.color` wraps them for NumPy callers; tests/test_mechanics_color.py holds
independent NumPy oracles of each.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from colordisc_tf.color.bins import AB_BINS, NUM_BINS
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.constants import AB_NORM

__all__ = ["soft_encode", "annealed_mean", "confidence", "confidence_gate", "downsample_ab", "nearest_bin",
           "decode_output", "decode_ab"]

_BINS = AB_BINS.astype(np.float32)


def _squared_distances(ab):
    bins = ops.convert_to_tensor(_BINS)
    ab = ops.cast(ab, "float32")
    # |x|^2 - 2 x.c + |c|^2: one matmul instead of a (..., Q, 2) difference tensor.
    return ops.sum(ab * ab, axis=-1, keepdims=True) - 2.0 * ops.matmul(ab, ops.transpose(bins)) + ops.sum(
        bins * bins, axis=-1
    )


def nearest_bin(ab):
    """(..., 2) -> (...) int32 index of the nearest bin."""
    return ops.cast(ops.argmin(_squared_distances(ab), axis=-1), "int32")


def soft_encode(ab, k: int = 5, sigma: float = 5.0):
    """(..., 2) ab -> (..., Q): Gaussian weights on the k nearest bins, sum 1."""
    neg_d2, idx = ops.top_k(-_squared_distances(ab), k=k, sorted=True)
    d2 = ops.maximum(-neg_d2, 0.0)
    w = ops.exp(-(d2 - d2[..., :1]) / (2.0 * sigma**2))
    w = w / ops.sum(w, axis=-1, keepdims=True)
    return ops.sum(ops.one_hot(idx, NUM_BINS) * ops.expand_dims(w, -1), axis=-2)


def annealed_mean(logits_or_probs, T: float, from_logits: bool = True, gain: float = 1.0):
    """(..., Q) -> (..., 2) ab: softmax(log p / T) @ (gain * bins). Differentiable.

    With from_logits, softmax(logits / T) is the same thing computed stably. The gain scales the
    constant, not the result: the graph keeps its shape (the ONNX export rewrites it by pattern).
    """
    if from_logits:
        log_z = ops.log_softmax(logits_or_probs, axis=-1)
    else:
        log_z = ops.log(ops.maximum(logits_or_probs, 1e-30))
    annealed = ops.softmax(log_z / T, axis=-1)
    return ops.matmul(annealed, ops.convert_to_tensor(_BINS if gain == 1.0 else (_BINS * gain).astype(_BINS.dtype)))


def confidence(logits):
    """(..., Q) logits (or log p) -> (..., 1): 1 - H(p) / log Q of the bin distribution, 1 for one bin,
    0 for uniform. H = log S - sum e x' / S with x' = x - max x, e = exp x', S = sum e: exp and sums
    only, beside the annealed mean's log-softmax and softmax, so the ONNX export still finds the
    annealed mean's pattern and adds no channel-axis Softmax."""
    shifted = logits - ops.max(logits, axis=-1, keepdims=True)
    e = ops.exp(shifted)
    total = ops.sum(e, axis=-1, keepdims=True)
    entropy = ops.log(total) - ops.sum(e * shifted, axis=-1, keepdims=True) / total
    return ops.maximum(1.0 - entropy / float(np.log(NUM_BINS)), 0.0)


def confidence_gate(logits, power: float):
    """(B, h, w, Q) -> (B, h, w, 1): (confidence / its mean over each image) ** power
    (Decoding.confidence_power); an image with no confidence anywhere gets 0."""
    c = confidence(logits)
    return ops.power(c / (ops.mean(c, axis=(1, 2), keepdims=True) + 1e-6), power)


def downsample_ab(ab, factor: int = 4):
    """(B, H, W, 2) -> (B, H/factor, W/factor, 2) by area averaging (sides must divide)."""
    return ops.average_pool(ab, pool_size=factor, strides=factor, padding="valid")


def decode_output(output, decoding: Decoding):
    """The generator's output -> ab at the output's own (1/4) resolution, per `decoding`."""
    output = ops.cast(output, "float32")
    if decoding.anneals:
        ab = annealed_mean(output, decoding.temperature, gain=decoding.chroma_gain)
        return ab * confidence_gate(output, decoding.confidence_power) if decoding.confidence_power else ab
    return output * (AB_NORM * decoding.chroma_gain)


def decode_ab(output, size, decoding: Decoding):
    """The generator's output -> ab (B, H, W, 2) at `size` (H, W): annealed mean of the 313
    logits (or the l2 head's ab / AB_NORM), then bilinear upsampling."""
    ab = decode_output(output, decoding)
    if all(isinstance(side, int) for side in size):
        return ops.image.resize(ab, size, interpolation="bilinear")
    import tensorflow as tf  # a size known only at run time: a TensorFlow graph (SavedModel); same kernel

    return tf.image.resize(ab, size, method="bilinear")
