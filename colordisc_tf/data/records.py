"""Reading Lab records with TensorFlow: parsing and the tf.data reader.

The format is documented (and written) in `colordisc_tf.data.record_format`.
"""

from __future__ import annotations

import random

import tensorflow as tf

from colordisc_tf.data.record_format import L_SCALE, split_file_pattern

__all__ = [
    "parse_lab_example",
    "split_file_pattern",  # re-exported from record_format
    "count_records",
    "record_batches",
    "read_records_by_id",
    "lab_dataset",
]


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
    shard: tuple[int, int] | None = None,
) -> tf.data.Dataset:
    """(L, ab) batches from Lab records: L (B, H, W, 1) in [0, 100], ab (B, H, W, 2).

    crop_size crops every image to crop_size^2 (centre crop, or random with
    random_crop); random_flip mirrors left-right at random. Augmentations use
    `seed`, so a seeded pipeline is reproducible. shard=(n, i) keeps every n-th record
    from the i-th (data_parallel: each process reads its own share).
    """
    files = tf.io.gfile.glob(file_pattern)
    if not files:
        raise FileNotFoundError(f"no Lab TFRecord files match {file_pattern!r}")
    compression = "GZIP" if files[0].endswith(".gz") else ""
    ds = tf.data.TFRecordDataset(sorted(files), compression_type=compression)
    if shard:
        ds = ds.shard(*shard)
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.map(parse_lab_example, num_parallel_calls=tf.data.AUTOTUNE)
    # Each element's crop and flip are drawn from (seed, its position in the stream), not from
    # a generator's state: Keras peeks at a dataset through an iterator of its own, and a
    # shared generator advanced by however much that iterator had prefetched, so the batches
    # of a "seeded" run depended on timing.
    if seed is None and (random_crop or random_flip):
        seed = random.SystemRandom().randrange(2**31)  # not a TF op: those fail under op determinism

    def _augment(index, example):
        lab = tf.concat([example["l"], example["ab"]], axis=-1)
        if crop_size is not None:
            if random_crop:
                crop_seed = tf.stack([tf.constant(seed, tf.int64), 2 * index])
                lab = tf.image.stateless_random_crop(lab, [crop_size, crop_size, 3], seed=crop_seed)
            else:
                lab = tf.image.resize_with_crop_or_pad(lab, crop_size, crop_size)
        if random_flip:
            flip_seed = tf.stack([tf.constant(seed, tf.int64), 2 * index + 1])
            lab = tf.image.stateless_random_flip_left_right(lab, seed=flip_seed)
        return lab[..., :1], lab[..., 1:]

    ds = ds.enumerate().map(_augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def record_batches(file_pattern: str, batch_size: int) -> tf.data.Dataset:
    """Every record under file_pattern, in order, parsed (parse_lab_example's fields) and
    batched, each with its `serialized` bytes: the reader of evaluation and bulk colorizing.
    An empty pattern gives an empty dataset."""
    files = sorted(tf.io.gfile.glob(file_pattern))
    raw = tf.data.TFRecordDataset(files, compression_type="GZIP") if files else \
        tf.data.Dataset.from_tensor_slices(tf.constant([], tf.string))
    return raw.map(lambda r: {**parse_lab_example(r), "serialized": r}).batch(batch_size)


def count_records(pattern: str, limit: int) -> int:
    """Records under pattern (GZIP TFRecords), counting no further than limit."""
    files = tf.io.gfile.glob(pattern) if pattern else []
    if not files:
        return 0
    return sum(1 for _ in tf.data.TFRecordDataset(files, compression_type="GZIP").take(limit))


def read_records_by_id(examples_dir: str, split: str, ids) -> dict:
    """{id: (serialized record, decoded record)} for the given ids of one split."""
    from colordisc_tf.data.record_format import decode_lab_example

    ids = set(ids)
    out = {}
    if not ids:
        return out
    for raw in tf.data.TFRecordDataset(tf.io.gfile.glob(split_file_pattern(examples_dir, split)),
                                       compression_type="GZIP"):
        rec = decode_lab_example(raw.numpy())
        if rec["id"] in ids:
            out[rec["id"]] = (raw.numpy(), rec)
    return out
