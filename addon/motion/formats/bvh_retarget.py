"""A BVH skeleton -> SMPL's joints: rest-pose alignment, units, up axis (names: `bvh_map`).

**Rest-pose alignment.** For each mapped SMPL joint j driven by BVH joint b, a constant rotation
A_j takes SMPL's T-pose frame to b's rest frame, so that SMPL's global rotation is
G_j(t) = G_b(t) · A_j (BVH world). A_j maps SMPL's rest bone directions onto the BVH rest bone
directions (from the OFFSETs): Procrustes where a joint has two or more non-collinear child
directions (pelvis, chest), else the smallest rotation from the parent's alignment (so a bone's
twist follows its parent's), else the parent's alignment. In a human-looking rest pose, an
alignment within `SNAP_DEG` (20°) of the parent's is taken as the parent's: the same rest pose
drawn with other proportions (a T-pose file gives SMPL's T-pose exactly); likewise its trunk
(spine, neck, head) is SMPL's upright trunk, however the file curves it. So the BVH's rest pose
means what it shows: an A-pose file with zero rotations gives arms down on SMPL, and every
joint's twist (forearm pronation, wrist) is kept. Working in global rotations composes any BVH
joints that have no SMPL counterpart (extra spine, neck or shoulder-twist joints) into the
mapped ones.

Some exports (Bandai Namco) have a rest pose that is no human pose (every bone along its local
X, legs flipped) and carry the difference in their rotations: offsets then fix a bone's
direction but not its twist. For such skeletons each joint's alignment is turned about its
bone by a constant: the map file's `twist_deg` (`weartwin library --calibrate-twist`), or for a
preset the one measured on its corpus (`PRESET_TWIST_DEG`), so every clip of the skeleton gets
the same alignment whatever its activity; for an unknown skeleton without either, the clip's
own mean twist (then the alignment depends on the clip: `source.bvh.rest_pose` says so). In a
human-looking rest pose a clip-mean twist beyond `TWIST_LIMIT_DEG` (impossible in a body) is
re-centred the same way. The corrections are recorded in `source.bvh.twist_fix`.

**Units.** Standing height is estimated as 2.14 × the hip-to-ankle chain length (SMPL's
proportion); the file unit is the one of m, cm, mm, inch, dm, ft that makes it 1.2-2.3 m,
otherwise the skeleton is scaled to 1.7 m (`source.bvh.units` says which). `scale` (metres per
file unit, `--bvh-scale`) overrides the guess.

**Up axis.** Y-up (the BVH convention) unless the head is above the hips along Z in the clip.
"""
from __future__ import annotations

import numpy as np

from ..motion import Motion, MotionError
from ..rotations import (Y_UP_TO_Z_UP, axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_quaternion,
                         rotation_between, weighted_procrustes)
from ..skeleton import BODY_JOINTS, TPOSE_BODY
from .bvh import BvhClip, forward_kinematics, rest_positions
from .bvh_map import NAMES, TREE, _J, _ancestors, _chain, resolve_map

TWIST_LIMIT_DEG = 90.0
SNAP_DEG = 20.0
# The retarget runs on SMPL-H's tree (22 body joints, then 15 finger joints per hand); the
# Motion keeps the fingers only when the file has them (`MIN_FINGERS`).
MIN_FINGERS = 5
_CHILDREN = [[c for c, p in enumerate(TREE) if p == j] for j in range(len(NAMES))]


