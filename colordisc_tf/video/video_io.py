"""Reading and writing video with PyAV (FFmpeg's libraries, in its wheels).

A VideoSource yields the frames as (H, W, 3) uint8 RGB, turned the way a player shows them
(the display matrix's rotation applied to the pixels), each with its source time, and the
audio packets as they are. Decoding stops at the first error: a file cut short gives what it
holds, and `stopped` says why it ended.

A Mp4Writer writes H.264 (yuv420p; yuv444p when a side is odd, which 4:2:0 cannot hold). Each
frame keeps its source time, in a time base fine enough to hold every source timestamp
exactly (variable frame rate in, the same out); a timestamp that does not move forward is
nudged one tick and counted. Audio is copied when MP4 can hold it, else re-encoded to AAC,
else left out, and `audio_notes` says which and why. It writes to a hidden temporary name
beside the final one and renames only when the file is complete: a failure, a kill or a
full disk leaves nothing under the final name.
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager
from fractions import Fraction

import av
import av.logging
import cv2
import numpy as np

from colordisc_tf.constants import DEFAULT_MAX_PIXELS

__all__ = ["VIDEO_EXTENSIONS", "VideoError", "VideoSource", "Mp4Writer", "codec_name", "partial_name"]

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".wmv", ".flv",
                    ".ogv", ".3gp")
# audio codecs FFmpeg's MP4 muxer takes as they are; anything else is re-encoded to AAC
_MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "opus", "flac", "alac"}
# Containers whose audio timestamps come from chunk order or byte counts, not from the packets:
# copied into MP4 they have failed ("Invalid argument", an AVI with AC-3), so their audio is re-encoded.
_UNTIMED_AUDIO_FORMATS = {"avi", "asf", "flv"}
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
# Demuxers FFmpeg picks for a lone picture, whatever the file is called.
_IMAGE_FORMATS = {"image2", "ico"}
_IMAGE_CODECS = {"png", "apng", "mjpeg", "bmp", "tiff", "webp", "gif", "jpeg2000", "jpegls", "ppm", "pgm", "qoi"}
# 90 000 ticks a second is what MPEG uses: finer than any frame rate, and a tick (11 us) is
# far below anything a viewer sees when a repeated timestamp is nudged.
_MIN_TICKS_PER_SECOND = 90_000


class VideoError(Exception):
    """An input that is not a video this program can read or write (the message says why)."""


def partial_name(final_path: str) -> str:
    """Where a video is written until it is complete (hidden, same folder: the rename is atomic)."""
    folder, name = os.path.split(final_path)
    return os.path.join(folder, f".{name}.partial")


def codec_name(stream) -> str:
    """The codec's own name ("mp3"), not its decoder's ("mp3float")."""
    return stream.codec_context.codec.canonical_name


def _reason(error: Exception) -> str:
    reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
    log = getattr(error, "log", None)  # FFmpeg's own line, when _ffmpeg_lines() was on
    return f"{reason}: {log[2].strip()}" if log else reason


@contextmanager
def _ffmpeg_lines():
    """FFmpeg's error lines say what "Invalid argument" means ("muxing mp3 at 8000hz is not
    standard"); PyAV attaches them to its errors only while its logging is on."""
    level = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture():
            yield
    finally:
        av.logging.set_level(level)


