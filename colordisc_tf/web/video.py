"""A short clip through the page: colorized into an MP4 with its flicker plot
(colordisc_tf.video), at most max_frames frames, its progress readable while it runs.

The upload and everything written for it live in one temporary folder, deleted when the job
ends; the MP4 and the plot come back in memory, kept for the few most recent jobs."""

from __future__ import annotations

import collections
import dataclasses
import os
import secrets
import tempfile
import threading

import numpy as np
import tensorflow as tf

__all__ = ["VideoJob", "VideoJobs", "run_video"]


@dataclasses.dataclass
class VideoJob:
    name: str
    state: str = "queued"  # queued, running, done, failed
    frames_done: int = 0
    frames_total: int | None = None
    error: str | None = None
    summary: dict | None = None
    mp4: bytes | None = None
    plot: bytes | None = None

    def public(self) -> dict:
        out = {k: getattr(self, k) for k in ("name", "state", "frames_done", "frames_total", "error")}
        if self.summary is not None:
            out["summary"] = self.summary
        return out


class VideoJobs:
    """The jobs, by unguessable id; finished ones beyond `keep` dropped, oldest first."""

    def __init__(self, keep: int = 4):
        self.keep = keep
        self._jobs: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def new(self, name: str) -> tuple[str, VideoJob]:
        key, job = secrets.token_urlsafe(12), VideoJob(name)
        with self._lock:
            self._jobs[key] = job
            finished = [k for k, j in self._jobs.items() if j.state in ("done", "failed")]
            for k in finished[:max(0, len(finished) - self.keep)]:
                del self._jobs[k]
        return key, job

    def get(self, key: str) -> VideoJob | None:
        with self._lock:
            return self._jobs.get(key)


class _Counting:
    """The FrameColorizer as colorize_video uses it, counting frames for the page's progress."""

    def __init__(self, colorizer, job: VideoJob):
        self._colorizer, self._job = colorizer, job
        self.decoding, self.model_size = colorizer.decoding, colorizer.model_size

    def colorize(self, rgb, state):
        out = self._colorizer.colorize(rgb, state)
        self._job.frames_done += len(rgb)
        return out


class _FrameScores:
    def __init__(self, scorer):
        self._scorer = scorer

    def score(self, rgb_uint8):
        return np.asarray(self._scorer.score(tf.constant(rgb_uint8))[0], np.float64)


def run_video(job: VideoJob, name: str, data: bytes, network, scorer, max_frames: int, max_pixels: int) -> None:
    """Colorizes the clip into job (state, counts, mp4, plot, summary or error: one sentence)."""
    import av

    from colordisc_tf.video.colorize_video import VideoSettings, colorize_video, metrics_paths
    from colordisc_tf.video.frame_colorizer import FrameColorizer
    from colordisc_tf.video.video_io import VideoError, VideoSource

    colorizer = FrameColorizer(lambda l: np.asarray(network.raw(tf.constant(l)), np.float32), network.decoding,
                               network.model_size)
    job.state = "running"
    try:
        with tempfile.TemporaryDirectory(prefix="colordisc-page-") as folder:
            source = os.path.join(folder, "upload" + os.path.splitext(name)[1].lower())
            with open(source, "wb") as f:
                f.write(data)
            probe = VideoSource(source, max_pixels)
            job.frames_total = min(max_frames, probe.frames) if probe.frames else max_frames
            probe.close()
            target = os.path.join(folder, "colorized.mp4")
            summary = colorize_video(source, target, _Counting(colorizer, job),
                                     VideoSettings(max_frames=max_frames, max_pixels=max_pixels),
                                     _FrameScores(scorer) if scorer is not None else None, progress=False)
            with open(target, "rb") as f:
                job.mp4 = f.read()
            with open(metrics_paths(target)[1], "rb") as f:
                job.plot = f.read()
        job.summary = {k: summary.get(k) for k in ("frames", "frame_rate", "size", "cdc", "warp_error",
                                                   "colorfulness_mean", "realness_mean", "warnings")}
        job.state = "done"
    except VideoError as e:
        job.error, job.state = f"{name}: {str(e).splitlines()[0]}", "failed"
    except av.FFmpegError as e:
        job.error, job.state = f"{name} is not a video FFmpeg can read ({str(e).splitlines()[0][:120]}).", "failed"
    except tf.errors.OpError as e:
        job.error, job.state = f"{name} could not be colorized ({e.message.splitlines()[0][:120]}).", "failed"
