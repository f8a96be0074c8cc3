"""An output folder that appears whole or not at all: the body writes into a staging folder
beside it, renamed into place once the body succeeds (preprocess, colorize)."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile

from apache_beam.io.filesystems import FileSystems

from colordisc_tf.infra.uris import is_remote

__all__ = ["output_folder"]

_log = logging.getLogger(__name__)


@contextlib.contextmanager
def output_folder(output_dir: str, overwrite: bool = False):
    """Yields the folder to write into: output_dir itself when it is remote (gs://...: no
    atomic rename there; it must be empty), else a staging folder beside it, renamed to
    output_dir once the body succeeds."""
    if is_remote(output_dir):
        if FileSystems.match([output_dir.rstrip("/") + "/*"])[0].metadata_list and not overwrite:
            raise FileExistsError(f"output {output_dir} is not empty (pass --overwrite to replace it)")
        yield output_dir
        return
    output_dir = os.path.abspath(output_dir)
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise NotADirectoryError(f"output {output_dir} exists and is not a folder")
    os.makedirs(os.path.dirname(output_dir), exist_ok=True)
    with open(output_dir + ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FileExistsError(f"another run is writing to {output_dir} right now ({output_dir}.lock)") from None
        try:
            _remove_orphans(output_dir)
            if os.path.isdir(output_dir) and os.listdir(output_dir) and not overwrite:
                raise FileExistsError(f"output {output_dir} is not empty (pass --overwrite to replace it)")
            staging = tempfile.mkdtemp(prefix=os.path.basename(output_dir) + ".partial-",
                                       dir=os.path.dirname(output_dir))
            try:
                yield staging
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            old = None
            if os.path.isdir(output_dir):  # swap: the old output leaves only once the new one is complete
                old = tempfile.mkdtemp(prefix=os.path.basename(output_dir) + ".old-", dir=os.path.dirname(output_dir))
                os.rename(output_dir, os.path.join(old, "output"))
            os.rename(staging, output_dir)
            if old:
                shutil.rmtree(old, ignore_errors=True)
        finally:
            os.unlink(output_dir + ".lock")


def _remove_orphans(output_dir: str) -> None:
    """Staging and swap folders of an earlier run that was killed (a finished or failed run
    removes its own). Safe only under the lock: no live run owns them."""
    parent, name = os.path.split(output_dir)
    for entry in os.listdir(parent):
        if entry.startswith((name + ".partial-", name + ".old-")):
            _log.warning("removing %s, left by a killed run", os.path.join(parent, entry))
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)
