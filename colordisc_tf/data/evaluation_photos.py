"""Photos kept for evaluation: the photographs of other desktops' wallpaper packages.

Issue 33 keeps other desktops' wallpapers out of training so that a colorizer can be measured on
photos nobody here chose. These are the photographs among them (looked at one by one,
2026-12-04; the rest is abstract art or a rendering), written as PNGs for `ship-starter` to
measure the starter on, never for training:

    <output>/<package>/<name>.png    short side `short_side` px (never upscaled)
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from PIL import Image

from colordisc_tf.data.starter_photos import _deb_members, _debs, _resize_short

__all__ = ["EVALUATION_PACKAGES", "write_evaluation_set"]

# package -> the photographs' names (MATE, LXQt: the file's stem; Plasma: the wallpaper's folder, whose
# largest image is taken; Enlightenment: the .edj theme file's stem, whose largest JPEG is taken). LXQt and
# Enlightenment were added on 2026-12-04, late, after the starter was chosen: a check it was never tuned on.
EVALUATION_PACKAGES = {
    "mate-backgrounds": {"Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops",
                         "Storm", "TwoWings", "Wood", "YellowFlower"},
    "plasma-workspace-wallpapers": {"BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow",
                                    "FallenLeaf", "Grey", "Kite", "OneStandsOut", "Path", "Volna", "summer_1am"},
    "lxqt-themes": {"Butterfly-Kenneth-Wimer", "Valendas", "after-the-rain", "appleflower", "beam", "butterfly",
                    "cloud", "drop", "flowers", "fog", "this-is-not-windows"},
    "enlightenment-data": {"Bamboo", "Foggy-Trees", "God-Rays", "Green-Maple", "Lichen-Branches", "Mountain", "Peaks",
                           "Red-Maple", "Sea-of-Lanterns", "Snow-Trees", "Spruce-Needles", "Sunset-Clouds",
                           "White-Flower", "Yellow-Flower"},
}
# where each package keeps its wallpapers (LXQt's themes folders hold other images)
_FOLDERS = {"lxqt-themes": "/lxqt/wallpapers/", "enlightenment-data": "/enlightenment/data/backgrounds/"}
_PLASMA = re.compile(r"wallpapers/([^/]+)/contents/images/(\d+)x(\d+)\.\w+$")
_JPEG_START = re.compile(rb"\xff\xd8\xff")


def _largest_jpeg(container: bytes) -> tuple[int, bytes] | None:
    """(pixels, bytes from its start) of the largest JPEG inside an Enlightenment .edj (an Eet file that
    keeps each size of the wallpaper as a plain JPEG; no Eet reader is needed to find them)."""
    best = None
    for match in _JPEG_START.finditer(container):
        try:
            with Image.open(io.BytesIO(container[match.start():])) as img:
                pixels = img.size[0] * img.size[1]
        except OSError:  # three bytes that only look like a JPEG's start
            continue
        if best is None or pixels > best[0]:
            best = (pixels, container[match.start():])
    return best


def _photos(package: str, members):
    """(name, encoded bytes) of each listed photograph in the package (Plasma: its largest size)."""
    wanted, best = EVALUATION_PACKAGES[package], {}
    for member, data in members:
        if package in _FOLDERS and _FOLDERS[package] not in member:
            continue
        plasma = _PLASMA.search(member)
        name = plasma.group(1) if plasma else os.path.splitext(os.path.basename(member))[0]
        if name not in wanted or not member.lower().endswith((".jpg", ".jpeg", ".png", ".edj")):
            continue
        pixels = int(plasma.group(2)) * int(plasma.group(3)) if plasma else 0
        if member.endswith(".edj"):
            found = _largest_jpeg(data)
            if found is None:
                continue
            pixels, data = found
        if name not in best or pixels > best[name][0]:
            best[name] = (pixels, data)
    return {name: data for name, (_, data) in best.items()}


def write_evaluation_set(deb_dir: str, output_dir: str, short_side: int = 512) -> dict[str, int]:
    """Writes each package's listed photographs under output_dir/<package>/; returns the count per
    package. A package's .deb missing from deb_dir, or a listed photo missing from it, is an error."""
    counts = {}
    for package, deb in sorted(_debs(deb_dir, EVALUATION_PACKAGES).items()):
        photos = _photos(package, _deb_members(str(deb)))
        absent = sorted(EVALUATION_PACKAGES[package] - set(photos))
        if absent:
            raise FileNotFoundError(f"{deb}: the listed photographs {absent} are not in it (another version?)")
        folder = Path(output_dir) / package
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in sorted(photos.items()):
            img = Image.open(io.BytesIO(data)).convert("RGB")
            _resize_short(img, min(short_side, min(img.size))).save(folder / f"{name}.png")
        counts[package] = len(photos)
    return counts
