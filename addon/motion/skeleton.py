"""The SMPL-family kinematic tree that every imported motion is expressed in.

Joint rotations are local (relative to the parent joint) in the SMPL canonical rest pose: a
T-pose, Y up, facing +Z, the body's left on +X, every joint frame aligned with the world.
"""
from __future__ import annotations

import numpy as np

BODY_JOINTS = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
    "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)
BODY_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)

_FINGERS = ("index", "middle", "pinky", "ring", "thumb")  # SMPL-H / MANO order


def _hand_joints(side: str) -> tuple[str, ...]:
    return tuple(f"{side}_{f}{k}" for f in _FINGERS for k in (1, 2, 3))


HAND_JOINTS = _hand_joints("left") + _hand_joints("right")


def _parents_for(names: tuple[str, ...]) -> tuple[int, ...]:
    idx = {n: i for i, n in enumerate(names)}
    parents = list(BODY_PARENTS)
    for n in names[len(BODY_JOINTS):]:
        if n in ("left_hand",):
            parents.append(idx["left_wrist"])
        elif n in ("right_hand",):
            parents.append(idx["right_wrist"])
        elif n in ("jaw", "left_eye", "right_eye"):
            parents.append(idx["head"])
        else:  # finger joint: <side>_<finger><k>
            side, rest = n.split("_", 1)
            k = int(rest[-1])
            parents.append(idx[f"{side}_wrist"] if k == 1 else idx[n[:-1] + str(k - 1)])
    return tuple(parents)


SKELETONS: dict[str, tuple[str, ...]] = {
    "smpl": BODY_JOINTS + ("left_hand", "right_hand"),           # 24 joints, 72 pose values
    "smplh": BODY_JOINTS + HAND_JOINTS,                           # 52 joints, 156 values
    "smplx": BODY_JOINTS + ("jaw", "left_eye", "right_eye") + HAND_JOINTS,  # 55 joints, 165
    "body": BODY_JOINTS,                                          # 22 joints (HumanML3D)
}
PARENTS = {k: _parents_for(v) for k, v in SKELETONS.items()}
POSE_WIDTH_TO_SKELETON = {72: "smpl", 156: "smplh", 165: "smplx", 66: "body"}


def parents_of(names: tuple[str, ...]) -> tuple[int, ...]:
    for k, v in SKELETONS.items():
        if tuple(names) == v:
            return PARENTS[k]
    return _parents_for(tuple(names))


# Approximate joint positions (m) of a 1.7 m adult in the SMPL canonical T-pose, relative to
# the pelvis. Hand-made generic numbers (not taken from any licensed model): used only where
# a rest skeleton is needed without a body model (inverse kinematics of joint positions).
TPOSE_BODY = np.array([
    [0.00, 0.00, 0.00],     # pelvis
    [0.07, -0.09, 0.00],    # left_hip
    [-0.07, -0.09, 0.00],   # right_hip
    [0.00, 0.11, -0.02],    # spine1
    [0.10, -0.48, 0.00],    # left_knee
    [-0.10, -0.48, 0.00],   # right_knee
    [0.00, 0.24, 0.00],     # spine2
    [0.08, -0.88, -0.04],   # left_ankle
    [-0.08, -0.88, -0.04],  # right_ankle
    [0.00, 0.30, 0.02],     # spine3
    [0.11, -0.94, 0.08],    # left_foot
    [-0.11, -0.94, 0.08],   # right_foot
    [0.00, 0.51, -0.01],    # neck
    [0.08, 0.41, 0.00],     # left_collar
    [-0.08, 0.41, 0.00],    # right_collar
    [0.00, 0.60, 0.03],     # head
    [0.18, 0.44, -0.01],    # left_shoulder
    [-0.18, 0.44, -0.01],   # right_shoulder
    [0.44, 0.43, -0.03],    # left_elbow
    [-0.44, 0.43, -0.03],   # right_elbow
    [0.69, 0.43, -0.03],    # left_wrist
    [-0.69, 0.43, -0.03],   # right_wrist
])


def forward_kinematics(local_rotmats: np.ndarray, parents: tuple[int, ...]) -> np.ndarray:
    """Global rotations (T,J,3,3) from local ones, along the tree (parents before children)."""
    G = np.empty_like(local_rotmats)
    for j, p in enumerate(parents):
        G[:, j] = local_rotmats[:, j] if p < 0 else G[:, p] @ local_rotmats[:, j]
    return G


def joint_positions(local_rotmats: np.ndarray, parents: tuple[int, ...], rest: np.ndarray,
                    root: np.ndarray) -> np.ndarray:
    """Posed joint positions (T,J,3) of a rest skeleton `rest` (J,3) with root positions (T,3)."""
    G = forward_kinematics(local_rotmats, parents)
    P = np.empty(local_rotmats.shape[:2] + (3,))
    P[:, 0] = root
    for j, p in enumerate(parents):
        if p >= 0:
            P[:, j] = P[:, p] + np.einsum("tij,j->ti", G[:, p], rest[j] - rest[p])
    return P
