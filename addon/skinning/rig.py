"""Bone matrices as Blender computes them (pure numpy, float64).

Blender (armature.cc): an edit bone's rest orientation is `vec_roll_to_mat3(tail - head, roll)`;
`bone.matrix_local` A_b = [that | head] in armature space. A pose bone's `matrix_basis` is
[quat → matrix (normalized first) | location]; with `use_inherit_rotation`, `inherit_scale='FULL'`,
`use_local_location` (the defaults `scene/build.py` keeps) and no `use_connect`, its pose matrix is
P_b = P_parent · A_parent⁻¹ · A_b · basis_b (root: A_b · basis_b), and the Armature modifier
deforms with M_b = P_b · A_b⁻¹ ("chan_mat"). So M_b = M_parent · (A_b · basis_b · A_b⁻¹).

`retarget.pose_bones` keys basis_b = A_bᵀ·D_pᵀ·D_b·A_b, so A_b·basis_b·A_b⁻¹ = D_pᵀ·D_b and the
chain telescopes: M_b's rotation is the bone's world delta D_b, and its translation keeps the
head where the parent carries it (`deform_from_deltas`, ~6x cheaper than going through the
quaternions; `engine.simulate` checks the two agree on the clip's first frames).
"""
from __future__ import annotations

import numpy as np

from ..motion.rotations import quaternion_to_matrix


def vec_roll_to_mat3(nor: np.ndarray) -> np.ndarray:
    """(B,3) unit bone directions -> (B,3,3) rest orientations for roll = 0, Blender's
    `vec_roll_to_mat3_normalized` (its thresholds included): column 1 is the bone axis.
    Blender evaluates it in float32 and rebuilds children through their parents, so bones
    pointing near -Y (toes, eyes) differ by up to ~2e-5; the deform does not depend on it (the
    keyed rotations are computed from the same rest orientations: A·basis·A⁻¹ = Dₚᵀ·D)."""
    nor = np.asarray(nor, np.float64)
    x, y, z = nor[:, 0], nor[:, 1], nor[:, 2]
    safe, critical = 6.1e-3, 2.5e-4
    theta = 1.0 + y
    theta_alt = x * x + z * z
    regular = (theta > safe) | (theta_alt > critical * critical)
    theta = np.where(theta <= safe, theta_alt * 0.5 + theta_alt * theta_alt * 0.125, theta)
    theta = np.where(regular, theta, 1.0)
    M = np.empty((len(nor), 3, 3))
    M[:, 0, 0] = 1 - x * x / theta
    M[:, 1, 0] = -x
    M[:, 2, 0] = -x * z / theta
    M[:, :, 1] = nor
    M[:, 0, 2] = -x * z / theta
    M[:, 1, 2] = -z
    M[:, 2, 2] = 1 - z * z / theta
    return np.where(regular[:, None, None], M, np.diag([-1.0, -1.0, 1.0]))


def rest_matrices(heads: np.ndarray, tails: np.ndarray) -> np.ndarray:
    """(B,4,4) `bone.matrix_local` of bones built from heads/tails with roll 0."""
    heads = np.asarray(heads, np.float32).astype(np.float64)   # Blender stores them as float32
    d = np.asarray(tails, np.float32).astype(np.float64) - heads
    A = np.zeros((len(heads), 4, 4))
    A[:, :3, :3] = vec_roll_to_mat3(d / np.linalg.norm(d, axis=1, keepdims=True))
    A[:, :3, 3] = heads
    A[:, 3, 3] = 1.0
    return A


def inverse3(R: np.ndarray) -> np.ndarray:
    """(...,3,3) inverses by cofactors (no LAPACK call: tiny batches stay cheap)."""
    c0 = np.cross(R[..., :, 1], R[..., :, 2])
    c1 = np.cross(R[..., :, 2], R[..., :, 0])
    c2 = np.cross(R[..., :, 0], R[..., :, 1])
    det = np.sum(R[..., :, 0] * c0, axis=-1)[..., None, None]
    return np.stack([c0, c1, c2], axis=-2) / det


