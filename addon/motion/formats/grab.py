"""GRAB `.npz` (SMPL-X): nested dicts stored as object arrays, read with the restricted unpickler.

`body` -> {`params`: {`transl`, `global_orient`, `body_pose`, `fullpose`?, hand poses...}},
`framerate`, `gender`. GRAB's world is Z-up (MoSh++ on a Vicon capture, as AMASS).
Hand poses stored as PCA coefficients need the MANO basis, which we do not have: then the
hands stay flat and `source.notes` says so.
"""
from __future__ import annotations

import numpy as np

from ..motion import Motion, MotionError
from ..skeleton import SKELETONS
from ._common import array, fps_from, scalar_str


def _unwrap(v):
    if isinstance(v, np.ndarray) and v.dtype == object and v.shape == ():
        return v.item()
    return v


def from_dict(d: dict, source_fps: float | None = None) -> Motion:
    body = _unwrap(d.get("body"))
    if not isinstance(body, dict) or not isinstance(_unwrap(body.get("params")), dict):
        raise MotionError("missing 'body' -> 'params' (not a GRAB sequence)")
    p = _unwrap(body["params"])
    notes = []
    if "fullpose" in p and np.asarray(p["fullpose"]).shape[-1] == 165:
        poses = array(p, "fullpose", 2)
    else:
        go, bp = array(p, "global_orient", 2), array(p, "body_pose", 2)
        T = len(go)
        jaw = array(p, "jaw_pose", 2) if "jaw_pose" in p else np.zeros((T, 3))
        eyes = np.zeros((T, 6))
        hands = []
        for k in ("left_hand_pose", "right_hand_pose"):
            h = np.asarray(p.get(k, np.zeros((T, 45))), dtype=np.float64)
            if h.shape[-1] != 45:
                notes.append(f"{k} has {h.shape[-1]} PCA coefficients; hands left flat")
                h = np.zeros((T, 45))
            hands.append(h)
        try:
            poses = np.concatenate([go, bp, jaw, eyes] + hands, axis=1)
        except ValueError:
            raise MotionError("GRAB pose parameters have different frame counts") from None
        if poses.shape[1] != 165:
            raise MotionError(f"GRAB body pose has {poses.shape[1]} values per frame, expected 165")
    trans = array(p, "transl", 2)
    if trans.shape != (len(poses), 3):
        raise MotionError(f"'transl' has shape {trans.shape}, expected ({len(poses)}, 3)")
    fps = fps_from(d, override=source_fps)
    return Motion(rotations=poses.reshape(len(poses), -1, 3), trans=trans, fps=fps,
                  joint_names=SKELETONS["smplx"], gender=scalar_str(d.get("gender", "neutral")),
                  source={"format": "grab", "up_axis": "Z", "original_fps": fps, "notes": notes})
