"""Video files -> colorized MP4s, each with its flicker metrics (JSON + a plot).

For each input: the frames are read in order (colour frames taken to L, grey ones as they
are), colorized in batches through FrameColorizer with one TemporalState, encoded by
Mp4Writer (the source's frame rate, size, timestamps and audio), and measured by
FlickerMeter on the frames as colorized (before H.264 encoding, so the codec's own noise is
not counted). Every input ends written or skipped with a reason; nothing half-written is
left under a final name.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass

import numpy as np
from tqdm.auto import tqdm

from colordisc_tf.constants import VIDEO_HISTORY_WEIGHT
from colordisc_tf.video.flicker import FlickerMeter
from colordisc_tf.video.frame_colorizer import FrameColorizer, FrameScorer
from colordisc_tf.video.temporal import TemporalState
from colordisc_tf.video.video_io import Mp4Writer, VideoError, VideoSource

__all__ = ["VideoSettings", "colorize_video", "colorize_videos", "metrics_paths"]


@dataclass(frozen=True)
class VideoSettings:
    temporal: str = "stable"  # or "none": frame by frame (colordisc_tf.video.temporal)
    max_frames: int | None = None  # only the first N frames (a preview)
    batch: int = 8  # frames through the network at once
    history_weight: float = VIDEO_HISTORY_WEIGHT  # stable: weight of the warped history against this frame
    cut_threshold: float = 0.3  # stable: luminance-histogram change (total variation) that counts as a cut
    crf: int = 18  # H.264 quality (lower: better, bigger)


def metrics_paths(video_path: str) -> tuple[str, str]:
    """(the JSON, the plot) written beside a colorized video."""
    stem = os.path.splitext(video_path)[0]
    return stem + ".metrics.json", stem + ".metrics.png"


def colorize_video(source_path: str, output_path: str, colorizer: FrameColorizer, settings: VideoSettings,
                   scorer: FrameScorer | None = None, progress: bool = True) -> dict:
    """Colorizes one video into output_path (an .mp4) and writes its metrics beside it.
    Returns the metrics summary. Raises VideoError for an input it cannot read (nothing written)."""
    source = VideoSource(source_path)
    try:
        return _colorize(source, output_path, colorizer, settings, scorer, progress)
    finally:
        source.close()


def _colorize(source, output_path, colorizer, settings, scorer, progress) -> dict:
    limit = settings.max_frames
    expected = min(limit, source.frames) if limit and source.frames else (limit or source.frames or None)
    end_time = None if limit is None else float(limit / source.rate)
    state = TemporalState(settings.temporal, settings.history_weight, settings.cut_threshold)
    meter = FlickerMeter()
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
        for (_, frame), out, g, r in zip(pending, colorized, gray, realness):
            writer.write_frame(out, frame)
            meter.add(out, g, r)
        done += len(pending)
        bar.update(len(pending))
        pending.clear()

    audio_done = source.audio is None
    try:
        for kind, item, frame in source.packets():
            if kind == "audio":
                if end_time is None or item.pts is None or float(item.pts * item.time_base) < end_time:
                    writer.write_audio(item)
                else:
                    audio_done = True
            elif limit is None or done + len(pending) < limit:
                pending.append((item, frame))
                if len(pending) == settings.batch:
                    flush()
            if limit is not None and done + len(pending) >= limit and audio_done:
                break  # a preview of a long video does not decode the rest of it
        if pending:
            flush()
        if done == 0:
            raise VideoError("no frame could be decoded")
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
        "frame_rate": float(source.rate),
        "size": [source.width, source.height],
        "audio": source.audio is not None,
        "settings": asdict(settings),
        "decoding": {"temperature": colorizer.decoding.temperature, "head": colorizer.decoding.head,
                     "model_size": colorizer.model_size},
        "resets": state.resets,
        "seconds": round(seconds, 3),
        "frames_per_second": round(done / seconds, 3),
        **meter.summary(),
    }
    _write_metrics(summary, output_path)
    return summary


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
        except OSError as e:
            skipped.append((path, f"writing {target} failed: {e.strerror or e}"))
    return written, skipped
