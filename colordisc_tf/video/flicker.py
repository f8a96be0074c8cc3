"""Flicker metrics of a colorized video (NumPy + OpenCV; frames are (H, W, 3) uint8 sRGB).

CDC, colour distribution consistency (Liu et al., TCVC 2021; the NTIRE 2023 video
colorization challenge): for each frame pair (t, t + d) the Jensen-Shannon divergence
(natural log) between the two frames' 256-bin histograms of one channel, averaged over the
pairs; then weighted 1/3 each over d in {1, 2, 4}; then averaged over R, G and B. Lower is
steadier; a still frame scores 0. Content moving through the frame changes the histograms
too, so a true-colour pan scores near zero but not zero.

Warp error: for t >= 1, frame t - 1 is warped to frame t by the optical flow between their
luminances (OpenCV's Farneback), and the squared difference of the two frames' colours
(sRGB in [0, 1], averaged over the three channels) is averaged over the pixels whose flow
passes a forward-backward consistency check (Sundaram et al. 2010:
|f_b(x) + f_f(x + f_b(x))|^2 <= 0.01 (|f_b|^2 + |f_f|^2) + 0.5); then averaged over t.
The flow is the input's (`luminance`), so a colorization is judged on the motion of its
source, not on motion it invents. Frames are area-resized to at most WARP_SIDE pixels on
their short side first: the metric costs about 50 ms a frame on one core whatever the
video's size (Farneback at 360p costs 7 times that).

Colourfulness (Hasler and Susstrunk) and the discriminator's realness are per frame;
FlickerMeter keeps all four as series over time for the plot.
"""

from __future__ import annotations

import cv2
import numpy as np

from colordisc_tf.metrics import colorfulness

__all__ = ["CDC_DILATIONS", "WARP_SIDE", "FlickerMeter", "cdc", "consistent_flow", "js_divergence", "warp_error"]

CDC_DILATIONS = (1, 2, 4)
WARP_SIDE = 180


def _histograms(rgb_uint8) -> np.ndarray:
    """(H, W, 3) uint8 -> (3, 256) per-channel histograms, each summing to 1."""
    rgb = np.asarray(rgb_uint8)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"frames must be (H, W, 3) uint8, got {rgb.dtype} {rgb.shape}")
    counts = np.stack([np.bincount(rgb[..., c].ravel(), minlength=256) for c in range(3)]).astype(np.float64)
    return counts / counts.sum(axis=1, keepdims=True)


def js_divergence(p, q) -> np.ndarray:
    """Jensen-Shannon divergence (nats) between histograms along the last axis (each sums to 1)."""
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    m = 0.5 * (p + q)

    def kl(a):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 0, a * np.log(a / m), 0.0).sum(axis=-1)

    return 0.5 * kl(p) + 0.5 * kl(q)


def cdc(frames) -> float:
    """CDC of a sequence of (H, W, 3) uint8 frames (module docstring); needs at least 2 frames."""
    meter = FlickerMeter(warp=False)
    for frame in frames:
        meter.add(frame)
    return meter.cdc()


def _short_side_at_most(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = side / min(h, w)
    if scale >= 1:
        return image
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _gray(rgb_uint8: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb_uint8), cv2.COLOR_RGB2GRAY)


