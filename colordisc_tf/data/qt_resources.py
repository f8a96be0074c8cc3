"""Reading Qt's binary resource files (.rcc), where GCompris keeps its photographs.

No Qt is needed: the format is a header, a tree of nodes, a table of names and a table of data
(qtbase src/tools/rcc/rcc.cpp, RCCResourceLibrary::output; read back by
src/corelib/io/qresource.cpp). Each file's bytes may be zlib- (qCompress: a 4-byte big-endian
size, then a zlib stream) or zstd-compressed.
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["RccError", "read_rcc"]

_DIRECTORY, _ZLIB, _ZSTD = 0x02, 0x01, 0x04


class RccError(ValueError):
    """Not a Qt resource file, or one this reader cannot follow."""


def read_rcc(data: bytes, source: str = "<rcc>"):
    """Yields (path inside the resource, bytes) of every file in a .rcc's contents."""
    if data[:4] != b"qres":
        raise RccError(f"{source}: not a Qt resource file (no 'qres' magic)")
    version, tree, payload, names = struct.unpack(">IIII", data[4:20])
    if version not in (1, 2, 3):
        raise RccError(f"{source}: Qt resource format version {version} is not known here")
    node_size = 14 if version == 1 else 22  # version 2 added an 8-byte modification time

    def name(offset: int) -> str:
        (length,) = struct.unpack(">H", data[names + offset:names + offset + 2])
        start = names + offset + 6  # after the length and a 4-byte hash
        return data[start:start + 2 * length].decode("utf-16-be")

    def walk(index: int, prefix: str):
        at = tree + index * node_size
        name_offset, flags = struct.unpack(">IH", data[at:at + 6])
        path = f"{prefix}/{name(name_offset)}" if index else ""
        if flags & _DIRECTORY:
            count, first = struct.unpack(">II", data[at + 6:at + 14])
            for child in range(first, first + count):
                yield from walk(child, path)
            return
        (offset,) = struct.unpack(">I", data[at + 10:at + 14])
        (size,) = struct.unpack(">I", data[payload + offset:payload + offset + 4])
        body = data[payload + offset + 4:payload + offset + 4 + size]
        if flags & _ZLIB:
            body = zlib.decompress(body[4:])
        elif flags & _ZSTD:
            raise RccError(f"{source}: {path} is zstd-compressed, which this reader does not unpack")
        yield path.lstrip("/"), body

    yield from walk(0, "")
