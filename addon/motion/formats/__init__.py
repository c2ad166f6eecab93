"""`load_motion(path)`: read any supported motion file into a `Motion` (Z-up world).

| extension | formats (told apart by their keys) | world |
| --- | --- | --- |
| .npz | AMASS / SMPL-H / SMPL-X (`poses` or `root_orient`+`pose_body`), GRAB (`body`) | Z-up |
| .pkl | AIST++ (`smpl_poses`, Y-up), MoSh (`pose_est_fullposes`, Z-up), AMASS-style dict | |
| .npy | HumanML3D `new_joints` (T,22,3) or `new_joint_vecs` (T,263) | Y-up |

Every failure is a `MotionError` whose message is one line: "<path>: <problem>".
"""
from __future__ import annotations

import hashlib
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np

from ..motion import Motion, MotionError
from ... import limits
from ..safe_pickle import UnsafePickleError, load_npy, load_npz, load_pickle
from . import aistpp, amass, grab, humanml3d, mosh

MOTION_EXTENSIONS = (".npz", ".pkl", ".npy")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _from_mapping(d: dict, source_fps: float | None) -> Motion:
    if "smpl_poses" in d:
        return aistpp.from_dict(d, source_fps)
    if "pose_est_fullposes" in d:
        return mosh.from_dict(d, source_fps)
    if "body" in d and "poses" not in d:
        return grab.from_dict(d, source_fps)
    return amass.from_dict(d, source_fps)


def _read(path: Path, source_fps: float | None) -> Motion:
    ext = path.suffix.lower()
    if ext == ".npz":
        return _from_mapping(load_npz(path, frames=True), source_fps)
    if ext == ".pkl":
        obj = load_pickle(path)
        if not isinstance(obj, dict):
            raise MotionError(f"pickle holds a {type(obj).__name__}, expected a dict of arrays")
        return _from_mapping(obj, source_fps)
    if ext == ".npy":
        return humanml3d.from_array(load_npy(path, frames=True), source_fps)
    if ext == ".bvh":
        raise MotionError("BVH import is not supported yet")
    raise MotionError(f"unknown motion file extension '{ext}' (expected {', '.join(MOTION_EXTENSIONS)})")


def load_motion(path, source_fps: float | None = None) -> Motion:
    path = Path(path)
    try:
        if path.is_symlink() and not path.exists():
            raise MotionError("broken link (points to a missing file)")
        if path.is_dir():
            raise MotionError("is a folder, not a motion file")
        if not path.is_file():
            raise MotionError("no such file")
        motion = _read(path, source_fps)
        limits.check("frames", motion.n_frames, "motion length")
    except MotionError as e:
        raise MotionError(f"{path}: {e}") from None
    except (UnsafePickleError, limits.LimitError) as e:
        raise MotionError(f"{path}: {e}") from None
    except zipfile.BadZipFile:
        raise MotionError(f"{path}: not a valid .npz archive (truncated or not a zip file)") from None
    except (pickle.UnpicklingError, EOFError) as e:
        raise MotionError(f"{path}: not a readable pickle ({e or 'truncated'})") from None
    except PermissionError:
        raise MotionError(f"{path}: permission denied") from None
    except MemoryError:
        raise MotionError(f"{path}: out of memory while reading it (lower WEARTWIN_MAX_INPUT_BYTES "
                          "to refuse such files early)") from None
    except (ValueError, OSError, KeyError, TypeError, IndexError, AttributeError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise MotionError(f"{path}: unreadable ({msg})") from None
    motion.source = {**motion.source, "path": str(path), "sha256": _sha256(path),
                     "file_size": os.path.getsize(path)}
    return motion


__all__ = ["load_motion", "MOTION_EXTENSIONS", "Motion", "MotionError"]