class VideoSource:
    """An open video file: its first video stream, and its first audio stream if any.

    Opening decodes up to the first frame, so the size, the rotation and "is this a video at
    all" are known before anything is written. width/height are the frame as shown (after
    rotation); frames is what the container announces (0: it does not say)."""

    def __init__(self, path: str, max_pixels: int = DEFAULT_MAX_PIXELS):
        self.path = path
        try:
            self.container = av.open(path)
        except (av.FFmpegError, UnicodeDecodeError) as e:
            raise VideoError(f"not a video FFmpeg can read ({_reason(e)})") from None
        try:
            self._open_streams(max_pixels)
            self._events = self._read()
            self._ahead = self._read_to_first_frame()
        except BaseException:
            self.container.close()
            raise

    def _open_streams(self, max_pixels: int) -> None:
        if not self.container.streams.video:
            raise VideoError("no video stream")
        self.video = self.container.streams.video[0]
        self.audio = self.container.streams.audio[0] if self.container.streams.audio else None
        if _is_image(self.container, self.video):
            raise VideoError("an image, not a video: colorize it with `colordisc colorize`")
        self.video.thread_type = "AUTO"
        context = self.video.codec_context
        coded_width, coded_height = context.width, context.height
        if not coded_width or not coded_height:
            raise VideoError("the video stream has no frame size")
        if coded_width * coded_height > max_pixels:
            raise VideoError(f"frames of {coded_width}x{coded_height} ({coded_width * coded_height / 1e6:.1f} MP) "
                             f"are over the {max_pixels / 1e6:g} MP bound (--max-pixels)")
        self.rate = self.video.average_rate or self.video.guessed_rate or Fraction(25)
        self.time_base = self.video.time_base
        self.frames = self.video.frames or 0
        self.stopped: str | None = None  # why decoding ended before the end of the file

    def _read_to_first_frame(self) -> list:
        ahead = []
        for event in self._events:
            ahead.append(event)
            if event[0] == "video":
                self.rotation = event[1].rotation
                self.height, self.width = event[1].shape[:2]
                return ahead
        raise VideoError(f"no frame could be decoded{f' ({self.stopped})' if self.stopped else ''}")

    def _read(self):
        streams = [self.video] + ([self.audio] if self.audio is not None else [])
        rotation, size = 0, None
        try:
            for packet in self.container.demux(*streams):
                if packet.stream is not self.video:
                    if packet.size:
                        yield "audio", packet, None
                    continue
                for frame in packet.decode():
                    if size is None:  # the first frame decides, so every frame is written the same way
                        rotation, size = _quarter_turns(frame.rotation), (frame.width, frame.height)
                    yield "video", _Frame(frame, rotation, size), _frame_time(frame)
        except av.FFmpegError as e:
            # a cut or damaged file: what decoded so far is kept, and the caller says where it ended
            self.stopped = _reason(e)

    def packets(self):
        """('video', frame as uint8 RGB (H, W, 3), its time in seconds as a Fraction or None)
        and ('audio', packet, None), in file order."""
        yield from ((kind, item.rgb() if kind == "video" else item, time) for kind, item, time in self._ahead)
        self._ahead = []
        for kind, item, time in self._events:
            yield kind, item.rgb() if kind == "video" else item, time

    def close(self) -> None:
        self.container.close()


class _Frame:
    """A decoded frame, converted to RGB only when asked (opening peeks at the first one)."""

    def __init__(self, frame, quarter_turns: int, size: tuple[int, int]):
        self._frame, self._turns, self._size = frame, quarter_turns, size
        self.rotation = (0, 90, 180, -90)[quarter_turns]  # degrees counter-clockwise, as the display matrix says
        w, h = size
        self.shape = (w, h) if quarter_turns % 2 else (h, w)

    def rgb(self) -> np.ndarray:
        w, h = self._size
        # a stream that changes size mid-way is scaled to its first frame's size: an MP4 track has one
        rgb = self._frame.to_ndarray(format="rgb24", width=w, height=h)
        # the display matrix turns counter-clockwise, as np.rot90 does
        return np.ascontiguousarray(np.rot90(rgb, self._turns)) if self._turns else rgb


def _quarter_turns(degrees) -> int:
    return round((degrees or 0) / 90) % 4


def _frame_time(frame) -> Fraction | None:
    stamp = frame.pts if frame.pts is not None else frame.dts
    if stamp is None or frame.time_base is None:
        return None
    return stamp * frame.time_base