def _farneback(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Flow f with a(x) ~ b(x + f(x)), (H, W, 2) in pixels."""
    return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def _sample(image: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """image(x + flow(x)), bilinear, edges replicated."""
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(image, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def consistent_flow(current: np.ndarray, previous: np.ndarray, flow_fn=_farneback):
    """(backward flow, mask): flow f_b with current(x) ~ previous(x + f_b(x)) between two uint8
    gray images, and where it passes the forward-backward check (module docstring)."""
    backward = flow_fn(current, previous)
    forward_there = _sample(flow_fn(previous, current), backward)
    h, w = current.shape[:2]
    xs, ys = np.meshgrid(np.arange(w), np.arange(h))
    inside = ((xs + backward[..., 0] >= 0) & (xs + backward[..., 0] <= w - 1)
              & (ys + backward[..., 1] >= 0) & (ys + backward[..., 1] <= h - 1))
    round_trip = np.sum((backward + forward_there) ** 2, axis=-1)
    bound = 0.01 * (np.sum(backward**2, axis=-1) + np.sum(forward_there**2, axis=-1)) + 0.5
    return backward, inside & (round_trip <= bound)


def warp_error(frames, luminance=None) -> float:
    """Warp error of a sequence of (H, W, 3) uint8 frames (module docstring); the flow is
    computed on `luminance` (a sequence of (H, W) uint8 gray frames, e.g. the input's) or,
    without it, on the frames' own gray."""
    meter = FlickerMeter(cdc=False)
    for i, frame in enumerate(frames):
        meter.add(frame, None if luminance is None else luminance[i])
    return meter.warp_error()


class FlickerMeter:
    """The metrics of one video, fed frame by frame (a video need not fit in memory)."""

    def __init__(self, cdc: bool = True, warp: bool = True, warp_side: int = WARP_SIDE):
        self._cdc, self._warp, self._side = cdc, warp, warp_side
        self._hists: list[np.ndarray] = []  # the last max(CDC_DILATIONS) frames' histograms
        self._js = {d: [] for d in CDC_DILATIONS}  # per pair, channel-averaged
        self._js_channels = {d: np.zeros(3) for d in CDC_DILATIONS}
        self._previous = None  # (gray, colours in [0, 1]) of the last frame, at warp size
        self.colorfulness: list[float] = []
        self.warp_errors: list[float | None] = []  # None: frame 0, or no consistent pixel
        self.realness: list[float] = []

    def add(self, rgb_uint8, gray=None, realness: float | None = None) -> None:
        """One frame; `gray` is the input's luminance as uint8 (the frame's own gray without it)."""
        frame = np.asarray(rgb_uint8)
        hist = _histograms(frame)
        self.colorfulness.append(float(colorfulness(frame)))
        if realness is not None:
            self.realness.append(float(realness))
        if self._cdc:
            self._hists.append(hist)
            for d in CDC_DILATIONS:
                if len(self._hists) > d:
                    per_channel = js_divergence(self._hists[-1 - d], hist)
                    self._js_channels[d] += per_channel
                    self._js[d].append(float(per_channel.mean()))
            del self._hists[: -max(CDC_DILATIONS)]
        if self._warp:
            self._add_warp(frame, gray)

    def _add_warp(self, frame: np.ndarray, gray) -> None:
        small = _short_side_at_most(frame, self._side)
        gray = _gray(frame) if gray is None else np.asarray(gray, np.uint8)
        gray = cv2.resize(gray, small.shape[1::-1], interpolation=cv2.INTER_AREA) if gray.shape != small.shape[:2] \
            else gray
        colours = small.astype(np.float32) / 255.0
        if self._previous is None:
            self.warp_errors.append(None)
        else:
            flow, mask = consistent_flow(gray, self._previous[0])
            warped = _sample(self._previous[1], flow)
            squared = np.mean((colours - warped) ** 2, axis=-1)
            self.warp_errors.append(float(squared[mask].mean()) if mask.any() else None)
        self._previous = (gray, colours)

    def cdc(self) -> float:
        if not self._js[1]:
            raise ValueError("CDC needs at least 2 frames")
        per_channel = sum(self._js_channels[d] / len(self._js[d]) for d in CDC_DILATIONS if self._js[d])
        weights = sum(1 for d in CDC_DILATIONS if self._js[d])
        return float(np.mean(per_channel / weights))

    def warp_error(self) -> float | None:
        values = [v for v in self.warp_errors if v is not None]
        return float(np.mean(values)) if values else None

    def summary(self) -> dict:
        """The aggregates and the per-frame series (JSON-ready)."""
        out = {
            "cdc": self.cdc() if self._cdc and self._js[1] else None,
            "warp_error": self.warp_error() if self._warp else None,
            "colorfulness_mean": float(np.mean(self.colorfulness)) if self.colorfulness else None,
            "per_frame": {"colorfulness": self.colorfulness, "js_d1": [None] + self._js[1],
                          "warp_error": self.warp_errors},
        }
        if self.realness:
            out["realness_mean"] = float(np.mean(self.realness))
            out["per_frame"]["realness"] = self.realness
        return out
