"""DESIGN.md generic format: `index.csv` + one CSV per recording (t, acc_x.. [, gyro_x..] [, label]).

The files `index.csv` names are resolved by `addon/safe_paths.py`'s rule: relative to the
dataset folder, never outside it (no `..` out, no absolute path, no link out), regular files
only (no /dev/zero, no FIFO), each at most WEARTWIN_MAX_TEXT_BYTES. A recording is read row by
row into float arrays (no list of every row's strings).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..sequence import ACC, GYRO, DataError, imu_sequence


def detect(path: Path) -> bool:
    return path.is_dir() and (path / "index.csv").is_file()


def _open_text(path: Path, root: Path | None):
    from addon.safe_paths import PathError, open_regular

    try:
        return io.TextIOWrapper(open_regular(path, root), encoding="utf-8", newline="")
    except PathError as e:
        raise DataError(str(e)) from None


def read_table(path: Path, root: Path | None = None) -> tuple[list[str], list[list[str]]]:
    try:
        with _open_text(path, root) as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot read ({e.__class__.__name__}: {e})") from None
    if not rows:
        raise DataError(f"{path}: empty file")
    return [h.strip() for h in rows[0]], rows[1:]


def numeric(path: Path, header: list[str], rows: list[list[str]], cols) -> np.ndarray:
    idx = []
    for c in cols:
        if c not in header:
            raise DataError(f"{path}: missing column '{c}' (has {', '.join(header)})")
        idx.append(header.index(c))
    try:
        return np.array([[float(r[i]) for i in idx] for r in rows], dtype=np.float64)
    except (ValueError, IndexError) as e:
        raise DataError(f"{path}: non-numeric or short row ({e})") from None


def read_recording(f: Path, root: Path, want_labels: bool):
    """(header, t, acc, gyro or None, labels or None) of one recording CSV, streamed row by row."""
    from array import array

    try:
        with _open_text(f, root) as fh:
            rows = csv.reader(fh)
            header = [h.strip() for h in next(rows, [])]
            if not header:
                raise DataError(f"{f}: empty file")
            for c in ["t", *ACC]:
                if c not in header:
                    raise DataError(f"{f}: missing column '{c}' (has {', '.join(header)})")
            cols = ["t", *ACC] + (list(GYRO) if all(g in header for g in GYRO) else [])
            idx = [header.index(c) for c in cols]
            li = header.index("label") if want_labels and "label" in header else None
            vals, labels, seen = array("d"), [], {}
            for k, r in enumerate(rows, 2):
                if not r:
                    continue
                try:
                    vals.extend(float(r[i]) for i in idx)
                except (ValueError, IndexError) as e:
                    raise DataError(f"{f}:{k}: non-numeric or short row ({e})") from None
                if li is not None:
                    lab = r[li] if li < len(r) else ""
                    labels.append(seen.setdefault(lab, lab))     # one string object per distinct label
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{f}: cannot read ({e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
    data = np.frombuffer(vals, dtype=np.float64).reshape(-1, len(cols))
    if not len(data):
        raise DataError(f"{f}: no samples")
    gyro = data[:, 4:7] if len(cols) == 7 else None
    return header, data[:, 0], data[:, 1:4], gyro, (np.array(labels, dtype=object) if li is not None else None)


def read(path: Path, warn, site: str = "wrist", require_labels: bool = True, **_):
    from addon.safe_paths import PathError, resolve_named

    index = path / "index.csv"
    header, rows = read_table(index, root=path)
    for need in ("file", "subject"):
        if need not in header:
            raise DataError(f"{index}: missing column '{need}'")
    seqs = []
    for k, r in enumerate(rows, 2):
        entry = dict(zip(header, r))
        try:
            if not entry.get("file"):
                raise DataError(f"{index}:{k}: no file named")
            try:
                f = resolve_named(entry["file"], root=path, naming_file=index)
            except PathError as e:
                raise DataError(f"{index}:{k}: {e}") from None
            h, t, acc, gyro, labels = read_recording(f, path, want_labels=True)
            if labels is None:
                if entry.get("label"):
                    labels = entry["label"]
                elif not require_labels:        # recordings to be labelled by `weartwin predict`
                    labels = ""
                else:
                    raise DataError(f"{f}: no label column and no label in index.csv")
            if not np.all(np.isfinite(acc)) or (gyro is not None and not np.all(np.isfinite(gyro))):
                raise DataError(f"{f}: non-finite accelerometer or gyroscope values")
            if not np.all(np.isfinite(t)):
                raise DataError(f"{f}: non-finite time stamps")
            seqs.append(imu_sequence(acc, gyro, t, labels, entry["subject"], site=site,
                                     session=entry.get("session", ""), source=str(path / entry["file"])))
        except DataError as e:
            warn(str(e))
    return seqs
