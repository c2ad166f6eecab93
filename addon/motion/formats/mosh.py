"""MoSh `.pkl`: `pose_est_fullposes`, `pose_est_trans`, `shape_est_betas`. Z-up (mocap world).

Old MoSh pickles often carry no frame rate: one is read from the usual keys, else the user
passes `--source-fps`.
"""
from __future__ import annotations

from ..motion import Motion, MotionError
from ._common import array, betas_from, fps_from, scalar_str, split_poses


def from_dict(d: dict, source_fps: float | None = None) -> Motion:
    rotations, names = split_poses(array(d, "pose_est_fullposes"), "pose_est_fullposes")
    trans = array(d, "pose_est_trans", 2)
    if trans.shape != (len(rotations), 3):
        raise MotionError(f"'pose_est_trans' has shape {trans.shape}, expected ({len(rotations)}, 3)")
    fps = fps_from(d, override=source_fps)
    return Motion(rotations=rotations, trans=trans, fps=fps, joint_names=names,
                  betas=betas_from(d, "shape_est_betas"), gender=scalar_str(d.get("gender", "neutral")),
                  source={"format": "mosh", "up_axis": "Z", "original_fps": fps})
