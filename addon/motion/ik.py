"""Joint rotations from joint positions (inverse kinematics on the SMPL body tree).

For each joint, parents first, the global rotation G_j is found as
- one child (limbs, spine, neck): the swing that puts the rest direction to the child exactly
  onto the observed one, then the twist about that direction that best turns a bend hint onto
  the observed grandchild offset (the elbow bends forward, the knee backward; the spine takes
  its twist from the collars), blended with a weak prior towards the parent's orientation that
  fixes the twist where the limb is straight and the hint says nothing;
- several children (pelvis: hips and spine1; spine3: neck and collars): the weighted Procrustes
  fit of the rest directions to the observed ones (these offsets are rigid, so the fit is exact
  for the rest skeleton's proportions), with the same weak prior;
- no child (wrists, feet, head): the parent's orientation.

Every bone direction thus comes out as observed: joints → rotations → joints (FK on the same
rest skeleton) gives the bone directions back exactly. The earlier version fitted each joint
to its children AND grandchildren by least squares, which pulled the upper arm and thigh
towards the wrist/ankle (a median 8–11° bias, the elbow angle 10–13° off).
"""
from __future__ import annotations

import numpy as np

from .rotations import rotation_between, weighted_procrustes
from .skeleton import BODY_JOINTS, BODY_PARENTS, TPOSE_BODY

_PRIOR_W = 0.05          # twist prior of single-child joints (relative to a unit hint)
_MULTI_PRIOR_W = 1e-4    # several children fix the rotation: the prior only breaks ties
# Direction (SMPL canonical rest frame) in which a limb bends at its middle joint, for the joints
# whose rest limb is straight: elbow flexion moves the forearm forward (+Z, palms down), knee
# flexion moves the shin backward (−Z).
BEND_HINTS = {"left_shoulder": (0.0, 0.0, 1.0), "right_shoulder": (0.0, 0.0, 1.0),
              "left_hip": (0.0, 0.0, -1.0), "right_hip": (0.0, 0.0, -1.0)}
# Joints whose twist comes from the prior only (the collar must not take the shoulder's motion;
# the lower spine takes none of the upper trunk's twist from curvature alone).
PRIOR_ONLY = ("left_collar", "right_collar", "spine1")


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotations (T,3,3) taking unit vectors a (T,3) onto b (T,3)."""
    v = np.cross(a, b)
    c = np.sum(a * b, axis=-1)
    s = np.linalg.norm(v, axis=-1)
    out = np.empty(a.shape[:-1] + (3, 3))
    ok = s > 1e-9
    if ok.any():
        k = v[ok] / s[ok, None]
        ang = np.arctan2(s[ok], c[ok])
        K = np.zeros((ok.sum(), 3, 3))
        K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
        K = K - np.swapaxes(K, -1, -2)
        out[ok] = np.eye(3) + np.sin(ang)[:, None, None] * K + (1 - np.cos(ang))[:, None, None] * (K @ K)
    for t in np.nonzero(~ok)[0]:
        out[t] = rotation_between(a[t], b[t])
    return out


def _twist_about(d: np.ndarray, terms) -> np.ndarray:
    """Angles φ (T,) about unit axes d (T,3) maximising Σ w·(t · Rot_d(φ) v) over terms
    (v, t, w) of (T,3), (T,3), scalar: Σ w[(t·v⊥) cos φ + (t·(d×v)) sin φ] + const."""
    A = np.zeros(len(d))
    B = np.zeros(len(d))
    for v, t, w in terms:
        v_perp = v - d * np.sum(v * d, axis=-1, keepdims=True)
        A += w * np.sum(t * v_perp, axis=-1)
        B += w * np.sum(t * np.cross(d, v), axis=-1)
    return np.arctan2(B, A)


def _rot_about(d: np.ndarray, phi: np.ndarray) -> np.ndarray:
    K = np.zeros(d.shape[:-1] + (3, 3))
    K[..., 0, 1], K[..., 0, 2], K[..., 1, 2] = -d[..., 2], d[..., 1], -d[..., 0]
    K = K - np.swapaxes(K, -1, -2)
    return np.eye(3) + np.sin(phi)[:, None, None] * K + (1 - np.cos(phi))[:, None, None] * (K @ K)


def solve_body_rotations(joints: np.ndarray, rest: np.ndarray = TPOSE_BODY,
                         parents: tuple[int, ...] = BODY_PARENTS) -> np.ndarray:
    """joints: (T, 22, 3) positions in the SMPL canonical frame (Y up). Returns (T, 22, 3, 3)
    local rotation matrices."""
    T, J = joints.shape[:2]
    names = BODY_JOINTS if J == len(BODY_JOINTS) else tuple(str(j) for j in range(J))
    children = [[c for c in range(J) if parents[c] == j] for j in range(J)]
    G = np.empty((T, J, 3, 3))
    L = np.empty((T, J, 3, 3))
    eye = np.eye(3)
    for j in range(J):
        p = parents[j]
        Gp = np.broadcast_to(eye, (T, 3, 3)) if p < 0 else G[:, p]
        kids = children[j]
        if not kids:
            G[:, j] = Gp
        elif len(kids) == 1:
            c = kids[0]
            d = _unit(joints[:, c] - joints[:, j])
            S = _swing(_unit(np.broadcast_to(rest[c] - rest[j], (T, 3))), d)
            terms = [(S[:, :, k], Gp[:, :, k], _PRIOR_W) for k in range(3)]
            if names[j] not in PRIOR_ONLY:
                hint = BEND_HINTS.get(names[j])
                for g in children[c]:
                    u = np.asarray(hint, float) if hint is not None else rest[g] - rest[c]
                    terms.append((S @ u, _unit(joints[:, g] - joints[:, c]), 1.0))
            G[:, j] = _rot_about(d, _twist_about(d, terms)) @ S
        else:
            src = [np.broadcast_to(_unit(rest[c] - rest[j]), (T, 3)) for c in kids]
            dst = [_unit(joints[:, c] - joints[:, j]) for c in kids]
            w = [1.0] * len(kids)
            for axis in range(3):
                src.append(np.broadcast_to(eye[axis], (T, 3)))
                dst.append(Gp[:, :, axis])
                w.append(_MULTI_PRIOR_W)
            G[:, j] = weighted_procrustes(np.stack(src, 1), np.stack(dst, 1), np.asarray(w))
        L[:, j] = G[:, j] if p < 0 else np.swapaxes(Gp, -1, -2) @ G[:, j]
    return L
