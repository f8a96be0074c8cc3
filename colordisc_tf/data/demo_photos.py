"""The bundled demo photos: real colour photos that ship in scikit-image and
scikit-learn (no downloads), optionally cut into tiles to make a small data set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["DEMO_PHOTO_NAMES", "load_demo_photos", "write_demo_photos"]

DEMO_PHOTO_NAMES = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "hubble_deep_field",
    "retina",
    "immunohistochemistry",
    "motorcycle_left",
    "motorcycle_right",
    "china",
    "flower",
)


def _load(name: str) -> np.ndarray:
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg")
    import skimage.data

    if name.startswith("motorcycle_"):
        left, right, _ = skimage.data.stereo_motorcycle()
        return left if name.endswith("left") else right
    return getattr(skimage.data, name)()


def load_demo_photos(names=DEMO_PHOTO_NAMES) -> dict[str, np.ndarray]:
    """name -> (H, W, 3) uint8 RGB photo."""
    unknown = set(names) - set(DEMO_PHOTO_NAMES)
    if unknown:
        raise ValueError(f"unknown demo photos {sorted(unknown)}; known: {DEMO_PHOTO_NAMES}")
    return {name: _load(name) for name in names}


def _tiles(photo: np.ndarray, tile: int, max_side: int):
    img = Image.fromarray(photo)
    scale = min(1.0, max_side / max(img.size))
    if scale < 1.0:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BICUBIC)
    arr = np.asarray(img)
    for y in range(0, arr.shape[0] - tile + 1, tile):
        for x in range(0, arr.shape[1] - tile + 1, tile):
            yield (y, x), arr[y : y + tile, x : x + tile]


def write_demo_photos(
    output_dir, tile: int | None = None, max_side: int = 320, names=DEMO_PHOTO_NAMES
) -> list[Path]:
    """Write the demo photos as PNGs; with `tile`, as non-overlapping tile x tile
    crops of each photo first scaled so its longer side is at most `max_side`."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, photo in load_demo_photos(names).items():
        if tile is None:
            items = [(name, photo)]
        else:
            items = [(f"{name}_{y:04d}_{x:04d}", t) for (y, x), t in _tiles(photo, tile, max_side)]
        for stem, arr in items:
            path = out / f"{stem}.png"
            Image.fromarray(arr).save(path)
            written.append(path)
    return written
