"""SavedModel export for TF Serving.

The colorizer's signatures:
    serving_default(images: tf.string [B]) -> {"colorized": tf.string [B]}
        encoded JPEG/PNG/GIF/BMP in, PNG out at each input's own size. Bytes
        that are not an image, or images over `max_pixels` (read from the header
        before decoding), fail the request with INVALID_ARGUMENT naming the
        problem; the server keeps running. The names are the design card's.
    serving_rest(images) -> {"colorized_bytes": ...}: the same for TF Serving's REST API,
        which base64-encodes a string output ({"b64": ...}) only when its name ends in
        "_bytes" (it would send serving_default's PNG as raw bytes).
    colorize_lab(L: float32 [B, H, W, 1]) -> {"ab": float32 [B, H, W, 2]}
    generator_output(L: float32 [B, H, W, 1]) -> {"output": the generator's raw output [B, H/4, W/4, C]}
    settings() -> {"temperature", "head", "chroma_gain", "confidence_power", "model_size"}: how serving
        decodes (video colorization decodes generator_output itself, carrying it across frames:
        colordisc_tf.video)

The colorizer with its discriminator (export_colorizer_with_realness) has both and adds
    colorize_with_realness(images: tf.string [B]) -> {"colorized_bytes": PNG, "realness": float32 [B],
        "realness_map_bytes": PNG heat map at each image's size (red: least real, green: real)}
    colorize_guided(images: tf.string [B]) -> {"colorized_bytes": PNG, "temperature": float32 [B],
        "realness": float32 [B]}: realness-guided decoding (classification head only)
    colorize_lab, score_lab: the generator's and the discriminator's own, on Lab
    generator_output, settings (+ "discriminator_size"): as the generator's, so a page can keep the
        raw output and decode it again at another temperature (colordisc_tf.web)
"""

from __future__ import annotations

import keras
import tensorflow as tf

from colordisc_tf import color
from colordisc_tf.serve import inference
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.constants import DEFAULT_MAX_IMAGES, DEFAULT_MAX_PIXELS, DEFAULT_MAX_REQUEST_PIXELS
from colordisc_tf.serve.serving_input import decode_checked, request_checked

__all__ = ["export_generator", "export_discriminator", "export_colorizer_with_realness", "discriminator_lab"]


def _add_serving_endpoints(archive, serve) -> None:
    """serving_default (-> "colorized") and its REST twin serving_rest (-> "colorized_bytes")."""
    spec = [tf.TensorSpec([None], tf.string, name="images")]
    archive.add_endpoint("serving_default", serve, input_signature=spec)
    archive.add_endpoint("serving_rest", lambda images: {"colorized_bytes": serve(images)["colorized"]},
                         input_signature=spec)


def discriminator_lab(rgb_uint8, model_size: int):
    """(H, W, 3) (or (B, H, W, 3)) uint8 -> Lab at model_size x model_size: what the discriminator's
    signatures score (area resize, clip, Lab)."""
    small = tf.image.resize(tf.cast(rgb_uint8, tf.float32) / 255.0, [model_size, model_size], method="area")
    return color.rgb_to_lab(tf.clip_by_value(small, 0.0, 1.0))


def _decoding_settings(decoding: Decoding) -> dict:
    """The settings signature's half that says how to decode (Decoding.from_settings reads it back)."""
    return {"temperature": tf.constant(decoding.temperature, tf.float64), "head": tf.constant(decoding.head),
            "chroma_gain": tf.constant(decoding.chroma_gain, tf.float64),
            "confidence_power": tf.constant(decoding.confidence_power, tf.float64)}


def _discriminator_scores(discriminator, lab):
    from colordisc_tf.models.discriminator import realness, realness_map

    logits = discriminator(lab, training=False)
    return {"realness": realness(logits), "realness_map": realness_map(logits)}


