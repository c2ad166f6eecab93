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

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..body.retarget import pose_bones, world_deltas
from ..motion.skeleton import BODY_JOINTS
from . import lbs
from .rig import ancestors_closure, deform_from_deltas, deform_matrices, keyed, rest_matrices


@dataclass
class FastPose:
    """Per-frame world positions (Z-up, m, after normalization)."""

    vertices: np.ndarray   # (T,N,3) the requested mesh vertices
    joints: np.ndarray     # (T,J,3) the requested joints (mean head of the bones that follow them)
    offset: np.ndarray     # (3,) the armature location normalization chose
    shortcut: bool = True  # deform matrices from world deltas (verified), not via quaternions


def joint_bones(asset, joint_names) -> list[list[int]]:
    """Bone indices per joint: the bones that take its rotation (`asset.joint_map`)."""
    return [[asset.bone_index(b) for b in asset.joint_map.get(j, []) if b in asset.bone_names]
            for j in joint_names]


def rest_rotations(asset) -> np.ndarray:
    """(B,3,3) what `scene.build.rest_rotations` reads from Blender, computed without it."""
    return rest_matrices(asset.bone_heads, asset.bone_tails)[:, :3, :3]


def sub_rig(asset, alignment: np.ndarray, keep: np.ndarray):
    """The asset restricted to the bones `keep` (closed under parents, sorted): `pose_bones`
    gives each bone the same pose on it, from its own driver and its parents only."""
    remap = np.full(len(asset.bone_names), -1)
    remap[keep] = np.arange(len(keep))
    parents = np.asarray(asset.bone_parents)[keep]
    sub = dataclasses.replace(asset, bone_names=[asset.bone_names[b] for b in keep],
                              bone_parents=np.where(parents >= 0, remap[np.maximum(parents, 0)], -1).astype(np.int32),
                              bone_heads=asset.bone_heads[keep], bone_tails=asset.bone_tails[keep])
    return sub, alignment[keep]


def _deform(asset, alignment, rest, motion, scale, bones, exact: bool = False):
    """(T,K,3,4) deform matrices of the K bones `keep` (`bones` and their parents), returned
    with `keep`, computed on the asset restricted to them. exact: through `pose_bones` and the
    keyed (float32) quaternions, as Blender gets them; else from `world_deltas` directly
    (`rig.deform_from_deltas`)."""
    parents = np.asarray(asset.bone_parents)
    keep = ancestors_closure(parents, bones)
    sub, align = sub_rig(asset, alignment, keep)
    motion = _body_joints_only(motion, sub)
    if exact:
        pose = pose_bones(motion, sub, align, rest[keep, :3, :3], translation_scale=scale)
        q, loc = keyed(pose.quaternions, pose.root_location)
        Ms = deform_matrices(rest[keep], sub.bone_parents, q, loc)
    else:
        D = world_deltas(motion, sub, align)
        disp = (motion.trans - motion.trans[0]) * scale        # as pose_bones moves the root
        Ms = deform_from_deltas(rest[keep], sub.bone_parents, D, disp)
    return Ms, keep


def _body_joints_only(motion, sub):
    """The motion without the joints no kept bone follows (e.g. fingers for a wrist patch):
    forward kinematics of the other joints does not depend on them."""
    n = len(BODY_JOINTS)
    if len(motion.joint_names) <= n or tuple(motion.joint_names[:n]) != BODY_JOINTS:
        return motion
    used = {j for j, bones in sub.joint_map.items() if any(b in sub.bone_names for b in bones)}
    if not used <= set(BODY_JOINTS):
        return motion
    return motion.replace(rotations=motion.rotations[:, :n], joint_names=BODY_JOINTS)


CHECK_FRAMES = 4       # frames on which the shortcut is checked against the keyed quaternions
CHECK_TOL = 1e-6       # m at 1 m


