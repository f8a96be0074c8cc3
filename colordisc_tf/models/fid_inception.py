"""The FID Inception network (pytorch-fid's `InceptionV3`, 2048-d pool features), in Keras 3.

    RGB (B, H, W, 3) in [0, 1] --bilinear to 299 x 299, x 2 - 1--> Inception-v3 up to
    Mixed_7c --global average pool--> (B, 2048)

This is the network most colourisation papers compute FID with: TensorFlow's 2015 Inception
graph as pytorch-fid ports it. It is torchvision's Inception-v3 with the blocks pytorch-fid
patches (FIDInceptionA, C, E_1, E_2: average pools that leave the zero padding out of the
count -- TensorFlow's "same" pooling -- and a max pool in the last block's pool branch), and
no classifier. Layer names are the torch module paths with "." written "__"
(Mixed_5b__branch1x1__conv), so the weights import by name
(colordisc_tf.models.fid_inception_import). Padding is PyTorch's: symmetric, which is Keras'
"same" for the stride-1 odd kernels that pad and "valid" for the rest.
"""

from __future__ import annotations

import keras
from keras import layers, ops

__all__ = ["FID_FEATURES", "FID_INPUT_SIZE", "build_fid_inception"]

FID_FEATURES = 2048
FID_INPUT_SIZE = 299
BN_EPSILON = 1e-3  # torchvision's BasicConv2d
_DTYPE = "float32"  # features are compared across runs: never in a mixed-precision policy


