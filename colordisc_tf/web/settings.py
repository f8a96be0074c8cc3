"""The page's bounds, one value (no TensorFlow here: `colordisc --help` reads the defaults)."""

from __future__ import annotations

import dataclasses

from colordisc_tf.constants import DEFAULT_MAX_PIXELS

__all__ = ["PageSettings"]


@dataclasses.dataclass(frozen=True)
class PageSettings:
    max_bytes: int = 50_000_000  # an upload, photo or clip
    max_pixels: int = DEFAULT_MAX_PIXELS  # a photo or a video frame, read from the header (serving's bound)
    max_waiting: int = 32  # requests waiting behind the one running; more are told "busy"
    max_frames: int = 120  # a clip's frames colorized (a preview)
    keep_bytes: int = 1_000_000_000  # kept photos (the slider's raw outputs), least recently used dropped
