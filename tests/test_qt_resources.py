"""Qt resource files (.rcc): what a writer following Qt's format puts in, the reader gets out."""

import struct
import zlib

import pytest

from colordisc_tf.data.qt_resources import RccError, read_rcc


def write_rcc(files: dict[str, bytes], compress: set[str] = frozenset()) -> bytes:
    """A version-3 .rcc as Qt's rcc lays it out: nodes breadth first, each directory's children
    contiguous; names as (length, hash, UTF-16BE); data as (size, bytes), qCompress'd ones as
    (size, uncompressed size, zlib stream)."""
    tree: dict = {}
    for path, body in files.items():
        *dirs, leaf = path.split("/")
        node = tree
        for d in dirs:
            node = node.setdefault(d, {})
        node[leaf] = path
    names, data, nodes = bytearray(), bytearray(), []

    def name_offset(name: str) -> int:
        at = len(names)
        names.extend(struct.pack(">HI", len(name), 0) + name.encode("utf-16-be"))
        return at

    queue = [("", tree)]
    nodes.append(None)  # the root, filled below
    index_of = {id(tree): 0}
    while queue:
        name, node = queue.pop(0)
        first = len(nodes)
        children = sorted(node.items())
        nodes.extend([None] * len(children))
        entry = struct.pack(">IHII", name_offset(name) if name else 0, 0x02, len(children), first) + bytes(8)
        nodes[index_of[id(node)]] = entry
        for i, (child, value) in enumerate(children):
            if isinstance(value, dict):
                index_of[id(value)] = first + i
                queue.append((child, value))
                continue
            body = files[value]
            flags = 0
            if value in compress:
                body, flags = struct.pack(">I", len(body)) + zlib.compress(body), 0x01
            nodes[first + i] = struct.pack(">IHHHI", name_offset(child), flags, 0, 0, len(data)) + bytes(8)
            data.extend(struct.pack(">I", len(body)) + body)
    header = 24
    tree_at, data_at = header, header + 22 * len(nodes)
    names_at = data_at + len(data)
    return (b"qres" + struct.pack(">IIIII", 3, tree_at, data_at, names_at, 0) + b"".join(nodes) + bytes(data)
            + bytes(names))


def test_every_file_comes_back_with_its_path_compressed_or_not():
    files = {"gcompris/src/activities/erase/resource/alpaca.webp": b"\x00alpaca" * 50,
             "gcompris/src/activities/erase/resource/README": "Files: alpaca.webp\nLicense: CC0-1.0\n".encode(),
             "gcompris/src/activities/erase/Erase.qml": b"Item {}",
             "top.txt": "é ü".encode()}
    out = dict(read_rcc(write_rcc(files, compress={"gcompris/src/activities/erase/resource/alpaca.webp"})))
    assert out == files


def test_a_file_that_is_not_a_resource_is_refused_by_name():
    with pytest.raises(RccError, match="x.rcc: not a Qt resource"):
        list(read_rcc(b"PK\x03\x04" + bytes(40), "x.rcc"))
    with pytest.raises(RccError, match="version 9"):
        list(read_rcc(b"qres" + struct.pack(">IIII", 9, 0, 0, 0), "y.rcc"))
