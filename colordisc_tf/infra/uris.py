"""Paths that may be local folders or remote URIs (gs://, s3://, hdfs://)."""

import os

__all__ = ["is_remote", "absolute"]


def is_remote(path: str) -> bool:
    return "://" in path


def absolute(path: str, base: str | None = None) -> str:
    """A local path made absolute (against `base` when given, else the working directory);
    a remote URI unchanged: os.path would turn gs://b/x into <cwd>/gs:/b/x."""
    if is_remote(path):
        return path
    return os.path.abspath(os.path.join(base, path) if base else path)