def _tpose_hands() -> np.ndarray:
    """Hand-made finger joint positions (m) of the canonical T-pose (left hand along +X, palm
    down, thumb forward; the right hand mirrored): only their directions are used."""
    base = {"index": ((0.095, -0.005, 0.025), 0.035, 0.025), "middle": ((0.100, -0.005, 0.003), 0.037, 0.027),
            "ring": ((0.093, -0.008, -0.018), 0.033, 0.025), "pinky": ((0.082, -0.010, -0.036), 0.025, 0.020)}
    pos = {}
    for side, sx in (("left", 1.0), ("right", -1.0)):
        w = TPOSE_BODY[BODY_JOINTS.index(f"{side}_wrist")]
        for finger, (first, l2, l3) in base.items():
            p1 = w + np.array(first) * (sx, 1, 1)
            pos[f"{side}_{finger}1"] = p1
            pos[f"{side}_{finger}2"] = p1 + (sx * l2, 0, 0)
            pos[f"{side}_{finger}3"] = p1 + (sx * (l2 + l3), 0, 0)
        t1 = w + np.array((0.025 * sx, -0.015, 0.030))
        t2 = t1 + np.array((0.025 * sx, -0.005, 0.020))
        pos[f"{side}_thumb1"], pos[f"{side}_thumb2"], pos[f"{side}_thumb3"] = t1, t2, t2 + (0.022 * sx, 0, 0.015)
    return np.array([pos[n] for n in NAMES[len(BODY_JOINTS):]])


TPOSE = np.vstack([TPOSE_BODY, _tpose_hands()])
_TRUNK = ("spine1", "spine2", "spine3", "neck", "head")

# Twist of each joint's alignment about its SMPL bone (degrees, parents first), for presets whose
# rest pose is no human pose. Bandai Namco: the median, over 465 clips of both datasets (all 24
# contents), of the clip-mean twist that centres each joint (`benchmarks/bench_bandai.py` corpus).
PRESET_TWIST_DEG = {"bandai": {
    "left_hip": 105.9, "right_hip": -165.7, "spine1": 90.2, "left_knee": -1.7, "right_knee": 1.3,
    "left_ankle": -1.1, "right_ankle": -2.8, "spine3": -1.0, "left_foot": 0.0, "right_foot": 0.1, "neck": -1.7,
    "left_collar": -84.1, "right_collar": -89.6, "head": -1.7, "left_shoulder": 2.3, "right_shoulder": -2.8,
    "left_elbow": 12.2, "right_elbow": -4.2, "left_wrist": 5.4, "right_wrist": -6.0}}


def _frontier(j: int, mapped: list) -> list[int]:
    """SMPL joints below j that are the nearest mapped ones on each branch."""
    out = []
    for c in _CHILDREN[j]:
        out.extend([c] if mapped[c] is not None else _frontier(c, mapped))
    return out


def _alignment(j: int, b: list, P0: np.ndarray, A: list, eps: float, human_rest: bool) -> np.ndarray:
    """A_j from the rest pose, given the (final) alignments of j's SMPL ancestors."""
    base = next((A[a] for a in _ancestors(TREE, j)[1:] if A[a] is not None), np.eye(3))
    if human_rest and NAMES[j] in _TRUNK:
        return base   # an upright trunk is SMPL's, whatever curve the file draws it with
    src, dst = [], []
    for m in _frontier(j, b):
        d_b = P0[b[m]] - P0[b[j]]
        if np.linalg.norm(d_b) > eps:
            d_s = TPOSE[m] - TPOSE[j]
            src.append(d_s / np.linalg.norm(d_s))
            dst.append(d_b / np.linalg.norm(d_b))
    if len(dst) >= 2 and np.linalg.matrix_rank(np.array(dst), tol=0.05) >= 2:
        A = weighted_procrustes(np.array(src), np.array(dst), np.ones(len(src)))
    elif dst:
        A = rotation_between(base @ src[0], dst[0]) @ base
    else:
        return base
    # within SNAP_DEG of the parent's alignment: the same rest pose, drawn with other proportions
    angle = np.degrees(np.linalg.norm(matrix_to_axis_angle(base.T @ A)))
    return base if human_rest and angle < SNAP_DEG else A


