"""Rotation helpers on numpy arrays (no mathutils, no torch).

Conventions used across WearTwin:
- quaternions are (w, x, y, z), unit norm, any leading batch shape;
- rotation matrices act on column vectors (v_world = R @ v_local);
- axis-angle ("rotation vector") is the SMPL convention: direction = axis, norm = angle (rad).
"""
from __future__ import annotations

import numpy as np


def axis_angle_to_matrix(aa: np.ndarray) -> np.ndarray:
    """(...,3) rotation vectors -> (...,3,3) matrices (Rodrigues)."""
    aa = np.asarray(aa, dtype=np.float64)
    theta = np.linalg.norm(aa, axis=-1, keepdims=True)
    small = theta < 1e-12
    axis = aa / np.where(small, 1.0, theta)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    th = theta[..., 0]
    c, s = np.cos(th), np.sin(th)
    C = 1.0 - c
    R = np.empty(aa.shape[:-1] + (3, 3))
    R[..., 0, 0] = c + x * x * C
    R[..., 0, 1] = x * y * C - z * s
    R[..., 0, 2] = x * z * C + y * s
    R[..., 1, 0] = y * x * C + z * s
    R[..., 1, 1] = c + y * y * C
    R[..., 1, 2] = y * z * C - x * s
    R[..., 2, 0] = z * x * C - y * s
    R[..., 2, 1] = z * y * C + x * s
    R[..., 2, 2] = c + z * z * C
    eye = np.broadcast_to(np.eye(3), R.shape)
    return np.where(small[..., None], eye, R)


def matrix_to_quaternion(R: np.ndarray) -> np.ndarray:
    """(...,3,3) -> (...,4) wxyz with w >= 0 (Shepperd's method, numerically stable)."""
    R = np.asarray(R, dtype=np.float64)
    m00, m11, m22 = R[..., 0, 0], R[..., 1, 1], R[..., 2, 2]
    tr = m00 + m11 + m22
    q = np.empty(R.shape[:-2] + (4,))
    # four candidate formulas, pick the one with the largest pivot per element
    cand = np.stack([tr, m00, m11, m22], axis=-1)
    k = np.argmax(cand, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s0 = np.sqrt(np.maximum(1.0 + tr, 1e-300)) * 2
        q0 = np.stack([0.25 * s0, (R[..., 2, 1] - R[..., 1, 2]) / s0,
                       (R[..., 0, 2] - R[..., 2, 0]) / s0, (R[..., 1, 0] - R[..., 0, 1]) / s0], -1)
        s1 = np.sqrt(np.maximum(1.0 + m00 - m11 - m22, 1e-300)) * 2
        q1 = np.stack([(R[..., 2, 1] - R[..., 1, 2]) / s1, 0.25 * s1,
                       (R[..., 0, 1] + R[..., 1, 0]) / s1, (R[..., 0, 2] + R[..., 2, 0]) / s1], -1)
        s2 = np.sqrt(np.maximum(1.0 + m11 - m00 - m22, 1e-300)) * 2
        q2 = np.stack([(R[..., 0, 2] - R[..., 2, 0]) / s2, (R[..., 0, 1] + R[..., 1, 0]) / s2,
                       0.25 * s2, (R[..., 1, 2] + R[..., 2, 1]) / s2], -1)
        s3 = np.sqrt(np.maximum(1.0 + m22 - m00 - m11, 1e-300)) * 2
        q3 = np.stack([(R[..., 1, 0] - R[..., 0, 1]) / s3, (R[..., 0, 2] + R[..., 2, 0]) / s3,
                       (R[..., 1, 2] + R[..., 2, 1]) / s3, 0.25 * s3], -1)
    allq = np.stack([q0, q1, q2, q3], axis=-2)
    q = np.take_along_axis(allq, k[..., None, None], axis=-2)[..., 0, :]
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    R = np.empty(q.shape[:-1] + (3, 3))
    R[..., 0, 0] = 1 - 2 * (y * y + z * z)
    R[..., 0, 1] = 2 * (x * y - z * w)
    R[..., 0, 2] = 2 * (x * z + y * w)
    R[..., 1, 0] = 2 * (x * y + z * w)
    R[..., 1, 1] = 1 - 2 * (x * x + z * z)
    R[..., 1, 2] = 2 * (y * z - x * w)
    R[..., 2, 0] = 2 * (x * z - y * w)
    R[..., 2, 1] = 2 * (y * z + x * w)
    R[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return R


def matrix_to_axis_angle(R: np.ndarray) -> np.ndarray:
    return quaternion_to_axis_angle(matrix_to_quaternion(R))


def quaternion_to_axis_angle(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    q = np.where(q[..., :1] < 0, -q, q)
    v = q[..., 1:]
    s = np.linalg.norm(v, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., :1])
    # angle/sin(angle/2) ~ 2 for small angles
    scale = np.where(s > 1e-12, angle / np.where(s > 1e-12, s, 1.0), 2.0)
    return v * scale


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation (3,3) taking direction a onto direction b."""
    a = np.asarray(a, float) / np.linalg.norm(a)
    b = np.asarray(b, float) / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    s = np.linalg.norm(v)
    if s < 1e-12:
        if c > 0:
            return np.eye(3)
        # 180 degrees: any axis perpendicular to a
        perp = np.cross(a, [1.0, 0, 0])
        if np.linalg.norm(perp) < 1e-6:
            perp = np.cross(a, [0, 1.0, 0])
        return axis_angle_to_matrix(perp / np.linalg.norm(perp) * np.pi)
    return axis_angle_to_matrix(v / s * np.arctan2(s, c))


def rot_x(deg: float) -> np.ndarray:
    return axis_angle_to_matrix(np.array([np.radians(deg), 0.0, 0.0]))


def rot_z(deg: float) -> np.ndarray:
    return axis_angle_to_matrix(np.array([0.0, 0.0, np.radians(deg)]))


# Y-up (SMPL canonical, AIST++, HumanML3D) to Blender's Z-up world: +90 deg about X.
# (x, y, z) -> (x, -z, y): up (+Y) becomes +Z, a body facing +Z ends up facing -Y.
Y_UP_TO_Z_UP = rot_x(90.0)


def weighted_procrustes(src: np.ndarray, dst: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Rotations R (...,3,3) minimising sum_k w_k |R src_k - dst_k|^2 (Kabsch, no reflection).

    src, dst: (..., K, 3); w: (K,) or (..., K).
    """
    H = np.einsum("...k,...ki,...kj->...ij", np.broadcast_to(w, src.shape[:-1]), dst, src)
    U, _, Vt = np.linalg.svd(H)
    d = np.sign(np.linalg.det(U @ Vt))
    D = np.zeros(H.shape)
    D[..., 0, 0] = 1
    D[..., 1, 1] = 1
    D[..., 2, 2] = d
    return U @ D @ Vt
