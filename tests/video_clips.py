"""Videos made here: a window panned (and zoomed) across a real photo, so the motion and the
true colours of every frame are known; clips joined by a hard cut; written with PyAV. And a
corpus of the formats users bring (CORPUS), each written with the encoder it names."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import av
import cv2
import numpy as np


def photo(name: str) -> np.ndarray:
    """A photo that ships with scikit-image, as (H, W, 3) uint8."""
    from skimage import data

    image = getattr(data, name)()
    return image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=-1)


def pan(image: np.ndarray, size=(48, 64), frames: int = 16, step=(1.0, 2.0), zoom: float = 0.0,
        start=(0.0, 0.0)) -> list[np.ndarray]:
    """`frames` (h, w) windows of `image`, the window moving by `step` pixels (dy, dx) a frame and
    growing by `zoom` (fraction a frame) from `start`; each area-resized to `size`."""
    h, w = size
    out = []
    for t in range(frames):
        scale = 1.0 + zoom * t
        y, x = start[0] + step[0] * t, start[1] + step[1] * t
        crop_h, crop_w = h * scale, w * scale
        matrix = np.float32([[crop_w / w, 0, x], [0, crop_h / h, y]])
        out.append(cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_REFLECT))
    return out


def write_video(path, frames, rate: int = 12, audio: bool = True, audio_codec: str = "aac",
                container_format: str | None = None, gray: bool = False, audio_rate: int = 16000) -> None:
    """Frames as near-lossless H.264 (crf 0, yuv444p; gray: the gray pixel format) with a
    sine tone for audio. Frame i has pts i at time base 1/rate."""
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "gray" if gray else "yuv444p"
        stream.options = {"crf": "0", "preset": "ultrafast"}
        tone = None
        if audio:
            tone = out.add_stream(audio_codec, rate=audio_rate)
            tone.layout = "mono"
        for i, frame in enumerate(frames):
            data = frame[..., 0] if gray else frame
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(data), format="gray" if gray else "rgb24")
            video_frame.pts, video_frame.time_base = i, Fraction(1, rate)
            out.mux(stream.encode(video_frame))
        out.mux(stream.encode(None))
        if tone is not None:
            _write_tone(out, tone, len(frames) / rate)


def _write_tone(out, stream, seconds: float) -> None:
    """A 440 Hz tone of `seconds` in whatever sample format and layout the encoder takes."""
    context = stream.codec_context
    rate, fmt, channels = context.sample_rate, context.format.name, context.layout.nb_channels
    samples = int(rate * seconds)
    wave = 0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / rate)
    chunk = context.frame_size or 1024
    dtype = {"s16": np.int16, "s32": np.int32, "flt": np.float32, "dbl": np.float64}[fmt.rstrip("p")]
    scale = np.iinfo(dtype).max if np.issubdtype(dtype, np.integer) else 1.0
    for start in range(0, samples, chunk):
        piece = (wave[start:start + chunk] * scale).astype(dtype)
        data = np.stack([piece] * channels) if fmt.endswith("p") else np.repeat(piece, channels)[None]
        frame = av.AudioFrame.from_ndarray(data, format=fmt, layout=context.layout.name)
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def probe(path) -> dict:
    """What a player sees: frame count (decoded), rate, size, audio codec and duration."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        return {"frames": len(frames), "rate": video.average_rate, "size": (video.codec_context.width,
                video.codec_context.height), "audio": audio.codec_context.name if audio else None,
                "audio_seconds": float(audio.duration * audio.time_base) if audio is not None and audio.duration
                else None, "decoded": frames}


