"""PatchGAN discriminator on Lab images (Isola et al. 2017), Keras 3.

    Lab (B, H, W, 3), L in [0, 100] -> per-patch realness logits (B, h, w, 1)

Convolutions are wrapped in SpectralNormalization (Miyato et al. 2018) instead
of BatchNorm, so a batch of all-real or all-colorized images is scored the same as
a mixed one. Depth 3 with 4x4 kernels gives the classic 70x70 receptive field.
With global_pool, the head averages features and returns one logit per image
(B, 1, 1, 1), so both variants share the `realness` reduction below.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from colordisc_tf.constants import AB_NORM, L_CENT
from colordisc_tf.models.precision import Float32

__all__ = ["build_discriminator", "realness", "realness_map", "receptive_field"]


@keras.saving.register_keras_serializable(package="colordisc")
class NormalizeLab(layers.Layer):
    """Lab -> roughly [-1, 1] per channel: (L - L_CENT) / L_CENT, ab / AB_NORM."""

    def call(self, lab):
        scale = ops.convert_to_tensor([L_CENT, AB_NORM, AB_NORM], dtype=lab.dtype)
        shift = ops.convert_to_tensor([L_CENT, 0.0, 0.0], dtype=lab.dtype)
        return (lab - shift) / scale


def _sn_conv(x, filters, stride, name):
    conv = layers.Conv2D(filters, 4, strides=stride, padding="same", name=name)
    return layers.SpectralNormalization(conv, name=f"{name}_sn")(x)


def build_discriminator(
    width: int = 64, depth: int = 3, global_pool: bool = False, input_shape=(None, None, 3), name="patch_discriminator"
) -> keras.Model:
    """width: channels of the first conv (doubling per stride-2 layer, capped at 8x);
    depth: number of stride-2 convs. Returns a model with per-patch logits."""
    if depth < 1 or width < 1:
        raise ValueError("depth and width must be positive")
    lab = keras.Input(shape=input_shape, name="lab")
    x = NormalizeLab(name="normalize_lab")(lab)
    for i in range(depth):
        x = _sn_conv(x, width * min(2**i, 8), 2, f"down{i + 1}")
        x = layers.LeakyReLU(0.2, name=f"down{i + 1}_lrelu")(x)
    x = _sn_conv(x, width * min(2**depth, 8), 1, "conv")
    x = layers.LeakyReLU(0.2, name="conv_lrelu")(x)
    if global_pool:
        x = layers.GlobalAveragePooling2D(keepdims=True, name="pool")(x)
    logits = _sn_conv(x, 1, 1, "patch_logits")
    return keras.Model(lab, Float32(name="logits_float32")(logits), name=name)


def realness(patch_logits):
    """(B, h, w, 1) logits -> (B,) image realness in [0, 1]: the mean patch probability."""
    return ops.mean(ops.sigmoid(patch_logits), axis=(1, 2, 3))


def realness_map(patch_logits):
    """(B, h, w, 1) logits -> (B, h, w) realness of each patch in [0, 1] (its probability of being real)."""
    return ops.sigmoid(patch_logits)[..., 0]


def receptive_field(depth: int = 3) -> int:
    """Receptive field in pixels of one output patch (4x4 kernels)."""
    field, stride = 1, 1
    for s in [2] * depth + [1, 1]:
        field += 3 * stride
        stride *= s
    return field
