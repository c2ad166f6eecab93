"""A BVH skeleton's joint names -> SMPL(-H) joints: presets, the spine found on the chain, user maps.

Presets name the BVH joints that drive SMPL's pelvis, hips, knees, ankles,
feet (toes), collars, shoulders, elbows, wrists and head (`PRESETS`: CMU/LAFAN1-style,
Mixamo = CMU names behind a `mixamorig:` namespace, Rokoko, Bandai Namco). Names compare without
case, namespace (`xxx:`) or `_`/`-`/space. The spine and neck are found on the chain: SMPL's
spine3 is the BVH joint where the two arm chains meet, spine1/spine2 the first/middle joints
between the pelvis and it, neck the first joint from there towards the head. A user map (JSON,
SMPL joint -> BVH joint name, `null` for "no such joint") replaces the preset.
Fingers: Mixamo/CMU-style chains (`LeftHandIndex1..3`, `LeftIndex1`) map onto SMPL-H's.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..motion import MotionError
from ..skeleton import BODY_JOINTS, PARENTS, SKELETONS
from .bvh import BvhClip

NAMES = SKELETONS["smplh"]          # 22 body joints, then 15 finger joints per hand
TREE = PARENTS["smplh"]
_J = {n: i for i, n in enumerate(NAMES)}

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

def _finger_names(joint: str) -> tuple[str, ...]:
    """SMPL-H finger joint (left_index1) -> BVH names: Mixamo/CMU LeftHandIndex1, LeftIndex1."""
    side, rest = joint.split("_")
    finger, k = rest[:-1], rest[-1]
    Side, Finger = side.capitalize(), finger.capitalize()
    return (f"{Side}Hand{Finger}{k}", f"{Side}{Finger}{k}", f"{Finger}{k}_{Side[0]}")


FINGERS = {n: _finger_names(n) for n in SKELETONS["smplh"][len(BODY_JOINTS):]}


def normalize_name(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name.rsplit(":", 1)[-1]).lower()


def read_map_file(path) -> dict:
    """A user's joint map: JSON object SMPL joint name -> BVH joint name (or null), and/or
    `"twist_deg": {SMPL joint: degrees}` (a rest pose's twists, from `calibrate_twist`)."""
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MotionError(f"--bvh-map {path}: not a readable JSON file ({e})") from None
    if not isinstance(d, dict):
        raise MotionError(f"--bvh-map {path}: expected an object SMPL joint -> BVH joint name")
    tw = d.get("twist_deg", {})
    if not isinstance(tw, dict) or set(tw) - set(NAMES) or not all(
            isinstance(v, (int, float)) and np.isfinite(v) for v in tw.values()):
        raise MotionError(f"--bvh-map {path}: 'twist_deg' must map SMPL joint names to degrees")
    names = {k: v for k, v in d.items() if k != "twist_deg"}
    if not all(isinstance(v, (str, type(None))) for v in names.values()):
        raise MotionError(f"--bvh-map {path}: expected an object SMPL joint -> BVH joint name")
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        raise MotionError(f"--bvh-map {path}: unknown SMPL joint(s) {', '.join(unknown)} "
                          f"(expected some of {', '.join(BODY_JOINTS)}, or SMPL-H fingers like left_index1)")
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
        for k, alts in FINGERS.items():
            mapping[k] = next((idx[normalize_name(a)] for a in alts if normalize_name(a) in idx), None)
    _fill_spine(mapping, clip)
    return {k: mapping.get(k) for k in NAMES}, preset
