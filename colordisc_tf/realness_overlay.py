"""A discriminator's per-patch realness map drawn over the image it scored: red where the
colorization looks least real, green where it looks real (colordisc colorize --realness)."""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = ["realness_overlay"]


def realness_overlay(rgb: np.ndarray, realness_map: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """(H, W, 3) uint8 image, (h, w) realness in [0, 1] (any grid over the whole image)
    -> (H, W, 3) uint8: the map upsampled (bilinear) to the image, coloured with RdYlGn
    (0 red, 1 green) and blended over it."""
    from matplotlib import colormaps

    rgb = np.asarray(rgb)
    realness_map = np.asarray(realness_map, dtype=np.float32)
    if rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"rgb must be (H, W, 3), got {rgb.shape}")
    if realness_map.ndim != 2:
        raise ValueError(f"realness_map must be (h, w), got {realness_map.shape}")
    height, width = rgb.shape[:2]
    full = np.asarray(Image.fromarray(np.clip(realness_map, 0.0, 1.0)).resize((width, height), Image.BILINEAR))
    heat = colormaps["RdYlGn"](full)[..., :3] * 255.0
    return np.round((1 - alpha) * rgb.astype(np.float32) + alpha * heat).astype(np.uint8)
