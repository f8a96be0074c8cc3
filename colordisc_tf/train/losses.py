"""Training losses (keras.ops, any backend).

Rebalanced multinomial cross entropy (Zhang et al. 2016, eq. 2 and 3):

    L = -1/N Σ_pixels v(Z) · Σ_q Z_q log softmax(logits)_q
    Z = soft_encode(ab downsampled to the logits' 1/4 grid)
    v(Z) = w[argmax_q Z_q] · [the image has chroma]

with w the rebalancing weights of the colour prior. Images whose every |a|, |b|
is at most `gray_threshold` get weight 0 (the reference masks gray sources).

Optionally plus μ · the served decoding's ab error (`decoded_ab_error`): per pixel, raw AuC is about
1 − min(d, 150) / 150 with d the ab distance of what serving shows, so this term trains on raw AuC's
own loss while the cross entropy keeps the bin distribution (docs/starter.md, "Finishing steps on the
decoded error": on the starter it changed nothing measurable).
"""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
from keras import ops

from colordisc_tf.color import keras_ops as cops
from colordisc_tf.color.bins import NUM_BINS
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.constants import AB_NORM, AUC_MAX_THRESHOLD

__all__ = ["colorizer_loss", "rebalanced_cross_entropy", "decoded_ab_error", "RebalancedCrossEntropy", "L2AbLoss",
           "PatchBCE", "chroma_mask"]


def chroma_mask(ab, gray_threshold: float = 5.0):
    """(B, H, W, 2) -> (B,) 1.0 where some |a| or |b| exceeds the threshold."""
    peak = ops.max(ops.abs(ab), axis=(1, 2, 3))
    return ops.cast(peak > gray_threshold, "float32")


def rebalanced_cross_entropy(ab_true, logits, weights=None, k: int = 5, sigma: float = 5.0, gray_threshold: float = 5.0):
    """ab_true (B, H, W, 2), logits (B, H/4, W/4, Q), weights (Q,) or None -> scalar."""
    factor = ops.shape(ab_true)[1] // ops.shape(logits)[1]
    ab_small = cops.downsample_ab(ab_true, factor)
    target = cops.soft_encode(ab_small, k=k, sigma=sigma)
    ce = -ops.sum(target * ops.log_softmax(logits, axis=-1), axis=-1)  # (B, h, w)
    pixel_w = ops.ones_like(ce) if weights is None else ops.take(ops.convert_to_tensor(weights), ops.argmax(target, axis=-1))
    pixel_w = pixel_w * ops.reshape(chroma_mask(ab_true, gray_threshold), (-1, 1, 1))
    return ops.mean(pixel_w * ce)


DECODED_ERROR_SCALE = 10.0  # the mean error (~20 ab units on the starter) comes out near the cross entropy's size


def decoded_ab_error(ab_true, logits, decoding: Decoding):
    """ab_true (B, H, W, 2), logits (B, H/4, W/4, Q) -> scalar: the mean over pixels of min(d, 150) / 10,
    d = sqrt(|ab_served − ab_true|² + 1) at the logits' grid, ab_served decoded as serving decodes
    (annealed mean, chroma gain, confidence power), ab_true area-downsampled. The + 1 keeps the gradient
    finite where d is 0. Gray sources are not masked: for them the right answer is no colour."""
    factor = ops.shape(ab_true)[1] // ops.shape(logits)[1]
    error = cops.decode_output(logits, decoding) - cops.downsample_ab(ab_true, factor)
    distance = ops.sqrt(ops.sum(ops.square(error), axis=-1) + 1.0)
    # capped at raw AuC's largest threshold: past it, every error counts the same
    return ops.mean(ops.minimum(distance, float(AUC_MAX_THRESHOLD))) / DECODED_ERROR_SCALE


@keras.saving.register_keras_serializable(package="colordisc")
class RebalancedCrossEntropy(keras.losses.Loss):
    """Keras loss: y_true = ab (B, H, W, 2), y_pred = logits (B, H/4, W/4, 313). With decoded_weight > 0,
    plus that times `decoded_ab_error` under `decoding` (a Decoding's fields: temperature, chroma_gain,
    confidence_power)."""

    def __init__(self, weights=None, k: int = 5, sigma: float = 5.0, gray_threshold: float = 5.0,
                 decoded_weight: float = 0.0, decoding: dict | None = None, name="rebalanced_ce", **kwargs):
        super().__init__(name=name, **kwargs)
        self.class_weights = None if weights is None else np.asarray(weights, np.float32).reshape(NUM_BINS)
        self.k, self.sigma, self.gray_threshold = int(k), float(sigma), float(gray_threshold)
        self.decoded_weight = float(decoded_weight)
        self.decoding = Decoding(**(decoding or {}))

    def call(self, y_true, y_pred):
        # Already a batch mean: Keras' reduction of a scalar leaves it unchanged.
        loss = rebalanced_cross_entropy(y_true, y_pred, self.class_weights, self.k, self.sigma, self.gray_threshold)
        if self.decoded_weight:
            loss = loss + self.decoded_weight * decoded_ab_error(y_true, y_pred, self.decoding)
        return loss

    def get_config(self):
        weights = None if self.class_weights is None else self.class_weights.tolist()
        return {**super().get_config(), "weights": weights, "k": self.k, "sigma": self.sigma,
                "gray_threshold": self.gray_threshold, "decoded_weight": self.decoded_weight,
                "decoding": dataclasses.asdict(self.decoding)}


@keras.saving.register_keras_serializable(package="colordisc")
class L2AbLoss(keras.losses.Loss):
    """The regression baseline: mean squared ab error (in ab units / 110) at 1/4 resolution."""

    def __init__(self, name="l2_ab", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        factor = ops.shape(y_true)[1] // ops.shape(y_pred)[1]
        target = cops.downsample_ab(y_true, factor) / AB_NORM
        return ops.mean(ops.square(y_pred - target))


def colorizer_loss(head: str, k: int, sigma: float, class_weights=None, decoded_weight: float = 0.0,
                   decoding: Decoding | None = None) -> keras.losses.Loss:
    """The generator's loss for its head: rebalanced cross entropy on soft-encoded targets
    (classification; with decoded_weight > 0, plus the served `decoding`'s ab error), or the l2
    baseline. Training and the fine-tuning's anchor both use it; the anchor without the decoded term
    (FineTuneConfig has no weight for it, so a generator trained with one is anchored by its CE alone)."""
    if head == "classification":
        return RebalancedCrossEntropy(class_weights, k=k, sigma=sigma, decoded_weight=decoded_weight,
                                      decoding=dataclasses.asdict(decoding or Decoding()))
    return L2AbLoss()


@keras.saving.register_keras_serializable(package="colordisc")
class PatchBCE(keras.losses.Loss):
    """Binary cross entropy of every patch logit against its image's label."""

    def __init__(self, name="patch_bce", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        labels = ops.reshape(ops.cast(y_true, y_pred.dtype), (-1, 1, 1, 1)) * ops.ones_like(y_pred)
        return ops.mean(ops.binary_crossentropy(labels, y_pred, from_logits=True), axis=(1, 2, 3))
