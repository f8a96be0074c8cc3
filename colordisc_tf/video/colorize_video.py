"""Video files -> colorized MP4s, each with its flicker metrics (JSON + a plot).

For each input: the frames are read in order (colour frames taken to L, grey ones as they
are), colorized in batches through FrameColorizer with one TemporalState, encoded by
Mp4Writer (the source's frame rate, size, timestamps and audio), and measured by
FlickerMeter on the frames as colorized (before H.264 encoding, so the codec's own noise is
not counted). Every input ends written or skipped with a reason; one that ends before the
frames its container announced is written as far as it decodes, and its summary says so
("ended after N of M frames"); nothing half-written is left under a final name. Frames over
`max_pixels` are refused; big frames go through the network fewer at a time (BATCH_PIXELS).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from fractions import Fraction

import av
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from colordisc_tf.constants import DEFAULT_MAX_PIXELS, VIDEO_HISTORY_WEIGHT
from colordisc_tf.video.flicker import FlickerMeter
from colordisc_tf.video.frame_colorizer import FrameColorizer, FrameScorer
from colordisc_tf.video.temporal import TemporalState
from colordisc_tf.video.video_io import Mp4Writer, VideoError, VideoSource, codec_name

__all__ = ["BATCH_PIXELS", "VideoSettings", "colorize_video", "colorize_videos", "frames_per_batch", "metrics_paths"]


@dataclass(frozen=True)
class VideoSettings:
    temporal: str = "stable"  # or "none": frame by frame (colordisc_tf.video.temporal)
    max_frames: int | None = None  # only the first N frames (a preview)
    batch: int = 8  # frames through the network at once (fewer when frames are large: BATCH_PIXELS)
    history_weight: float = VIDEO_HISTORY_WEIGHT  # stable: weight of the warped history against this frame
    cut_threshold: float = 0.3  # stable: luminance-histogram change (total variation) that counts as a cut
    crf: int = 18  # H.264 quality (lower: better, bigger)
    max_pixels: int = DEFAULT_MAX_PIXELS  # larger frames are refused, as serving refuses larger images


# A batch's full-size arrays (RGB, L, ab, Lab, ...) take about 50 bytes a pixel: 8 MP keeps a
# batch near 400 MB, whether it is eight 720p frames or one 8 MP frame.
BATCH_PIXELS = 8_000_000


def frames_per_batch(batch: int, frame_pixels: int) -> int:
    """How many frames of frame_pixels go through at once: at most `batch`, at least one."""
    return max(1, min(batch, BATCH_PIXELS // max(1, frame_pixels)))


def metrics_paths(video_path: str) -> tuple[str, str]:
    """(the JSON, the plot) written beside a colorized video."""
    stem = os.path.splitext(video_path)[0]
    return stem + ".metrics.json", stem + ".metrics.png"


def colorize_video(source_path: str, output_path: str, colorizer: FrameColorizer, settings: VideoSettings,
                   scorer: FrameScorer | None = None, progress: bool = True) -> dict:
    """Colorizes one video into output_path (an .mp4) and writes its metrics beside it.
    Returns the metrics summary. Raises VideoError for an input it cannot read or write
    (nothing written under output_path)."""
    source = VideoSource(source_path, settings.max_pixels)
    try:
        return _colorize(source, output_path, colorizer, settings, scorer, progress)
    finally:
        source.close()


def _colorize(source, output_path, colorizer, settings, scorer, progress) -> dict:
    limit = settings.max_frames
    expected = _expected_frames(source, limit)
    state = TemporalState(settings.temporal, settings.history_weight, settings.cut_threshold)
    meter = FlickerMeter()
    batch = frames_per_batch(settings.batch, source.width * source.height)
    started = time.perf_counter()
    writer = Mp4Writer(output_path, source, crf=settings.crf)
    bar = tqdm(total=expected, unit="frame", desc=os.path.basename(source.path), disable=not progress,
               dynamic_ncols=True)
    pending: list = []
    done = 0

    def flush() -> None:
        nonlocal done
        rgb = np.stack([p[0] for p in pending])
        colorized, gray = colorizer.colorize(rgb, state)
        realness = scorer.score(colorized) if scorer is not None else [None] * len(pending)
        for (_, when), out, g, r in zip(pending, colorized, gray, realness):
            writer.write_frame(out, when)
            meter.add(out, g, r)
        done += len(pending)
        bar.update(len(pending))
        pending.clear()

    end_time = None  # with --max-frames: where the audio stops
    audio_done = source.audio is None
    try:
        for kind, item, when in source.packets():
            if kind == "audio":
                if end_time is None or item.pts is None or item.pts * item.time_base < end_time:
                    writer.write_audio(item)
                else:
                    audio_done = True
            elif limit is None or done + len(pending) < limit:
                if end_time is None and limit is not None:
                    end_time = (when or 0) + Fraction(limit) / source.rate
                pending.append((item, when))
                if len(pending) == batch:
                    flush()
            if limit is not None and done + len(pending) >= limit and audio_done:
                break  # a preview of a long video does not decode the rest of it
        if pending:
            flush()
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    summary = {
        "input": os.path.abspath(source.path),
        "output": os.path.abspath(output_path),
        "frames": done,
        "frames_announced": source.frames or None,
        "ended_early": _ended_early(done, source, limit),
        "frame_rate": float(source.rate),
        "size": [source.width, source.height],
        "rotation": source.rotation,
        "audio": {"source": codec_name(source.audio) if source.audio is not None else None,
                  "written": None if writer.audio_mode == "none" else writer.audio_mode, "notes": writer.audio_notes},
        "warnings": _warnings(done, source, limit, writer),
        "settings": asdict(settings),
        "decoding": {**asdict(colorizer.decoding), "model_size": colorizer.model_size},
        "resets": state.resets,
        "seconds": round(seconds, 3),
        "frames_per_second": round(done / seconds, 3),
        **meter.summary(),
    }
    _write_metrics(summary, output_path)
    return summary


def _expected_frames(source: VideoSource, limit: int | None) -> int | None:
    """The frames a run should write: the container's count, or --max-frames if fewer (None: unknown)."""
    return min(limit, source.frames) if limit and source.frames else (limit or source.frames or None)


