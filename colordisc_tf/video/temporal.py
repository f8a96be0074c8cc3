"""Temporal decoding: the colour decision carried across frames (NumPy + OpenCV).

`none` decodes each frame on its own, as serving does. `stable` keeps a history of the
generator's per-pixel decision -- the softmax over the 313 ab bins (the l2 head: its ab) at
the output's 1/4 grid -- and for each frame t:

    1. shot cut? The luminance histograms (CUT_BINS bins) of frames t-1 and t differ by more
       than `cut_threshold` in total variation, or fewer than MIN_TRACKED of the pixels have
       a consistent flow: the history is dropped (no colour crosses a cut).
    2. warp the history to frame t with DIS optical flow on the network's L (t -> t-1,
       forward-backward checked, then pooled to the 1/4 grid);
    3. history = w * warped + (1 - w) * this frame's decision where the flow is consistent,
       this frame's decision elsewhere (w = `history_weight`);
    4. decode the history as serving decodes a frame (annealed mean, bilinear upsampling).

Averaging probabilities before the annealed mean keeps the decode's mode picking (a pixel
the network is torn on stays with the mode it chose), where averaging decoded ab would
wash two modes into grey.
"""

from __future__ import annotations

import cv2
import numpy as np

from colordisc_tf.constants import VIDEO_HISTORY_WEIGHT
from colordisc_tf.video.flicker import consistent_flow

__all__ = ["MODES", "MIN_TRACKED", "CUT_BINS", "TemporalState", "histogram_distance"]

MODES = ("none", "stable")
CUT_BINS = 32
MIN_TRACKED = 0.3


def _dis_flow():
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
    return lambda a, b: dis.calc(a, b, None)


def histogram_distance(gray_a: np.ndarray, gray_b: np.ndarray) -> float:
    """Total variation (0..1) between two uint8 images' CUT_BINS-bin luminance histograms."""
    bins = np.linspace(0, 256, CUT_BINS + 1)
    ha = np.histogram(gray_a, bins)[0] / gray_a.size
    hb = np.histogram(gray_b, bins)[0] / gray_b.size
    return float(0.5 * np.abs(ha - hb).sum())


def _pool(array: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    return cv2.resize(array, (grid[1], grid[0]), interpolation=cv2.INTER_AREA)


def _warp(history: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """history(x + flow(x)), bilinear, edges clamped; any number of channels (OpenCV's remap
    takes at most 4)."""
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    x = np.clip(xs + flow[..., 0], 0, w - 1)
    y = np.clip(ys + flow[..., 1], 0, h - 1)
    x0, y0 = np.floor(x).astype(np.int32), np.floor(y).astype(np.int32)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    top = history[y0, x0] * (1 - fx) + history[y0, x1] * fx
    bottom = history[y1, x0] * (1 - fx) + history[y1, x1] * fx
    return top * (1 - fy) + bottom * fy


class TemporalState:
    """One video's history. `step(decision, gray)` takes this frame's decision (h, w, C) on the
    1/4 grid and the network's L as uint8 gray (H, W) and returns what to decode (h, w, C)."""

    def __init__(self, mode: str = "stable", history_weight: float = VIDEO_HISTORY_WEIGHT, cut_threshold: float = 0.3):
        if mode not in MODES:
            raise ValueError(f"temporal mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not 0.0 <= history_weight < 1.0:
            raise ValueError(f"history_weight must be in [0, 1), got {history_weight}")
        self.mode, self.history_weight, self.cut_threshold = mode, history_weight, cut_threshold
        self._flow = _dis_flow()
        self._history = None
        self._gray = None
        self.resets: list[int] = []  # frames whose history was dropped (shot cuts, lost tracking)
        self._frame = -1

    def step(self, decision: np.ndarray, gray: np.ndarray) -> np.ndarray:
        self._frame += 1
        decision = np.asarray(decision, np.float32)
        if self.mode == "none":
            return decision
        previous, self._gray = self._gray, gray
        if self._history is None:
            self._history = decision
            return decision
        if histogram_distance(previous, gray) > self.cut_threshold:
            return self._reset(decision)
        flow, consistent = consistent_flow(gray, previous, self._flow)
        grid = decision.shape[:2]
        scale = np.array([grid[1] / gray.shape[1], grid[0] / gray.shape[0]], np.float32)
        tracked = _pool(consistent.astype(np.float32), grid)
        if tracked.mean() < MIN_TRACKED:
            return self._reset(decision)
        warped = _warp(self._history, _pool(flow, grid) * scale)
        weight = (self.history_weight * (tracked >= 0.5))[..., None]
        self._history = weight * warped + (1.0 - weight) * decision
        return self._history

    def _reset(self, decision: np.ndarray) -> np.ndarray:
        self.resets.append(self._frame)
        self._history = decision
        return decision
