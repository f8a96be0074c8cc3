"""The Lab record format and its tf.data reader.

One `tf.train.Example` per image, 3 bytes a pixel:

    id           bytes   sha256 (hex, 16 chars) of the decoded source pixels
    source       bytes   the input path
    height/width int64   stored size (the crop)
    orig_height/orig_width int64   the source image's size
    l            bytes   uint8, H*W, round(L * 2.55): L quantised in steps of 0.39
    ab           bytes   int8, H*W*2, round(ab): a, b interleaved, steps of 1

Quantisation error: |ΔL| <= 0.196, |Δa|, |Δb| <= 0.5 (ab is clipped to
[-128, 127], wider than sRGB's gamut: a in [-86, 98], b in [-108, 95]).
Files are GZIP-compressed TFRecords, laid out as TFX Examples artifacts:
`<dir>/Split-<name>/data_tfrecord-*.gz`.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

__all__ = [
    "L_SCALE",
    "quantize_lab",
    "dequantize_lab",
    "encode_lab_example",
    "parse_lab_example",
    "split_file_pattern",
    "lab_dataset",
]

L_SCALE = 2.55

_FEATURES = {
    "id": tf.io.FixedLenFeature([], tf.string),
    "source": tf.io.FixedLenFeature([], tf.string),
    "height": tf.io.FixedLenFeature([], tf.int64),
    "width": tf.io.FixedLenFeature([], tf.int64),
    "orig_height": tf.io.FixedLenFeature([], tf.int64),
    "orig_width": tf.io.FixedLenFeature([], tf.int64),
    "l": tf.io.FixedLenFeature([], tf.string),
    "ab": tf.io.FixedLenFeature([], tf.string),
}


def quantize_lab(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) float Lab -> (H, W) uint8 L, (H, W, 2) int8 ab."""
    lab = np.asarray(lab, dtype=np.float32)
    l_u8 = np.clip(np.rint(lab[..., 0] * L_SCALE), 0, 255).astype(np.uint8)
    ab_i8 = np.clip(np.rint(lab[..., 1:]), -128, 127).astype(np.int8)
    return l_u8, ab_i8


def dequantize_lab(l_u8: np.ndarray, ab_i8: np.ndarray) -> np.ndarray:
    """Inverse of quantize_lab: (H, W, 3) float32 Lab."""
    l_chan = np.asarray(l_u8, dtype=np.float32)[..., None] / L_SCALE
    return np.concatenate([l_chan, np.asarray(ab_i8, dtype=np.float32)], axis=-1)


def _bytes(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int(value: int) -> tf.train.Feature:
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))


def encode_lab_example(
    lab: np.ndarray, image_id: str, source: str, orig_height: int, orig_width: int
) -> tf.train.Example:
    """(H, W, 3) float Lab -> tf.train.Example in the format above."""
    l_u8, ab_i8 = quantize_lab(lab)
    height, width = l_u8.shape
    feature = {
        "id": _bytes(image_id.encode()),
        "source": _bytes(source.encode()),
        "height": _int(height),
        "width": _int(width),
        "orig_height": _int(orig_height),
        "orig_width": _int(orig_width),
        "l": _bytes(l_u8.tobytes()),
        "ab": _bytes(ab_i8.tobytes()),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature))


def parse_lab_example(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
    """Serialized example -> dict with float32 `l` (H, W, 1) in [0, 100] and
    `ab` (H, W, 2), plus the metadata fields. Works on a scalar string."""
    parsed = tf.io.parse_single_example(serialized, _FEATURES)
    height = tf.cast(parsed["height"], tf.int32)
    width = tf.cast(parsed["width"], tf.int32)
    l_u8 = tf.reshape(tf.io.decode_raw(parsed["l"], tf.uint8), [height, width, 1])
    ab_i8 = tf.reshape(tf.io.decode_raw(parsed["ab"], tf.int8), [height, width, 2])
    parsed["l"] = tf.cast(l_u8, tf.float32) / L_SCALE
    parsed["ab"] = tf.cast(ab_i8, tf.float32)
    return parsed


def split_file_pattern(examples_dir: str, split: str) -> str:
    """The TFRecord file pattern of one split of an Examples directory."""
    return os.path.join(examples_dir, f"Split-{split}", "*")


def lab_dataset(
    file_pattern: str,
    batch_size: int,
    crop_size: int | None = None,
    random_crop: bool = False,
    random_flip: bool = False,
    shuffle_buffer: int = 0,
    repeat: bool = False,
    seed: int | None = None,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """(L, ab) batches from Lab records: L (B, H, W, 1) in [0, 100], ab (B, H, W, 2).

    crop_size crops every image to crop_size^2 (centre crop, or random with
    random_crop); random_flip mirrors left-right at random. Augmentations use
    `seed`, so a seeded pipeline is reproducible.
    """
    files = tf.io.gfile.glob(file_pattern)
    if not files:
        raise FileNotFoundError(f"no Lab TFRecord files match {file_pattern!r}")
    compression = "GZIP" if files[0].endswith(".gz") else ""
    ds = tf.data.TFRecordDataset(sorted(files), compression_type=compression)
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.map(parse_lab_example, num_parallel_calls=tf.data.AUTOTUNE)
    rng = tf.random.Generator.from_seed(seed) if seed is not None else tf.random.Generator.from_non_deterministic_state()

    def _augment(example):
        lab = tf.concat([example["l"], example["ab"]], axis=-1)
        if crop_size is not None:
            if random_crop:
                lab = tf.image.stateless_random_crop(lab, [crop_size, crop_size, 3], seed=rng.make_seeds(1)[:, 0])
            else:
                lab = tf.image.resize_with_crop_or_pad(lab, crop_size, crop_size)
        if random_flip:
            lab = tf.image.stateless_random_flip_left_right(lab, seed=rng.make_seeds(1)[:, 0])
        return lab[..., :1], lab[..., 1:]

    ds = ds.map(_augment, num_parallel_calls=1 if seed is not None else tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
