"""Resampling by time: slerp for joint rotations, linear for translation.

Never by an integer frame step: 100 -> 30 fps with a step of 3 would stretch time by 11%.
Output sample k sits at t = k / fps_out, for every t within the source's duration.
"""
from __future__ import annotations

import numpy as np

from .. import limits
from .motion import Motion
from .rotations import axis_angle_to_matrix, matrix_to_quaternion, quaternion_to_axis_angle


def output_times(n_frames: int, fps_in: float, fps_out: float) -> np.ndarray:
    duration = (n_frames - 1) / fps_in
    n_float = np.floor(duration * fps_out + 1e-9) + 1
    limits.check("frames", n_float if np.isfinite(n_float) else float("inf"),
                 f"resampled motion ({duration:.6g} s at {fps_out:g} fps)")
    return np.arange(int(n_float)) / fps_out


def slerp_quaternions(q: np.ndarray, t_in: np.ndarray, t_out: np.ndarray) -> np.ndarray:
    """q: (T, J, 4) wxyz sampled at t_in; returns (T_out, J, 4) at t_out (clamped to the ends)."""
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


def resample(motion: Motion, fps_out: float) -> Motion:
    if abs(motion.fps - fps_out) < 1e-9:
        return motion
    t_in = np.arange(motion.n_frames) / motion.fps
    t_out = output_times(motion.n_frames, motion.fps, fps_out)
    q = matrix_to_quaternion(axis_angle_to_matrix(motion.rotations))
    q_out = slerp_quaternions(q, t_in, t_out)
    trans = np.stack([np.interp(t_out, t_in, motion.trans[:, k]) for k in range(3)], axis=1)
    return motion.replace(rotations=quaternion_to_axis_angle(q_out), trans=trans, fps=float(fps_out))
