"""DESIGN.md generic format: `index.csv` + one CSV per recording (t, acc_x.. [, gyro_x..] [, label])."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..sequence import ACC, GYRO, DataError, imu_sequence


def detect(path: Path) -> bool:
    return path.is_dir() and (path / "index.csv").is_file()


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError) as e:
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


def read(path: Path, warn, site: str = "wrist", require_labels: bool = True, **_):
    header, rows = read_table(path / "index.csv")
    for need in ("file", "subject"):
        if need not in header:
            raise DataError(f"{path / 'index.csv'}: missing column '{need}'")
    seqs = []
    for r in rows:
        entry = dict(zip(header, r))
        f = path / entry["file"]
        try:
            h, data = read_table(f)
            if not data:
                raise DataError(f"{f}: no samples")
            t = numeric(f, h, data, ["t"])[:, 0]
            acc = numeric(f, h, data, ACC)
            gyro = numeric(f, h, data, GYRO) if all(g in h for g in GYRO) else None
            if "label" in h:
                labels = np.array([row[h.index("label")] for row in data], dtype=object)
            elif entry.get("label"):
                labels = entry["label"]
            elif not require_labels:        # recordings to be labelled by `weartwin predict`
                labels = ""
            else:
                raise DataError(f"{f}: no label column and no label in index.csv")
            if not np.all(np.isfinite(acc)):
                raise DataError(f"{f}: non-finite accelerometer values")
            seqs.append(imu_sequence(acc, gyro, t, labels, entry["subject"], site=site,
                                     session=entry.get("session", ""), source=str(f)))
        except DataError as e:
            warn(str(e))
    return seqs
