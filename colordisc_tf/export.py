"""SavedModel export for TF Serving.

The colorizer's signatures:
    serving_default(images: tf.string [B]) -> {"colorized": tf.string [B]}
        encoded JPEG/PNG/GIF/BMP in, PNG out at each input's own size. Bytes
        that are not an image, or images over `max_pixels`, fail the request
        with INVALID_ARGUMENT naming the problem; the server keeps running.
    colorize_lab(L: float32 [B, H, W, 1]) -> {"ab": float32 [B, H, W, 2]}
"""

from __future__ import annotations

import keras
import tensorflow as tf

from colordisc_tf import color, inference

__all__ = ["export_generator"]


def export_generator(
    model: keras.Model,
    export_dir: str,
    model_size: int = 256,
    temperature: float = color.ANNEAL_T,
    max_pixels: int = 40_000_000,
    head: str = "classification",
) -> str:
    """Writes the serving SavedModel of `model` to export_dir and returns it."""

    def colorize_one(data):
        image = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
        shape = tf.shape(image)
        pixels = tf.cast(shape[0], tf.int64) * tf.cast(shape[1], tf.int64)
        check = tf.debugging.assert_less_equal(
            pixels, tf.constant(max_pixels, tf.int64),
            message=f"image has more than {max_pixels} pixels (the serving limit)",
        )
        with tf.control_dependencies([check]):
            rgb = inference.colorize_rgb(model, image, model_size, temperature, head)
        return tf.io.encode_png(rgb)

    def serve(images):
        images = tf.reshape(images, [-1])
        return {"colorized": tf.map_fn(colorize_one, images, fn_output_signature=tf.string)}

    def colorize_lab(L):  # noqa: N803 (the signature's input name)
        return {"ab": inference.predict_ab(model, L, temperature, head)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve, input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    archive.add_endpoint(
        "colorize_lab", colorize_lab, input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name="L")]
    )
    archive.write_out(export_dir, verbose=False)
    return export_dir
