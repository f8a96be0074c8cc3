"""What a serving signature does with the bytes it is sent, before any model runs.

The size check reads the image header: a 10000 x 10000 PNG is refused from its first 24
bytes instead of after a 300 MB decode. Formats whose header we do not parse (WebP) are
still checked after decoding.
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["decode_checked", "header_pixels"]

_HEADER_BYTES = 32


def _field(data, offset: int, dtype, little_endian: bool):
    """The integer at `offset` of `data` (zero-padded, so a short payload reads 0, not an error)."""
    width = tf.as_dtype(dtype).size
    padded = tf.strings.join([tf.strings.substr(data, 0, _HEADER_BYTES), tf.constant(b"\0" * _HEADER_BYTES)])
    raw = tf.strings.substr(padded, offset, width)
    return tf.cast(tf.io.decode_raw(raw, dtype, little_endian=little_endian)[0], tf.int64)


def header_pixels(data):
    """Width x height from the header of an encoded PNG, JPEG, GIF or BMP (scalar int64);
    0 when the format is not one of those (the caller then checks after decoding)."""
    def starts_with(magic: bytes):
        return tf.equal(tf.strings.substr(data, 0, len(magic)), magic)

    def png():  # IHDR: big-endian uint32 width, height at bytes 16 and 20
        return _field(data, 16, tf.int32, False) * _field(data, 20, tf.int32, False)

    def jpeg():  # walks the markers to the SOF segment without decoding the scan
        shape = tf.cast(tf.image.extract_jpeg_shape(data), tf.int64)
        return shape[0] * shape[1]

    def gif():  # logical screen: little-endian uint16 width, height at bytes 6 and 8
        return _field(data, 6, tf.uint16, True) * _field(data, 8, tf.uint16, True)

    def bmp():  # BITMAPINFOHEADER: little-endian int32 width, height (negative: top-down) at 18 and 22
        return tf.abs(_field(data, 18, tf.int32, True)) * tf.abs(_field(data, 22, tf.int32, True))

    return tf.case(
        [(starts_with(b"\x89PNG\r\n\x1a\n"), png), (starts_with(b"\xff\xd8\xff"), jpeg),
         (starts_with(b"GIF8"), gif), (starts_with(b"BM"), bmp)],
        default=lambda: tf.constant(0, tf.int64), exclusive=True)


def decode_checked(data, max_pixels: int):
    """Encoded image -> (H, W, 3) uint8; INVALID_ARGUMENT for non-images and for images over
    max_pixels (refused from the header where it can be read, so before decoding)."""
    limit = tf.constant(max_pixels, tf.int64)
    message = f"image has more than {max_pixels} pixels (the serving limit)"
    header_check = tf.debugging.assert_less_equal(header_pixels(data), limit, message=message)
    with tf.control_dependencies([header_check]):
        image = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
    shape = tf.shape(image, out_type=tf.int64)
    decoded_check = tf.debugging.assert_less_equal(shape[0] * shape[1], limit, message=message)
    with tf.control_dependencies([decoded_check]):
        return tf.identity(image)
