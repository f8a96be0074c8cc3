"""The Lab record: one `tf.train.Example` per image, 3 bytes a pixel.

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

This module writes and reads the records without TensorFlow (Beam workers skip
its import): `Example` here is a message class with tf.train.Example's exact
wire format, built in a private descriptor pool. `colordisc_tf.data.records` parses
the same records with TF ops for tf.data.
"""

from __future__ import annotations

import os

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

__all__ = [
    "L_SCALE",
    "Example",
    "quantize_lab",
    "dequantize_lab",
    "encode_lab_example",
    "decode_lab_example",
    "read_ab", "source_of",
    "replace_ab",
    "split_file_pattern",
]

L_SCALE = 2.55


def _example_class():
    """tensorflow/core/example/{example,feature}.proto, the parts this format uses."""
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="colordisc_example.proto", package="colordisc.tf", syntax="proto3")

    def add(msg, name, number, ftype, label=F.LABEL_OPTIONAL, type_name=None, packed=None, oneof=None):
        field = msg.field.add(name=name, number=number, type=ftype, label=label)
        if type_name:
            field.type_name = type_name
        if packed is not None:
            field.options.packed = packed
        if oneof is not None:
            field.oneof_index = oneof
        return field

    bytes_list = fdp.message_type.add(name="BytesList")
    add(bytes_list, "value", 1, F.TYPE_BYTES, F.LABEL_REPEATED)
    float_list = fdp.message_type.add(name="FloatList")
    add(float_list, "value", 1, F.TYPE_FLOAT, F.LABEL_REPEATED, packed=True)
    int64_list = fdp.message_type.add(name="Int64List")
    add(int64_list, "value", 1, F.TYPE_INT64, F.LABEL_REPEATED, packed=True)
    feature = fdp.message_type.add(name="Feature")
    feature.oneof_decl.add(name="kind")
    add(feature, "bytes_list", 1, F.TYPE_MESSAGE, type_name=".colordisc.tf.BytesList", oneof=0)
    add(feature, "float_list", 2, F.TYPE_MESSAGE, type_name=".colordisc.tf.FloatList", oneof=0)
    add(feature, "int64_list", 3, F.TYPE_MESSAGE, type_name=".colordisc.tf.Int64List", oneof=0)
    features = fdp.message_type.add(name="Features")
    entry = features.nested_type.add(name="FeatureEntry")
    entry.options.map_entry = True
    add(entry, "key", 1, F.TYPE_STRING)
    add(entry, "value", 2, F.TYPE_MESSAGE, type_name=".colordisc.tf.Feature")
    add(features, "feature", 1, F.TYPE_MESSAGE, F.LABEL_REPEATED, type_name=".colordisc.tf.Features.FeatureEntry")
    example = fdp.message_type.add(name="Example")
    add(example, "features", 1, F.TYPE_MESSAGE, type_name=".colordisc.tf.Features")

    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("colordisc.tf.Example"))


#: A message class with tf.train.Example's wire format.
Example = _example_class()


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


def encode_lab_example(lab: np.ndarray, image_id: str, source: str, orig_height: int, orig_width: int) -> bytes:
    """(H, W, 3) float Lab -> a serialized tf.train.Example in the format above."""
    l_u8, ab_i8 = quantize_lab(lab)
    height, width = l_u8.shape
    example = Example()
    feature = example.features.feature
    for name, value in (("id", image_id.encode()), ("source", source.encode()),
                        ("l", l_u8.tobytes()), ("ab", ab_i8.tobytes())):
        feature[name].bytes_list.value.append(value)
    for name, value in (("height", height), ("width", width), ("orig_height", orig_height), ("orig_width", orig_width)):
        feature[name].int64_list.value.append(int(value))
    return example.SerializeToString(deterministic=True)  # map order otherwise follows the hash seed


def read_ab(serialized: bytes) -> np.ndarray:
    """A record's int8 ab, flat (H*W*2), and nothing else decoded: what counting bins needs."""
    return np.frombuffer(Example.FromString(serialized).features.feature["ab"].bytes_list.value[0], np.int8)


def source_of(serialized: bytes) -> str:
    """A record's source path (the image file it was made from)."""
    return Example.FromString(serialized).features.feature["source"].bytes_list.value[0].decode()


def decode_lab_example(serialized: bytes) -> dict:
    """Serialized record -> dict: `lab` (H, W, 3) float32, `l_u8`, `ab_i8`, and
    the metadata fields (str / int)."""
    feature = Example.FromString(serialized).features.feature
    out = {name: feature[name].int64_list.value[0] for name in ("height", "width", "orig_height", "orig_width")}
    out["id"] = feature["id"].bytes_list.value[0].decode()
    out["source"] = feature["source"].bytes_list.value[0].decode()
    shape = (out["height"], out["width"])
    out["l_u8"] = np.frombuffer(feature["l"].bytes_list.value[0], np.uint8).reshape(shape)
    out["ab_i8"] = np.frombuffer(feature["ab"].bytes_list.value[0], np.int8).reshape(shape + (2,))
    out["lab"] = dequantize_lab(out["l_u8"], out["ab_i8"])
    return out


SHARD_PREFIX = "data_tfrecord"  # shards: <dir>/Split-<split>/data_tfrecord-NNNNN-of-MMMMM.gz


def split_file_pattern(examples_dir: str, split: str) -> str:
    """The TFRecord file pattern of one split of an Examples directory."""
    return os.path.join(examples_dir, f"Split-{split}", "*")


def shard_prefix(examples_dir: str, split: str) -> str:
    """Where a sharded writer (Beam's WriteToTFRecord) writes one split: this, -NNNNN-of-MMMMM.gz."""
    return os.path.join(examples_dir, f"Split-{split}", SHARD_PREFIX)


def single_shard_path(examples_dir: str, split: str) -> str:
    """The file a one-shard writer (colorizing, failure filtering) writes one split to."""
    return shard_prefix(examples_dir, split) + "-00000-of-00001.gz"


def replace_ab(serialized: bytes, ab: np.ndarray, floats: dict[str, float] | None = None) -> bytes:
    """A copy of a record with its ab replaced (quantised like the rest) and
    optional float features added. L and every other field are kept byte for
    byte, so a colorized record differs from its source only in chroma."""
    example = Example.FromString(serialized)
    feature = example.features.feature
    shape = (feature["height"].int64_list.value[0], feature["width"].int64_list.value[0], 2)
    ab_i8 = np.clip(np.rint(np.asarray(ab, np.float32)), -128, 127).astype(np.int8)
    if ab_i8.shape != shape:
        raise ValueError(f"ab has shape {ab_i8.shape}, the record holds {shape}")
    del feature["ab"].bytes_list.value[:]
    feature["ab"].bytes_list.value.append(ab_i8.tobytes())
    for name, value in (floats or {}).items():
        del feature[name].float_list.value[:]
        feature[name].float_list.value.append(float(value))
    return example.SerializeToString(deterministic=True)  # map order otherwise follows the hash seed
