"""Decode any image file Pillow can read into sRGB, or say precisely why not.

Every failure raises `ImageRejected` with one of the `REASONS`, so callers can
account for every input.
"""

from __future__ import annotations

import hashlib
import io
import warnings

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from colordisc_tf.constants import DEFAULT_MAX_PIXELS

__all__ = [
    "REASONS",
    "ImageRejected",
    "decode_image",
    "resize_and_center_crop",
    "content_id",
    "near_hash",
    "DEFAULT_MAX_PIXELS",
]

#: Why an input was not written. `rejects.jsonl` uses exactly these strings.
REASONS = (
    "unreadable",  # the file could not be read at all
    "not_an_image",  # no decoder recognises the bytes
    "corrupt",  # recognised, but decoding failed
    "truncated",  # recognised, but the data ends early
    "too_small",  # shorter side below the minimum
    "too_large",  # more pixels than allowed (checked from the header, before decoding)
    "grayscale",  # no chroma to learn from: every |a|, |b| <= 5
    "duplicate",  # same decoded pixels as another input, which was kept
)


_SRGB_PROFILE = ImageCms.createProfile("sRGB")


class ImageRejected(Exception):
    """An input that cannot be used; `reason` is one of REASONS."""

    def __init__(self, reason: str, detail: str = ""):
        if reason not in REASONS:
            raise ValueError(f"unknown reject reason {reason!r}")
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _to_srgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode (L, LA, P, RGBA, CMYK, I;16, F, ...) -> RGB, colour-managed
    to sRGB when the file carries an ICC profile; alpha is composited on white."""
    mode = img.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        arr = np.asarray(img, dtype=np.float64)
        if mode == "F" and arr.max(initial=0) <= 1.0:
            arr = arr * 255.0
        elif mode != "F" and (mode.startswith("I;16") or arr.max(initial=0) > 255):
            arr = arr / 257.0
        img = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "L")
        mode = "L"
    if mode in ("RGBA", "LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, rgba)
        mode = "RGBA"
    icc = img.info.get("icc_profile")
    if icc and mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(img, source, _SRGB_PROFILE, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to Pillow's plain conversion
    return img.convert("RGB")


def decode_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Encoded bytes -> (H, W, 3) uint8 sRGB, EXIF orientation applied.

    GIF/APNG/TIFF stacks give their first frame. The pixel count is checked
    from the header before any decoding (decompression bombs).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageRejected("too_large", str(e)) from None
    except UnidentifiedImageError:
        raise ImageRejected("not_an_image", f"{len(data)} bytes no image decoder recognises") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageRejected("corrupt", f"{type(e).__name__}: {e}") from None
    width, height = img.size
    if width * height > max_pixels:
        raise ImageRejected("too_large", f"{width}x{height} = {width * height} pixels > {max_pixels}")
    try:
        img.seek(0)
        img.load()
        img = ImageOps.exif_transpose(img)
        return np.asarray(_to_srgb(img), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, Image.DecompressionBombError) as e:
        message = f"{type(e).__name__}: {e}"
        reason = "truncated" if "truncat" in message.lower() or isinstance(e, EOFError) else "corrupt"
        raise ImageRejected(reason, message) from None


def resize_and_center_crop(rgb: np.ndarray, size: int) -> np.ndarray:
    """(H, W, 3) uint8 -> (size, size, 3) uint8: shorter side to `size`
    (antialiased bicubic), then a centre crop."""
    height, width = rgb.shape[:2]
    scale = size / min(height, width)
    new_w, new_h = max(size, round(width * scale)), max(size, round(height * scale))
    img = Image.fromarray(rgb)
    if (new_w, new_h) != (width, height):
        img = img.resize((new_w, new_h), Image.BICUBIC)
    left, top = (new_w - size) // 2, (new_h - size) // 2
    return np.asarray(img.crop((left, top, left + size, top + size)))


def near_hash(rgb: np.ndarray) -> int:
    """A 64-bit difference hash of the picture (its 9 x 8 gray thumbnail: is each pixel brighter
    than its left neighbour?). A re-encoded or resized copy lands within a few bits (a PNG and
    its quality-70 JPEG: 0-1 bits on the demo photos; different photos: 11 or more)."""
    thumb = np.asarray(Image.fromarray(np.asarray(rgb, np.uint8)).convert("L").resize((9, 8), Image.BILINEAR),
                       np.int16)
    return int.from_bytes(np.packbits(thumb[:, 1:] > thumb[:, :-1]).tobytes(), "big")


def content_id(rgb: np.ndarray) -> str:
    """A stable id of the decoded pixels: the same photo re-saved with other
    metadata (or as a lossless copy) gets the same id."""
    digest = hashlib.sha256()
    digest.update(np.asarray(rgb.shape, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes())
    return digest.hexdigest()[:16]
