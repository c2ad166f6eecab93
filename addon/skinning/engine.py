"""The fast IMU engine: what `Baker.setup` + `Baker.frames` compute for the sensor patches,
without Blender.

Same inputs (the `BodyAsset`, its T-pose alignment, `retarget.pose_bones` with the rest
orientations Blender would give the bones), same keyed values (float32 F-curves), same deform
(`rig.deform_matrices` + `lbs.skin`), same normalization (feet centred at the origin, soles on the
floor on the first frame, applied as the armature object's location), so the sensor functions
downstream see the same positions to float32 precision. Only the bones the requested vertices
and joints hang from are evaluated.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..body.retarget import pose_bones
from . import lbs
from .rig import deform_matrices, keyed, rest_matrices


@dataclass
class FastPose:
    """Per-frame world positions (Z-up, m, after normalization)."""

    vertices: np.ndarray   # (T,N,3) the requested mesh vertices
    joints: np.ndarray     # (T,J,3) the requested joints (mean head of the bones that follow them)
    offset: np.ndarray     # (3,) the armature location normalization chose


def joint_bones(asset, joint_names) -> list[list[int]]:
    """Bone indices per joint: the bones that take its rotation (`asset.joint_map`)."""
    return [[asset.bone_index(b) for b in asset.joint_map.get(j, []) if b in asset.bone_names]
            for j in joint_names]


def rest_rotations(asset) -> np.ndarray:
    """(B,3,3) what `scene.build.rest_rotations` reads from Blender, computed without it."""
    return rest_matrices(asset.bone_heads, asset.bone_tails)[:, :3, :3]


def posed_heads(rest: np.ndarray, M: np.ndarray, bones) -> np.ndarray:
    """(T,len(bones),3) armature-space heads of posed bones (Blender's `pose_bone.head`)."""
    b = np.asarray(bones, dtype=np.int64)
    Mb = M[:, b]
    return np.einsum("tbij,bj->tbi", Mb[..., :3], rest[b, :3, 3]) + Mb[..., 3]


def simulate(asset, alignment: np.ndarray, motion, height: float, vertices, foot_vertices,
             joint_names=()) -> FastPose:
    """`motion` already at the output rate (as `Baker.setup` resamples it)."""
    rest = rest_matrices(asset.bone_heads, asset.bone_tails)
    scale = height / (motion.source_height or 1.7)
    pose = pose_bones(motion, asset, alignment, rest[:, :3, :3], translation_scale=scale)
    q, loc = keyed(pose.quaternions, pose.root_location)
    parents = np.asarray(asset.bone_parents)
    sensors = lbs.patch(asset, vertices)
    feet = lbs.patch(asset, foot_vertices)
    jb = joint_bones(asset, joint_names)
    flat = sorted({b for bs in jb for b in bs})
    need = np.union1d(np.union1d(sensors.used_bones(), feet.used_bones()), np.asarray(flat, np.int64))
    M = deform_matrices(rest, parents, q, loc, bones=need)
    # normalization (Baker.setup): float32 vertices of frame 0 -> armature location (float32)
    first = lbs.skin(feet, M[:1])[0].astype(np.float32).astype(np.float64)
    offset = np.array([-first[:, 0].mean(), -first[:, 1].mean(), -first[:, 2].min()])
    offset = offset.astype(np.float32).astype(np.float64)
    verts = lbs.skin(sensors, M) + offset
    T = len(q)
    joints = np.full((T, len(jb), 3), np.nan)
    if flat:
        heads = dict(zip(flat, np.moveaxis(posed_heads(rest, M, flat), 1, 0)))
        for j, bs in enumerate(jb):
            if bs:
                joints[:, j] = np.mean([heads[b] for b in bs], axis=0) + offset
    return FastPose(vertices=verts, joints=joints, offset=offset)
