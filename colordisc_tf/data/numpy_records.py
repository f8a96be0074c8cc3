"""Reading Lab records into NumPy, without TensorFlow: the trainers' reader on a JAX-only host.

The twin of `colordisc_tf.data.records` (tf.data), batch for batch where no randomness is
involved: the same order, the same float values, the same centre crop or pad. Random crops,
flips and shuffles are drawn from NumPy generators seeded the same way (seed, position in the
stream), so a seeded run repeats itself, but they are not tf.data's draws.
"""

from __future__ import annotations

import itertools
import random

import numpy as np

from colordisc_tf.data.record_format import L_SCALE, Example
from colordisc_tf.data.tfrecord_io import local_files, read_records

__all__ = ["parse_lab", "lab_examples", "lab_batches", "record_batches", "center_crop_or_pad"]


def _quantized(serialized: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A record's stored L (H, W, 1) uint8 and ab (H, W, 2) int8, as they are on disk."""
    feature = Example.FromString(serialized).features.feature
    height, width = feature["height"].int64_list.value[0], feature["width"].int64_list.value[0]
    l_u8 = np.frombuffer(feature["l"].bytes_list.value[0], np.uint8).reshape(height, width, 1)
    ab_i8 = np.frombuffer(feature["ab"].bytes_list.value[0], np.int8).reshape(height, width, 2)
    return l_u8, ab_i8


def _to_float(l_u8: np.ndarray, ab_i8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return l_u8.astype(np.float32) / np.float32(L_SCALE), ab_i8.astype(np.float32)


def parse_lab(serialized: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Serialized record -> L (H, W, 1) float32 in [0, 100], ab (H, W, 2) float32: the values
    records.parse_lab_example gives (float32 arithmetic, the same division)."""
    return _to_float(*_quantized(serialized))


def center_crop_or_pad(image: np.ndarray, size: int) -> np.ndarray:
    """tf.image.resize_with_crop_or_pad to size x size: the centre, zero-padded where smaller."""
    out = np.zeros((size, size, image.shape[-1]), image.dtype)
    height, width = image.shape[:2]
    crop_y, crop_x = max((height - size) // 2, 0), max((width - size) // 2, 0)
    pad_y, pad_x = max((size - height) // 2, 0), max((size - width) // 2, 0)
    h, w = min(height, size), min(width, size)
    out[pad_y:pad_y + h, pad_x:pad_x + w] = image[crop_y:crop_y + h, crop_x:crop_x + w]
    return out


def _files(file_pattern: str) -> list[str]:
    files = local_files(file_pattern)
    if not files:
        raise FileNotFoundError(f"no Lab TFRecord files match {file_pattern!r}")
    return files


def _shuffled(items, buffer_size: int, rng: np.random.Generator):
    """tf.data's shuffle: a buffer of buffer_size, each output a uniform pick from it."""
    buffer = []
    for item in items:
        if len(buffer) < buffer_size:
            buffer.append(item)
            continue
        pick = rng.integers(len(buffer))
        yield buffer[pick]
        buffer[pick] = item
    while buffer:
        yield buffer.pop(rng.integers(len(buffer)))


def lab_examples(file_pattern: str, crop_size: int | None = None, random_crop: bool = False, random_flip: bool = False,
                 shuffle_buffer: int = 0, repeat: bool = False, seed: int | None = None,
                 shard: tuple[int, int] | None = None):
    """Yields (L (H, W, 1), ab (H, W, 2)) per record, in lab_dataset's order of operations:
    shard, shuffle (afresh each pass), repeat, crop, flip. Crops are cut from the stored bytes
    and only then made float (the same values; a repeating stream keeps each record's bytes,
    3 a pixel, for the passes after the first)."""
    files = _files(file_pattern)
    if seed is None and (random_crop or random_flip or shuffle_buffer):
        seed = random.SystemRandom().randrange(2**31)
    shuffle_rng = np.random.default_rng(seed)
    kept: list[tuple[np.ndarray, np.ndarray]] = []

    def one_pass(first: bool):
        if not first:
            yield from kept
            return
        records = itertools.chain.from_iterable(read_records(path) for path in files)
        if shard:
            records = itertools.islice(records, shard[1], None, shard[0])
        for serialized in records:
            example = _quantized(serialized)
            if repeat:
                kept.append(example)
            yield example

    def passes():
        for n in itertools.count() if repeat else range(1):
            stream = one_pass(n == 0)
            yield from _shuffled(stream, shuffle_buffer, shuffle_rng) if shuffle_buffer else stream

    for index, (l_u8, ab_i8) in enumerate(passes()):
        rng = np.random.default_rng([seed, index]) if seed is not None else None
        if crop_size is not None:
            if random_crop:
                height, width = l_u8.shape[:2]
                if height < crop_size or width < crop_size:
                    raise ValueError(f"a record of {height}x{width} under {file_pattern!r} is smaller than "
                                     f"crop_size {crop_size}")
                y, x = rng.integers(height - crop_size + 1), rng.integers(width - crop_size + 1)
                l_u8, ab_i8 = l_u8[y:y + crop_size, x:x + crop_size], ab_i8[y:y + crop_size, x:x + crop_size]
            else:
                l_u8, ab_i8 = center_crop_or_pad(l_u8, crop_size), center_crop_or_pad(ab_i8, crop_size)
        if random_flip and rng.random() < 0.5:
            l_u8, ab_i8 = l_u8[:, ::-1], ab_i8[:, ::-1]
        yield _to_float(l_u8, ab_i8)


def _batched(examples, batch_size: int, drop_remainder: bool):
    while True:
        chunk = list(itertools.islice(examples, batch_size))
        if not chunk or (drop_remainder and len(chunk) < batch_size):
            return
        yield tuple(np.stack(parts) for parts in zip(*chunk))


def lab_batches(file_pattern: str, batch_size: int, crop_size: int | None = None, random_crop: bool = False,
                random_flip: bool = False, shuffle_buffer: int = 0, repeat: bool = False, seed: int | None = None,
                drop_remainder: bool = False, shard: tuple[int, int] | None = None):
    """records.lab_dataset's (L, ab) batches as a generator of float32 NumPy arrays:
    L (B, H, W, 1) in [0, 100], ab (B, H, W, 2). The same arguments, the same meaning."""
    examples = lab_examples(file_pattern, crop_size, random_crop, random_flip, shuffle_buffer, repeat, seed, shard)
    return _batched(examples, batch_size, drop_remainder)


def record_batches(file_pattern: str, batch_size: int):
    """records.record_batches without TensorFlow: every record in order, in batches of dicts with
    `l`, `ab` (float32), `id` (bytes objects) and `serialized`. An empty pattern gives none."""
    records = itertools.chain.from_iterable(read_records(path) for path in local_files(file_pattern))
    while True:
        chunk = list(itertools.islice(records, batch_size))
        if not chunk:
            return
        parsed = [parse_lab(r) for r in chunk]
        ids = [Example.FromString(r).features.feature["id"].bytes_list.value[0] for r in chunk]
        yield {"l": np.stack([p[0] for p in parsed]), "ab": np.stack([p[1] for p in parsed]),
               "id": np.array(ids, dtype=object), "serialized": np.array(chunk, dtype=object)}