def _is_image(container, video) -> bool:
    formats = set(container.format.name.split(","))
    if formats & _IMAGE_FORMATS or any(name.endswith("_pipe") for name in formats):
        return True
    return codec_name(video) in _IMAGE_CODECS and video.frames == 1


class Mp4Writer:
    """H.264 MP4 at `final_path`, written to partial_name(final_path) until finish().

    The header is written here, so a stream MP4 refuses is known before the first frame: a
    copied audio stream falls back to AAC, and AAC to no audio, each step noted in
    `audio_notes`."""

    def __init__(self, final_path: str, source: VideoSource, crf: int = 18, preset: str = "veryfast"):
        self.final_path, self.path = final_path, partial_name(final_path)
        self.source = source
        self.crf, self.preset = crf, preset
        self.audio_notes: list[str] = []
        self.nudged = 0  # frames whose time did not move forward and were moved one tick on
        self.audio_dropped_packets = 0  # copied packets without a time, or going back in time
        self._last_pts = None
        self._last_audio_dts = None
        self._audio_samples = 0
        self._audio_start = None
        for mode in _audio_modes(source):
            try:
                with _ffmpeg_lines():
                    self._open(mode)
                return
            except (av.FFmpegError, ValueError) as e:
                self.abort()
                if mode == "none":
                    raise VideoError(f"cannot write {final_path} ({_reason(e)})") from None
                self.audio_notes.append(f"audio {mode} refused by MP4 ({_reason(e)})")

    def _open(self, mode: str) -> None:
        source = self.source
        self.container = av.open(self.path, "w", format="mp4")
        self.video = self.container.add_stream("libx264", rate=source.rate)
        self.video.width, self.video.height = source.width, source.height
        even = source.width % 2 == 0 and source.height % 2 == 0
        self.video.pix_fmt = "yuv420p" if even else "yuv444p"
        self.time_base = _fine_time_base(source.time_base)
        # The encoder counts time in this base, not in 1/rate steps: with 1/rate two frames of a
        # variable-rate video can land on the same step and the muxer refuses the second.
        self.video.codec_context.time_base = self.time_base
        self.video.time_base = self.time_base
        self.video.options = {"crf": str(self.crf), "preset": self.preset}
        self.audio_mode, self.audio, self._resampler = mode, None, None
        if mode == "copy":
            self.audio = self.container.add_stream_from_template(source.audio)  # PyAV drops the source's codec tag
        elif mode == "aac":
            self._open_aac(source.audio)
        if source.audio is not None and mode != "copy":
            refused = "; ".join(self.audio_notes)  # why the better modes failed
            self.audio_notes.append("audio re-encoded to AAC" if mode == "aac" else
                                    f"audio dropped ({refused or 'no decoder for ' + codec_name(source.audio)})")
        self.container.start_encoding()

    def _open_aac(self, source_audio) -> None:
        context = source_audio.codec_context
        rate = context.sample_rate if context.sample_rate in _AAC_RATES else 48000
        layout = "mono" if context.channels == 1 else "stereo"
        self.audio = self.container.add_stream("aac", rate=rate)
        self.audio.layout = layout
        self._resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)

    def write_frame(self, rgb_uint8: np.ndarray, time: Fraction | None) -> None:
        """One frame shown at `time` seconds (None: one frame period after the last)."""
        if rgb_uint8.shape[:2] != (self.video.height, self.video.width):
            rgb_uint8 = cv2.resize(rgb_uint8, (self.video.width, self.video.height), interpolation=cv2.INTER_AREA)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb_uint8), format="rgb24")
        if time is None:
            pts = 0 if self._last_pts is None else self._last_pts + round(1 / (self.source.rate * self.time_base))
        else:
            pts = round(time / self.time_base)
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
            self.nudged += 1
        self._last_pts = pts
        frame.pts, frame.time_base = pts, self.time_base
        self._video_mux(self.video.encode(frame))

    def _video_mux(self, packets) -> None:
        try:
            self.container.mux(packets)
        except av.FFmpegError as e:
            raise VideoError(f"writing {self.final_path} failed ({_reason(e)})") from None

    def write_audio(self, packet) -> None:
        """One source audio packet; an error here ends the audio with a note, never the video."""
        if self.audio is None:
            return
        try:
            if self.audio_mode == "copy":
                self._copy_audio(packet)
            else:
                self._encode_audio(packet.decode())
        except (av.FFmpegError, ValueError) as e:
            self._stop_audio(e)

    def _copy_audio(self, packet) -> None:
        if packet.dts is None or (self._last_audio_dts is not None and packet.dts <= self._last_audio_dts):
            self.audio_dropped_packets += 1
            return
        self._last_audio_dts = packet.dts
        if packet.pts is None:
            packet.pts = packet.dts
        packet.stream = self.audio
        self.container.mux(packet)

    def _encode_audio(self, frames) -> None:
        for frame in frames:
            if self._audio_start is None:
                self._audio_start = _frame_time(frame) or Fraction(0)
            for resampled in self._resampler.resample(frame):
                self._mux_resampled(resampled)

    def _mux_resampled(self, resampled) -> None:
        # times from the sample count: decoded AVI audio often has none, and gaps are not ours to keep
        rate = self.audio.codec_context.sample_rate
        resampled.pts = round(self._audio_start * rate) + self._audio_samples
        resampled.time_base = Fraction(1, rate)
        self._audio_samples += resampled.samples
        self.container.mux(self.audio.encode(resampled))

    def _stop_audio(self, error: Exception) -> None:
        self.audio_notes.append(f"audio cut short: {_reason(error)}")
        self.audio = None

    def finish(self) -> str:
        """Flushes the encoders, closes the file and moves it to its final name."""
        self._video_mux(self.video.encode(None))
        if self.audio is not None and self.audio_mode == "aac":
            try:
                self._encode_audio(self.source.audio.codec_context.decode(None))
                if self._audio_start is not None:
                    for resampled in self._resampler.resample(None):
                        self._mux_resampled(resampled)
                self.container.mux(self.audio.encode(None))
            except (av.FFmpegError, ValueError) as e:
                self._stop_audio(e)
        if self.audio_dropped_packets:
            self.audio_notes.append(f"{self.audio_dropped_packets} audio packets without a usable time left out")
        try:
            self.container.close()
        except av.FFmpegError as e:
            raise VideoError(f"writing {self.final_path} failed ({_reason(e)})") from None
        os.replace(self.path, self.final_path)
        return self.final_path

    def abort(self) -> None:
        """Closes and removes the temporary file (what this writer wrote, nothing else)."""
        try:
            if getattr(self, "container", None) is not None:
                self.container.close()
        except Exception:  # noqa: BLE001 -- a full disk can fail the close too; the file goes anyway
            pass
        if os.path.exists(self.path):
            os.remove(self.path)


def _audio_modes(source: VideoSource) -> list[str]:
    """The ways to carry the source's audio, best first; "none" always works."""
    if source.audio is None:
        return ["none"]
    formats = set(source.container.format.name.split(","))
    copyable = codec_name(source.audio) in _MP4_AUDIO and not formats & _UNTIMED_AUDIO_FORMATS
    decodable = source.audio.codec_context.codec is not None
    return (["copy"] if copyable else []) + (["aac"] if decodable else []) + ["none"]


def _fine_time_base(source: Fraction | None) -> Fraction:
    """1/N with N a multiple of the source's denominator, so every source time is a whole
    number of ticks, and N >= 90 000."""
    if not source:
        return Fraction(1, _MIN_TICKS_PER_SECOND)
    den = source.denominator
    return Fraction(1, den * math.ceil(_MIN_TICKS_PER_SECOND / den))