class PlantedColorizer:
    """A stand-in generator that knows the clip's true colours. On the 1/4 grid it is torn, as
    real colorizers are, between the true ab (weight 1 - grey) and grey (ab = 0): p = Gaussian
    bumps (sigma) at both, and frame i's logits are log p / tau_i, tau_i cycling through
    `taus`. Constant tau: a steady colorizer; alternating tau: one whose confidence flickers
    frame by frame, and with it which mode the annealed mean favours (the saturation). Its
    calls must come in frame order, as video colorization makes them."""

    def __init__(self, frames, model_size: int, taus=(1.0,), sigma: float = 10.0, grey: float = 0.4):
        import tensorflow as tf
        from skimage.color import rgb2lab

        from colordisc_tf.color import AB_BINS

        grid = model_size // 4
        self.logits = []
        for i, frame in enumerate(frames):
            small = tf.image.resize(frame[None].astype(np.float32) / 255.0, [grid, grid], method="area")[0].numpy()
            ab = rgb2lab(np.clip(small, 0, 1))[..., 1:]
            bins = AB_BINS[None, None].astype(np.float32)
            true_bump = np.exp(-((ab[..., None, :] - bins) ** 2).sum(-1) / (2 * sigma**2))
            grey_bump = np.exp(-(bins**2).sum(-1) / (2 * sigma**2))
            p = (1 - grey) * true_bump / true_bump.sum(-1, keepdims=True) + grey * grey_bump / grey_bump.sum()
            self.logits.append((np.log(p + 1e-12) / taus[i % len(taus)]).astype(np.float32))
        self.calls = 0

    def __call__(self, l_batch):
        out = np.stack(self.logits[self.calls:self.calls + len(l_batch)])
        self.calls += len(l_batch)
        return out


# --- A corpus of the formats users bring, made here with PyAV's FFmpeg (nothing downloaded) ---


@dataclass(frozen=True)
class CorpusClip:
    """One real-world kind of file, tiny. `size` is (h, w) as a player shows it; `rotation` is
    the display matrix's counter-clockwise turn (a phone's portrait video: -90); `times_ms`
    gives irregular frame times (variable frame rate); `audio_out` is what MP4 gets ("copy" or
    "aac")."""

    name: str
    suffix: str
    codec: str
    pix_fmt: str = "yuv420p"
    size: tuple[int, int] = (32, 48)
    rate: Fraction = Fraction(24)
    frames: int = 8
    audio: str | None = None
    audio_rate: int = 48000
    audio_out: str | None = None
    rotation: int = 0
    times_ms: tuple[int, ...] | None = None
    options: dict = field(default_factory=dict)
    codec_tag: str | None = None
    b_frames: int | None = None


_X264 = {"preset": "ultrafast", "crf": "8"}
CORPUS = [
    # the file that failed in the field: MPEG-4 Part 2 (Xvid, B-frames) in AVI with AC-3 at 23.976 fps
    CorpusClip("avi-mpeg4-ac3", ".avi", "mpeg4", size=(44, 60), rate=Fraction(24000, 1001), audio="ac3",
               audio_out="aac", options={"qscale": "2"}, codec_tag="XVID", b_frames=2),
    CorpusClip("avi-mjpeg-pcm-16fps", ".avi", "mjpeg", pix_fmt="yuvj420p", size=(40, 56), rate=Fraction(16),
               audio="pcm_s16le", audio_out="aac", options={"qscale": "2"}),
    CorpusClip("mp4-h264-vfr-aac", ".mp4", "libx264", audio="aac", audio_out="copy", options=_X264,
               times_ms=(0, 40, 50, 130, 170, 180, 260, 300)),
    CorpusClip("mp4-rotate-90", ".mp4", "libx264", rotation=90, audio="aac", audio_out="copy", options=_X264),
    CorpusClip("mp4-rotate-minus-90-phone", ".mp4", "libx264", rotation=-90, options=_X264),
    CorpusClip("mp4-rotate-180", ".mp4", "libx264", rotation=180, options=_X264),
    CorpusClip("mkv-interlaced-18fps-mp3", ".mkv", "libx264", rate=Fraction(18), audio="libmp3lame",
               audio_rate=44100, audio_out="copy", options={**_X264, "x264-params": "interlaced=1:tff=1"}),
    CorpusClip("mkv-odd-size-ac3", ".mkv", "libx264", pix_fmt="yuv444p", size=(33, 47), rate=Fraction(25),
               audio="ac3", audio_out="copy", options=_X264),
    CorpusClip("mp4-hevc-10bit", ".mp4", "libx265", pix_fmt="yuv420p10le", audio="aac", audio_out="copy",
               options={"preset": "ultrafast", "x265-params": "log-level=none:lossless=1"}),
]


