"""Virtual IMU physics: pure functions on numpy arrays (no Blender).

A sensor is a rigid frame (origin p(t), orientation R_ws(t) whose columns are the sensor's
x, y, z axes in the world). It measures
- specific force  f = R_wsᵀ (a_world − g),  g = (0, 0, −9.81) m/s² in the Z-up world, so a
  sensor at rest reads +9.81 m/s² along its up-pointing axis;
- angular velocity in the sensor frame, from the relative rotation of neighbouring frames:
  ω(t) = log(R(t−1)ᵀ R(t+1)) / 2Δt (one-sided at the ends), exact for constant rotation rate.

Derivatives: a_world is the second derivative of p(t) by a Savitzky–Golay filter (cubic,
window `smoothing_window` samples, default ≈ 0.1 s); ω is smoothed with the same window.
Mocap jitter is amplified by double differentiation; the window trades that against bandwidth.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_filter

from ..motion.rotations import matrix_to_axis_angle

GRAVITY = np.array([0.0, 0.0, -9.81])
POLYORDER = 3


def smoothing_window(fps: float, seconds: float = 0.1) -> int:
    """Odd window length (samples) of about `seconds`, at least polyorder + 2."""
    n = int(round(seconds * fps))
    n = max(n, POLYORDER + 2)
    return n if n % 2 else n + 1


def frame_from_points(origin: np.ndarray, along: np.ndarray, side: np.ndarray,
                      outward: np.ndarray | None = None) -> np.ndarray:
    """Sensor orientations (T,3,3) from three points per frame (T,3) each.

    x: origin -> along; z: normal of the triangle (origin, along, side), flipped to agree with
    `outward` when given; y = z × x. Columns are the axes in world coordinates.
    """
    x = along - origin
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    z = np.cross(x, side - origin)
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    if outward is not None:
        flip = np.sum(z * outward, axis=-1) < 0
        z[flip] *= -1
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=-1)


def specific_force(positions: np.ndarray, rotations: np.ndarray, fps: float, window: int) -> np.ndarray:
    """(T,3) accelerometer reading in the sensor frame, m/s²."""
    window = min(window, _largest_odd(len(positions)))
    a_world = savgol_filter(positions, window, min(POLYORDER, window - 1), deriv=2,
                            delta=1.0 / fps, axis=0, mode="interp")
    return np.einsum("tji,tj->ti", rotations, a_world - GRAVITY)


def angular_velocity(rotations: np.ndarray, fps: float, window: int | None = None) -> np.ndarray:
    """(T,3) gyroscope reading in the sensor frame, rad/s."""
    T = len(rotations)
    prev = np.concatenate([rotations[:1], rotations[:-2], rotations[-2:-1]])
    nxt = np.concatenate([rotations[1:2], rotations[2:], rotations[-1:]])
    span = np.full(T, 2.0)
    span[0] = span[-1] = 1.0
    rel = np.swapaxes(prev, -1, -2) @ nxt
    w = matrix_to_axis_angle(rel) * (fps / span)[:, None]
    if window and T >= 5:
        window = min(window, _largest_odd(T))
        w = savgol_filter(w, window, min(POLYORDER, window - 1), axis=0, mode="interp")
    return w


def _largest_odd(n: int) -> int:
    return n if n % 2 else n - 1


@dataclass
class ImuNoise:
    """A simple MEMS error model (all off unless `enabled`), seeded for reproducibility.

    Defaults are typical of a consumer wrist IMU (e.g. Bosch BMI160 datasheet orders of
    magnitude): noise density 180 µg/√Hz and 0.007 °/s/√Hz, ±16 g and ±2000 °/s ranges, 16 bit.
    """

    enabled: bool = False
    acc_noise_density: float = 180e-6 * 9.81       # m/s²/√Hz
    gyro_noise_density: float = np.radians(0.007)  # rad/s/√Hz
    acc_bias_sd: float = 0.05                      # m/s², constant per recording
    gyro_bias_sd: float = np.radians(0.5)          # rad/s
    scale_error_sd: float = 0.01                   # relative, per axis
    acc_range: float = 16 * 9.81
    gyro_range: float = np.radians(2000)
    bits: int = 16

    def apply(self, acc: np.ndarray, gyro: np.ndarray, fps: float, rng: np.random.Generator):
        if not self.enabled:
            return acc, gyro
        out = []
        for x, density, bias_sd, rng_max in ((acc, self.acc_noise_density, self.acc_bias_sd, self.acc_range),
                                             (gyro, self.gyro_noise_density, self.gyro_bias_sd, self.gyro_range)):
            scale = 1.0 + rng.normal(0, self.scale_error_sd, 3)
            bias = rng.normal(0, bias_sd, 3)
            white = rng.normal(0, density * np.sqrt(fps / 2.0), x.shape)
            y = np.clip(x * scale + bias + white, -rng_max, rng_max)
            lsb = 2 * rng_max / 2 ** self.bits
            out.append(np.round(y / lsb) * lsb)
        return out[0], out[1]
