"""decode_ab as a Keras layer, for models that decode inside their graph (the adversarial
fine-tuning). Its own module: Keras layers and mutmut's rewritten methods do not mix (see
tests/mutate.py), and keras_ops is mutated in full."""

from __future__ import annotations

import dataclasses

import keras
from keras import layers

from colordisc_tf.color.decoding import Decoding
from colordisc_tf.color.keras_ops import decode_output

__all__ = ["DecodeAb"]


@keras.saving.register_keras_serializable(package="colordisc")
class DecodeAb(layers.Layer):
    """decode_ab as a layer of a functional model: (B, h, w, out) -> (B, factor h, factor w, 2),
    differentiably (the adversarial fine-tuning decodes inside its graph)."""

    def __init__(self, decoding: Decoding | dict, factor: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.decoding = decoding if isinstance(decoding, Decoding) else Decoding(**decoding)
        self.factor = int(factor)
        self.upsample = layers.UpSampling2D(self.factor, interpolation="bilinear")

    def build(self, input_shape):  # stateless: nothing to trace
        self.upsample.build((*input_shape[:-1], 2))
        self.built = True

    def call(self, output):
        return self.upsample(decode_output(output, self.decoding))

    def compute_output_shape(self, input_shape):
        return self.upsample.compute_output_shape((*input_shape[:-1], 2))

    def get_config(self):
        return {**super().get_config(), "decoding": dataclasses.asdict(self.decoding), "factor": self.factor}
