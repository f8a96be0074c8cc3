"""The trainers' record streams, from the reader data.reader_choice picks.

"tf": tf.data datasets (data.records), the default wherever TensorFlow is installed.
"numpy": NumPy generators (data.numpy_records) with the same arguments, for a JAX-only host;
nothing here imports TensorFlow on that path.
"""

from __future__ import annotations

import itertools

import numpy as np

from colordisc_tf.data.reader_choice import record_reader

__all__ = ["count_records", "first_batches", "has_files", "lab_batches", "lab_examples", "record_batches",
           "sample_batches", "uses_tf"]


def uses_tf() -> bool:
    return record_reader() == "tf"


def lab_batches(file_pattern: str, batch_size: int, **kwargs):
    """records.lab_dataset(...) or numpy_records.lab_batches(...): (L, ab) batches."""
    if uses_tf():
        from colordisc_tf.data.records import lab_dataset

        return lab_dataset(file_pattern, batch_size, **kwargs)
    from colordisc_tf.data.numpy_records import lab_batches as numpy_batches

    return numpy_batches(file_pattern, batch_size, **kwargs)


def lab_examples(file_pattern: str, **kwargs):
    """One (L, ab) example at a time (lab_batches of 1, unbatched)."""
    if uses_tf():
        return lab_batches(file_pattern, 1, **kwargs).unbatch()
    from colordisc_tf.data.numpy_records import lab_examples as numpy_examples

    return numpy_examples(file_pattern, **kwargs)


def sample_batches(streams, weights, seed: int, batch_size: int, transform):
    """Examples drawn from `streams` at random in proportion to `weights` (tf.data's
    sample_from_datasets), batched (the remainder dropped), each batch through transform(L, ab)."""
    if uses_tf():
        import tensorflow as tf

        ds = streams[0] if len(streams) == 1 else tf.data.Dataset.sample_from_datasets(streams, weights, seed=seed)
        return ds.batch(batch_size, drop_remainder=True).map(transform).prefetch(2)
    return _numpy_sampled(streams, weights, seed, batch_size, transform)


def _numpy_sampled(streams, weights, seed, batch_size, transform):
    rng = np.random.default_rng(seed)
    p = np.asarray(weights if len(streams) > 1 else [1.0], np.float64)
    iterators = [iter(s) for s in streams]
    while True:
        picks = [next(iterators[i]) for i in rng.choice(len(iterators), size=batch_size, p=p / p.sum())]
        yield transform(np.stack([l for l, _ in picks]), np.stack([ab for _, ab in picks]))


def first_batches(stream, steps: int):
    """The first `steps` batches, kept for re-reading every epoch (eval sets): a cached
    tf.data dataset, or a list of NumPy batches (fit_for_steps takes either)."""
    if uses_tf():
        return stream.take(steps).cache()
    return list(itertools.islice(stream, steps))


def count_records(file_pattern: str | None, limit: int) -> int:
    """Records under the pattern (none: 0), counting no further than limit."""
    if uses_tf():
        from colordisc_tf.data.records import count_records as tf_count

        return tf_count(file_pattern, limit)
    from colordisc_tf.data.tfrecord_io import count_records as numpy_count

    return numpy_count(file_pattern, limit)


def has_files(file_pattern: str | None) -> bool:
    if not file_pattern:
        return False
    if uses_tf():
        import tensorflow as tf

        return bool(tf.io.gfile.glob(file_pattern))
    from colordisc_tf.data.tfrecord_io import local_files

    return bool(local_files(file_pattern))


def record_batches(file_pattern: str, batch_size: int):
    """Every record in order, batched with its id: records.record_batches or its NumPy twin."""
    if uses_tf():
        from colordisc_tf.data.records import record_batches as tf_batches

        return tf_batches(file_pattern, batch_size)
    from colordisc_tf.data.numpy_records import record_batches as numpy_batches

    return numpy_batches(file_pattern, batch_size)
