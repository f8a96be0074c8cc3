"""Videos made here: a window panned (and zoomed) across a real photo, so the motion and the
true colours of every frame are known; clips joined by a hard cut; written with PyAV."""

from __future__ import annotations

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
                container_format: str | None = None, gray: bool = False) -> None:
    """Frames as near-lossless H.264 (crf 0, yuv444p; gray: the gray pixel format) with a
    sine tone for audio. Frame i has pts i at time base 1/rate."""
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "gray" if gray else "yuv444p"
        stream.options = {"crf": "0", "preset": "ultrafast"}
        tone = None
        if audio:
            tone = out.add_stream(audio_codec, rate=16000)
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
    samples = int(16000 * seconds)
    wave = (0.2 * np.sin(2 * np.pi * 440 * np.arange(samples) / 16000)).astype(np.float32)
    fmt = "fltp" if stream.codec_context.name in ("aac", "libopus", "mp3") else "s16"
    chunk = stream.codec_context.frame_size or 1024
    for start in range(0, samples, chunk):
        piece = wave[start:start + chunk]
        data = piece[None] if fmt == "fltp" else (piece * 32767).astype(np.int16)[None]
        frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 16000, start, Fraction(1, 16000)
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
