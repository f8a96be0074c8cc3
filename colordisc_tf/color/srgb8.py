"""NumPy twin of `color.rgb_to_lab` for 8-bit sRGB, for Beam workers.

Importing TensorFlow costs each Beam worker process ~5 s of CPU (11 s of wall
time for two workers on two cores); the preprocessing workers need only this.
Same constants as tensorflow-io's `rgb_to_lab` (D65, 2°), and since the input is
8-bit, the sRGB decoding is an exact 256-entry table.
"""

from __future__ import annotations

import numpy as np

__all__ = ["srgb8_to_lab"]

_RGB_TO_XYZ = np.array(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_D65 = np.array([0.95047, 1.0, 1.08883])
# Rows scaled by the white point, transposed for `linear @ M`.
_M = (_RGB_TO_XYZ / _D65[:, None]).T.astype(np.float32)


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
