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
    # raise and lower the arm with a minimum-jerk ramp (0.8 s): a linear ramp jumps in velocity
    # where it starts and ends, which the accelerometer shows as 45-70 m/s² spikes (an artefact)
    ramp = min_jerk(np.minimum(t - start, start + duration - t) / 0.8) * on
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


# --- whole-body primitives ------------------------------------------------------------------
# Body-frame vectors are in the SMPL canonical frame (x: the body's left, y: up, z: forward).
# With heading ψ (about the world's Z up, +: a left turn) a body-frame vector d lands in the
# Z-up world at R_z(ψ)·(d_x, −d_z, d_y): heading 0 faces −Y, as the upright root does.
THIGH, SHANK = 0.40, 0.41        # m, segment lengths of the 1.7 m reference body
HIP_BELOW_PELVIS = 0.09          # m, the hip joints sit this far below the pelvis joint
ANKLE_HEIGHT = 0.08              # m, ankle joint above the floor when standing


def _rot_about(axis: int, angle: np.ndarray) -> np.ndarray:
    aa = np.zeros(np.shape(angle) + (3,))
    aa[..., axis] = angle
    return axis_angle_to_matrix(aa)


def root_rotation(heading: np.ndarray, pitch=0.0, roll=0.0, twist=0.0) -> np.ndarray:
    """(T,3) axis-angle of the root in the Z-up world: heading ψ about world Z, then in the
    body frame a twist (pelvis yaw relative to the heading, +: left), a pitch (forward lean
    about the body's x) and a roll (+: the left side up, about the body's z)."""
    heading = np.asarray(heading, float)
    T = heading.shape[0]
    b = lambda v: np.broadcast_to(np.asarray(v, float), (T,))  # noqa: E731
    R = (_rot_about(2, heading) @ _rot_about(0, np.full(T, np.pi / 2)) @ _rot_about(1, b(twist))
         @ _rot_about(0, b(pitch)) @ _rot_about(2, b(roll)))
    return matrix_to_axis_angle(R)


def body_to_world(d: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """(T,3) body-frame displacements -> Z-up world, under heading ψ (T,)."""
    c, s = np.cos(heading), np.sin(heading)
    wx, wy, wz = d[:, 0], -d[:, 2], d[:, 1]
    return np.stack([c * wx - s * wy, s * wx + c * wy, wz], axis=-1)


def integrate_forward(speed: np.ndarray, heading: np.ndarray, fps: float) -> np.ndarray:
    """(T,3) world path of a body moving forward at `speed` (m/s, T) along its heading."""
    v = body_to_world(np.stack([np.zeros_like(speed), np.zeros_like(speed), speed], -1), heading)
    return np.cumsum(v, axis=0) / fps - v[:1] / fps


def leg_ik(drop: np.ndarray, back: np.ndarray, thigh: float = THIGH, shank: float = SHANK):
    """Sagittal two-link leg with the ankle fixed: the hip `drop` (m) below its standing
    height and `back` (m) behind the ankle. Returns thigh angle α (forward of vertical),
    knee flexion κ and shank angle β = κ − α (behind vertical), radians."""
    h = thigh + shank - drop
    r = np.clip(np.hypot(h, back), 0.05, thigh + shank - 1e-4)
    kappa = np.pi - np.arccos(np.clip((thigh ** 2 + shank ** 2 - r ** 2) / (2 * thigh * shank), -1, 1))
    gamma = np.arctan2(back, h)                        # the ankle, forward of the hip's vertical
    alpha = gamma + np.arccos(np.clip((thigh ** 2 + r ** 2 - shank ** 2) / (2 * thigh * r), -1, 1))
    return alpha, kappa, kappa - alpha


def set_leg(rot: np.ndarray, side: str, hip_flex, knee_flex, ankle_dorsi=0.0, abduct=0.0,
            pelvis_pitch=0.0) -> None:
    """Leg joint rotations from sagittal angles (radians): hip flexion of the thigh relative
    to the vertical (the pelvis pitch is taken off), knee flexion, ankle dorsiflexion (foot
    up), and hip abduction (+: the leg out to its side)."""
    s = SIDE_SIGN[side]
    rot[:, J[f"{side}_hip"], 0] = -(np.asarray(hip_flex) + pelvis_pitch)
    rot[:, J[f"{side}_hip"], 2] = s * np.asarray(abduct)
    rot[:, J[f"{side}_knee"], 0] = knee_flex
    rot[:, J[f"{side}_ankle"], 0] = -np.asarray(ankle_dorsi)


def min_jerk(x: np.ndarray) -> np.ndarray:
    """Minimum-jerk ramp 0 -> 1 over x in [0, 1] (clipped outside)."""
    x = np.clip(x, 0, 1)
    return x ** 3 * (10 - 15 * x + 6 * x ** 2)


def impacts(t: np.ndarray, times: np.ndarray, freq: float, decay: float) -> np.ndarray:
    """Sum of damped sinusoids starting at `times` (foot strikes): the shock of each strike
    travelling up the body, unit displacement amplitude (T,)."""
    out = np.zeros_like(t)
    for t0 in times:
        dt = t - t0
        on = dt > 0
        out[on] += np.exp(-dt[on] / decay) * np.sin(2 * np.pi * freq * dt[on])
    return out
