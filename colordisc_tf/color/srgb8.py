"""NumPy twins of `color.rgb_to_lab` / `inference.lab_to_uint8_rgb` for 8-bit sRGB, for Beam
workers and for deployments without TensorFlow (docs/deploy.md: ONNX Runtime, LiteRT).

Importing TensorFlow costs each Beam worker process ~5 s of CPU (11 s of wall
time for two workers on two cores); the preprocessing workers need only this.
Same constants as tensorflow-io's `rgb_to_lab` (D65, 2°), and since the input is
8-bit, the sRGB decoding is an exact 256-entry table.
"""

from __future__ import annotations

import numpy as np

__all__ = ["srgb8_to_lab", "lab_to_srgb8"]

_RGB_TO_XYZ = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_D65 = np.array([0.95047, 1.0, 1.08883])
# Rows scaled by the white point, transposed for `linear @ M`.
_M = (_RGB_TO_XYZ / _D65[:, None]).T.astype(np.float32)
# The inverse, with the white point folded in, for `xyz_over_white @ _M_INV`.
_M_INV = np.linalg.inv(_M.astype(np.float64)).astype(np.float32)


def _linear_table() -> np.ndarray:
    v = np.arange(256, dtype=np.float64) / 255.0
    return np.where(v > 0.04045, ((v + 0.055) / 1.055) ** 2.4, v / 12.92).astype(np.float32)


_LINEAR = _linear_table()


def srgb8_to_lab(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 sRGB -> (..., 3) float32 CIELAB (L in [0, 100])."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.shape[-1] != 3:
        raise ValueError(f"need (..., 3) uint8 sRGB, got {rgb.dtype} {rgb.shape}")
    xyz = _LINEAR[rgb] @ _M
    f = np.where(xyz > 0.008856, np.cbrt(xyz), xyz * 7.787 + 16.0 / 116.0)
    lab = np.empty_like(f)
    lab[..., 0] = 116.0 * f[..., 1] - 16.0
    lab[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
    return lab


def lab_to_srgb8(lab: np.ndarray) -> np.ndarray:
    """(..., 3) CIELAB -> (..., 3) uint8 sRGB, out-of-gamut colours clipped: what serving's
    lab_to_uint8_rgb computes (tensorflow-io's lab_to_rgb, rounded), within one level."""
    lab = np.asarray(lab, dtype=np.float32)
    if lab.shape[-1] != 3:
        raise ValueError(f"need (..., 3) Lab, got shape {lab.shape}")
    fy = (lab[..., 0] + 16.0) / 116.0
    f = np.stack([fy + lab[..., 1] / 500.0, fy, np.maximum(fy - lab[..., 2] / 200.0, 0.0)], axis=-1)
    linear = np.where(f > 0.2068966, f**3, (f - 16.0 / 116.0) / 7.787) @ _M_INV
    srgb = np.where(linear > 0.0031308, 1.055 * np.maximum(linear, 0.0031308) ** (1 / 2.4) - 0.055, 12.92 * linear)
    return np.round(np.clip(srgb, 0.0, 1.0) * 255.0).astype(np.uint8)
