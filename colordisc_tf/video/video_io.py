"""Reading and writing video with PyAV (FFmpeg's libraries, in its wheels).

A VideoSource yields the frames as (H, W, 3) uint8 RGB with their timestamps, and the audio
packets as they are. A Mp4Writer writes H.264 (yuv420p; yuv444p when a side is odd, which
4:2:0 cannot hold) at the source's frame rate, size and timestamps, so frame count and rate
carry over, and the audio stream copied (or re-encoded to AAC when MP4 cannot hold its codec).
It writes to a hidden temporary name beside the final one and renames only when the file is
complete: a failure, a kill or a full disk leaves nothing under the final name.
"""

from __future__ import annotations

import os
from fractions import Fraction

import av
import numpy as np

__all__ = ["VIDEO_EXTENSIONS", "VideoError", "VideoSource", "Mp4Writer", "partial_name"]

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".wmv", ".flv",
                    ".ogv", ".3gp")
# audio codecs FFmpeg's MP4 muxer takes as they are; anything else is re-encoded to AAC
_MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "opus", "flac", "alac"}


class VideoError(Exception):
    """An input that is not a video this program can read (the message says why)."""


def partial_name(final_path: str) -> str:
    """Where a video is written until it is complete (hidden, same folder: the rename is atomic)."""
    folder, name = os.path.split(final_path)
    return os.path.join(folder, f".{name}.partial")


class VideoSource:
    """An open video file: its first video stream, and its first audio stream if any."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.container = av.open(path)
        except (av.FFmpegError, UnicodeDecodeError) as e:
            raise VideoError(f"not a video FFmpeg can read ({_reason(e)})") from None
        if not self.container.streams.video:
            self.container.close()
            raise VideoError("no video stream")
        self.video = self.container.streams.video[0]
        self.audio = self.container.streams.audio[0] if self.container.streams.audio else None
        self.video.thread_type = "AUTO"
        context = self.video.codec_context
        self.width, self.height = context.width, context.height
        if not self.width or not self.height:
            self.close()
            raise VideoError("the video stream has no frame size")
        self.rate = self.video.average_rate or self.video.guessed_rate or Fraction(25)
        self.frames = self.video.frames or 0  # 0: the container does not say

    def packets(self):
        """('video', frame as uint8 RGB, av frame) and ('audio', packet, None), in file order."""
        streams = [self.video] + ([self.audio] if self.audio is not None else [])
        try:
            for packet in self.container.demux(*streams):
                if packet.stream is self.video:
                    for frame in packet.decode():
                        yield "video", frame.to_ndarray(format="rgb24"), frame
                elif packet.dts is not None:
                    yield "audio", packet, None
        except av.FFmpegError as e:
            raise VideoError(f"unreadable after the first frames ({_reason(e)})") from None

    def close(self) -> None:
        self.container.close()


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error).splitlines()[0]


class Mp4Writer:
    """H.264 MP4 at `final_path`, written to partial_name(final_path) until finish()."""

    def __init__(self, final_path: str, source: VideoSource, crf: int = 18, preset: str = "veryfast"):
        self.final_path, self.path = final_path, partial_name(final_path)
        self.container = av.open(self.path, "w", format="mp4")
        try:
            self.video = self.container.add_stream("libx264", rate=source.rate)
            self.video.width, self.video.height = source.width, source.height
            even = source.width % 2 == 0 and source.height % 2 == 0
            self.video.pix_fmt = "yuv420p" if even else "yuv444p"
            self.video.time_base = source.video.time_base or Fraction(1, int(source.rate * 1000))
            self.video.options = {"crf": str(crf), "preset": preset}
            self._source_audio = source.audio
            self.audio, self._resampler = None, None
            if source.audio is not None:
                if source.audio.codec_context.name in _MP4_AUDIO:
                    self.audio = self.container.add_stream_from_template(source.audio)
                else:
                    self.audio = self.container.add_stream("aac", rate=source.audio.codec_context.sample_rate)
                    self._resampler = av.AudioResampler(format="fltp", layout="stereo",
                                                        rate=source.audio.codec_context.sample_rate)
                    self.audio.layout = "stereo"
            self._index = 0
        except BaseException:
            self.abort()
            raise

    def write_frame(self, rgb_uint8: np.ndarray, source_frame) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb_uint8), format="rgb24")
        if source_frame is not None and source_frame.pts is not None:
            frame.pts, frame.time_base = source_frame.pts, source_frame.time_base
        else:
            frame.pts, frame.time_base = self._index, 1 / Fraction(self.video.average_rate or 25)
        self._index += 1
        self.container.mux(self.video.encode(frame))

    def write_audio(self, packet) -> None:
        if self._resampler is None:
            packet.stream = self.audio
            self.container.mux(packet)
            return
        for frame in packet.decode():
            for resampled in self._resampler.resample(frame):
                self.container.mux(self.audio.encode(resampled))

    def finish(self) -> str:
        """Flushes the encoders, closes the file and moves it to its final name."""
        self.container.mux(self.video.encode(None))
        if self._resampler is not None:
            for resampled in self._resampler.resample(None):
                self.container.mux(self.audio.encode(resampled))
            self.container.mux(self.audio.encode(None))
        self.container.close()
        os.replace(self.path, self.final_path)
        return self.final_path

    def abort(self) -> None:
        """Closes and removes the temporary file (what this writer wrote, nothing else)."""
        try:
            self.container.close()
        except Exception:  # noqa: BLE001 -- a full disk can fail the close too; the file goes anyway
            pass
        if os.path.exists(self.path):
            os.remove(self.path)
