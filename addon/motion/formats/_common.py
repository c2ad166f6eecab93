"""Small helpers shared by the format readers."""
from __future__ import annotations

import numpy as np

from ..motion import MotionError
from ..rotations import Y_UP_TO_Z_UP, axis_angle_to_matrix, matrix_to_axis_angle
from ..skeleton import POSE_WIDTH_TO_SKELETON, SKELETONS


def scalar_str(value) -> str:
    """`gender` is stored as str, bytes, 0-d or 1-element arrays of either, in the wild."""
    v = value
    if isinstance(v, np.ndarray):
        v = v.reshape(-1)[0] if v.size else ""
    if isinstance(v, (bytes, np.bytes_)):
        v = v.decode("utf-8", "replace")
    return str(v).strip().lower() or "neutral"


def scalar_float(value, what: str) -> float:
    try:
        arr = np.asarray(value, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise MotionError(f"{what} is not a number") from None
    if arr.size != 1:
        raise MotionError(f"{what} has {arr.size} values, expected one")
    return float(arr[0])


def fps_from(d: dict, keys=("mocap_framerate", "mocap_frame_rate", "framerate", "frame_rate", "fps"),
             override: float | None = None) -> float:
    if override:
        return float(override)
    for k in keys:
        if k in d:
            fps = scalar_float(d[k], k)
            if not (np.isfinite(fps) and fps > 0):
                raise MotionError(f"frame rate '{k}' is {fps}; it must be positive")
            return fps
    raise MotionError(f"no frame rate (none of {', '.join(keys)}); pass --source-fps")


def array(d: dict, key: str, ndim: int | None = None) -> np.ndarray:
    if key not in d:
        raise MotionError(f"missing key '{key}'")
    try:
        a = np.asarray(d[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise MotionError(f"'{key}' is not numeric") from None
    if ndim is not None and a.ndim != ndim:
        raise MotionError(f"'{key}' has shape {a.shape}, expected {ndim} dimensions")
    return a


def split_poses(poses: np.ndarray, key: str = "poses") -> tuple[np.ndarray, tuple[str, ...]]:
    """(T, 3J) flat SMPL-family pose vectors -> (T, J, 3) and the joint names."""
    if poses.ndim != 2:
        raise MotionError(f"'{key}' has shape {poses.shape}, expected (frames, 3*joints)")
    width = poses.shape[1]
    if width not in POSE_WIDTH_TO_SKELETON:
        raise MotionError(f"'{key}' has {width} columns; expected 72 (SMPL), 156 (SMPL-H) or 165 (SMPL-X)")
    skel = POSE_WIDTH_TO_SKELETON[width]
    if len(poses) < 2:
        raise MotionError(f"only {len(poses)} frame(s); at least 2 are needed")
    return poses.reshape(len(poses), width // 3, 3), SKELETONS[skel]


def y_up_to_z_up(rotations: np.ndarray, trans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate the world (root orientation and translation) from Y-up to Z-up."""
    rot = rotations.copy()
    rot[:, 0] = matrix_to_axis_angle(Y_UP_TO_Z_UP @ axis_angle_to_matrix(rotations[:, 0]))
    return rot, trans @ Y_UP_TO_Z_UP.T


def betas_from(d: dict, key: str = "betas") -> np.ndarray | None:
    if key not in d:
        return None
    b = np.asarray(d[key], dtype=np.float64).reshape(-1)
    return b if b.size else None