def export_generator(
    model: keras.Model,
    export_dir: str,
    decoding: Decoding,
    model_size: int = 256,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_images: int = DEFAULT_MAX_IMAGES,
    max_request_pixels: int = DEFAULT_MAX_REQUEST_PIXELS,
) -> str:
    """Writes the serving SavedModel of `model`, decoding per `decoding`, to export_dir and returns it.
    Requests are bounded: max_pixels an image, max_images and max_request_pixels a request."""

    def colorize_one(data):
        rgb = inference.colorize_rgb(model, decode_checked(data, max_pixels), model_size, decoding)
        return tf.io.encode_png(rgb)

    def serve(images):
        images = request_checked(images, max_images, max_request_pixels)
        return {"colorized": tf.map_fn(colorize_one, images, fn_output_signature=tf.string)}

    def colorize_lab(L):  # noqa: N803 (the signature's input name)
        return {"ab": inference.predict_ab(model, L, decoding)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    _add_serving_endpoints(archive, serve)
    l_spec = [tf.TensorSpec([None, None, None, 1], tf.float32, name="L")]
    archive.add_endpoint("colorize_lab", colorize_lab, input_signature=l_spec)
    archive.add_endpoint("generator_output", lambda L: {"output": model(L, training=False)},  # noqa: N803
                         input_signature=l_spec)
    archive.add_endpoint("settings", lambda: {**_decoding_settings(decoding),
                                              "model_size": tf.constant(model_size, tf.int32)}, input_signature=[])
    archive.write_out(export_dir, verbose=False)
    return export_dir


def export_discriminator(model: keras.Model, export_dir: str, model_size: int = 64,
                         max_pixels: int = DEFAULT_MAX_PIXELS, max_images: int = DEFAULT_MAX_IMAGES,
                         max_request_pixels: int = DEFAULT_MAX_REQUEST_PIXELS) -> str:
    """The discriminator's signatures:
        serving_default(images: tf.string [B]) -> {"realness": [B], "realness_map": [B, h, w]}
            each image resized to model_size^2 first, so the maps stack.
        score_lab(lab: float32 [B, H, W, 3]) -> the same outputs on Lab input.
        settings() -> {"model_size"}: the size serving_default resizes to.
    """
    def score(lab):
        return _discriminator_scores(model, lab)

    def lab_of(data):
        return discriminator_lab(decode_checked(data, max_pixels), model_size)

    def serve(images):
        labs = tf.map_fn(lab_of, request_checked(images, max_images, max_request_pixels),
                         fn_output_signature=tf.float32)
        return score(labs)

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serving_default", serve, input_signature=[tf.TensorSpec([None], tf.string, name="images")])
    archive.add_endpoint("score_lab", score, input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="lab")])
    archive.add_endpoint("settings", lambda: {"model_size": tf.constant(model_size, tf.int32)}, input_signature=[])
    archive.write_out(export_dir, verbose=False)
    return export_dir


def export_colorizer_with_realness(
    generator: keras.Model,
    discriminator: keras.Model,
    export_dir: str,
    decoding: Decoding,
    model_size: int = 256,
    discriminator_size: int = 64,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_images: int = DEFAULT_MAX_IMAGES,
    max_request_pixels: int = DEFAULT_MAX_REQUEST_PIXELS,
) -> str:
    """One SavedModel with both models: serving_default as export_generator's, plus
    colorize_with_realness (the module docstring). The discriminator scores each colorization
    the way its own SavedModel would score that PNG (resized to discriminator_size)."""
    from colordisc_tf.serve.overlay import heat_table

    heat = tf.constant(heat_table())

    def colorize_one(data):
        return inference.colorize_rgb(generator, decode_checked(data, max_pixels), model_size, decoding)

    def with_realness(data):
        rgb = colorize_one(data)
        scores = _discriminator_scores(discriminator, discriminator_lab(rgb, discriminator_size)[None])
        full = tf.image.resize(scores["realness_map"][0][..., None], tf.shape(rgb)[:2], method="bilinear")[..., 0]
        heat_map = tf.gather(heat, tf.cast(tf.round(tf.clip_by_value(full, 0.0, 1.0) * 255.0), tf.int32))
        return tf.io.encode_png(rgb), scores["realness"][0], tf.io.encode_png(heat_map)

    def checked(images):
        return request_checked(images, max_images, max_request_pixels)

    def serve(images):
        return {"colorized": tf.map_fn(lambda d: tf.io.encode_png(colorize_one(d)), checked(images),
                                       fn_output_signature=tf.string)}

    def serve_with_realness(images):
        colorized, score, heat_map = tf.map_fn(with_realness, checked(images),
                                               fn_output_signature=(tf.string, tf.float32, tf.string))
        return {"colorized_bytes": colorized, "realness": score, "realness_map_bytes": heat_map}

    def serve_guided(images):
        def one(data):
            rgb, temperature_chosen, score = inference.colorize_rgb_guided(
                generator, discriminator, decode_checked(data, max_pixels), model_size, decoding)
            return tf.io.encode_png(rgb), temperature_chosen, score

        colorized, chosen, score = tf.map_fn(one, checked(images),
                                             fn_output_signature=(tf.string, tf.float32, tf.float32))
        return {"colorized_bytes": colorized, "temperature": chosen, "realness": score}

    archive = keras.export.ExportArchive()
    archive.track(generator)
    archive.track(discriminator)
    spec = [tf.TensorSpec([None], tf.string, name="images")]
    _add_serving_endpoints(archive, serve)
    archive.add_endpoint("colorize_with_realness", serve_with_realness, input_signature=spec)
    # Each part on Lab, as its own SavedModel has it: what `colordisc export` converts (two files).
    archive.add_endpoint("colorize_lab", lambda L: {"ab": inference.predict_ab(generator, L, decoding)},  # noqa: N803
                         input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name="L")])
    archive.add_endpoint("score_lab", lambda lab: _discriminator_scores(discriminator, lab),
                         input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32, name="lab")])
    archive.add_endpoint("generator_output", lambda L: {"output": generator(L, training=False)},  # noqa: N803
                         input_signature=[tf.TensorSpec([None, None, None, 1], tf.float32, name="L")])
    archive.add_endpoint("settings", lambda: {**_decoding_settings(decoding),
                                              "model_size": tf.constant(model_size, tf.int32),
                                              "discriminator_size": tf.constant(discriminator_size, tf.int32)},
                         input_signature=[])
    if decoding.anneals:  # the l2 head predicts ab directly: nothing to anneal
        archive.add_endpoint("colorize_guided", serve_guided, input_signature=spec)
    archive.write_out(export_dir, verbose=False)
    return export_dir
