"""Parametric motion primitives on the SMPL body tree, and the built-in demo motion.

Joint axes (SMPL canonical frame: Y up, facing +Z, left on +X; local rotations):
- shoulder about Z lowers/raises the arm in the frontal plane (left: −90° = arm down);
- elbow about Y flexes (left: negative, right: positive) once the arm hangs down this is the
  hinge of a bicep curl;
- hip/knee about X flex the leg (hip forward: negative, knee: positive).
The root stands upright in Blender's Z-up world (+90° about X).
"""
from __future__ import annotations

import numpy as np

from .motion import Motion
from .rotations import matrix_to_axis_angle, axis_angle_to_matrix
from .skeleton import BODY_JOINTS

J = {n: i for i, n in enumerate(BODY_JOINTS)}
UPRIGHT = np.array([np.pi / 2, 0.0, 0.0])
SIDE_SIGN = {"left": 1.0, "right": -1.0}


def standing(n_frames: int) -> np.ndarray:
    """(T,22,3) axis-angle: standing upright, arms relaxed at the sides."""
    rot = np.zeros((n_frames, len(BODY_JOINTS), 3))
    rot[:, J["pelvis"]] = UPRIGHT
    for side, s in SIDE_SIGN.items():
        rot[:, J[f"{side}_shoulder"], 2] = -s * np.radians(85)
    return rot


def smooth_reps(t: np.ndarray, reps: float, duration: float) -> np.ndarray:
    """0..1..0 per repetition, smooth (raised cosine), `reps` repetitions over `duration`."""
    phase = np.clip(t / duration, 0, 1) * reps
    return 0.5 - 0.5 * np.cos(2 * np.pi * phase)


def bicep_curl(rot: np.ndarray, t: np.ndarray, side: str, reps: float, duration: float,
               amplitude_deg: float = 120.0, start: float = 0.0) -> None:
    s = SIDE_SIGN[side]
    u = smooth_reps(t - start, reps, duration) * ((t >= start) & (t <= start + duration))
    rot[:, J[f"{side}_shoulder"], 2] = -s * np.radians(85)
    rot[:, J[f"{side}_elbow"], 1] = -s * np.radians(amplitude_deg * u)


def wave(rot: np.ndarray, t: np.ndarray, side: str, waves: float, duration: float, start: float = 0.0) -> None:
    s = SIDE_SIGN[side]
    on = (t >= start) & (t <= start + duration)
    ramp = np.clip(np.minimum(t - start, start + duration - t) / 0.8, 0, 1) * on
    osc = np.sin(2 * np.pi * waves * np.clip(t - start, 0, duration) / duration)
    # upper arm out to the side and slightly up, forearm up, swinging side to side
    rot[:, J[f"{side}_shoulder"], 2] = -s * np.radians(85) * (1 - ramp) + s * np.radians(10) * ramp
    R_elbow = axis_angle_to_matrix(np.stack([np.zeros_like(t), np.zeros_like(t),
                                             s * np.radians(95 + 25 * osc) * ramp], -1))
    rot[:, J[f"{side}_elbow"]] = matrix_to_axis_angle(R_elbow)


def demo_motion(fps: float = 60.0) -> Motion:
    """6 s: two bicep curls with both arms, then a right-hand wave. Made here, no licence."""
    duration = 6.0
    t = np.arange(int(duration * fps) + 1) / fps
    rot = standing(len(t))
    bicep_curl(rot, t, "left", reps=2, duration=3.0)
    bicep_curl(rot, t, "right", reps=2, duration=3.0)
    late = t > 3.0
    rot_late = standing(len(t))
    wave(rot_late, t, "right", waves=4, duration=3.0, start=3.0)
    rot[late] = rot_late[late]
    return Motion(rotations=rot, trans=np.zeros((len(t), 3)), fps=fps, joint_names=BODY_JOINTS,
                  source={"format": "builtin", "name": "demo: bicep curls then a wave", "up_axis": "Z",
                          "original_fps": fps, "path": "builtin:demo", "sha256": content_hash(rot)})


def content_hash(*arrays: np.ndarray) -> str:
    """sha256 of generated motion data, standing in for a file hash in `meta.source`."""
    import hashlib

    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return h.hexdigest()