def rest_is_human(b: list, P0: np.ndarray) -> bool:
    """Does the zero-rotation pose look like a standing person (legs below the hips, arms not
    raised)? Only then does it say how each bone is twisted."""
    def unit(v):
        n = np.linalg.norm(v)
        return v / n if n > 0 else v
    up = unit(P0[b[_J["head"]]] - P0[b[0]])
    for side in ("left", "right"):
        leg = unit(P0[b[_J[f"{side}_ankle"]]] - P0[b[_J[f"{side}_hip"]]])
        arm = unit(P0[b[_J[f"{side}_wrist"]]] - P0[b[_J[f"{side}_shoulder"]]])
        if leg @ up > -0.7 or arm @ up > 0.7:
            return False
    return True


def _twist_axis(j: int, mapped: list) -> np.ndarray:
    f = _frontier(j, mapped)
    d = TPOSE[f[0]] - TPOSE[j] if f else TPOSE[j] - TPOSE[TREE[j]]
    return d / np.linalg.norm(d)


def _twist_angles(L: np.ndarray, axis: np.ndarray) -> np.ndarray:
    q = matrix_to_quaternion(L)
    return 2.0 * np.arctan2(q[:, 1:] @ axis, q[:, 0])


def _estimate_height(clip: BvhClip, b: list) -> float:
    """Standing height in file units from the hip-to-ankle chains (SMPL's proportion)."""
    lens = []
    for side in ("left", "right"):
        hip, ankle = b[_J[f"{side}_hip"]], b[_J[f"{side}_ankle"]]
        chain = _chain(clip.parents, hip, ankle) + [ankle]
        lens.append(sum(np.linalg.norm(clip.offsets[k]) for k in chain))
    smpl = sum(np.linalg.norm(TPOSE_BODY[_J[c]] - TPOSE_BODY[_J[p]])
               for p, c in (("left_hip", "left_knee"), ("left_knee", "left_ankle")))
    return float(np.mean(lens)) * 1.7 / smpl


UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "inch": 0.0254, "dm": 0.1, "ft": 0.3048}


def metres_per_unit(height_units: float) -> tuple[float, str]:
    if not height_units > 0:
        raise MotionError("the skeleton has zero-length legs; cannot tell its size (pass --bvh-scale)")
    fits = [(abs(np.log(s * height_units / 1.7)), u, s) for u, s in UNITS.items()
            if 1.2 <= s * height_units <= 2.3]
    if fits:
        _, unit, s = min(fits)
        return s, unit
    return 1.7 / height_units, "unknown (scaled to a 1.7 m body)"


