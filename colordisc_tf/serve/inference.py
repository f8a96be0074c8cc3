"""Colorizing with a trained generator (TensorFlow ops: SavedModels, bulk inference).

    L (B, H, W, 1) in [0, 100] --generator--> logits (B, H/4, W/4, 313)
      --annealed mean--> ab (B, H/4, W/4, 2) --bilinear--> ab (B, H, W, 2)

What serving returns for a photo (served_ab): that path at the model's serving size
(model_size x model_size, the L area-resized), its ab upsampled (bilinear) to the photo and
joined to the photo's own L. `colordisc evaluate` measures exactly this.
"""

from __future__ import annotations

import tensorflow as tf

from colordisc_tf import color
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.color.keras_ops import decode_ab
from colordisc_tf.color.lab import luminance

__all__ = ["predict_ab", "served_ab", "colorize_rgb", "colorize_rgb_guided", "decode_to_rgb", "lab_to_uint8_rgb"]


def predict_ab(model, l_batch, decoding: Decoding):
    """(B, H, W, 1) L -> (B, H, W, 2) ab at the input's resolution, decoded per `decoding`
    (the generator's own: GeneratorConfig.decoding, saved with it)."""
    l_batch = tf.convert_to_tensor(l_batch, tf.float32)
    shape = tf.shape(l_batch)
    return decode_ab(model(l_batch, training=False), (shape[1], shape[2]), decoding)


def lab_to_uint8_rgb(lab):
    """(..., 3) Lab -> (..., 3) uint8 sRGB."""
    return tf.cast(tf.round(color.lab_to_rgb(lab) * 255.0), tf.uint8)


def _luminance(rgb_uint8, model_size: int):
    """(H, W, 3) uint8 -> L at full size (H, W, 1) and what the network sees: L area-resized
    to (1, model_size, model_size, 1)."""
    l_full = luminance(rgb_uint8)
    return l_full, tf.ensure_shape(_small(l_full[None], model_size), [1, model_size, model_size, 1])


def _small(l_full, model_size: int):
    l_small = tf.image.resize(l_full, [model_size, model_size], method="area")
    return tf.ensure_shape(l_small, [None, model_size, model_size, 1])


def served_ab(network, l_full, model_size: int, decoding: Decoding):
    """(B, H, W, 1) L -> (B, H, W, 2) ab as serving colorizes: `network` (L (B, s, s, 1) -> its raw
    output; a Keras generator, or a SavedModel's generator_output) on L area-resized to
    s = model_size, decoded per `decoding`, upsampled (bilinear) to (H, W)."""
    l_small = _small(tf.convert_to_tensor(l_full, tf.float32), model_size)
    small = tf.shape(l_small)  # run-time sizes, as predict_ab passes them: the same resize op
    ab_small = decode_ab(network(l_small), (small[1], small[2]), decoding)
    return tf.image.resize(ab_small, tf.shape(l_full)[1:3], method="bilinear")


def colorize_rgb(model, rgb_uint8, model_size: int, decoding: Decoding):
    """One (H, W, 3) uint8 image -> (H, W, 3) uint8 colorized at its own size.

    The network sees L resized to model_size x model_size (as the reference
    does); its ab is upsampled back and recombined with the full-resolution L.
    """
    l_full = luminance(rgb_uint8)
    ab = served_ab(lambda L: model(L, training=False), l_full[None], model_size, decoding)[0]  # noqa: N803
    return lab_to_uint8_rgb(tf.concat([l_full, ab], axis=-1))


def colorize_rgb_guided(model, discriminator, rgb_uint8, model_size: int, decoding: Decoding):
    """colorize_rgb with realness-guided decoding (colordisc_tf.serve.guided_decode): the discriminator,
    looking at the model_size x model_size decodings, picks the temperature (decoding's is the base).
    Returns (rgb uint8, chosen temperature, the discriminator's realness of the chosen decoding)."""
    from colordisc_tf.serve.guided_decode import GUIDED_TEMPERATURES, guided_decode

    l_full, l_small = _luminance(rgb_uint8, model_size)
    temperatures = tuple(sorted(set(GUIDED_TEMPERATURES) | {decoding.temperature}))
    ab_small, chosen, scores = guided_decode(model(l_small, training=False), l_small, discriminator, decoding,
                                             temperatures)
    ab = tf.image.resize(ab_small, tf.shape(l_full)[:2], method="bilinear")[0]
    chosen_realness = tf.reduce_sum(tf.where(tf.constant(temperatures) == chosen[0], scores[0], 0.0))
    return lab_to_uint8_rgb(tf.concat([l_full, ab], axis=-1)), chosen[0], chosen_realness


def decode_to_rgb(l_batch, ab_batch):
    """L (B, H, W, 1) + ab (B, H, W, 2) -> (B, H, W, 3) uint8 sRGB."""
    return lab_to_uint8_rgb(tf.concat([tf.cast(l_batch, tf.float32), tf.cast(ab_batch, tf.float32)], axis=-1))
