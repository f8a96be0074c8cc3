"""Which files the user's inputs name: folders (recursively), files and glob patterns, local or
remote. Without Apache Beam for local inputs (colorize, realness, evaluate list files; only
preprocess runs a Beam job), with Beam's filesystems for remote ones (gs://, s3://, hdfs://).

Local globs mean what they meant when Beam matched them (FileSystem.translate_pattern): `*` and
`?` within a path component, `**` across components, `[...]` / `[!...]` classes, dot files
matched like any other; a pattern lists the files under the folder its fixed part names.
"""

from __future__ import annotations

import hashlib
import os
import re

from colordisc_tf.infra.uris import absolute, is_remote

__all__ = ["expand_inputs", "fingerprint_inputs", "unnameable"]

_GLOB_TOKEN = re.compile(r"\*\*|\*|\?|\[!?\]?[^]]*\]")


def _pattern_regex(pattern: str) -> re.Pattern:
    out, pos = [], 0
    for token in _GLOB_TOKEN.finditer(pattern):
        out.append(re.escape(pattern[pos:token.start()]))
        text, pos = token.group(), token.end()
        if text == "**":
            out.append(".*")
        elif text == "*":
            out.append(r"[^/\\]*")
        elif text == "?":
            out.append(".")
        else:
            body = text[1:-1].replace("\\", "\\\\")
            body = "^" + body[1:] if body.startswith("!") else "\\" + body if body.startswith("^") else body
            out.append(f"[{body}]")
    out.append(re.escape(pattern[pos:]))
    return re.compile("(?ms)" + "".join(out) + r"\Z")


def _match_local(pattern: str) -> list[str]:
    fixed = re.match(r"^[^[*?]*", pattern).group(0)
    if fixed == pattern:
        return [pattern] if os.path.exists(pattern) else []
    regex = _pattern_regex(pattern)
    folder = os.path.dirname(fixed)
    return [path for root, _, files in os.walk(folder) for path in (os.path.join(root, f) for f in files)
            if regex.match(path)]


def _match_remote(pattern: str) -> list[str]:
    from apache_beam.io.filesystems import FileSystems

    return [m.path for r in FileSystems.match([pattern]) for m in r.metadata_list]


def expand_inputs(inputs) -> list[str]:
    """Folders (recursively), files and glob patterns -> sorted unique file paths, local ones
    absolute (workers may run in another folder, as the portable runner's do). Folders are
    walked through symlinked sub-folders too (each real folder once, so a link back up does not
    loop). Raises if an input matches nothing."""
    paths = set()
    for item in [inputs] if isinstance(inputs, str) else inputs:
        item = absolute(os.fspath(item))
        if os.path.isdir(item):
            paths.update(_walk_files(item))
            continue
        matched = _match_remote(item) if is_remote(item) else _match_local(item)
        if not matched:
            raise FileNotFoundError(f"input {item!r} matches no files")
        paths.update(matched)
    return sorted(paths)


def _walk_files(folder: str):
    seen = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link to a folder already walked (or to an ancestor)
            dirs[:] = []
            continue
        seen.add(real)
        yield from (os.path.join(root, f) for f in files)


def unnameable(paths: list[str]) -> tuple[list[str], list[dict]]:
    """(paths Beam can carry, rejects of the rest): a file name that is not valid UTF-8 (a
    byte Linux allows, which Python keeps as a lone surrogate) cannot be encoded in Beam's
    string coder, and one such name would stop the whole run."""
    usable, rejects = [], []
    for path in paths:
        try:
            path.encode("utf-8")
            usable.append(path)
        except UnicodeEncodeError:
            rejects.append({"path": path, "reason": "unreadable",
                            "detail": "the file name is not valid UTF-8 (rename it to use it)"})
    return usable, rejects


def fingerprint_inputs(inputs) -> str:
    """A digest of the input files' paths, sizes and modification times: it
    changes when the data does (TFX uses it as the cache key of LabExampleGen)."""
    digest = hashlib.sha256()
    for path in expand_inputs(inputs):
        if os.path.exists(path):
            stat = os.stat(path)
            size, mtime = stat.st_size, stat.st_mtime
        else:  # a remote filesystem (gs://, s3://, hdfs://)
            from apache_beam.io.filesystems import FileSystems

            meta = FileSystems.match([path])[0].metadata_list[0]
            size, mtime = meta.size_in_bytes, meta.last_updated_in_seconds
        digest.update(f"{path}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
