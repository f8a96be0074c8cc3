"""Generator architectures by name: `generator.arch` in the config chooses one.

    ARCHITECTURES   name -> "module:builder"; the builder takes (width, head=...) and returns a
                    Keras model L (B, H, W, 1) in [0, 100] -> its output (B, H/4, W/4, 313 logits
                    or 2 ab for head "l2"), its custom layers registered with
                    keras.saving.register_keras_serializable (so saving finds them by name)

Adding an architecture: one module in models/ with its builder, one line here. The names
are plain strings so that the config (read by Beam workers that never import Keras) can check
`generator.arch` without building anything.
"""

from __future__ import annotations

import importlib

__all__ = ["ARCHITECTURES", "DEFAULT_ARCH", "build_architecture"]

DEFAULT_ARCH = "eccv16"

ARCHITECTURES = {
    "eccv16": "colordisc_tf.models.generator:build_generator",  # Zhang, Isola & Efros 2016
}


def build_architecture(arch: str, width: float = 1.0, head: str = "classification", **kwargs):
    """The generator `arch` builds at `width` with `head`."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"generator.arch must be one of {sorted(ARCHITECTURES)}, got {arch!r}")
    module, builder = ARCHITECTURES[arch].split(":")
    return getattr(importlib.import_module(module), builder)(width, head=head, **kwargs)
