"""`load_motion(path)`: read any supported motion file into a `Motion` (Z-up world).

| extension | formats (told apart by their keys) | world |
| --- | --- | --- |
| .npz | AMASS / SMPL-H / SMPL-X (`poses` or `root_orient`+`pose_body`), GRAB (`body`) | Z-up |
| .pkl | AIST++ (`smpl_poses`, Y-up), MoSh (`pose_est_fullposes`, Z-up), AMASS-style dict | |
| .npy | HumanML3D `new_joints` (T,22,3) or `new_joint_vecs` (T,263) | Y-up |
| .bvh | any BVH skeleton, retargeted onto SMPL's 22 body joints (`bvh_retarget`) | Y-up (Z-up detected) |

A motion inside a zip archive is read in place through a path that runs through the archive:
`corpus/dataset-2.zip/data/clip.bvh` (BVH members only; see `addon/motion/archive.py`).

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
from .. import archive
from ..safe_pickle import UnsafePickleError, load_npy, load_npz, load_pickle
from . import aistpp, amass, bvh, grab, humanml3d, mosh

MOTION_EXTENSIONS = (".npz", ".pkl", ".npy", ".bvh")
ARCHIVE_MOTION_EXTENSIONS = (".bvh",)   # formats readable from inside a zip


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


def _bvh_options(bvh_map, bvh_scale, bvh_twist, skip_frames=None, path=None) -> dict:
    from .bvh_map import read_map_file

    if isinstance(bvh_map, (str, Path)) and str(bvh_map):
        bvh_map = read_map_file(bvh_map)
    import sys

    return {"bvh_map": bvh_map or None, "bvh_scale": bvh_scale, "twist": bvh_twist, "skip_frames": skip_frames,
            "notice": lambda m: print(f"note: {path}: {m}", file=sys.stderr)}


def _read(path: Path, source_fps: float | None, bvh_opts: dict) -> Motion:
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
        from .. import caps

        from ...safe_paths import PathError, read_bytes

        try:
            data = read_bytes(path, limit_name="text_bytes")     # a regular file, size-capped
        except PathError as e:
            raise MotionError(str(e).removeprefix(f"{path}: ")) from None
        return bvh.from_bytes(data, source_fps, **bvh_opts)
    if ext == ".zip":
        archive.list_members(path, ARCHIVE_MOTION_EXTENSIONS)   # MotionError when it is not a zip
        raise MotionError("a zip of motion files: give the zip itself to `weartwin bake`, or ARCHIVE.zip/MEMBER.bvh")
    raise MotionError(f"unknown motion file extension '{ext}' (expected {', '.join(MOTION_EXTENSIONS)})")


def _read_member(zip_path: Path, member: str, source_fps, bvh_opts) -> tuple[Motion, bytes]:
    ext = Path(member).suffix.lower()
    if ext not in ARCHIVE_MOTION_EXTENSIONS:
        raise MotionError(f"inside a zip only {', '.join(ARCHIVE_MOTION_EXTENSIONS)} files are read, not '{ext}'")
    data = archive.read_member(zip_path, member)
    return bvh.from_bytes(data, source_fps, **bvh_opts), data


def load_motion(path, source_fps: float | None = None, bvh_map=None, bvh_scale: float | None = None,
                bvh_twist: str = "auto", bvh_skip_frames: int | None = None) -> Motion:
    """bvh_map: a JSON file (or dict) SMPL joint -> BVH joint name; bvh_scale: metres per BVH unit;
    bvh_twist: 'auto' or 'clip' (see `bvh_retarget.retarget`); bvh_skip_frames: leading BVH frames
    to drop (None: drop a detected rest-pose first frame, with a note on stderr)."""
    path = Path(path)
    member = archive.split_archive_path(path)
    try:
        bvh_opts = _bvh_options(bvh_map, bvh_scale, bvh_twist, bvh_skip_frames, path)
        if member is not None:
            motion, data = _read_member(*member, source_fps, bvh_opts)
            motion.source = {**motion.source, "path": str(path), "archive": str(member[0]),
                             "member": member[1], "sha256": hashlib.sha256(data).hexdigest(),
                             "file_size": len(data)}
            return motion
        if path.is_symlink() and not path.exists():
            raise MotionError("broken link (points to a missing file)")
        if path.is_dir():
            raise MotionError("is a folder, not a motion file")
        if not path.is_file():
            raise MotionError("no such file")
        motion = _read(path, source_fps, bvh_opts)
        limits.check("frames", motion.n_frames, "motion length")
    except MotionError as e:
        raise MotionError(str(e) if str(e).startswith(f"{path}: ") else f"{path}: {e}") from None
    except (UnsafePickleError, limits.LimitError) as e:
        raise MotionError(f"{path}: {e}") from None
    except zipfile.BadZipFile:
        kind = "zip" if member is not None else ".npz"
        raise MotionError(f"{path}: not a valid {kind} archive (truncated or not a zip file)") from None
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


__all__ = ["load_motion", "MOTION_EXTENSIONS", "ARCHIVE_MOTION_EXTENSIONS", "Motion", "MotionError"]
