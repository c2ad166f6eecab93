"""Resampling (`addon/motion/resample.py`): output times that fall on source frames (120 -> 60 fps,
most of AMASS at the default rate) take the frames themselves instead of evaluating the splines
(~2 s of CPU for a 60 s clip, issue 26). Both splines pass through every key, so the result must
equal the spline's to float64 precision, as the same rotations in the same canonical form."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from addon.motion import Motion, resample
from addon.motion.resample import key_indices, output_times, spline_rotations
from addon.motion.rotations import axis_angle_to_matrix


def _motion(T: int, fps: float, seed: int = 0) -> Motion:
    rng = np.random.default_rng(seed)
    rot = np.cumsum(rng.normal(0.0, 0.2, (T, 24, 3)), axis=0)      # angles well past π, too
    trans = np.cumsum(rng.normal(0.0, 0.01, (T, 3)), axis=0)
    names = [f"j{k}" for k in range(24)]
    return Motion(rotations=rot, trans=trans, fps=fps, joint_names=tuple(names))


def _by_splines(m: Motion, fps_out: float) -> tuple[np.ndarray, np.ndarray]:
    t_in = np.arange(m.n_frames) / m.fps
    t_out = output_times(m.n_frames, m.fps, fps_out)
    return spline_rotations(m.rotations, t_in, t_out), CubicSpline(t_in, m.trans, axis=0)(t_out)


@pytest.mark.parametrize("fps_in,fps_out,T", [(120, 60, 721), (120, 60, 720), (240, 60, 401), (100, 50, 300),
                                              (120, 30, 250), (60, 30, 61), (250, 50, 500), (120, 40, 7)])
def test_output_on_source_frames_equals_the_splines(fps_in, fps_out, T):
    m = _motion(T, fps_in)
    assert key_indices(np.arange(T) / fps_in, output_times(T, fps_in, fps_out)) is not None
    r = resample(m, fps_out)
    rot, trans = _by_splines(m, fps_out)
    assert r.rotations.shape == rot.shape and r.fps == fps_out
    np.testing.assert_allclose(r.rotations, rot, rtol=0, atol=1e-12)
    np.testing.assert_allclose(axis_angle_to_matrix(r.rotations), axis_angle_to_matrix(rot), rtol=0, atol=1e-13)
    assert np.all(np.linalg.norm(r.rotations, axis=-1) <= np.pi + 1e-12)
    np.testing.assert_allclose(r.trans, trans, rtol=0, atol=1e-13)


@pytest.mark.parametrize("fps_in,fps_out", [(100, 60), (120, 50), (30, 60), (59.94, 30)])
def test_output_between_frames_uses_the_splines(fps_in, fps_out):
    m = _motion(200, fps_in, seed=1)
    assert key_indices(np.arange(200) / fps_in, output_times(200, fps_in, fps_out)) is None
    r = resample(m, fps_out)
    rot, trans = _by_splines(m, fps_out)
    np.testing.assert_array_equal(r.rotations, rot)
    np.testing.assert_array_equal(r.trans, trans)