def _ended_early(done: int, source: VideoSource, limit: int | None) -> str | None:
    """"ended after N of M frames" when the file held fewer frames than it announced (or a
    decoding error stopped it), None when it was read to its end (or to --max-frames)."""
    if limit is not None and done >= limit:
        return None
    expected = _expected_frames(source, limit)
    if source.stopped is None and (expected is None or done >= expected):
        return None
    text = f"ended after {done} of {source.frames} frames" if source.frames else f"ended after {done} frames"
    return text + (f" ({source.stopped})" if source.stopped else "")


def _warnings(done: int, source: VideoSource, limit: int | None, writer: Mp4Writer) -> list[str]:
    warnings = [w for w in [_ended_early(done, source, limit)] if w]
    # a refused copy that AAC made up for is a note; audio lost is a warning
    warnings += [note for note in writer.audio_notes if note.startswith(("audio dropped", "audio cut short"))
                 or "left out" in note]
    if writer.nudged:
        warnings.append(f"{writer.nudged} frame times did not move forward: each moved on one tick "
                        f"({writer.time_base} s)")
    return warnings


def _write_metrics(summary: dict, video_path: str) -> None:
    from colordisc_tf.video.plot import plot_metrics

    json_path, png_path = metrics_paths(video_path)
    for path, write in ((json_path, lambda p: _write_json(summary, p)), (png_path, lambda p: plot_metrics(summary, p))):
        partial = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.partial")
        try:
            write(partial)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.remove(partial)


def _write_json(summary: dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(summary, f, indent=1)


def _written_here(video_path: str) -> bool:
    """Whether video_path and its metrics are a colorize-video output: its metrics JSON names it."""
    try:
        with open(metrics_paths(video_path)[0]) as f:
            return json.load(f).get("output") == os.path.abspath(video_path)
    except (OSError, ValueError, AttributeError):
        return False


def colorize_videos(paths: list[str], names: dict[str, str], output_dir: str, colorizer: FrameColorizer,
                    settings: VideoSettings, scorer: FrameScorer | None = None, overwrite: bool = False,
                    progress: bool = True) -> tuple[dict[str, dict], list[tuple[str, str]]]:
    """Each path colorized to output_dir/names[path], one by one. Returns (written: path ->
    summary, skipped: (path, reason)). An existing output is kept unless overwrite, and even then
    only one this function wrote (its metrics JSON names it) is replaced; a file FFmpeg
    cannot read, or a write that fails (a full disk), skips that input and goes on."""
    written, skipped = {}, []
    for path in paths:
        target = os.path.join(output_dir, names[path])
        existing = [p for p in (target, *metrics_paths(target)) if os.path.exists(p)]
        if existing and not overwrite:
            skipped.append((path, f"{existing[0]} exists (--overwrite replaces it)"))
            continue
        if existing and not _written_here(target):
            skipped.append((path, f"{existing[0]} exists and colorize-video did not write it: not replaced"))
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            written[path] = colorize_video(path, target, colorizer, settings, scorer, progress)
        except VideoError as e:
            skipped.append((path, str(e)))
        except av.FFmpegError as e:  # one FFmpeg cannot handle; the next input may be fine
            skipped.append((path, f"FFmpeg failed: {str(e).splitlines()[0]}"))
        except OSError as e:
            skipped.append((path, f"writing {target} failed: {e.strerror or e}"))
        except tf.errors.OpError as e:  # e.g. out of memory on a frame under --max-pixels
            skipped.append((path, f"colorizing failed: {e.message.splitlines()[0]}"))
    return written, skipped
