"""The reader without TensorFlow (data.tfrecord_io, data.numpy_records) against TensorFlow's own
reader on the same files: the same records, the same floats, the same centre crops and pads."""

import gzip
import os

import numpy as np
import pytest
import tensorflow as tf

from colordisc_tf.data import numpy_records, records, tfrecord_io
from colordisc_tf.data.record_format import encode_lab_example

# Odd and even differences to the crop (8), smaller and larger sides: resize_with_crop_or_pad's
# rounding both ways.
SIZES = [(12, 15), (8, 8), (5, 11), (13, 6), (10, 10), (9, 14), (16, 7)]


def _lab(rng, height, width):
    return np.stack([rng.uniform(0, 100, (height, width)), rng.uniform(-110, 120, (height, width)),
                     rng.uniform(-128, 127, (height, width))], axis=-1).astype(np.float32)


@pytest.fixture(scope="module")
def serialized():
    rng = np.random.default_rng(7)
    return [encode_lab_example(_lab(rng, h, w), f"id{i:02d}", f"photo{i}.png", h, w) for i, (h, w) in enumerate(SIZES)]


@pytest.fixture(scope="module")
def tf_written(serialized, tmp_path_factory):
    """Two GZIP shards written by tf.io.TFRecordWriter (the pipeline's layout)."""
    folder = tmp_path_factory.mktemp("records") / "Split-train"
    folder.mkdir()
    options = tf.io.TFRecordOptions(compression_type="GZIP")
    for shard, part in enumerate((serialized[:4], serialized[4:])):
        with tf.io.TFRecordWriter(str(folder / f"data_tfrecord-0000{shard}-of-00002.gz"), options) as writer:
            for record in part:
                writer.write(record)
    return str(folder / "*")


def test_reads_what_tensorflow_wrote(serialized, tf_written):
    read = [r for path in tfrecord_io.local_files(tf_written) for r in tfrecord_io.read_records(path)]
    assert read == serialized
    assert tfrecord_io.count_records(tf_written, 100) == records.count_records(tf_written, 100) == len(SIZES)
    assert tfrecord_io.count_records(tf_written, 3) == 3
    assert tfrecord_io.count_records(tf_written, 0) == 0


@pytest.mark.parametrize("name, compression", [("part.gz", "GZIP"), ("part.tfrecord", "")])
def test_tensorflow_reads_what_it_writes(serialized, tmp_path, name, compression):
    path = str(tmp_path / name)
    assert tfrecord_io.write_records(path, serialized) == len(serialized)
    assert [r.numpy() for r in tf.data.TFRecordDataset(path, compression_type=compression)] == serialized


def test_a_damaged_file_is_refused_naming_it(serialized, tmp_path):
    path = str(tmp_path / "part.gz")
    tfrecord_io.write_records(path, serialized[:2])
    with gzip.open(path) as f:
        good = f.read()
    raw = bytearray(good)
    flipped = str(tmp_path / "flipped.gz")
    raw[40] ^= 0xFF  # inside the first record's data
    with gzip.open(flipped, "wb") as f:
        f.write(bytes(raw))
    with pytest.raises(ValueError, match="flipped.gz: record 0 fails its checksum"):
        list(tfrecord_io.read_records(flipped))
    short = str(tmp_path / "short.gz")
    with gzip.open(short, "wb") as f:
        f.write(good[:-10])
    with pytest.raises(ValueError, match="short.gz: record 1 is cut short"):
        list(tfrecord_io.read_records(short))
    with pytest.raises(ValueError, match="local files only"):
        tfrecord_io.local_files("gs://bucket/Split-train/*")


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=3, crop_size=8),
    dict(batch_size=3, crop_size=8, drop_remainder=True),
    dict(batch_size=2, crop_size=8, shard=(2, 1)),
    dict(batch_size=1),
])
def test_batches_equal_tf_data_without_randomness(tf_written, kwargs):
    ours = list(numpy_records.lab_batches(tf_written, **kwargs))
    theirs = [(l.numpy(), ab.numpy()) for l, ab in records.lab_dataset(tf_written, **kwargs)]
    assert len(ours) == len(theirs) > 0
    for (l_ours, ab_ours), (l_tf, ab_tf) in zip(ours, theirs):
        assert l_ours.dtype == np.float32 and ab_ours.dtype == np.float32
        np.testing.assert_array_equal(l_ours, l_tf)
        np.testing.assert_array_equal(ab_ours, ab_tf)


def test_record_batches_equal_tf_data(tf_written):
    # ragged sizes cannot batch (in either reader): one record at a time
    ours, theirs = list(numpy_records.record_batches(tf_written, 1)), list(records.record_batches(tf_written, 1))
    assert len(ours) == len(theirs) == len(SIZES)
    for mine, tf_batch in zip(ours, theirs):
        assert list(mine["id"]) == list(tf_batch["id"].numpy())
        assert list(mine["serialized"]) == list(tf_batch["serialized"].numpy())
        np.testing.assert_array_equal(mine["l"], tf_batch["l"].numpy())
        np.testing.assert_array_equal(mine["ab"], tf_batch["ab"].numpy())
    assert list(numpy_records.record_batches(os.path.join(os.path.dirname(tf_written), "none-*"), 3)) == []


def _windows(source: np.ndarray, crop: np.ndarray) -> bool:
    """Is crop a crop_size window of source, as is or mirrored left-right?"""
    size = crop.shape[0]
    for y in range(source.shape[0] - size + 1):
        for x in range(source.shape[1] - size + 1):
            window = source[y:y + size, x:x + size]
            if np.array_equal(window, crop) or np.array_equal(window[:, ::-1], crop):
                return True
    return False


def test_random_crops_and_flips_are_windows_of_their_record_and_seeded(tf_written):
    sources = [np.concatenate(numpy_records.parse_lab(r), -1)
               for path in tfrecord_io.local_files(tf_written) for r in tfrecord_io.read_records(path)]
    big = [s for s in sources if min(s.shape[:2]) >= 5]

    def stream(seed):
        return numpy_records.lab_batches(tf_written, 1, crop_size=5, random_crop=True,
                                         random_flip=True, shuffle_buffer=4, repeat=True, seed=seed)

    first = [np.concatenate(b, -1)[0] for b, _ in zip(stream(3), range(3 * len(SIZES)))]
    again = [np.concatenate(b, -1)[0] for b, _ in zip(stream(3), range(3 * len(SIZES)))]
    other = [np.concatenate(b, -1)[0] for b, _ in zip(stream(4), range(3 * len(SIZES)))]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    assert all(any(_windows(s, crop) for s in big) for crop in first)


def test_shuffle_gives_every_record_once_a_pass_in_a_new_order(tf_written):
    sources = [numpy_records.parse_lab(r)[0].sum() for path in tfrecord_io.local_files(tf_written)
               for r in tfrecord_io.read_records(path)]
    n = len(sources)
    stream = numpy_records.lab_batches(tf_written, 1, shuffle_buffer=4, repeat=True, seed=1)
    seen = [float(l.sum()) for (l, _), _ in zip(stream, range(3 * n))]
    passes = [seen[i * n:(i + 1) * n] for i in range(3)]
    for order in passes:
        assert sorted(order) == sorted(float(s) for s in sources)
    assert len({tuple(order) for order in passes} | {tuple(float(s) for s in sources)}) > 2
