import io

import numpy as np
import pytest
from PIL import Image

from colordisc_tf.data.image_io import ImageRejected, content_id, decode_image, resize_and_center_crop


def _encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _photo(w=40, h=30):
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "WEBP"])
def test_lossless_formats_decode_exactly(fmt):
    img = _photo()
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    np.testing.assert_array_equal(decode_image(_encode(img, fmt, **kwargs)), np.asarray(img))


def test_gif_gives_first_frame():
    frames = [Image.new("P", (16, 12), i) for i in (1, 2)]
    frames[0].putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    out = decode_image(data)
    assert out.shape == (12, 16, 3)
    assert tuple(out[0, 0]) == (255, 0, 0)


def test_exif_orientation_is_applied():
    img = _photo(40, 30)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    out = decode_image(_encode(img, "JPEG", exif=exif, quality=95))
    assert out.shape == (40, 30, 3)


def test_rgba_is_composited_on_white():
    img = Image.new("RGBA", (8, 8), (255, 0, 0, 0))  # fully transparent red
    np.testing.assert_array_equal(decode_image(_encode(img, "PNG")), np.full((8, 8, 3), 255))


def test_sixteen_bit_gray_is_scaled_not_clipped():
    arr = np.full((8, 8), 32768, np.uint16)
    out = decode_image(_encode(Image.fromarray(arr), "PNG"))
    assert np.all(np.abs(out.astype(int) - 128) <= 1)


def test_cmyk_jpeg_converts_to_rgb():
    img = Image.new("RGB", (16, 16), (200, 40, 40)).convert("CMYK")
    out = decode_image(_encode(img, "JPEG", quality=95))
    assert out.shape == (16, 16, 3)
    assert out[..., 0].mean() > 150 and out[..., 1].mean() < 100


def test_decompression_bomb_is_rejected_from_header():
    img = Image.new("1", (4000, 4000))  # tiny file, 16 M pixels
    with pytest.raises(ImageRejected) as err:
        decode_image(_encode(img, "PNG"), max_pixels=1_000_000)
    assert err.value.reason == "too_large"


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"hello, world\n", "not_an_image"),
        (b"", "not_an_image"),
    ],
)
def test_non_images(data, reason):
    with pytest.raises(ImageRejected) as err:
        decode_image(data)
    assert err.value.reason == reason


def test_truncated_png():
    data = _encode(_photo(64, 64), "PNG")
    with pytest.raises(ImageRejected) as err:
        decode_image(data[: len(data) // 2])
    assert err.value.reason in ("truncated", "corrupt")


def test_resize_and_center_crop():
    rgb = np.zeros((30, 60, 3), np.uint8)
    rgb[:, 15:45] = 255  # a white centre band half the width
    out = resize_and_center_crop(rgb, 16)
    assert out.shape == (16, 16, 3)
    assert out[8, 8, 0] == 255  # the centre crop is the band


def test_content_id_depends_on_pixels_only():
    a = np.asarray(_photo())
    assert content_id(a) == content_id(a.copy())
    b = a.copy()
    b[0, 0, 0] ^= 1
    assert content_id(a) != content_id(b)
    assert content_id(a) != content_id(a.reshape(40, 30, 3))