def deform(asset, alignment, rest, motion, scale, bones, ref=None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Deform matrices by the shortcut, verified on the first frames against `pose_bones`'
    keyed rotations; if retargeting ever keys something else, the whole clip goes the exact way.
    ref: (M, keep) of the exact path on the first frames for a superset of the bones, if at hand.
    Returns (M (T,K,3,4), keep (K,) bone indices, shortcut used)."""
    if ref is None:
        n = min(CHECK_FRAMES, motion.n_frames)
        head = motion.replace(rotations=motion.rotations[:n], trans=motion.trans[:n])
        ref = _deform(asset, alignment, rest, head, scale, bones, exact=True)
    M, keep = _deform(asset, alignment, rest, motion, scale, bones)
    at = {int(b): i for i, b in enumerate(ref[1])}
    R = ref[0][:, [at[int(b)] for b in keep]]
    ok = bool(np.isfinite(R).all() and np.abs(M[:len(R)] - R).max() < CHECK_TOL)
    if not ok:
        M, keep = _deform(asset, alignment, rest, motion, scale, bones, exact=True)
    return M, keep, ok


def _compact(p: lbs.Patch, keep: np.ndarray) -> lbs.Patch:
    remap = np.full(int(max(keep.max(), p.bones.max())) + 1, -1)
    remap[keep] = np.arange(len(keep))
    return dataclasses.replace(p, bones=remap[p.bones])


def first_frame_offset(asset, alignment, motion, height: float, feet, rest=None, first=None) -> np.ndarray:
    """Normalization as `Baker.setup` does it: the float32 vertices of frame 0 set the armature
    location (float32): feet centred at the origin, soles on the floor. `feet`: foot vertex
    indices or their `lbs.Patch`; first: (M, keep) of the exact path on the first frames, if at hand."""
    rest = rest_matrices(asset.bone_heads, asset.bone_tails) if rest is None else rest
    feet = feet if isinstance(feet, lbs.Patch) else lbs.patch(asset, feet)
    if first is None:
        first_frames = motion.replace(rotations=motion.rotations[:2], trans=motion.trans[:2])
        scale = height / (motion.source_height or 1.7)
        first = _deform(asset, alignment, rest, first_frames, scale, feet.used_bones(), exact=True)
    v0 = lbs.skin(_compact(feet, first[1]), first[0][:1])[0].astype(np.float32).astype(np.float64)
    offset = np.array([-v0[:, 0].mean(), -v0[:, 1].mean(), -v0[:, 2].min()])
    return offset.astype(np.float32).astype(np.float64)


def simulate(asset, alignment: np.ndarray, motion, height: float, vertices, foot_vertices,
             joint_names=()) -> FastPose:
    """`motion` already at the output rate (as `Baker.setup` resamples it). `vertices`: mesh
    vertex indices, or an `lbs.Patch` (e.g. `lbs.site_patch`: skin vertices and rigid points)."""
    rest = rest_matrices(asset.bone_heads, asset.bone_tails)
    scale = height / (motion.source_height or 1.7)
    parents = np.asarray(asset.bone_parents)
    sensors = vertices if isinstance(vertices, lbs.Patch) else lbs.patch(asset, vertices)
    feet = lbs.patch(asset, foot_vertices)
    jb = joint_bones(asset, joint_names)
    flat = np.array(sorted({b for bs in jb for b in bs}), dtype=np.int64)
    head_src = np.where(parents[flat] >= 0, parents[flat], flat)
    series = np.union1d(sensors.used_bones(), head_src)
    # the exact path on the first frames: normalization (frame 0) and the shortcut's check
    n = min(CHECK_FRAMES, motion.n_frames)
    head = motion.replace(rotations=motion.rotations[:n], trans=motion.trans[:n])
    ref = _deform(asset, alignment, rest, head, scale, np.union1d(series, feet.used_bones()), exact=True)
    offset = first_frame_offset(asset, alignment, motion, height, feet, rest, first=ref)
    M, keep, shortcut = deform(asset, alignment, rest, motion, scale, series, ref=ref)
    verts = lbs.skin(_compact(sensors, keep), M) + offset
    T = motion.n_frames
    joints = np.full((T, len(jb), 3), np.nan)
    if len(flat):
        at = {int(b): i for i, b in enumerate(keep)}
        src = np.array([at[int(b)] for b in head_src])
        Mh = M[:, src]
        pos = np.einsum("tbij,bj->tbi", Mh[..., :3], rest[flat, :3, 3]) + Mh[..., 3]
        heads = dict(zip(flat.tolist(), np.moveaxis(pos, 1, 0)))
        for j, bs in enumerate(jb):
            if bs:
                joints[:, j] = np.mean([heads[b] for b in bs], axis=0) + offset
    return FastPose(vertices=verts, joints=joints, offset=offset, shortcut=shortcut)
