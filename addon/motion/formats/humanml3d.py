"""HumanML3D: `new_joints` (T, 22, 3) positions and `new_joint_vecs` (T, 263) features.

Both are Y-up, 20 fps, on the 22-joint SMPL body tree. The 263-d vector holds, per frame:
[0] root angular velocity about Y, [1:3] root linear velocity in the root's XZ frame,
[3] root height, [4:67] the 21 other joints relative to the root in the root's facing frame,
then 6-D rotations, local velocities and foot contacts (not used here). Joint positions are
recovered by integrating the root and un-rotating the relative joints; rotations then come
from inverse kinematics (`ik.py`).
"""
from __future__ import annotations

import numpy as np

from ..ik import solve_body_rotations
from ..motion import Motion, MotionError
from ..rotations import matrix_to_axis_angle
from ..skeleton import BODY_JOINTS
from ._common import y_up_to_z_up

HUMANML3D_FPS = 20.0


def _rot_y(angle: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors v (..., 3) about +Y by angle (...)."""
    c, s = np.cos(angle), np.sin(angle)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    return np.stack([c * x + s * z, y, -s * x + c * z], axis=-1)


def joints_from_vecs(vecs: np.ndarray, n_joints: int = 22) -> np.ndarray:
    """(T, 263) features -> (T, 22, 3) joint positions."""
    vecs = np.asarray(vecs, dtype=np.float64)
    rot_vel = vecs[:, 0]
    # the feature's heading quaternion (cos a, 0, sin a, 0) turns by 2a about Y
    half = np.zeros(len(vecs))
    half[1:] = np.cumsum(rot_vel[:-1])
    heading = 2.0 * half
    vel = np.zeros((len(vecs), 3))
    vel[1:, [0, 2]] = vecs[:-1, 1:3]
    root = np.cumsum(_rot_y(-heading, vel), axis=0)
    root[:, 1] = vecs[:, 3]
    rel = vecs[:, 4:4 + (n_joints - 1) * 3].reshape(len(vecs), n_joints - 1, 3)
    rel = _rot_y(-heading[:, None], rel)
    rel[..., 0] += root[:, None, 0]
    rel[..., 2] += root[:, None, 2]
    return np.concatenate([root[:, None], rel], axis=1)


def from_joints(joints: np.ndarray, fps: float = HUMANML3D_FPS, fmt: str = "humanml3d_joints") -> Motion:
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (22, 3):
        raise MotionError(f"joint positions have shape {joints.shape}, expected (frames, 22, 3)")
    if not np.all(np.isfinite(joints)):
        raise MotionError("joint positions contain NaN or inf")
    if len(joints) < 2:
        raise MotionError(f"only {len(joints)} frame(s); at least 2 are needed")
    local = solve_body_rotations(joints)
    rotations = matrix_to_axis_angle(local)
    rotations, trans = y_up_to_z_up(rotations, joints[:, 0].copy())
    # standing height of the recorded skeleton: head joint to the lower foot, plus ~0.1 m of skull
    first = joints[0]
    height = float(first[15, 1] - min(first[10, 1], first[11, 1]) + 0.10)
    return Motion(rotations=rotations, trans=trans, fps=fps, joint_names=BODY_JOINTS,
                  source={"format": fmt, "up_axis": "Y", "original_fps": fps},
                  source_height=height)


def from_array(a: np.ndarray, source_fps: float | None = None) -> Motion:
    fps = float(source_fps or HUMANML3D_FPS)
    if a.ndim == 3 and a.shape[1:] == (22, 3):
        return from_joints(a, fps, "humanml3d_joints")
    if a.ndim == 2 and a.shape[1] == 263:
        if not np.all(np.isfinite(a)):
            raise MotionError("feature vectors contain NaN or inf")
        return from_joints(joints_from_vecs(a), fps, "humanml3d_vecs")
    raise MotionError(f"array of shape {a.shape} is neither HumanML3D joints (T,22,3) nor vectors (T,263)")
