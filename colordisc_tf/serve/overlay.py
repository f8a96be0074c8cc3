"""The realness heat map, one colour scale everywhere: red where a colorization looks least
real, green where it looks real (RdYlGn). Drawn over an image for `colordisc colorize
--realness`, as a table for the SavedModel's realness_map_bytes, and by name in the report."""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

__all__ = ["REALNESS_CMAP", "heat_table", "realness_overlay"]

#: The matplotlib colour map of realness 0 (red) .. 1 (green).
REALNESS_CMAP = "RdYlGn"


@functools.lru_cache(maxsize=1)
def heat_table() -> np.ndarray:
    """(256, 3) uint8: the colour of realness i / 255."""
    from matplotlib import colormaps

    table = np.round(colormaps[REALNESS_CMAP](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)
    table.setflags(write=False)
    return table


def realness_overlay(rgb: np.ndarray, realness_map: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """(H, W, 3) uint8 image, (h, w) realness in [0, 1] (any grid over the whole image)
    -> (H, W, 3) uint8: the map upsampled (bilinear) to the image, coloured with heat_table
    and blended over it."""
    rgb = np.asarray(rgb)
    realness_map = np.asarray(realness_map, dtype=np.float32)
    if rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"rgb must be (H, W, 3), got {rgb.shape}")
    if realness_map.ndim != 2:
        raise ValueError(f"realness_map must be (h, w), got {realness_map.shape}")
    height, width = rgb.shape[:2]
    full = np.asarray(Image.fromarray(np.clip(realness_map, 0.0, 1.0)).resize((width, height), Image.BILINEAR))
    heat = heat_table()[np.round(full * 255.0).astype(np.int64)].astype(np.float32)
    return np.round((1 - alpha) * rgb.astype(np.float32) + alpha * heat).astype(np.uint8)
