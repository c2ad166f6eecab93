"""SMPL-family joint rotations -> pose of any rigged `BodyAsset` (pure numpy).

World delta of a bone: D_b = G_j · Wᵀ · C_b, where G_j is the global rotation of the SMPL
joint j driving the bone (forward kinematics of the motion, root in the Z-up world), Wᵀ takes
the asset's Z-up canonical frame back to the SMPL canonical frame (W = +90° about X), and C_b
turns the asset's rest pose into the SMPL T-pose (`tpose_alignment`). Bones driven by no
joint keep their parent's delta.

Twist bones (Anny's lowerarm02) take a share of the twist of the wrist relative to the elbow
about the forearm axis: D_b = G_elbow · Tw(share·θ) · Wᵀ · C_b, with θ the twist part of
G_elbowᵀ·G_wrist (swing-twist decomposition about the template's elbow -> wrist axis).

Blender wants each bone's rotation local to its rest frame: with A_b the bone's rest
orientation in armature space, L_b = A_bᵀ · D_parentᵀ · D_b · A_b.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..motion.motion import Motion
from ..motion.rotations import Y_UP_TO_Z_UP, axis_angle_to_matrix, matrix_to_quaternion
from ..motion.skeleton import BODY_JOINTS, TPOSE_BODY, forward_kinematics
from .asset import BodyAsset


def twist_bones(asset: BodyAsset) -> dict[str, tuple[str, str, float]]:
    """{bone: (elbow joint, wrist joint, share)} for the asset's model."""
    if asset.model == "anny":
        from .anny_body import ANNY_TWIST_BONES
        return {b: v for b, v in ANNY_TWIST_BONES.items() if b in asset.bone_names}
    return {}


def twist_angle(R: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Angle (...,) of the twist part of rotations R (...,3,3) about the unit `axis`."""
    q = matrix_to_quaternion(R)
    return 2.0 * np.arctan2(q[..., 1:] @ axis, q[..., 0])


@dataclass
class BonePose:
    """Per-frame pose of an armature: what gets keyframed."""

    quaternions: np.ndarray   # (T, B, 4) wxyz, local to each bone's rest frame
    root_location: np.ndarray  # (T, 3) root bone location, in the root bone's rest frame
    world_deltas: np.ndarray  # (T, B, 3, 3) D_b, for checks and plots


def world_deltas(motion: Motion, asset: BodyAsset, alignment: np.ndarray) -> np.ndarray:
    G = forward_kinematics(axis_angle_to_matrix(motion.rotations), motion.parents)
    joint_index = {n: i for i, n in enumerate(motion.joint_names)}
    driver = np.full(len(asset.bone_names), -1)
    for joint, bones in asset.joint_map.items():
        if joint in joint_index:
            for b in bones:
                if b in asset.bone_names:
                    driver[asset.bone_index(b)] = joint_index[joint]
    T = motion.n_frames
    D = np.empty((T, len(asset.bone_names), 3, 3))
    Wt = Y_UP_TO_Z_UP.T
    twist = {asset.bone_index(b): v for b, v in twist_bones(asset).items()
             if v[0] in joint_index and v[1] in joint_index}
    for b, p in enumerate(asset.bone_parents):
        if b in twist:
            elbow, wrist, share = twist[b]
            e, w = joint_index[elbow], joint_index[wrist]
            a = TPOSE_BODY[BODY_JOINTS.index(wrist)] - TPOSE_BODY[BODY_JOINTS.index(elbow)]
            a /= np.linalg.norm(a)
            theta = twist_angle(np.swapaxes(G[:, e], -1, -2) @ G[:, w], a)
            D[:, b] = G[:, e] @ axis_angle_to_matrix(share * theta[:, None] * a) @ (Wt @ alignment[b])
        elif driver[b] >= 0:
            D[:, b] = G[:, driver[b]] @ (Wt @ alignment[b])
        elif p >= 0:
            D[:, b] = D[:, p]
        else:
            D[:, b] = np.eye(3)
    return D


def pose_bones(motion: Motion, asset: BodyAsset, alignment: np.ndarray, rest_rotations: np.ndarray,
               translation_scale: float = 1.0) -> BonePose:
    """rest_rotations: (B,3,3) bones' rest orientations in armature space (Blender's
    `bone.matrix_local`)."""
    D = world_deltas(motion, asset, alignment)
    parents = np.asarray(asset.bone_parents)
    Dp = np.where((parents >= 0)[None, :, None, None], D[:, np.maximum(parents, 0)], np.eye(3))
    A = rest_rotations[None]
    L = np.swapaxes(A, -1, -2) @ np.swapaxes(Dp, -1, -2) @ D @ A
    q = matrix_to_quaternion(L)
    # keep consecutive quaternions in one hemisphere so Blender's interpolation stays short
    dots = np.sum(q[1:] * q[:-1], axis=-1)
    sign = np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)
    q[1:] *= sign[..., None]
    disp = (motion.trans - motion.trans[0]) * translation_scale
    root = int(np.nonzero(parents < 0)[0][0])
    loc = disp @ rest_rotations[root]  # A_rootᵀ · d, row-vector form
    return BonePose(quaternions=q, root_location=loc, world_deltas=D)
