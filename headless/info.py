"""`weartwin info`: describe a motion file or a WearTwin export in a few lines."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def _is_export(path: Path) -> bool:
    if path.suffix != ".npz":
        return False
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return "meta.npy" in z.namelist() and "t.npy" in z.namelist()
    except zipfile.BadZipFile:
        return False


def describe(path: Path, as_json: bool = False) -> str:
    from addon.motion.archive import split_archive_path

    if not path.exists() and split_archive_path(path) is None:   # ARCHIVE.zip/member.bvh is read in place
        raise FileNotFoundError("no such file")
    from addon.motion.archive import is_archive

    if is_archive(path):
        return _describe_archive(path, as_json)
    if _is_export(path):
        from addon.export.recording import read_export

        arrays, meta = read_export(path)
        if as_json:
            return json.dumps({"kind": "export", "arrays": {k: list(v.shape) for k, v in arrays.items()},
                               "meta": meta}, indent=2)
        t = arrays["t"]
        lines = [f"{path}: WearTwin export (schema {meta.get('schema')}, weartwin {meta.get('weartwin_version')})",
                 f"  {len(t)} samples at {meta.get('fps')} Hz, {t[-1] if len(t) else 0:.2f} s",
                 f"  body: {meta.get('body', {}).get('model')} {meta.get('body', {}).get('variant') or 'default'}"
                 f", height {meta.get('body', {}).get('height')} m",
                 f"  source: {meta.get('source', {}).get('format')} {meta.get('source', {}).get('path')}",
                 f"  engine: {meta.get('engine', 'blender')}"]
        for k, v in arrays.items():
            if k == "t":
                continue
            flat = v.reshape(len(t), -1).astype(np.float64)
            if k == "pose.joints" and v.ndim == 3:  # (T,22,3) body joints, world, m
                names = meta.get("pose", {}).get("joints", [])
                top = names[int(np.argmax(v[0, :, 2]))] if len(names) == v.shape[1] else "?"
                lines.append(f"  {k:28s} {str(v.shape):12s} world joint positions (m); frame 0 spans "
                             f"z {v[0, :, 2].min():.2f}..{v[0, :, 2].max():.2f} (highest: {top})")
                continue
            if flat.shape[1] > 6:  # e.g. the stored current path
                lines.append(f"  {k:28s} {str(v.shape):12s}")
                continue
            lines.append(f"  {k:28s} {str(v.shape):12s} mean {np.round(flat.mean(0), 3).tolist()}"
                         f"  sd {np.round(flat.std(0), 3).tolist()}")
        if meta.get("label"):
            lines.append(f"  label: {meta['label']}")
        return "\n".join(lines)
    from addon.motion import load_motion

    m = load_motion(path)
    if as_json:
        return json.dumps({"kind": "motion", "frames": m.n_frames, "fps": m.fps, "duration_s": m.duration,
                           "joints": len(m.joint_names), "gender": m.gender,
                           "betas": None if m.betas is None else len(m.betas), "source": m.source}, indent=2)
    travel = float(np.linalg.norm(m.trans[-1] - m.trans[0]))
    return "\n".join([
        f"{path}: motion ({m.source.get('format')}, {m.source.get('up_axis')}-up source)",
        f"  {m.n_frames} frames at {m.fps:g} fps = {m.duration:.2f} s, {len(m.joint_names)} joints",
        f"  gender {m.gender}, {'no body shape (betas)' if m.betas is None else f'{len(m.betas)} betas'}, "
        f"root travel {travel:.2f} m",
    ] + _bvh_lines(m.source.get("bvh")))


def _describe_archive(path: Path, as_json: bool) -> str:
    from collections import Counter

    from addon.motion.archive import list_members
    from addon.motion.formats import ARCHIVE_MOTION_EXTENSIONS
    from addon.motion.library import list_library

    members = list_members(path, ARCHIVE_MOTION_EXTENSIONS)
    labels = Counter(c.content for c in list_library(path, "bandai"))
    if as_json:
        return json.dumps({"kind": "archive", "motion_files": len(members), "labels": dict(labels)}, indent=2)
    lines = [f"{path}: zip of {len(members)} motion files (read in place: {path}/<member>; "
             f"`weartwin bake {path}` bakes them all)"]
    if labels:
        lines.append("  labels (Bandai Namco layout): " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    return "\n".join(lines)


def _bvh_lines(b: dict | None) -> list[str]:
    if not b:
        return []
    from addon.motion.skeleton import BODY_JOINTS

    missing = [k for k in BODY_JOINTS if b["map"].get(k) is None]
    mapped = len(BODY_JOINTS) - len(missing)
    fingers = sum(v is not None for k, v in b["map"].items() if k not in BODY_JOINTS)
    unmapped = f" (not mapped: {', '.join(missing)}: held at its rest rotation)" if missing else ""
    return [f"  BVH: {b['joints']} joints, preset {b['preset']}, {mapped}/{len(BODY_JOINTS)} SMPL joints mapped"
            f"{unmapped}"
            f"{f' + {fingers} finger joints' if fingers else ''}, units {b['units']}, "
            f"subject ~{b['height_m']:.2f} m, rest pose {b['rest_pose']}"]
