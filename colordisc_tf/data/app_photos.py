"""Photographs that Debian applications ship as their own content: a painting program's templates, a
photo manager's demo album, two jigsaw games' puzzles. A source beyond issue 33's list, named there with
its licences; neither desktop wallpaper nor a documentation package's sample data.

Added on 2026-12-04, late, because the starter failed on foggy, dusky and grey photos (LXQt's and
Enlightenment's wallpapers): GCompris' photos are sunny animals and monuments, these are bark, fog,
surf, sheep, dusk, snow, pubs and people.

    package          photos  licence
    tuxpaint-data        21  GPL-2+ (Bill Kendrick's photographs); two starters public domain (NOAA)
    kphotoalbum          24  GPL-2+ (the demo album of its author, Jesper K. Pedersen)
    palapeli-data         5  per photo, from its .desktop file (public domain, GNU FDL)
    puzzle-jigsaw         2  CC0-1.0 (Pexels; puzzle-jigsaw's debian/copyright)

Each photo is turned the way its application shows it (KPhotoAlbum keeps the angle in its index.xml).
tuxpaint's reef is a 256-colour PNG; it is kept, being a photograph with its licence (LibreOffice's
template pictures are left out for having none).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["APP_PACKAGES", "app_photos"]


@dataclass(frozen=True)
class AppSource:
    photos: str  # a regex on the member's path: the files that are photographs
    licence: str  # unless the package says otherwise per photo


_NOAA = "public domain (NOAA photo library; tuxpaint-data's AUTHORS)"
APP_PACKAGES = {
    "tuxpaint-data": AppSource(r"/tuxpaint/(templates/[^/]+\.jpg|starters/(skyline-sf-dusk-back\.jpeg|reef-back\.png))$",
                               "GPL-2+ (tuxpaint-data's debian/copyright; photographs by Bill Kendrick)"),
    "kphotoalbum": AppSource(r"/kphotoalbum/demo/[^/]+\.jpg$",
                             "GPL-2+ (kphotoalbum's debian/copyright; its author's demo album)"),
    "palapeli-data": AppSource(r"/palapeli/collection/[^/]+\.jpg$", "GPL-2+ (palapeli-data's debian/copyright)"),
    "puzzle-jigsaw": AppSource(r"/puzzle-jigsaw/samples/[^/]+\.jpe?g$", "CC0-1.0 (Pexels; puzzle-jigsaw's debian/copyright)"),
}
_PER_PHOTO_LICENCE = {("tuxpaint-data", "skyline-sf-dusk-back"): _NOAA, ("tuxpaint-data", "reef-back"): _NOAA}


def _kphotoalbum_angles(index_xml: str) -> dict[str, int]:
    """file name -> the clockwise angle KPhotoAlbum shows it at (its demo keeps three photos on their side
    and one upside down)."""
    import xml.etree.ElementTree as ET

    if not index_xml:
        return {}
    return {image.get("file"): int(image.get("angle")) for image in ET.fromstring(index_xml).iter("image")
            if image.get("file") and image.get("angle")}


def _palapeli_licences(desktop_files: dict[str, str]) -> dict[str, str]:
    """photo stem -> "<licence> (<author>)" from each puzzle's .desktop file."""
    out = {}
    for path, text in desktop_files.items():
        licence = re.search(r"^X-KDE-PluginInfo-License=(.+)$", text, re.M)
        author = re.search(r"^X-KDE-PluginInfo-Author=(.+)$", text, re.M)
        if licence:
            out[Path(path).stem] = f"{licence.group(1).strip()} ({author.group(1).strip() if author else '?'}; Wikimedia Commons)"
    return out


def _group(package: str, stem: str) -> str:
    """One hold-out unit for a photo and its siblings (KPhotoAlbum's grand_canyon_1..3 are one visit)."""
    return package + "_" + re.sub(r"_\d+$", "", stem)


def app_photos(deb_dir: str, excluded: list[dict]):
    """StarterPhotos of every APP_PACKAGES photograph in deb_dir's .debs; their other image files are
    listed in `excluded`. A package's .deb missing from deb_dir is an error naming the command."""
    from colordisc_tf.data.starter_photos import _IMAGE_SUFFIXES, StarterPhoto, _deb_members, _debs

    for package, deb in _debs(deb_dir, tuple(APP_PACKAGES)).items():
        source = APP_PACKAGES[package]
        members = dict(_deb_members(str(deb)))
        index = next((body.decode("utf-8", "replace") for path, body in members.items()
                      if path.endswith("/kphotoalbum/demo/index.xml")), "")
        angles = _kphotoalbum_angles(index)
        licences = _palapeli_licences({path: body.decode("utf-8", "replace") for path, body in members.items()
                                       if path.endswith(".desktop") and "/palapeli/collection/" in path})
        for path, body in sorted(members.items()):
            if not path.lower().endswith(_IMAGE_SUFFIXES):
                continue
            if not re.search(source.photos, path, re.I):
                excluded.append({"source": package, "file": path.removeprefix("./"),
                                 "reason": "not a photograph (an icon, a drawing, a texture or a documentation screenshot)"})
                continue
            base, stem = os.path.basename(path), Path(path).stem
            img = Image.open(io.BytesIO(body)).convert("RGB")
            if angles.get(base):
                img = img.rotate(-angles[base], expand=True)  # PIL turns counter-clockwise
            licence = licences.get(stem) or _PER_PHOTO_LICENCE.get((package, stem)) or source.licence
            yield StarterPhoto(f"{package}_{stem}", _group(package, stem), package, licence, np.asarray(img))
