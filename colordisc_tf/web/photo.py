"""One photo through the page: checked, decoded as `preprocess` decodes it, the network run
once (its raw output kept), decoded at a temperature, scored, drawn.

    bytes --checks (size in bytes; pixels from the header)--> (H, W, 3) uint8
      --L, area-resized to the model's size--> network --> raw (1, s/4, s/4, C)   [kept]
      --annealed mean at T, bilinear to (H, W), with the photo's own L--> colorized
      --discriminator--> realness, realness map --> heat map over the colorization

At the generator's own temperature this is what `colordisc colorize` returns for the file
(colordisc_tf.serve.inference.served_ab, split where the raw output is kept).
"""

from __future__ import annotations

import dataclasses
import io
import re

import numpy as np
import tensorflow as tf
from PIL import Image

from colordisc_tf.color.decoding import Decoding
from colordisc_tf.color.keras_ops import decode_ab
from colordisc_tf.color.lab import luminance
from colordisc_tf.data.image_io import ImageRejected, decode_image
from colordisc_tf.serve.inference import lab_to_uint8_rgb
from colordisc_tf.serve.overlay import realness_overlay

__all__ = ["PhotoRefused", "Kept", "read_photo", "run_network", "decode_at", "score", "grey", "png_bytes"]


class PhotoRefused(ValueError):
    """An upload the page does not colorize; its text is the one sentence the page shows."""


@dataclasses.dataclass
class Kept:
    """What a new temperature needs: the decoded photo and the network's raw output."""

    rgb: np.ndarray  # (H, W, 3) uint8, the photo as decoded
    raw: np.ndarray  # (1, s/4, s/4, C) float32

    @property
    def nbytes(self) -> int:
        return self.rgb.nbytes + self.raw.nbytes


def read_photo(name: str, data: bytes, max_pixels: int) -> np.ndarray:
    """Bytes -> (H, W, 3) uint8, refused (PhotoRefused, one sentence) when they are no image or
    have more than max_pixels, which Pillow reads from the header before it decodes anything."""
    if not data:
        raise PhotoRefused(f"{name} is empty.")
    try:
        return decode_image(data, max_pixels)
    except ImageRejected as e:
        if e.reason == "not_an_image":
            raise PhotoRefused(f"{name} is not an image this page can read (JPEG, PNG, WebP, GIF, BMP or TIFF).") from None
        if e.reason == "too_large":
            size = re.match(r"(\d+)x(\d+)", e.detail)
            what = f"{int(size[1]):,} x {int(size[2]):,} pixels" if size else "more pixels than Pillow opens"
            raise PhotoRefused(f"{name} is {what}; this page takes images up to {max_pixels:,} pixels.") from None
        raise PhotoRefused(f"{name} could not be decoded ({e.reason}: {e.detail.splitlines()[0][:120]}).") from None


def _luminance(rgb: np.ndarray):
    """(H, W, 3) uint8 -> L (1, H, W, 1) float32, as serving computes it."""
    return luminance(rgb)[None]


def run_network(network, rgb: np.ndarray) -> Kept:
    """network: a GeneratorNetwork (colordisc_tf.serve.model_ref); its raw output on the photo's L
    area-resized to its model size, as serving_default runs it."""
    size = network.model_size
    l_small = tf.image.resize(_luminance(rgb), [size, size], method="area")
    return Kept(rgb, np.asarray(network.raw(l_small), np.float32))


def decode_at(kept: Kept, decoding: Decoding) -> np.ndarray:
    """The kept raw output decoded per `decoding`, upsampled to the photo and joined with its L:
    (H, W, 3) uint8."""
    l_full = _luminance(kept.rgb)
    size = kept.raw.shape[1] * 4
    # run-time sizes, as serving passes them: the same resize kernel as the SavedModel's
    side = tf.constant(size)
    ab = tf.image.resize(decode_ab(tf.constant(kept.raw), (side, side), decoding), tf.shape(l_full)[1:3],
                         method="bilinear")
    return lab_to_uint8_rgb(tf.concat([l_full, ab], axis=-1))[0].numpy()


def score(scorer, rgb: np.ndarray) -> tuple[float, np.ndarray]:
    """(realness, its (H, W, 3) uint8 heat map over rgb)."""
    realness, realness_map = scorer.score(tf.constant(rgb[None]))
    return float(np.asarray(realness)[0]), realness_overlay(rgb, np.asarray(realness_map)[0])


def grey(rgb: np.ndarray) -> np.ndarray:
    """What the network sees, for the eye: the photo's L as grey (H, W, 3) uint8."""
    lab = tf.concat([_luminance(rgb), tf.zeros(rgb.shape[:2] + (2,), tf.float32)[None]], axis=-1)
    return lab_to_uint8_rgb(lab)[0].numpy()


def png_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()
