"""TFRecord files read and written without TensorFlow (a JAX-only machine has none).

A TFRecord file is a run of frames (tensorflow/core/lib/io/record_writer.h):

    uint64 length | uint32 masked crc32c(length) | data[length] | uint32 masked crc32c(data)

little-endian, the whole file GZIP-compressed when its name ends in .gz (how this package
writes every record). The length's checksum is always verified (a misframed file stops at
once); the data's when google-crc32c is installed, which the full install has. Without it
GZIP's own CRC-32 of the stream still guards the payload.
"""

from __future__ import annotations

import glob as _glob
import gzip
import os
import struct

__all__ = ["local_files", "read_records", "write_records", "count_records"]

_MASK_DELTA = 0xA282EAD8


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def _crc32c_python(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


try:
    from google_crc32c import value as _crc32c_fast
except ImportError:  # a lean JAX host: only the 8-byte lengths are checked, in Python
    _crc32c_fast = None


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def _checksum(data: bytes, fast_only: bool = False) -> int | None:
    if _crc32c_fast is not None:
        return _masked(_crc32c_fast(data))
    return None if fast_only else _masked(_crc32c_python(data))


def local_files(file_pattern: str) -> list[str]:
    """The files a glob pattern matches, sorted (as lab_dataset reads them). Local paths only:
    gs:// and other filesystems are TensorFlow's (tf.io.gfile)."""
    if "://" in file_pattern:
        raise ValueError(f"{file_pattern!r}: the reader without TensorFlow reads local files only")
    return sorted(_glob.glob(file_pattern))


def _open(path: str, mode: str):
    return gzip.open(path, mode) if path.endswith(".gz") else open(path, mode)


def read_records(path: str):
    """Yields each record's bytes, in file order; a damaged file raises ValueError naming it."""
    with _open(path, "rb") as f:
        index = 0
        while True:
            header = f.read(12)
            if not header:
                return
            if len(header) < 12:
                raise ValueError(f"{path}: record {index} is cut short (truncated file)")
            length, length_crc = struct.unpack("<QI", header)
            if _checksum(header[:8]) != length_crc:
                raise ValueError(f"{path}: record {index} has a corrupt length (not a TFRecord file?)")
            body = f.read(length + 4)
            if len(body) < length + 4:
                raise ValueError(f"{path}: record {index} is cut short (truncated file)")
            data = body[:length]
            expected = _checksum(data, fast_only=True)
            if expected is not None and expected != struct.unpack("<I", body[length:])[0]:
                raise ValueError(f"{path}: record {index} fails its checksum (corrupt data)")
            yield data
            index += 1


def write_records(path: str, records) -> int:
    """Writes the records (bytes) to path (GZIP when it ends in .gz); returns how many."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    count = 0
    with _open(path, "wb") as f:
        for data in records:
            header = struct.pack("<Q", len(data))
            crc = _checksum(data)
            f.write(header + struct.pack("<I", _checksum(header)) + data + struct.pack("<I", crc))
            count += 1
    return count


def count_records(file_pattern: str, limit: int) -> int:
    """Records under the pattern, counting no further than limit."""
    count = 0
    if limit <= 0:
        return 0
    for path in local_files(file_pattern) if file_pattern else ():
        for _ in read_records(path):
            count += 1
            if count >= limit:
                return count
    return count
