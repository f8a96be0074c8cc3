"""Keras 3 models (layers and keras.ops only, so they also run on the JAX backend).

A generator is built by name (`generator.arch`): colordisc_tf.models.architectures, which the
config reads without Keras -- so this package loads its Keras modules only when a name from
them is first asked for."""

import importlib

__all__ = ["ARCHITECTURES", "ECCV16_BLOCKS", "build_architecture", "build_generator", "build_discriminator",
           "realness", "realness_map"]

_HOMES = {"ARCHITECTURES": "architectures", "build_architecture": "architectures", "ECCV16_BLOCKS": "generator",
          "build_generator": "generator", "build_discriminator": "discriminator", "realness": "discriminator",
          "realness_map": "discriminator"}


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
