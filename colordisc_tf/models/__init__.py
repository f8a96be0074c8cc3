"""Keras 3 models (layers and keras.ops only, so they also run on the JAX backend)."""

from colordisc_tf.models.discriminator import build_discriminator, realness
from colordisc_tf.models.generator import ECCV16_BLOCKS, build_generator

__all__ = ["ECCV16_BLOCKS", "build_generator", "build_discriminator", "realness"]
