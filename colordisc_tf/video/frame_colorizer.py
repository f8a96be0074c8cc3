"""Frames in, colorized frames out: the generator (and the optional discriminator) as video
colorization uses them.

The network sees each frame's L area-resized to model_size x model_size, as serving does
(colordisc_tf.serve.inference.colorize_rgb); its decoded ab is upsampled back to the frame
and joined with the frame's full-resolution L. With `temporal` "none" a frame comes out
exactly as serving colorizes that image; "stable" decodes what colordisc_tf.video.temporal
carries across frames.

A generator is loaded from a model directory (generator.keras + config.json, what the
trainers write) or from a generator's serving SavedModel (it has the generator_output and
settings signatures: colordisc_tf.serve.export).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from colordisc_tf.color.lab import luminance
from colordisc_tf.color.decoding import Decoding
from colordisc_tf.color.keras_ops import decode_ab
from colordisc_tf.serve.colorize_files import find_serving_dir
from colordisc_tf.serve.export import discriminator_lab
from colordisc_tf.serve.inference import lab_to_uint8_rgb
from colordisc_tf.serve.saving import DISCRIMINATOR_FILE, GENERATOR_FILE, load_discriminator, load_generator
from colordisc_tf.video.onnx_frames import RUNTIMES, onnx_outputs
from colordisc_tf.video.temporal import TemporalState

__all__ = ["FrameColorizer", "FrameScorer", "load_frame_colorizer", "load_frame_scorer"]


@dataclass
class FrameColorizer:
    """outputs: L (B, s, s, 1) float32 in 0..100 -> the generator's raw output (B, s/4, s/4, C)."""

    outputs: Callable[[np.ndarray], np.ndarray]
    decoding: Decoding
    model_size: int

    def colorize(self, rgb_uint8: np.ndarray, state: TemporalState) -> tuple[np.ndarray, np.ndarray]:
        """(B, H, W, 3) uint8 frames, in order -> (colorized (B, H, W, 3) uint8, the frames'
        luminance as (B, H, W) uint8 gray for the flicker metrics)."""
        size = self.model_size
        l_full = _luminance(tf.constant(rgb_uint8))
        l_small = tf.image.resize(l_full, [size, size], method="area").numpy()
        raw = np.asarray(self.outputs(l_small), np.float32)
        if state.mode == "none":
            to_decode = raw
        else:
            decisions = _softmax(raw) if self.decoding.anneals else raw
            gray = _l_to_gray(l_small[..., 0])
            carried = np.stack([state.step(decision, g) for decision, g in zip(decisions, gray)])
            # log p is a logit vector whose softmax is p: decode_ab anneals it as serving anneals logits
            to_decode = np.log(np.maximum(carried, 1e-30)) if self.decoding.anneals else carried
        ab_small = decode_ab(tf.constant(to_decode), (size, size), self.decoding)
        rgb = _to_rgb(l_full, ab_small).numpy()
        return rgb, _l_to_gray(l_full.numpy()[..., 0])


# The colour conversions at the frame's full size are most of a frame's time; compiled by XLA
# they run 5x faster on CPU than eager (0.36 -> 0.07 s a 720p frame, 2 cores), within one level
# of serving's eager ops. (The area resize has no XLA kernel: it stays outside.)
@tf.function(jit_compile=True, reduce_retracing=True)
def _luminance(rgb_uint8):
    return luminance(rgb_uint8)


@tf.function(jit_compile=True, reduce_retracing=True)
def _to_rgb(l_full, ab_small):
    ab = tf.image.resize(ab_small, tf.shape(l_full)[1:3], method="bilinear")
    return lab_to_uint8_rgb(tf.concat([l_full, ab], axis=-1))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _l_to_gray(l_values: np.ndarray) -> np.ndarray:
    return np.clip(np.round(l_values * 2.55), 0, 255).astype(np.uint8)


def _is_keras_model(path: str, keras_file: str) -> bool:
    return path.endswith(".keras") or os.path.exists(os.path.join(path, keras_file))


def _saved_model_signatures(path: str, needed: tuple[str, ...], what: str):
    """(the loaded SavedModel, its signatures), refused in one line without the `needed` ones."""
    loaded = tf.saved_model.load(path)
    missing = [name for name in needed if name not in loaded.signatures]
    if missing:
        raise ValueError(f"{path} is a SavedModel without the {' and '.join(missing)} signature(s) (not {what}, or "
                         f"exported before video support): re-export it, or pass the model directory")
    return loaded, loaded.signatures


def load_frame_colorizer(path: str, runtime: str = "tensorflow") -> FrameColorizer:
    """A generator model directory (or .keras file) or a generator serving SavedModel (or a folder
    holding one: Format-Serving/, serving/, TF Serving's version folders, newest first). runtime
    "onnx": the network runs in ONNX Runtime (colordisc_tf.video.onnx_frames), the rest as before."""
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    keep = None
    if not _is_keras_model(path, GENERATOR_FILE):
        path = find_serving_dir(path)
        keep, signatures = _saved_model_signatures(path, ("generator_output", "settings"), "a generator")
        settings = {k: v.numpy() for k, v in signatures["settings"]().items()}
        decoding = Decoding.from_settings(settings)
        signature, size = signatures["generator_output"], int(settings["model_size"])

        def network(l_values):
            return signature(L=l_values)["output"]
    else:
        model, config = load_generator(path)
        decoding, size = config.decoding, config.serving_size

        def network(l_values):
            return model(l_values, training=False)
    if runtime == "onnx":
        outputs = onnx_outputs(network, size)
    else:
        def outputs(l_values):
            return network(tf.constant(l_values))
    colorizer = FrameColorizer(outputs, decoding, size)
    colorizer._keep = keep  # a SavedModel's signatures' variables live as long as the colorizer
    return colorizer


@dataclass
class FrameScorer:
    """realness: Lab (B, s, s, 3) -> (B,) realness in [0, 1], s the discriminator's serving size."""

    realness: Callable[[np.ndarray], np.ndarray]
    model_size: int

    def score(self, rgb_uint8: np.ndarray) -> np.ndarray:
        """(B, H, W, 3) uint8 -> (B,) realness, each frame resized as the discriminator's serving resizes."""
        return np.asarray(self.realness(discriminator_lab(rgb_uint8, self.model_size)), np.float64)


def load_frame_scorer(path: str) -> FrameScorer:
    """A discriminator model directory or its serving SavedModel (or a folder holding one)."""
    if not _is_keras_model(path, DISCRIMINATOR_FILE):
        path = find_serving_dir(path)
        loaded, signatures = _saved_model_signatures(path, ("score_lab", "settings"), "a discriminator")
        score = signatures["score_lab"]
        size = int(signatures["settings"]()["model_size"].numpy())
        scorer = FrameScorer(lambda lab: score(lab=tf.cast(lab, tf.float32))["realness"].numpy(), size)
        scorer._keep = loaded
        return scorer
    from colordisc_tf.models.discriminator import realness

    model, config = load_discriminator(path)
    return FrameScorer(lambda lab: realness(model(lab, training=False)).numpy(), config.serving_size)
