"""AIST++ `.pkl`: `smpl_poses` (T,72), `smpl_trans` (T,3), `smpl_scaling`; 60 fps, Y-up.

`smpl_trans` is in the scaled (roughly cm) space of the fitted SMPL: metres = trans / scaling.
"""
from __future__ import annotations

from ..motion import Motion, MotionError
from ._common import array, fps_from, scalar_float, split_poses, y_up_to_z_up

AISTPP_FPS = 60.0


def from_dict(d: dict, source_fps: float | None = None) -> Motion:
    rotations, names = split_poses(array(d, "smpl_poses"), "smpl_poses")
    trans = array(d, "smpl_trans", 2)
    if trans.shape != (len(rotations), 3):
        raise MotionError(f"'smpl_trans' has shape {trans.shape}, expected ({len(rotations)}, 3)")
    scaling = scalar_float(d["smpl_scaling"], "smpl_scaling") if "smpl_scaling" in d else 1.0
    if not scaling > 0:
        raise MotionError(f"'smpl_scaling' is {scaling}; it must be positive")
    try:
        fps = fps_from(d, override=source_fps)
    except MotionError:
        fps = AISTPP_FPS
    rotations, trans = y_up_to_z_up(rotations, trans / scaling)
    return Motion(rotations=rotations, trans=trans, fps=fps, joint_names=names,
                  source={"format": "aistpp", "up_axis": "Y", "original_fps": fps,
                          "smpl_scaling": scaling})
