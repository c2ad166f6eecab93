"""Resampling by time: a C² rotation spline for joint rotations, a cubic spline for translation.

Never by an integer frame step: 100 -> 30 fps with a step of 3 would stretch time by 11%.
Output sample k sits at t = k / fps_out, for every t within the source's duration.

Upsampling 20–30 fps clips to 60 Hz with piecewise slerp / linear interpolation leaves a
kink at every source frame (the angular velocity jumps, the acceleration is a train of
spikes at the source rate), which the IMU's derivatives turn into a spurious 20–30 Hz
signal. The rotation spline (`scipy.spatial.transform.RotationSpline`: cubic in the rotation
vector between keys, continuous angular velocity and acceleration) and the not-a-knot cubic
spline for translation pass through every source frame and have no kinks. Output times that
fall on source frames (120 -> 60 fps, 100 -> 50) take those frames as they are (`key_indices`).
"""
from __future__ import annotations

import numpy as np

from .. import limits
from .motion import Motion
from .rotations import quaternion_to_axis_angle


def output_times(n_frames: int, fps_in: float, fps_out: float) -> np.ndarray:
    duration = (n_frames - 1) / fps_in
    n_float = np.floor(duration * fps_out + 1e-9) + 1
    limits.check("frames", n_float if np.isfinite(n_float) else float("inf"),
                 f"resampled motion ({duration:.6g} s at {fps_out:g} fps)")
    return np.arange(int(n_float)) / fps_out


def slerp_quaternions(q: np.ndarray, t_in: np.ndarray, t_out: np.ndarray) -> np.ndarray:
    """q: (T, J, 4) wxyz sampled at t_in; returns (T_out, J, 4) at t_out (clamped to the ends).
    Piecewise slerp (kinks at the keys): kept for comparison and for 2-key inputs."""
    q = q.copy()
    # make consecutive samples lie in the same hemisphere so slerp takes the short way
    for i in range(1, len(q)):
        flip = np.sum(q[i] * q[i - 1], axis=-1) < 0
        q[i, flip] *= -1
    idx = np.clip(np.searchsorted(t_in, t_out, side="right") - 1, 0, len(t_in) - 2)
    u = np.clip((t_out - t_in[idx]) / (t_in[idx + 1] - t_in[idx]), 0.0, 1.0)[:, None, None]
    a, b = q[idx], q[idx + 1]
    dot = np.clip(np.sum(a * b, axis=-1, keepdims=True), -1.0, 1.0)
    omega = np.arccos(dot)
    so = np.sin(omega)
    lin = so < 1e-6
    wa = np.where(lin, 1.0 - u, np.sin((1.0 - u) * omega) / np.where(lin, 1.0, so))
    wb = np.where(lin, u, np.sin(u * omega) / np.where(lin, 1.0, so))
    out = wa * a + wb * b
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def spline_rotations(rotvecs: np.ndarray, t_in: np.ndarray, t_out: np.ndarray) -> np.ndarray:
    """rotvecs (T, J, 3) axis-angle at t_in -> (T_out, J, 3) at t_out, by a C² rotation spline
    per joint (piecewise slerp when there are only two keys)."""
    T, J = rotvecs.shape[:2]
    t_out = np.clip(t_out, t_in[0], t_in[-1])
    if T < 3:
        from .rotations import axis_angle_to_matrix, matrix_to_quaternion
        q = matrix_to_quaternion(axis_angle_to_matrix(rotvecs))
        return quaternion_to_axis_angle(slerp_quaternions(q, t_in, t_out))
    from scipy.spatial.transform import Rotation, RotationSpline   # ~0.2 s: only when resampling

    out = np.empty((len(t_out), J, 3))
    for j in range(J):
        out[:, j] = RotationSpline(t_in, Rotation.from_rotvec(rotvecs[:, j]))(t_out).as_rotvec()
    return out


def key_indices(t_in: np.ndarray, t_out: np.ndarray) -> np.ndarray | None:
    """The source frames the output times fall on exactly (120 -> 60 fps: every other one), or None
    when some output time lies between frames. Both splines pass through every key, so there
    they are the keys themselves: no spline to build (~2 s of CPU for a 60 s 120 fps clip)."""
    idx = np.minimum(np.searchsorted(t_in, t_out), len(t_in) - 1)
    return idx if np.array_equal(t_in[idx], t_out) else None


def canonical_rotvec(rotvecs: np.ndarray) -> np.ndarray:
    """The same rotations with angles in [0, π] (what the spline's `Rotation.as_rotvec` returns)."""
    angle = np.linalg.norm(rotvecs, axis=-1, keepdims=True)
    big = angle > np.pi
    if not big.any():
        return rotvecs
    wrapped = np.mod(angle, 2 * np.pi)
    wrapped = np.where(wrapped > np.pi, wrapped - 2 * np.pi, wrapped)
    return np.where(big, rotvecs * (wrapped / np.where(big, angle, 1.0)), rotvecs)


def resample(motion: Motion, fps_out: float) -> Motion:
    if abs(motion.fps - fps_out) < 1e-9:
        return motion
    t_in = np.arange(motion.n_frames) / motion.fps
    t_out = output_times(motion.n_frames, motion.fps, fps_out)
    keys = key_indices(t_in, t_out)
    if keys is not None:
        return motion.replace(rotations=canonical_rotvec(motion.rotations[keys]), trans=motion.trans[keys].copy(),
                              fps=float(fps_out))
    rot = spline_rotations(motion.rotations, t_in, t_out)
    if motion.n_frames >= 4:
        from scipy.interpolate import CubicSpline   # ~0.3 s: only when resampling between frames

        trans = CubicSpline(t_in, motion.trans, axis=0)(np.clip(t_out, t_in[0], t_in[-1]))
    else:
        trans = np.stack([np.interp(t_out, t_in, motion.trans[:, k]) for k in range(3)], axis=1)
    return motion.replace(rotations=rot, trans=trans, fps=float(fps_out))
