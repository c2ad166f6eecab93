"""Joint rotations from joint positions (inverse kinematics on the SMPL body tree).

For each joint, parents first, the global rotation is the weighted Procrustes fit that maps
the rest directions to its children (weight 1) and grandchildren (weight 0.5) onto the
observed ones. A weak prior (weight 0.02) towards the parent's orientation fixes the twist
where the limb is straight and the directions leave it undetermined. Leaf joints keep their
parent's orientation.
"""
from __future__ import annotations

import numpy as np

from .rotations import weighted_procrustes
from .skeleton import BODY_PARENTS, TPOSE_BODY

_CHILD_W, _GRANDCHILD_W, _PRIOR_W = 1.0, 0.5, 0.02


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def solve_body_rotations(joints: np.ndarray, rest: np.ndarray = TPOSE_BODY,
                         parents: tuple[int, ...] = BODY_PARENTS) -> np.ndarray:
    """joints: (T, 22, 3) positions in the SMPL canonical frame (Y up). Returns (T, 22, 3, 3)
    local rotation matrices."""
    T, J = joints.shape[:2]
    children = [[c for c in range(J) if parents[c] == j] for j in range(J)]
    G = np.empty((T, J, 3, 3))
    L = np.empty((T, J, 3, 3))
    eye = np.eye(3)
    for j in range(J):
        p = parents[j]
        Gp = np.broadcast_to(eye, (T, 3, 3)) if p < 0 else G[:, p]
        src, dst, w = [], [], []
        for c in children[j]:
            src.append(np.broadcast_to(_unit(rest[c] - rest[j]), (T, 3)))
            dst.append(_unit(joints[:, c] - joints[:, j]))
            w.append(_CHILD_W)
            for g in children[c]:
                src.append(np.broadcast_to(_unit(rest[g] - rest[j]), (T, 3)))
                dst.append(_unit(joints[:, g] - joints[:, j]))
                w.append(_GRANDCHILD_W)
        if not src:
            G[:, j] = Gp
        else:
            for axis in range(3):
                src.append(np.broadcast_to(eye[axis], (T, 3)))
                dst.append(Gp[:, :, axis])
                w.append(_PRIOR_W)
            G[:, j] = weighted_procrustes(np.stack(src, 1), np.stack(dst, 1), np.asarray(w))
        L[:, j] = G[:, j] if p < 0 else np.swapaxes(Gp, -1, -2) @ G[:, j]
    return L
