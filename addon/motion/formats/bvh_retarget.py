"""A BVH skeleton -> SMPL's 22 body joints: name presets, rest-pose alignment, units, up axis.

**Joint map.** Presets name the BVH joints that drive SMPL's pelvis, hips, knees, ankles,
feet (toes), collars, shoulders, elbows, wrists and head (`PRESETS`: CMU/LAFAN1-style,
Mixamo = CMU names behind a `mixamorig:` namespace, Rokoko, Bandai Namco). Names compare without
case, namespace (`xxx:`) or `_`/`-`/space. The spine and neck are found on the chain: SMPL's
spine3 is the BVH joint where the two arm chains meet, spine1/spine2 the first/middle joints
between the pelvis and it, neck the first joint from there towards the head. A user map (JSON,
SMPL joint -> BVH joint name, `null` for "no such joint") replaces the preset.

**Rest-pose alignment.** For each mapped SMPL joint j driven by BVH joint b, a constant rotation
A_j takes SMPL's T-pose frame to b's rest frame, so that SMPL's global rotation is
G_j(t) = G_b(t) · A_j (BVH world). A_j maps SMPL's rest bone directions onto the BVH rest bone
directions (from the OFFSETs): Procrustes where a joint has two or more non-collinear child
directions (pelvis, chest), else the smallest rotation from the parent's alignment (so a bone's
twist follows its parent's), else the parent's alignment. In a human-looking rest pose, an alignment within `SNAP_DEG` (20°)
of the parent's is taken as the parent's: the same rest pose drawn with other proportions (a
T-pose file gives SMPL's T-pose exactly); likewise the trunk (spine, neck, head) of a
human-looking rest pose is SMPL's upright trunk, however the file curves it. So the BVH's rest pose means what it shows: an A-pose file with zero rotations gives arms down on SMPL, and every joint's twist
(forearm pronation, wrist) is kept. Working in global rotations composes any BVH joints that
have no SMPL counterpart (extra spine, neck or shoulder-twist joints) into the mapped ones.

Some exports (Bandai Namco) have a rest pose that is no human pose (every bone along its local
X, legs flipped) and carry the difference in their rotations: offsets then fix a bone's
direction but not its twist. Where a joint's twist about its bone, averaged over the clip, is
beyond `TWIST_LIMIT_DEG` from SMPL's (anatomically impossible for a clip mean), the alignment
is re-centred on the clip's mean twist; the correction is recorded in `source.bvh.twist_fix`.

**Units.** Standing height is estimated as 2.14 × the hip-to-ankle chain length (SMPL's
proportion); the file unit is the one of m, cm, mm, inch, dm, ft that makes it 1.2-2.3 m,
otherwise the skeleton is scaled to 1.7 m (`source.bvh.units` says which). `scale` (metres per
file unit, `--bvh-scale`) overrides the guess.

**Up axis.** Y-up (the BVH convention) unless the head is above the hips along Z in the clip.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..motion import Motion, MotionError
from ..rotations import (Y_UP_TO_Z_UP, axis_angle_to_matrix, matrix_to_axis_angle, matrix_to_quaternion,
                         rotation_between, weighted_procrustes)
from ..skeleton import BODY_JOINTS, BODY_PARENTS, TPOSE_BODY
from .bvh import BvhClip, forward_kinematics, rest_positions

TWIST_LIMIT_DEG = 90.0
SNAP_DEG = 20.0
_J = {n: i for i, n in enumerate(BODY_JOINTS)}
_CHILDREN = [[c for c, p in enumerate(BODY_PARENTS) if p == j] for j in range(len(BODY_JOINTS))]
_TRUNK = ("spine1", "spine2", "spine3", "neck", "head")

# SMPL joint -> accepted BVH names (normalized); sides written for the left, mirrored below.
_LIMBS_CMU = {"pelvis": ("Hips",), "left_hip": ("LeftUpLeg",), "left_knee": ("LeftLeg",),
              "left_ankle": ("LeftFoot",), "left_foot": ("LeftToeBase", "LeftToe"),
              "left_collar": ("LeftShoulder",), "left_shoulder": ("LeftArm",),
              "left_elbow": ("LeftForeArm",), "left_wrist": ("LeftHand",), "head": ("Head",)}
_LIMBS_ROKOKO = {**_LIMBS_CMU, "left_hip": ("LeftThigh",), "left_knee": ("LeftShin",)}
_LIMBS_BANDAI = {"pelvis": ("Hips",), "left_hip": ("UpperLeg_L",), "left_knee": ("LowerLeg_L",),
                 "left_ankle": ("Foot_L",), "left_foot": ("Toes_L",), "left_collar": ("Shoulder_L",),
                 "left_shoulder": ("UpperArm_L",), "left_elbow": ("LowerArm_L",), "left_wrist": ("Hand_L",),
                 "head": ("Head",)}
REQUIRED = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
            "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
            "head")


def _mirror(limbs: dict) -> dict:
    out = dict(limbs)
    for k, names in limbs.items():
        if k.startswith("left_"):
            out["right_" + k[5:]] = tuple(n.replace("Left", "Right") if n.startswith("Left")
                                          else re.sub(r"_L$", "_R", n) for n in names)
    return out


PRESETS = {"cmu": _mirror(_LIMBS_CMU), "rokoko": _mirror(_LIMBS_ROKOKO), "bandai": _mirror(_LIMBS_BANDAI)}


def normalize_name(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name.rsplit(":", 1)[-1]).lower()


def read_map_file(path) -> dict:
    """A user's joint map: JSON object SMPL joint name -> BVH joint name (or null)."""
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MotionError(f"--bvh-map {path}: not a readable JSON file ({e})") from None
    if not isinstance(d, dict) or not all(isinstance(v, (str, type(None))) for v in d.values()):
        raise MotionError(f"--bvh-map {path}: expected an object SMPL joint -> BVH joint name")
    unknown = sorted(set(d) - set(BODY_JOINTS))
    if unknown:
        raise MotionError(f"--bvh-map {path}: unknown SMPL joint(s) {', '.join(unknown)} "
                          f"(expected some of {', '.join(BODY_JOINTS)})")
    return d


