"""A folder of real photos plus planted bad files, with the expected outcome of each."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from colordisc_tf.data.demo_photos import load_demo_photos


def _small(photo: np.ndarray, side: int) -> Image.Image:
    img = Image.fromarray(photo)
    scale = side / min(img.size)
    return img.resize((round(img.width * scale), round(img.height * scale)), Image.BICUBIC)


def make_planted_folder(root: Path, side: int = 48) -> dict[str, str | None]:
    """Writes files under root; returns {file name: expected reject reason or None}."""
    root.mkdir(parents=True, exist_ok=True)
    photos = load_demo_photos(["astronaut", "chelsea", "coffee", "rocket", "china", "flower"])
    expected: dict[str, str | None] = {}

    for name in ("astronaut", "chelsea", "coffee"):
        _small(photos[name], side).save(root / f"{name}.png")
        expected[f"{name}.png"] = None
    _small(photos["rocket"], side).save(root / "rocket.jpg", quality=95)
    expected["rocket.jpg"] = None
    # The same pixels again under another name (lossless): a duplicate of chelsea.
    (root / "chelsea_copy.png").write_bytes((root / "chelsea.png").read_bytes())
    expected["chelsea_copy.png"] = "duplicate"
    # Modes that must be converted, not rejected.
    _small(photos["china"], side).convert("CMYK").save(root / "china_cmyk.jpg", quality=95)
    expected["china_cmyk.jpg"] = None
    rgba = _small(photos["flower"], side).convert("RGBA")
    rgba.putalpha(200)
    rgba.save(root / "flower_rgba.png")
    expected["flower_rgba.png"] = None
    # A 16-bit PNG of a gray photo: decodes, then rejected for having no chroma.
    gray16 = (np.asarray(_small(photos["coffee"], side).convert("L"), np.uint16) * 257)
    Image.fromarray(gray16).save(root / "coffee_gray16.png")
    expected["coffee_gray16.png"] = "grayscale"
    _small(photos["astronaut"], side).convert("L").save(root / "astronaut_gray.jpg")
    expected["astronaut_gray.jpg"] = "grayscale"
    # Broken and unusable files.
    buf = io.BytesIO()
    _small(photos["chelsea"], side * 2).save(buf, "JPEG", quality=95)
    (root / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    expected["truncated.jpg"] = "truncated"
    (root / "random.png").write_bytes(np.random.default_rng(0).bytes(4096))
    expected["random.png"] = "not_an_image"
    Image.new("RGB", (1, 1), (200, 30, 30)).save(root / "one_pixel.png")
    expected["one_pixel.png"] = "too_small"
    (root / "notes.txt").write_text("not a photo\n")
    expected["notes.txt"] = "not_an_image"
    return expected
