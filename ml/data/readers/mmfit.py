"""MM-Fit (Strömbäck, Huang, Radu 2020): multimodal exercise recordings.

Layout per workout `wNN/`: `wNN_labels.csv` (rows `start_frame,end_frame,reps,exercise`, no
header) and smartwatch files `wNN_sw_l_acc.npy`, `wNN_sw_l_gyr.npy` (left wrist),
`wNN_sw_r_acc.npy`, `wNN_sw_r_gyr.npy` (right wrist), each (N,5): frame, time (ms), x, y, z;
acc m/s², gyro rad/s, ~100 Hz. Samples outside every labelled set are `non_activity`.
The published layout has no subject ids: each workout is its own subject unless
`subject_map` {workout: subject} is given (see the MM-Fit paper for the mapping).
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from ..sequence import DataError, imu_sequence

WORKOUT = re.compile(r"^w\d+$")
SIDES = {"l": "left_wrist", "r": "right_wrist"}


def detect(path: Path) -> bool:
    return path.is_dir() and any(WORKOUT.match(p.name) and (p / f"{p.name}_labels.csv").is_file()
                                 for p in path.iterdir() if p.is_dir())


def _npy(f: Path) -> np.ndarray:
    try:
        a = np.load(f, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise DataError(f"{f}: not a numeric .npy file ({e})") from None
    if a.ndim != 2 or a.shape[1] != 5 or len(a) == 0:
        raise DataError(f"{f}: expected (N,5) frame,time,x,y,z, got {a.shape}")
    return a.astype(np.float64)


def read(path: Path, warn, side: str = "l", subject_map: dict | None = None, **_):
    seqs = []
    for w in sorted(p for p in path.iterdir() if p.is_dir() and WORKOUT.match(p.name)):
        lf = w / f"{w.name}_labels.csv"
        try:
            if not lf.is_file():
                raise DataError(f"{lf}: missing labels file")
            sets = []
            with open(lf, newline="", encoding="utf-8") as fh:
                for n, row in enumerate(csv.reader(fh), 1):
                    if not row:
                        continue
                    try:
                        sets.append((int(row[0]), int(row[1]), row[3].strip()))
                    except (ValueError, IndexError):
                        raise DataError(f"{lf}:{n}: expected start_frame,end_frame,reps,exercise") from None
            acc = _npy(w / f"{w.name}_sw_{side}_acc.npy")
            gf = w / f"{w.name}_sw_{side}_gyr.npy"
            gyro = None
            if gf.is_file():
                g = _npy(gf)
                gyro = np.stack([np.interp(acc[:, 1], g[:, 1], g[:, c]) for c in (2, 3, 4)], axis=1)
            labels = np.full(len(acc), "non_activity", dtype=object)
            for s, e, ex in sets:
                labels[(acc[:, 0] >= s) & (acc[:, 0] <= e)] = ex
            subject = (subject_map or {}).get(w.name, w.name)
            seqs.append(imu_sequence(acc[:, 2:5], gyro, acc[:, 1] / 1000.0, labels, subject,
                                     site=SIDES[side], session=w.name, source=str(w)))
        except DataError as e:
            warn(str(e))
    return seqs
