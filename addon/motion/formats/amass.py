"""AMASS / SMPL-H `.npz` (and SMPL / SMPL-X `poses` variants). Z-up world, as AMASS ships it.

Variants seen in the wild: `mocap_framerate` or `mocap_frame_rate`; `gender` as str, bytes or
an array of either; `poses` with 72, 156 or 165 columns; `betas` of 10 or 16; the SMPL-X
release's split `root_orient` / `pose_body` / `pose_hand` (+ `pose_jaw`, `pose_eye`).
"""
from __future__ import annotations

import numpy as np

from ..motion import Motion, MotionError
from ._common import array, betas_from, fps_from, scalar_str, split_poses


def from_dict(d: dict, source_fps: float | None = None) -> Motion:
    if "poses" in d:
        poses = array(d, "poses")
    elif "root_orient" in d and "pose_body" in d:
        parts = [array(d, "root_orient", 2), array(d, "pose_body", 2)]
        if "pose_hand" in d and np.asarray(d["pose_hand"]).shape[-1] == 90:
            hand = array(d, "pose_hand", 2)
            if "pose_jaw" in d:  # SMPL-X ordering: body, jaw, eyes, hands
                eyes = array(d, "pose_eye", 2) if "pose_eye" in d else np.zeros((len(hand), 6))
                parts += [array(d, "pose_jaw", 2), eyes]
            parts.append(hand)
        else:
            parts.append(np.zeros((len(parts[0]), 6)))  # SMPL hand joints
        try:
            poses = np.concatenate(parts, axis=1)
        except ValueError:
            raise MotionError("root_orient / pose_body / pose_hand have different frame counts") from None
    else:
        raise MotionError("missing key 'poses' (not an AMASS motion file)")
    rotations, names = split_poses(poses)
    trans = array(d, "trans")
    if trans.ndim != 2 or trans.shape[1] != 3:
        raise MotionError(f"'trans' has shape {trans.shape}, expected (frames, 3)")
    if len(trans) != len(rotations):
        raise MotionError(f"'trans' has {len(trans)} frames but 'poses' has {len(rotations)}")
    fps = fps_from(d, override=source_fps)
    return Motion(
        rotations=rotations, trans=trans, fps=fps, joint_names=names,
        betas=betas_from(d), gender=scalar_str(d.get("gender", "neutral")),
        source={"format": "amass", "up_axis": "Z", "original_fps": fps},
    )