def retarget(clip: BvhClip, fps: float, bvh_map: dict | None = None, scale: float | None = None,
             twist: str = "auto") -> Motion:
    """bvh_map: SMPL joint -> BVH name, optionally with "twist_deg" (the map's own twists, used
    whatever the rest pose). twist: 'auto' (the map's or the preset's constants, else the clip's
    mean where the rest pose is no human pose) or 'clip' (the clip's mean there: calibration)."""
    bvh_map = dict(bvh_map or {})
    user_twist = bvh_map.pop("twist_deg", None)
    mapping, preset = resolve_map(clip, bvh_map or None)
    b = [mapping[n] for n in NAMES]
    n_fingers = sum(x is not None for x in b[len(BODY_JOINTS):])
    keep = len(NAMES) if n_fingers >= MIN_FINGERS else len(BODY_JOINTS)
    # forward kinematics of the file joints this retarget reads (not every joint of the file)
    used = sorted({b[j] for j in range(keep) if b[j] is not None} | {b[0], b[_J["head"]]})
    col = {f: k for k, f in enumerate(used)}
    G_b, P_b = forward_kinematics(clip, used)
    P0 = rest_positions(clip)
    # up axis: Y unless the head sits above the pelvis along Z; a Z-up file is turned Y-up first
    up = np.mean(P_b[:, col[b[_J["head"]]]] - P_b[:, col[b[0]]], axis=0)
    z_up = abs(up[2]) > abs(up[1]) and up[2] > 0
    root_pos = P_b[:, col[b[0]]].copy()
    del P_b
    if z_up:
        C = Y_UP_TO_Z_UP.T
        for k in range(len(used)):
            G_b[:, k] = C @ G_b[:, k] @ C.T
        root_pos, P0 = root_pos @ C.T, P0 @ C.T
    height_units = _estimate_height(clip, b)
    if scale:
        if not scale > 0:
            raise MotionError(f"--bvh-scale is {scale}; it must be positive (metres per file unit)")
        s, unit = float(scale), f"{scale:g} m per unit (--bvh-scale)"
    else:
        s, unit = metres_per_unit(height_units)
    human_rest = rest_is_human(b, P0)
    preset_twist = None
    if twist == "auto":
        preset_twist = user_twist if user_twist else None if human_rest else PRESET_TWIST_DEG.get(preset)
    A: list = [None] * len(NAMES)
    T = len(clip.motion)
    G = np.empty((T, keep, 3, 3))
    twist_fix = {}
    for j in range(keep):   # parents first: a child's alignment starts from its parent's final one
        p = TREE[j]
        if b[j] is None:
            G[:, j] = G[:, p] if p >= 0 else np.eye(3)
            continue
        A[j] = _alignment(j, b, P0, A, 1e-4 * height_units, human_rest)
        G[:, j] = G_b[:, col[b[j]]] @ A[j]
        if p < 0:
            continue
        axis = _twist_axis(j, b)
        if preset_twist is not None:
            mean = np.radians(preset_twist.get(NAMES[j], 0.0))
        else:
            th = _twist_angles(np.swapaxes(G[:, p], -1, -2) @ G[:, j], axis)
            mean = float(np.angle(np.mean(np.exp(1j * th))))
        if preset_twist is not None or not human_rest or abs(np.degrees(mean)) > TWIST_LIMIT_DEG:
            A[j] = A[j] @ axis_angle_to_matrix(-mean * axis)
            G[:, j] = G_b[:, col[b[j]]] @ A[j]
            twist_fix[NAMES[j]] = round(float(np.degrees(mean)), 1)
    del G_b

    W = Y_UP_TO_Z_UP
    rotations = np.empty((T, keep, 3))      # local rotations, joint by joint (no (T, J, 3, 3) copy)
    rotations[:, 0] = matrix_to_axis_angle(W @ G[:, 0])
    for j in range(1, keep):
        rotations[:, j] = matrix_to_axis_angle(np.swapaxes(G[:, TREE[j]], -1, -2) @ G[:, j])
    del G
    trans = (root_pos * s) @ W.T
    names = {k: (clip.names[v] if v is not None else None) for k, v in mapping.items() if v is not None
             or k in BODY_JOINTS}
    return Motion(rotations=rotations, trans=trans, fps=fps, joint_names=NAMES[:keep],
                  source_height=height_units * s,
                  source={"format": "bvh", "up_axis": "Z" if z_up else "Y", "original_fps": fps,
                          "bvh": {"preset": preset, "units": unit, "metres_per_unit": s,
                                  "height_m": round(height_units * s, 3), "joints": len(clip.names),
                                  "frames": len(clip.motion), "map": names, "rest_pose": "human" if human_rest else
                                  f"not a human pose: twists from the '{preset}' preset" if preset_twist is not None
                                  and not user_twist else "not a human pose: twists from the map file" if user_twist
                                  else "not a human pose: twists centred on this clip", "twist_fix": twist_fix}})


def calibrate_twist(motions: list) -> dict:
    """A skeleton family's twist table from clips imported with twist='clip': the median over the
    clips of each joint's clip-mean twist (circular), degrees, rounded to 0.1."""
    per = {}
    for m in motions:
        for k, v in m.source["bvh"]["twist_fix"].items():
            per.setdefault(k, []).append(np.radians(v))
    out = {}
    for k, v in per.items():
        v = np.array(v)
        ref = np.angle(np.mean(np.exp(1j * v)))          # unwrap around the circular mean
        out[k] = round(float(np.degrees(ref + np.median(np.angle(np.exp(1j * (v - ref)))))), 1)
    return {k: out[k] for k in NAMES if k in out}
