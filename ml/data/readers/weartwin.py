"""WearTwin exports (`weartwin bake` `.npz` files; read without unpickling).

Label: `meta.label` (set from a bake manifest), else the name of the folder holding the file
(when it is not the dataset root). Text: `meta.text`, else none (a template is made from the
label). Subject: the body variant (`b01`…; `default` for the default body), so leave-one-out
over simulated data leaves out body shapes. Channels: `<site>.acc_*`, `<site>.gyro_*`,
`<pair>.mag`, `<pair>.phase`, `<pair>.length` (first frequency; others as `mag_f1`…);
`pose.rot6d` becomes `Sequence.pose`.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..sequence import ACC, GYRO, DataError, Sequence


def detect(path: Path) -> bool:
    if path.is_file():
        return path.suffix == ".npz"
    return path.is_dir() and any(path.rglob("*.npz"))


def export_label(meta: dict, f: Path, root: Path, required: bool = True) -> str:
    """An export's activity: `meta.label`, else the folder holding it (below the dataset root);
    "" for an unlabelled export when not `required` (a plain bake, for `weartwin predict`)."""
    label = meta.get("label")
    if not label and f.parent.resolve() != root.resolve():
        label = f.parent.name
    if not label and required:
        raise DataError(f"{f}: no label (bake with a manifest that gives 'label', or put the files "
                        "in one folder per activity)")
    return str(label or "")


def read_one(f: Path, root: Path, require_labels: bool = True) -> Sequence:
    from addon.motion.safe_pickle import check_npz  # pure numpy: declared sizes before inflating

    try:
        from addon.safe_paths import open_regular

        open_regular(f, root, "input_bytes").close()      # a regular file inside the dataset
        check_npz(f)
        with np.load(f, allow_pickle=False) as d:
            arrays = {k: d[k] for k in d.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, RecursionError) as e:
        msg = str(e).splitlines()[0] if str(e) else ""
        raise DataError(f"{f}: not a WearTwin export ({e.__class__.__name__}: {msg})") from None
    try:
        return _sequence(f, root, arrays, meta, require_labels)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as e:
        msg = str(e).splitlines()[0] if str(e) else ""
        raise DataError(f"{f}: not a usable WearTwin export ({e.__class__.__name__}: {msg[:120]})") from None


def _sequence(f: Path, root: Path, arrays: dict, meta, require_labels: bool = True) -> Sequence:
    from addon import limits

    if not isinstance(meta, dict):
        raise DataError(f"{f}: meta is a JSON {type(meta).__name__}, expected an object")
    fps = meta.get("fps", 0)
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not (0 < fps <= limits.limit("rate_hz")):
        raise DataError(f"{f}: meta.fps is {fps!r}; expected a rate in Hz, 0..{limits.limit('rate_hz'):g} "
                        "(WEARTWIN_MAX_RATE_HZ)")
    fps = float(fps)
    if "t" not in arrays or arrays["t"].ndim != 1:
        raise DataError(f"{f}: export without a 1-D 't'")
    T = len(arrays["t"])
    cols, names = [], []
    for key in sorted(arrays):
        parts = key.split(".")
        a = arrays[key]
        if parts[0] in ("imu", "imp") and (a.dtype.kind not in "fiu" or not len(a) == T):
            raise DataError(f"{f}: '{key}' has shape {a.shape} and dtype {a.dtype}; expected {T} numeric rows")
        if parts[0] == "imu" and len(parts) == 3 and parts[2] in ("acc", "gyro"):
            axes = ACC if parts[2] == "acc" else GYRO
            cols.append(a.reshape(T, 3))
            names += [f"{parts[1]}.{x}" for x in axes]
        elif parts[0] == "imp" and len(parts) == 3:
            a = a.reshape(T, -1)
            for j in range(a.shape[1]):
                cols.append(a[:, j:j + 1])
                names.append(f"{parts[1]}.{parts[2]}" + (f"_f{j}" if j else ""))
    if not cols:
        raise DataError(f"{f}: export has no IMU or impedance channels")
    data = np.concatenate(cols, axis=1)
    if not np.all(np.isfinite(data)):
        raise DataError(f"{f}: NaN or inf in its signals (a broken bake?); left out")
    if meta.get("label") is not None and not isinstance(meta.get("label"), (str, int)):
        raise DataError(f"{f}: meta.label is a {type(meta.get('label')).__name__}, expected a name")
    label = export_label(meta, f, root, require_labels)
    body = meta.get("body", {})
    body = body if isinstance(body, dict) else {}
    text = meta.get("text")
    pose = arrays.get("pose.rot6d")
    if pose is not None and (len(pose) != T or pose.dtype.kind != "f" or not np.all(np.isfinite(pose))):
        raise DataError(f"{f}: 'pose.rot6d' has shape {pose.shape} or non-finite values")
    # unlabelled (a plain `weartwin bake` export, for `weartwin predict`): "" per frame, as generic
    sites = meta.get("sites")
    return Sequence(data, names, fps, np.full(T, str(label or ""), dtype=object),
                    subject=str(body.get("variant") or "default"), session=f.stem, source=str(f),
                    synthetic=True, text=text if isinstance(text, str) else None,
                    pose=None if pose is None else pose.astype(np.float32),
                    meta={"body": body, "source": meta.get("source", {}),
                          "sites": sites if isinstance(sites, dict) else {}})


def read(path: Path, warn, require_labels: bool = True, **_):
    from addon.safe_paths import regular_files

    files = [path] if path.is_file() else regular_files(path, "*.npz", warn)   # no link out: one line each
    root = path.parent if path.is_file() else path
    seqs = []
    for f in files:
        try:
            seqs.append(read_one(f, root, require_labels))
        except DataError as e:
            warn(str(e))
    return seqs
