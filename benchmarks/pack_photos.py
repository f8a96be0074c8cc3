"""Real photos for the GPU runs: Debian wallpaper photos + the bundled demo photos, as 256-px tiles.

    python -m benchmarks.pack_photos --out .devdata/photos [--debs DIR]

Downloads (apt-get download, here: the device has no network) the photo wallpapers of
lomiri-wallpapers-16.04/-20.04, ukui-wallpapers and mate-backgrounds, keeps the JPEGs
(their photographs; the PNG/SVG/WebP files there are mostly drawings), resizes each so its
short side is 512 px (demo photos: 256) and cuts non-overlapping 256-px tiles, written as
<photo>__<row>_<col>.jpg (quality 95), so that a split by the part before "__" keeps every
tile of a photo together.
"""

import argparse
import glob
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image

PACKAGES = ("lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04", "ukui-wallpapers", "mate-backgrounds")
SKIP = ("Elephants_3840x2160", "Elephants_5640x3172")  # the same photo at other sizes


def tiles(image: Image.Image, short: int, tile: int = 256):
    scale = short / min(image.size)
    image = image.convert("RGB").resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    for r in range(image.height // tile):
        for c in range(image.width // tile):
            yield f"{r}_{c}", image.crop((c * tile, r * tile, (c + 1) * tile, (r + 1) * tile))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--debs", help="folder with the .deb files already downloaded")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp()
    debs = args.debs or work
    if not args.debs:
        subprocess.run(["apt-get", "download", *PACKAGES], cwd=debs, check=True)
    for deb in glob.glob(os.path.join(debs, "*.deb")):
        subprocess.run(["dpkg", "-x", deb, os.path.join(work, "x")], check=True)
    photos = {}
    for path in sorted(glob.glob(os.path.join(work, "x", "usr", "share", "backgrounds", "**", "*.jpg"), recursive=True)):
        name = os.path.splitext(os.path.basename(path))[0]
        if name not in SKIP:
            photos[name.replace("__", "_")] = (Image.open(path), 512)
    from colordisc_tf.data.demo_photos import DEMO_PHOTO_NAMES, load_demo_photos

    for name, array in load_demo_photos(DEMO_PHOTO_NAMES).items():
        photos[f"demo-{name}"] = (Image.fromarray(np.asarray(array)), 256)
    count = 0
    for name, (image, short) in photos.items():
        for tile_id, tile in tiles(image, short):
            tile.save(os.path.join(args.out, f"{name}__{tile_id}.jpg"), quality=95)
            count += 1
    print(f"{count} tiles of {len(photos)} photos in {args.out}")


if __name__ == "__main__":
    main()