class FidInput(layers.Layer):
    """pytorch-fid's input step: bilinear resize to 299 x 299 (F.interpolate, align_corners=False,
    no antialiasing; unless resize_input is False) and [0, 1] -> [-1, 1]."""

    def __init__(self, resize_input: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.resize_input = resize_input

    def call(self, rgb):
        if self.resize_input:
            rgb = ops.image.resize(rgb, (FID_INPUT_SIZE, FID_INPUT_SIZE), interpolation="bilinear", antialias=False)
        return rgb * 2.0 - 1.0

    def compute_output_shape(self, input_shape):
        if not self.resize_input:
            return input_shape
        return (input_shape[0], FID_INPUT_SIZE, FID_INPUT_SIZE, input_shape[3])


def _conv(x, name: str, filters: int, kernel, strides: int = 1, padding: str = "valid"):
    """torchvision's BasicConv2d: conv without bias, BatchNorm (eps 1e-3), ReLU."""
    x = layers.Conv2D(filters, kernel, strides, padding=padding, use_bias=False, name=f"{name}__conv", dtype=_DTYPE)(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}__bn", dtype=_DTYPE)(x)
    return layers.ReLU(dtype=_DTYPE)(x)


def _avg_pool_same(x):
    # F.avg_pool2d(3, stride 1, padding 1, count_include_pad=False) == TensorFlow's SAME average pool.
    return layers.AveragePooling2D(3, 1, padding="same", dtype=_DTYPE)(x)


def _concat(branches):
    return layers.Concatenate(axis=-1, dtype=_DTYPE)(branches)


def _inception_a(x, name: str, pool_features: int):
    b1 = _conv(x, f"{name}__branch1x1", 64, 1)
    b5 = _conv(x, f"{name}__branch5x5_1", 48, 1)
    b5 = _conv(b5, f"{name}__branch5x5_2", 64, 5, padding="same")
    b3 = _conv(x, f"{name}__branch3x3dbl_1", 64, 1)
    b3 = _conv(b3, f"{name}__branch3x3dbl_2", 96, 3, padding="same")
    b3 = _conv(b3, f"{name}__branch3x3dbl_3", 96, 3, padding="same")
    bp = _conv(_avg_pool_same(x), f"{name}__branch_pool", pool_features, 1)
    return _concat([b1, b5, b3, bp])


def _inception_b(x, name: str):
    b3 = _conv(x, f"{name}__branch3x3", 384, 3, strides=2)
    bd = _conv(x, f"{name}__branch3x3dbl_1", 64, 1)
    bd = _conv(bd, f"{name}__branch3x3dbl_2", 96, 3, padding="same")
    bd = _conv(bd, f"{name}__branch3x3dbl_3", 96, 3, strides=2)
    bp = layers.MaxPooling2D(3, 2, dtype=_DTYPE)(x)
    return _concat([b3, bd, bp])


def _inception_c(x, name: str, c7: int):
    b1 = _conv(x, f"{name}__branch1x1", 192, 1)
    b7 = _conv(x, f"{name}__branch7x7_1", c7, 1)
    b7 = _conv(b7, f"{name}__branch7x7_2", c7, (1, 7), padding="same")
    b7 = _conv(b7, f"{name}__branch7x7_3", 192, (7, 1), padding="same")
    bd = _conv(x, f"{name}__branch7x7dbl_1", c7, 1)
    bd = _conv(bd, f"{name}__branch7x7dbl_2", c7, (7, 1), padding="same")
    bd = _conv(bd, f"{name}__branch7x7dbl_3", c7, (1, 7), padding="same")
    bd = _conv(bd, f"{name}__branch7x7dbl_4", c7, (7, 1), padding="same")
    bd = _conv(bd, f"{name}__branch7x7dbl_5", 192, (1, 7), padding="same")
    bp = _conv(_avg_pool_same(x), f"{name}__branch_pool", 192, 1)
    return _concat([b1, b7, bd, bp])


def _inception_d(x, name: str):
    b3 = _conv(x, f"{name}__branch3x3_1", 192, 1)
    b3 = _conv(b3, f"{name}__branch3x3_2", 320, 3, strides=2)
    b7 = _conv(x, f"{name}__branch7x7x3_1", 192, 1)
    b7 = _conv(b7, f"{name}__branch7x7x3_2", 192, (1, 7), padding="same")
    b7 = _conv(b7, f"{name}__branch7x7x3_3", 192, (7, 1), padding="same")
    b7 = _conv(b7, f"{name}__branch7x7x3_4", 192, 3, strides=2)
    bp = layers.MaxPooling2D(3, 2, dtype=_DTYPE)(x)
    return _concat([b3, b7, bp])


def _inception_e(x, name: str, max_pool: bool):
    """FIDInceptionE_1 (average pool branch) or FIDInceptionE_2 (max pool: the 2015 graph's quirk)."""
    b1 = _conv(x, f"{name}__branch1x1", 320, 1)
    b3 = _conv(x, f"{name}__branch3x3_1", 384, 1)
    b3 = _concat([_conv(b3, f"{name}__branch3x3_2a", 384, (1, 3), padding="same"),
                  _conv(b3, f"{name}__branch3x3_2b", 384, (3, 1), padding="same")])
    bd = _conv(x, f"{name}__branch3x3dbl_1", 448, 1)
    bd = _conv(bd, f"{name}__branch3x3dbl_2", 384, 3, padding="same")
    bd = _concat([_conv(bd, f"{name}__branch3x3dbl_3a", 384, (1, 3), padding="same"),
                  _conv(bd, f"{name}__branch3x3dbl_3b", 384, (3, 1), padding="same")])
    pooled = layers.MaxPooling2D(3, 1, padding="same", dtype=_DTYPE)(x) if max_pool else _avg_pool_same(x)
    bp = _conv(pooled, f"{name}__branch_pool", 192, 1)
    return _concat([b1, b3, bd, bp])


def build_fid_inception(resize_input: bool = True) -> keras.Model:
    """The network with fresh (untrained) weights: import real ones with
    colordisc_tf.models.fid_inception_import.import_fid_inception. resize_input=False (as
    pytorch-fid's flag): images at their own size, 75 px or more -- not FID's features."""
    rgb = keras.Input((None, None, 3), name="rgb", dtype=_DTYPE)
    x = FidInput(resize_input, name="fid_input", dtype=_DTYPE)(rgb)
    x = _conv(x, "Conv2d_1a_3x3", 32, 3, strides=2)
    x = _conv(x, "Conv2d_2a_3x3", 32, 3)
    x = _conv(x, "Conv2d_2b_3x3", 64, 3, padding="same")
    x = layers.MaxPooling2D(3, 2, dtype=_DTYPE)(x)
    x = _conv(x, "Conv2d_3b_1x1", 80, 1)
    x = _conv(x, "Conv2d_4a_3x3", 192, 3)
    x = layers.MaxPooling2D(3, 2, dtype=_DTYPE)(x)
    x = _inception_a(x, "Mixed_5b", 32)
    x = _inception_a(x, "Mixed_5c", 64)
    x = _inception_a(x, "Mixed_5d", 64)
    x = _inception_b(x, "Mixed_6a")
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        x = _inception_c(x, name, c7)
    x = _inception_d(x, "Mixed_7a")
    x = _inception_e(x, "Mixed_7b", max_pool=False)
    x = _inception_e(x, "Mixed_7c", max_pool=True)
    features = layers.GlobalAveragePooling2D(name="pool", dtype=_DTYPE)(x)
    return keras.Model(rgb, features, name="fid_inception")
