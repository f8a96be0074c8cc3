"""The one exclusive lock of the project: a second run on the same output folder, evaluation
folder or pipeline root is refused at once instead of writing over the first.

An flock on a lock file, held while the block runs; the file is removed when it ends (so a
finished run leaves nothing behind). A run that opened the file just before a finishing run
removed it would hold a lock nobody else sees: it checks that its file is still the one at the
path, and opens the path again when not.
"""

from __future__ import annotations

import contextlib
import fcntl
import os

__all__ = ["exclusive_lock"]


@contextlib.contextmanager
def exclusive_lock(path: str, busy: str, error: type[Exception] = FileExistsError):
    """Holds `path`'s lock while the block runs; raises error(busy) at once when another run holds it."""
    while True:
        lock = open(path, "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise error(busy) from None
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(current, os.fstat(lock.fileno())):
            break
        lock.close()
    try:
        yield
    finally:
        # removed while still held: a run that opens the path now makes a new file and its own lock
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        lock.close()