def ancestors_closure(parents, bones) -> np.ndarray:
    """Sorted bone indices: `bones` and all their ancestors (parents come first in the order)."""
    keep = set()
    for b in bones:
        b = int(b)
        while b >= 0 and b not in keep:
            keep.add(b)
            b = int(parents[b])
    return np.array(sorted(keep), dtype=np.int64)


def keyed(quaternions: np.ndarray, root_location: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the armature holds after `scene.animate.key_pose`: float32 key values (evaluated at
    integer frames a LINEAR F-curve returns the key value itself), read back as float64; bones
    it leaves unkeyed (rotation within 1e-7 of identity throughout) stay exactly identity."""
    q = np.asarray(quaternions, np.float32).astype(np.float64)
    still = np.all(np.abs(np.asarray(quaternions) - [1.0, 0, 0, 0]) <= 1e-7 + 1e-5 * np.array([1.0, 0, 0, 0]),
                   axis=(0, 2))   # np.allclose(q, identity, atol=1e-7) per bone, as key_pose tests
    q[:, still] = (1.0, 0.0, 0.0, 0.0)
    return q, np.asarray(root_location, np.float32).astype(np.float64)


def deform_matrices(rest: np.ndarray, parents, quaternions: np.ndarray, root_location: np.ndarray,
                    bones=None) -> np.ndarray:
    """Armature-space deform matrices M_b (T,B,3,4) of `bones` (default: all; their ancestors are
    computed too, unneeded bones are left NaN). quaternions (T,B,4) wxyz local to each bone's
    rest frame, root_location (T,3) in the root's rest frame: a `BonePose`."""
    parents = np.asarray(parents)
    T, B = quaternions.shape[:2]
    order = np.arange(B) if bones is None else ancestors_closure(parents, bones)
    R = rest[order, :3, :3]                                           # (K,3,3)
    h = rest[order, :3, 3]                                            # (K,3)
    # A·basis·A⁻¹ with the inverse, not the transpose: rest matrices of bones within ~6° of -Y
    # (toes, eyes) come from Blender's series approximation and are orthonormal only to ~2e-5
    L = R[None] @ quaternion_to_matrix(quaternions[:, order]) @ inverse3(R)[None]
    t = h[None] - np.einsum("tkij,kj->tki", L, h)
    M = np.full((T, B, 3, 4), np.nan)
    for k, b in enumerate(order):
        p = parents[b]
        if p < 0:
            M[:, b, :, :3] = L[:, k]
            M[:, b, :, 3] = t[:, k] + root_location @ R[k].T           # A_b · (loc): rest-frame location
        else:
            Mp = M[:, p]
            M[:, b, :, :3] = Mp[:, :, :3] @ L[:, k]
            M[:, b, :, 3] = np.einsum("tij,tj->ti", Mp[:, :, :3], t[:, k]) + Mp[:, :, 3]
    return M


def deform_from_deltas(rest: np.ndarray, parents, D: np.ndarray, displacement: np.ndarray,
                       bones=None) -> np.ndarray:
    """The same M_b (T,B,3,4) from world deltas D (T,B,3,3) and the root displacement (T,3),
    world: M_b·x = D_b·(x − h_b) + M_parent·h_b (root: + h_root + displacement)."""
    parents = np.asarray(parents)
    T, B = D.shape[:2]
    order = np.arange(B) if bones is None else ancestors_closure(parents, bones)
    Dk = np.ascontiguousarray(np.moveaxis(D, 1, 0))          # (B,T,3,3): one bone contiguous
    t = np.full((B, T, 3), np.nan)
    for b in order:
        h = rest[b, :3, 3]
        p = parents[b]
        if p < 0:
            t[b] = h + displacement - Dk[b] @ h
        else:
            t[b] = (Dk[p] - Dk[b]) @ h + t[p]
    return np.concatenate([D, np.moveaxis(t, 0, 1)[..., None]], axis=-1)
