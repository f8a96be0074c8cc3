"""Which of a command's inputs are videos. A file named on the command line is taken as given
(FFmpeg judges it); a folder's files only when named like a video: its other files (images, our
own .metrics.json) are listed as skipped, not opened, since FFmpeg would take a PNG for a
one-frame video."""

from __future__ import annotations

import os

from colordisc_tf.video.video_io import VIDEO_EXTENSIONS

__all__ = ["NOT_A_VIDEO", "list_videos"]

NOT_A_VIDEO = "not a video file name (" + ", ".join(VIDEO_EXTENSIONS) + ")"


def list_videos(inputs: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Files, folders (recursive) and patterns -> (video paths, [(path, reason skipped)]), both
    sorted, paths absolute. Raises FileNotFoundError if an input matches nothing."""
    from colordisc_tf.data.input_files import expand_inputs

    named = {os.path.abspath(p) for p in inputs if not os.path.isdir(p)}
    videos, skipped = [], []
    for path in expand_inputs(inputs):
        if path in named or path.lower().endswith(VIDEO_EXTENSIONS):
            videos.append(path)
        else:
            skipped.append((path, NOT_A_VIDEO))
    return videos, skipped
