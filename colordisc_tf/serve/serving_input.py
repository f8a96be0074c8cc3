"""What a serving signature does with the bytes it is sent, before any model runs.

The size check reads the image header: a 10000 x 10000 PNG (or a 5 KB WebP of that size) is
refused from its first 30 bytes instead of after a 300 MB decode; formats whose header is not
parsed here are still checked after decoding. A request is bounded as a whole too: images
per request and pixels per request.
"""

from __future__ import annotations

import tensorflow as tf

__all__ = ["decode_checked", "header_pixels", "request_checked"]

_HEADER_BYTES = 32


def _padded(data):
    """The header, zero-padded: a short payload reads zeros, not an error."""
    return tf.strings.join([tf.strings.substr(data, 0, _HEADER_BYTES), tf.constant(b"\0" * _HEADER_BYTES)])


def _field(data, offset: int, dtype, little_endian: bool):
    """The integer at `offset` of `data` (0 past its end)."""
    raw = tf.strings.substr(_padded(data), offset, tf.as_dtype(dtype).size)
    return tf.cast(tf.io.decode_raw(raw, dtype, little_endian=little_endian)[0], tf.int64)


def _bytes(data, offset: int, count: int):
    """count bytes from `offset` as int64 (0 past the end)."""
    return tf.cast(tf.io.decode_raw(tf.strings.substr(_padded(data), offset, count), tf.uint8), tf.int64)


def header_pixels(data):
    """Width x height from the header of an encoded PNG, JPEG, GIF, BMP or WebP (scalar int64);
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

    def webp():  # RIFF....WEBP, then the first chunk: VP8X (canvas), VP8L (lossless) or VP8 (lossy)
        b = _bytes(data, 20, 10)  # header bytes 20..29
        chunk = tf.strings.substr(data, 12, 4)
        vp8x = (1 + b[4] + b[5] * 256 + b[6] * 65536) * (1 + b[7] + b[8] * 256 + b[9] * 65536)
        bits = b[1] + b[2] * 256 + b[3] * 65536 + b[4] * 16777216  # VP8L: 14 bits width - 1, 14 bits height - 1
        vp8l = (1 + bits % 16384) * (1 + (bits // 16384) % 16384)
        vp8 = ((b[6] + b[7] * 256) % 16384) * ((b[8] + b[9] * 256) % 16384)
        return tf.case([(tf.equal(chunk, b"VP8X"), lambda: vp8x), (tf.equal(chunk, b"VP8L"), lambda: vp8l),
                        (tf.equal(chunk, b"VP8 "), lambda: vp8)], default=lambda: tf.constant(0, tf.int64))

    is_webp = tf.logical_and(starts_with(b"RIFF"), tf.equal(tf.strings.substr(_padded(data), 8, 4), b"WEBP"))
    return tf.case(
        [(starts_with(b"\x89PNG\r\n\x1a\n"), png), (starts_with(b"\xff\xd8\xff"), jpeg),
         (starts_with(b"GIF8"), gif), (starts_with(b"BM"), bmp), (is_webp, webp)],
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


def request_checked(images, max_images: int, max_request_pixels: int):
    """images (a batch of encoded images) after two bounds on the whole request, both from the
    headers before anything is decoded: at most max_images images, and at most
    max_request_pixels pixels together (images whose header is not read count after
    decoding, against the per-image limit only). INVALID_ARGUMENT names the limit."""
    images = tf.reshape(images, [-1])
    count_check = tf.debugging.assert_less_equal(
        tf.size(images, out_type=tf.int64), tf.constant(max_images, tf.int64),
        message=f"more than {max_images} images in one request (the serving limit)")
    total = tf.reduce_sum(tf.map_fn(header_pixels, images, fn_output_signature=tf.int64))
    pixels_check = tf.debugging.assert_less_equal(
        total, tf.constant(max_request_pixels, tf.int64),
        message=f"more than {max_request_pixels} pixels in one request (the serving limit)")
    with tf.control_dependencies([count_check, pixels_check]):
        return tf.identity(images)
