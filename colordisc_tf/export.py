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
from colordisc_tf.constants import ANNEAL_T, DEFAULT_MAX_PIXELS

__all__ = ["export_generator", "export_discriminator"]


def export_generator(
    model: keras.Model,
    export_dir: str,
    model_size: int = 256,
    temperature: float = ANNEAL_T,
    max_pixels: int = DEFAULT_MAX_PIXELS,
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


def export_discriminator(model: keras.Model, export_dir: str, model_size: int = 64,
                         max_pixels: int = DEFAULT_MAX_PIXELS) -> str:
    """The discriminator's signatures:
        serving_default(images: tf.string [B]) -> {"realness": [B], "realness_map": [B, h, w]}
            each image resized to model_size^2 first, so the maps stack.
        score_lab(lab: float32 [B, H, W, 3]) -> the same outputs on Lab input.
    """
    from colordisc_tf.models.discriminator import realness

    def score(lab):
        logits = model(lab, training=False)
        return {"realness": realness(logits), "realness_map": tf.sigmoid(logits)[..., 0]}

    def lab_of(data):
        image = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
        shape = tf.shape(image)
        check = tf.debugging.assert_less_equal(
            tf.cast(shape[0], tf.int64) * tf.cast(shape[1], tf.int64), tf.constant(max_pixels, tf.int64),
            message=f"image has more than {max_pixels} pixels (the serving limit)")
        with tf.control_dependencies([check]):
            small = tf.image.resize(tf.cast(image, tf.float32) / 255.0, [model_size, model_size], method="area")
        return color.rgb_to_lab(tf.clip_by_value(small, 0.0, 1.0))

    def serve(images):
        labs = tf.map_fn(lab_of, tf.reshape(images, [-1]), fn_output_signature=tf.float32)
        return score(labs)

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve, input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    archive.add_endpoint("score_lab", score, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="lab")])
    archive.write_out(export_dir, verbose=False)
    return export_dir
