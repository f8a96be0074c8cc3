"""The evaluation protocol of `colordisc evaluate`, frozen: which images, how they are cut and
sized, at what size the colorizer sees them and the metrics are taken.

    images   the names in --list (one per line, relative to --images; `val5k` is the shipped
             list: ILSVRC2012_val_00000001.JPEG ... ILSVRC2012_val_00005000.JPEG, the "first 5,000
             of ImageNet's validation set" of CT2 and DDColor), else every file under --images
    decode   Pillow, as `preprocess` decodes (EXIF orientation, ICC profile to sRGB, CMYK and
             gray to RGB)
    crop     the centred square of side min(H, W), offsets round((H - S) / 2), round((W - S) / 2)
             (Python's rounding): torchvision's CenterCrop, as CT2's evaluation does
    resize   to 256 x 256 with Pillow's bilinear filter (antialiased when shrinking: Pillow widens
             the filter's support by the scale), as torchvision's Resize(256) on a PIL image does
    colorize the model's own inference, as serving colorizes that 256 x 256 truth (as DDColor's
             evaluation runs its network at 512 and resizes ab back): the truth's L area-resized to
             the model's serving size (model_size), the network and its own decoding there, ab
             upsampled (bilinear) to 256 x 256, joined to the truth's L and converted to 8-bit sRGB
             (rounded) -- what serving_default returns for the cut as a PNG
             (colordisc_tf.serve.inference.served_ab; a SavedModel without generator_output runs
             its serving_default)
    metrics  at 256 x 256, colorized vs that truth, both 8-bit sRGB; the AuCs' ab are both images' Lab

Changing any of these changes every number: PROTOCOL_VERSION says which protocol a
metrics.json was measured under. Version 1 ran the network at 256 x 256 whatever its serving
size -- a colorization no user got -- and took the AuCs on the decoded ab before 8-bit rounding.
"""

from __future__ import annotations

import importlib.resources
import os

import numpy as np

__all__ = ["PROTOCOL", "PROTOCOL_VERSION", "EVAL_SIZE", "VAL5K", "val5k_names", "read_image_list",
           "list_images", "center_square", "prepare"]

PROTOCOL_VERSION = 2
EVAL_SIZE = 256
VAL5K = "val5k"  # --list val5k: the list shipped beside this module

PROTOCOL = {
    "version": PROTOCOL_VERSION,
    "images": "the names in the list (relative to the images folder), or every file under it",
    "decode": "Pillow; EXIF orientation applied, ICC profile converted to sRGB, gray/CMYK to RGB",
    "crop": "centred square of side min(H, W); offsets round((H-S)/2), round((W-S)/2) (torchvision CenterCrop)",
    "resize": f"to {EVAL_SIZE}x{EVAL_SIZE}, Pillow bilinear (antialiased when shrinking; torchvision Resize on PIL)",
    "colorize": f"the model's own serving inference on the {EVAL_SIZE}x{EVAL_SIZE} truth: its L area-resized to the "
                "model's serving size (model_size), the network and its decoding there, ab upsampled (bilinear) to "
                f"{EVAL_SIZE}x{EVAL_SIZE}; ab + truth L -> 8-bit sRGB (rounded): what serving_default returns",
    "metrics": f"at {EVAL_SIZE}x{EVAL_SIZE}, colorized vs truth, both 8-bit sRGB (0..255); AuC on the ab of both",
}


def val5k_names() -> list[str]:
    """ILSVRC2012_val_00000001.JPEG ... ILSVRC2012_val_00005000.JPEG."""
    return [f"ILSVRC2012_val_{i:08d}.JPEG" for i in range(1, 5001)]


def read_image_list(path: str) -> list[str]:
    """Names, one per line (blank lines and '#' comments skipped); `val5k` is the shipped list.
    Raises ValueError naming the file and line of a name that leaves the images folder."""
    if path == VAL5K:
        text = importlib.resources.files("colordisc_tf.evaluate").joinpath("val5k.txt").read_text()
        path = "val5k.txt"
    else:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    names, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        if os.path.isabs(name) or ".." in name.replace("\\", "/").split("/"):
            raise ValueError(f"{path}, line {number}: {name!r} is not a path inside the images folder")
        if name in seen:
            raise ValueError(f"{path}, line {number}: {name!r} is listed twice")
        seen.add(name)
        names.append(name)
    if not names:
        raise ValueError(f"{path}: names no images")
    return names


def list_images(images_dir: str, list_file: str | None = None) -> list[str]:
    """The names (relative to images_dir, '/'-separated) to evaluate, in order: the list's, or
    every file under images_dir, sorted. Raises FileNotFoundError naming what is missing."""
    if not os.path.isdir(images_dir):
        raise FileNotFoundError(f"--images {images_dir}: not a folder")
    if list_file is not None:
        names = read_image_list(list_file)
        missing = [n for n in names if not os.path.isfile(os.path.join(images_dir, n))]
        if missing:
            raise FileNotFoundError(f"{len(missing)} of the {len(names)} images in {list_file} are not in {images_dir} "
                                    f"(first: {', '.join(missing[:3])}): the protocol needs every one")
        return names
    from colordisc_tf.data.input_files import expand_inputs

    root = os.path.abspath(images_dir)
    names = [os.path.relpath(p, root).replace(os.sep, "/") for p in expand_inputs([root])]
    if not names:
        raise FileNotFoundError(f"--images {images_dir}: no files")
    return names


def center_square(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) -> the centred (S, S, 3), S = min(H, W), offsets as torchvision's CenterCrop."""
    height, width = rgb.shape[:2]
    side = min(height, width)
    top, left = int(round((height - side) / 2.0)), int(round((width - side) / 2.0))
    return rgb[top:top + side, left:left + side]


def prepare(rgb: np.ndarray, size: int = EVAL_SIZE) -> np.ndarray:
    """A decoded (H, W, 3) uint8 photo -> the protocol's (size, size, 3) uint8 truth."""
    from PIL import Image

    square = center_square(np.asarray(rgb, np.uint8))
    if square.shape[0] == size:
        return np.ascontiguousarray(square)
    return np.asarray(Image.fromarray(square).resize((size, size), Image.BILINEAR))