def _ancestors(parents, j) -> list[int]:
    out = []
    while j >= 0:
        out.append(j)
        j = parents[j]
    return out


def _chain(parents, top: int, bottom: int) -> list[int]:
    """Joints strictly between `top` and its descendant `bottom`, from the top down."""
    anc = _ancestors(parents, bottom)
    if top not in anc:
        return []
    return list(reversed(anc[1:anc.index(top)]))


def _fill_spine(mapping: dict, clip: BvhClip) -> None:
    par = clip.parents
    lw, rw = mapping.get("left_shoulder"), mapping.get("right_shoulder")
    pelvis, head = mapping["pelvis"], mapping["head"]
    if "spine3" not in mapping:
        a, b = _ancestors(par, lw), _ancestors(par, rw)
        common = next((x for x in a if x in b), None)
        mapping["spine3"] = common if common is not None and common != pelvis and common in _ancestors(par, head) \
            else None
    s3 = mapping["spine3"]
    between = _chain(par, pelvis, s3) if s3 is not None else []
    if "spine1" not in mapping:
        mapping["spine1"] = between[0] if between else None
    if "spine2" not in mapping:
        mapping["spine2"] = between[max(1, len(between) // 2)] if len(between) >= 2 else None
    if "neck" not in mapping:
        up = _chain(par, s3 if s3 is not None else pelvis, head)
        mapping["neck"] = up[0] if up else None
    for side in ("left", "right"):
        if f"{side}_collar" not in mapping:
            c = _chain(par, s3 if s3 is not None else pelvis, mapping[f"{side}_shoulder"])
            mapping[f"{side}_collar"] = c[-1] if c else None


def resolve_map(clip: BvhClip, user_map: dict | None = None) -> tuple[dict, str]:
    """SMPL joint name -> BVH joint index (or None), and the preset's name ('user' for a map)."""
    idx = {normalize_name(n): i for i, n in enumerate(clip.names)}
    exact = {n: i for i, n in enumerate(clip.names)}
    if user_map is not None:
        mapping, missing = {}, []
        for k, v in user_map.items():
            if v is None:
                mapping[k] = None
            elif v in exact or normalize_name(v) in idx:
                mapping[k] = exact.get(v, idx.get(normalize_name(v)))
            else:
                missing.append(v)
        need = [k for k in REQUIRED if k not in user_map]
        if missing or need:
            raise MotionError("the skeleton lacks joints the map needs: " + ", ".join(missing + [
                f"(no entry for {k})" for k in need]))
        preset = "user"
    else:
        best, best_missing, mapping = None, None, None
        for name, table in PRESETS.items():
            found, missing = {}, []
            for k, alts in table.items():
                hit = next((idx[normalize_name(a)] for a in alts if normalize_name(a) in idx), None)
                if hit is None and k in REQUIRED:
                    missing.append(alts[0])
                found[k] = hit
            if best_missing is None or len(missing) < len(best_missing):
                best, best_missing, mapping = name, missing, found
        if best_missing:
            raise MotionError(f"the skeleton lacks joints the map needs: {', '.join(best_missing)} (closest preset "
                              f"'{best}'; give your own with --bvh-map FILE.json)")
        preset = best
    _fill_spine(mapping, clip)
    return {k: mapping.get(k) for k in BODY_JOINTS}, preset


def _frontier(j: int, mapped: list) -> list[int]:
    """SMPL joints below j that are the nearest mapped ones on each branch."""
    out = []
    for c in _CHILDREN[j]:
        out.extend([c] if mapped[c] is not None else _frontier(c, mapped))
    return out


def _alignment(j: int, b: list, P0: np.ndarray, A: list, eps: float, human_rest: bool) -> np.ndarray:
    """A_j from the rest pose, given the (final) alignments of j's SMPL ancestors."""
    base = next((A[a] for a in _ancestors(BODY_PARENTS, j)[1:] if A[a] is not None), np.eye(3))
    if human_rest and BODY_JOINTS[j] in _TRUNK:
        return base   # an upright trunk is SMPL's, whatever curve the file draws it with
    src, dst = [], []
    for m in _frontier(j, b):
        d_b = P0[b[m]] - P0[b[j]]
        if np.linalg.norm(d_b) > eps:
            d_s = TPOSE_BODY[m] - TPOSE_BODY[j]
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
    d = TPOSE_BODY[f[0]] - TPOSE_BODY[j] if f else TPOSE_BODY[j] - TPOSE_BODY[BODY_PARENTS[j]]
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


def retarget(clip: BvhClip, fps: float, bvh_map: dict | None = None, scale: float | None = None) -> Motion:
    mapping, preset = resolve_map(clip, bvh_map)
    b = [mapping[n] for n in BODY_JOINTS]
    G_b, P_b = forward_kinematics(clip)
    P0 = rest_positions(clip)
    # up axis: Y unless the head sits above the pelvis along Z; a Z-up file is turned Y-up first
    up = np.mean(P_b[:, b[_J["head"]]] - P_b[:, b[0]], axis=0)
    z_up = abs(up[2]) > abs(up[1]) and up[2] > 0
    if z_up:
        C = Y_UP_TO_Z_UP.T
        G_b, P_b, P0 = C @ G_b @ C.T, P_b @ C.T, P0 @ C.T
    height_units = _estimate_height(clip, b)
    if scale:
        if not scale > 0:
            raise MotionError(f"--bvh-scale is {scale}; it must be positive (metres per file unit)")
        s, unit = float(scale), f"{scale:g} m per unit (--bvh-scale)"
    else:
        s, unit = metres_per_unit(height_units)
    human_rest = rest_is_human(b, P0)
    A: list = [None] * len(BODY_JOINTS)
    T, J = len(clip.motion), len(BODY_JOINTS)
    G = np.empty((T, J, 3, 3))
    twist_fix = {}
    for j in range(J):   # parents first: a child's alignment starts from its parent's final one
        p = BODY_PARENTS[j]
        if b[j] is None:
            G[:, j] = G[:, p] if p >= 0 else np.eye(3)
            continue
        A[j] = _alignment(j, b, P0, A, 1e-4 * height_units, human_rest)
        G[:, j] = G_b[:, b[j]] @ A[j]
        if p < 0:
            continue
        axis = _twist_axis(j, b)
        th = _twist_angles(np.swapaxes(G[:, p], -1, -2) @ G[:, j], axis)
        mean = float(np.angle(np.mean(np.exp(1j * th))))
        if not human_rest or abs(np.degrees(mean)) > TWIST_LIMIT_DEG:
            A[j] = A[j] @ axis_angle_to_matrix(-mean * axis)
            G[:, j] = G_b[:, b[j]] @ A[j]
            twist_fix[BODY_JOINTS[j]] = round(float(np.degrees(mean)), 1)

    W = Y_UP_TO_Z_UP
    L = np.empty_like(G)
    L[:, 0] = W @ G[:, 0]
    par = np.array(BODY_PARENTS[1:])
    L[:, 1:] = np.swapaxes(G[:, par], -1, -2) @ G[:, 1:]
    trans = (P_b[:, b[0]] * s) @ W.T
    names = {k: (clip.names[v] if v is not None else None) for k, v in mapping.items()}
    return Motion(rotations=matrix_to_axis_angle(L), trans=trans, fps=fps, joint_names=BODY_JOINTS,
                  source_height=height_units * s,
                  source={"format": "bvh", "up_axis": "Z" if z_up else "Y", "original_fps": fps,
                          "bvh": {"preset": preset, "units": unit, "metres_per_unit": s,
                                  "height_m": round(height_units * s, 3), "joints": len(clip.names),
                                  "frames": len(clip.motion), "map": names, "rest_pose": "human" if human_rest else
                                  "not a human pose: twists centred on the clip", "twist_fix": twist_fix}})