def corpus_frames(clip: CorpusClip) -> list[np.ndarray]:
    """The clip's frames as a player should show them: a pan over a photo."""
    return pan(photo("astronaut"), size=clip.size, frames=clip.frames, step=(1.0, 1.5), start=(60.0, 180.0))


def corpus_times(clip: CorpusClip) -> list[Fraction]:
    if clip.times_ms is not None:
        return [Fraction(t, 1000) for t in clip.times_ms]
    return [i / clip.rate for i in range(clip.frames)]


def write_corpus_clip(path, clip: CorpusClip) -> None:
    """Writes `clip` with the encoder it names; pytest.skip when this FFmpeg lacks it."""
    import pytest

    missing = [c for c in (clip.codec, clip.audio) if c and c not in av.codecs_available]
    if missing:
        pytest.skip(f"this FFmpeg has no {' or '.join(missing)} encoder")
    turns = clip.rotation // 90
    time_base = Fraction(1, 1000) if clip.times_ms else 1 / clip.rate
    with av.open(str(path), "w") as out:
        stream = out.add_stream(clip.codec, rate=clip.rate)
        stream.height, stream.width = clip.size if turns % 2 == 0 else clip.size[::-1]
        stream.pix_fmt, stream.options = clip.pix_fmt, dict(clip.options)
        stream.codec_context.time_base = time_base
        if clip.codec_tag:
            stream.codec_tag = clip.codec_tag
        if clip.b_frames:
            stream.codec_context.max_b_frames = clip.b_frames
        if clip.rotation:
            stream.set_display_rotation(clip.rotation)
        tone = None
        if clip.audio:
            tone = out.add_stream(clip.audio, rate=clip.audio_rate)
            tone.layout = "stereo"
        for frame, time in zip(corpus_frames(clip), corpus_times(clip)):
            # the player turns the stored picture counter-clockwise by `rotation`: store it turned back
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.rot90(frame, -turns)), format="rgb24")
            video_frame.pts, video_frame.time_base = round(time / time_base), time_base
            out.mux(stream.encode(video_frame))
        out.mux(stream.encode(None))
        if tone is not None:
            _write_tone(out, tone, float(corpus_times(clip)[-1] + 1 / clip.rate))


def decoded(path) -> dict:
    """What a player gets from a file: the frames turned as it shows them (the display matrix
    applied), their times in seconds, the audio codec and the decoded audio's duration."""
    with av.open(str(path)) as container:
        frames, times = [], []
        for frame in container.decode(video=0):
            rgb = frame.to_ndarray(format="rgb24")
            frames.append(np.rot90(rgb, round((frame.rotation or 0) / 90)))
            times.append(float(frame.time))
    audio, seconds = None, None
    with av.open(str(path)) as container:
        if container.streams.audio:
            stream = container.streams.audio[0]
            audio = stream.codec_context.name
            seconds = sum(f.samples for f in container.decode(audio=0)) / stream.codec_context.sample_rate
    return {"frames": frames, "times": times, "audio": audio, "audio_seconds": seconds}


def write_cut_short(path, frames, rate: int = 12) -> int:
    """An MP4 with its index first (faststart), cut in half as a failed download leaves it.
    Returns the frame count its index still announces."""
    full = str(path) + ".whole.mp4"
    with av.open(full, "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.options = {"preset": "ultrafast"}
        for i, frame in enumerate(frames):
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video_frame.pts, video_frame.time_base = i, Fraction(1, rate)
            out.mux(stream.encode(video_frame))
        out.mux(stream.encode(None))
    data = open(full, "rb").read()
    open(str(path), "wb").write(data[:len(data) // 2])
    return len(frames)


def write_repeated_times(path, frames, times_ms) -> None:
    """MJPEG in Matroska whose frames carry `times_ms` as they are, repeats included (Matroska
    takes a repeated time; MP4 and the encoders do not)."""
    time_base = Fraction(1, 1000)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mjpeg", rate=25)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuvj420p"
        stream.codec_context.time_base = time_base
        for i, (frame, time) in enumerate(zip(frames, times_ms)):
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video_frame.pts, video_frame.time_base = i, time_base
            for packet in stream.encode(video_frame):
                packet.pts = packet.dts = time
                out.mux(packet)
        out.mux(stream.encode(None))
