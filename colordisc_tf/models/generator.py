"""Zhang, Isola & Efros (ECCV 2016) colorization network, in Keras 3.

    L (B, H, W, 1) in [0, 100] -> logits (B, ceil(H/4), ceil(W/4), 313)

Layer table (the reference's `eccv16`): eight blocks of 3x3 convs with ReLU,
BatchNorm after blocks 1-7, stride-2 convs ending blocks 1-3 (to 1/8), dilation
2 in blocks 5-6, a 4x4 stride-2 transposed conv opening block 8 (back to 1/4),
and a 1x1 conv to the 313 bin logits. Padding is explicit and symmetric, as in
PyTorch, so the released weights import exactly; inputs whose sides are not
multiples of 8 are padded (symmetric) and the logits cropped back.
"""

from __future__ import annotations

import math

import keras
from keras import layers, ops

from colordisc_tf.color.bins import NUM_BINS
from colordisc_tf.color.decoding import HEADS
from colordisc_tf.constants import L_CENT, L_NORM
from colordisc_tf.models.precision import Float32

__all__ = ["ECCV16_BLOCKS", "HEADS", "build_generator"]


#: (name, channels, convs, stride of the last conv, dilation, batchnorm)
ECCV16_BLOCKS = (
    ("conv1", 64, 2, 2, 1, True),
    ("conv2", 128, 2, 2, 1, True),
    ("conv3", 256, 3, 2, 1, True),
    ("conv4", 512, 3, 1, 1, True),
    ("conv5", 512, 3, 1, 2, True),
    ("conv6", 512, 3, 1, 2, True),
    ("conv7", 512, 3, 1, 1, True),
)


@keras.saving.register_keras_serializable(package="colordisc")
class PadToMultiple(layers.Layer):
    """Pads H and W (bottom/right, symmetric) up to a multiple of `multiple`."""

    def __init__(self, multiple: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.multiple = multiple

    def call(self, x):
        if x.shape[1] is not None and x.shape[2] is not None:
            # Sizes known when the graph is built (training crops): constant pads, nothing for
            # the graph to compute. The run-time path below costs training ~35 % (measured).
            pad_h, pad_w = -x.shape[1] % self.multiple, -x.shape[2] % self.multiple
            return ops.pad(x, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="symmetric")
        shape = ops.shape(x)
        # (m - n % m) % m, not (-n) % m: tf2onnx 1.17 turns an int32 modulo of a negative number
        # into C's remainder (-45 % 8 -> -5), which exported the padding wrong to ONNX.
        pad_h = (self.multiple - shape[1] % self.multiple) % self.multiple
        pad_w = (self.multiple - shape[2] % self.multiple) % self.multiple
        padded = ops.pad(x, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="symmetric")
        # A pad by run-time amounts leaves TensorFlow's graph no static channel count, and the
        # LiteRT converter then cannot lower the next Conv2D to its own kernel; the reshape restores it.
        channels = x.shape[-1] if x.shape[-1] is not None else shape[3]
        return ops.reshape(padded, (shape[0], shape[1] + pad_h, shape[2] + pad_w, channels))

    def compute_output_shape(self, input_shape):
        def up(n):
            return None if n is None else math.ceil(n / self.multiple) * self.multiple

        return (input_shape[0], up(input_shape[1]), up(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@keras.saving.register_keras_serializable(package="colordisc")
class CropLike(layers.Layer):
    """Crops x to ceil(reference side / factor) on H and W."""

    def __init__(self, factor: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x, reference):
        shape = ops.shape(reference)
        height = (shape[1] + self.factor - 1) // self.factor
        width = (shape[2] + self.factor - 1) // self.factor
        return x[:, :height, :width, :]

    def compute_output_shape(self, x_shape, reference_shape):
        def down(n):
            return None if n is None else math.ceil(n / self.factor)

        return (x_shape[0], down(reference_shape[1]), down(reference_shape[2]), x_shape[3])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _channels(base: int, width: float) -> int:
    return max(4, int(round(base * width)))


def _conv(x, channels, name, stride=1, dilation=1):
    # PyTorch's padding=dilation, symmetric. At stride 1 that is exactly "same", which lets
    # cuDNN pad inside the convolution (bf16 training +3.9 % on an H200 against a separate
    # pad, benchmarks/gpu_step.py). At stride 2 "same" would pad bottom/right only and shift
    # the grid against the reference's, so those pads stay explicit.
    if stride == 1:
        x = layers.Conv2D(channels, 3, padding="same", dilation_rate=dilation, name=name)(x)
    else:
        x = layers.ZeroPadding2D(dilation, name=f"{name}_pad")(x)
        x = layers.Conv2D(channels, 3, strides=stride, dilation_rate=dilation, name=name)(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_generator(
    width: float = 1.0,
    input_shape=(None, None, 1),
    head: str = "classification",
    name: str = "eccv16_generator",
) -> keras.Model:
    """The ECCV16 colorizer. `width` scales every channel count (1.0: 32.2 M
    parameters, as published; 0.125: a CPU-sized model for tests and demos).

    head="classification" outputs 313 bin logits; head="l2" outputs ab / 110
    directly (the regression baseline that undersaturates). Built in float32; the
    output stays float32 under any training precision (colordisc_tf.models.precision).
    """
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}")
    l_in = keras.Input(shape=input_shape, name="L")
    x = layers.Rescaling(1.0 / L_NORM, offset=-L_CENT / L_NORM, name="normalize_l")(l_in)
    x = PadToMultiple(8, name="pad_to_8")(x)
    for block, channels, convs, last_stride, dilation, _ in ECCV16_BLOCKS:
        for i in range(convs):
            stride = last_stride if i == convs - 1 else 1
            x = _conv(x, _channels(channels, width), f"{block}_{i + 1}", stride, dilation)
        x = layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name=f"{block}_norm")(x)
    # conv8: 4x4 stride-2 transposed conv, cropped by 1 on each side (PyTorch padding=1).
    x = layers.Conv2DTranspose(_channels(256, width), 4, strides=2, padding="valid", name="conv8_1")(x)
    x = layers.Cropping2D(1, name="conv8_1_crop")(x)
    x = layers.ReLU(name="conv8_1_relu")(x)
    x = _conv(x, _channels(256, width), "conv8_2")
    x = _conv(x, _channels(256, width), "conv8_3")
    if head == "classification":
        out = layers.Conv2D(NUM_BINS, 1, name="conv8_313")(x)
    else:
        out = layers.Conv2D(2, 1, name="conv8_ab")(x)
    out = CropLike(4, name="crop_to_quarter")(out, l_in)
    return keras.Model(l_in, Float32(name="logits_float32")(out), name=name)
