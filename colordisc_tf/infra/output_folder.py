"""An output folder that appears whole or not at all: the body writes into a staging folder
beside it, renamed into place once the body succeeds (preprocess, colorize)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile

from colordisc_tf.infra.file_lock import exclusive_lock
from colordisc_tf.infra.uris import is_remote

__all__ = ["output_folder"]

_log = logging.getLogger(__name__)


#: In every folder output_folder writes (a staging folder from its start, so the finished
#: output too): --overwrite replaces only folders that hold it, and a killed run's leftovers
#: are recognised by it, never by their names alone.
MARKER = ".colordisc-output"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _ours(folder: str) -> bool:
    """A folder output_folder wrote or is staging."""
    return os.path.isfile(os.path.join(folder, MARKER))


@contextlib.contextmanager
def output_folder(output_dir: str, overwrite: bool = False):
    """Yields the folder to write into: output_dir itself when it is remote (gs://...: no
    atomic rename there; it must be empty), else a staging folder beside it, renamed to
    output_dir once the body succeeds. A non-empty output_dir is replaced only with
    `overwrite`, and only when this program wrote it (its MARKER file): a user's own folder
    is never deleted. New folders get the user's umask, not mkdtemp's 0700."""
    if is_remote(output_dir):
        from apache_beam.io.filesystems import FileSystems  # remote folders only: colorize need not load Beam

        if FileSystems.match([output_dir.rstrip("/") + "/*"])[0].metadata_list and not overwrite:
            raise FileExistsError(f"output {output_dir} is not empty (pass --overwrite to replace it)")
        yield output_dir
        return
    output_dir = os.path.abspath(output_dir)
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise NotADirectoryError(f"output {output_dir} exists and is not a folder")
    parent, name = os.path.split(output_dir)
    os.makedirs(parent, exist_ok=True)
    lock_path = os.path.join(parent, f".{name}.colordisc.lock")
    with exclusive_lock(lock_path, f"another run is writing to {output_dir} right now ({lock_path})"):
        _remove_orphans(output_dir)
        if os.path.isdir(output_dir) and os.listdir(output_dir):
            if not overwrite:
                raise FileExistsError(f"output {output_dir} is not empty (pass --overwrite to replace it)")
            if not _ours(output_dir):
                raise FileExistsError(f"output {output_dir} was not written by colordisc (it has no {MARKER}): "
                                      "not replacing it; choose another folder or empty it yourself")
        staging = tempfile.mkdtemp(prefix=name + ".partial-", dir=parent)
        os.chmod(staging, 0o777 & ~_umask())
        with open(os.path.join(staging, MARKER), "w") as f:
            f.write("written by colordisc; --overwrite may replace this folder\n")
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        old = None
        if os.path.isdir(output_dir):  # swap: the old output leaves only once the new one is complete
            old = tempfile.mkdtemp(prefix=name + ".old-", dir=parent)
            os.rename(output_dir, os.path.join(old, "output"))
        os.rename(staging, output_dir)
        if old:
            shutil.rmtree(old, ignore_errors=True)

def _remove_orphans(output_dir: str) -> None:
    """Staging and swap folders of an earlier run that was killed (a finished or failed run
    removes its own): named after output_dir and holding the MARKER. Safe only under the lock:
    no live run owns them. A user's folder that only looks like one (out.partial-mine) stays."""
    parent, name = os.path.split(output_dir)
    for entry in os.listdir(parent):
        path = os.path.join(parent, entry)
        staged = entry.startswith(name + ".partial-") and _ours(path)
        swapped = entry.startswith(name + ".old-") and _ours(os.path.join(path, "output"))  # the old output inside
        if os.path.isdir(path) and (staged or swapped):
            _log.warning("removing %s, left by a killed run", path)
            shutil.rmtree(path, ignore_errors=True)
