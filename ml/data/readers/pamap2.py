"""PAMAP2 Physical Activity Monitoring (Reiss & Stricker 2012).

Layout: `Protocol/subject1NN.dat` (and optionally `Optional/`), space-separated, 54 columns:
timestamp (s), activityID, heart rate, then three IMUs (hand, chest, ankle) of 17 columns:
temperature, acc ±16 g (3, m/s²), acc ±6 g (3), gyro (3, rad/s), magnetometer (3),
orientation (4, invalid). 100 Hz; NaN marks dropped packets (interpolated here).
Activity 0 (transient) is unlabelled. The hand IMU is on the dominant wrist: site `hand`.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..sequence import DataError, imu_sequence
from .generic import read_numbers

FILE = re.compile(r"^subject(\d+)\.dat$")
ACTIVITIES = {1: "lying", 2: "sitting", 3: "standing", 4: "walking", 5: "running", 6: "cycling",
              7: "nordic_walking", 9: "watching_tv", 10: "computer_work", 11: "car_driving",
              12: "ascending_stairs", 13: "descending_stairs", 16: "vacuum_cleaning", 17: "ironing",
              18: "folding_laundry", 19: "house_cleaning", 20: "playing_soccer", 24: "rope_jumping"}
IMU_START = {"hand": 3, "chest": 20, "ankle": 37}   # 0-based column of each IMU's temperature


def _files(path: Path):
    return sorted(p for sub in ("Protocol", "Optional", ".") for p in (path / sub).glob("subject*.dat"))


def detect(path: Path) -> bool:
    return path.is_dir() and any(FILE.match(p.name) for p in _files(path))


def _fill_nan(x: np.ndarray) -> np.ndarray:
    idx = np.arange(len(x))
    for c in range(x.shape[1]):
        bad = ~np.isfinite(x[:, c])
        if bad.all():
            return None
        if bad.any():
            x[bad, c] = np.interp(idx[bad], idx[~bad], x[~bad, c])
    return x


VARIANTS = {s: s for s in IMU_START}      # --format pamap2:chest
DEVICE_SITES = dict(VARIANTS)             # --site chest (train --init, predict --zero-shot): site -> variant


def read(path: Path, warn, site: str = "hand", variant: str = "", **_):
    site = variant or site
    if site not in IMU_START:
        raise DataError(f"PAMAP2 has IMUs at {', '.join(IMU_START)}, not '{site}'")
    b = IMU_START[site]
    seqs = []
    for f in _files(path):
        m = FILE.match(f.name)
        if not m:
            continue
        try:
            x = read_numbers(f, path)
            if x.shape[1] != 54:
                raise DataError(f"{f}: expected 54 columns, got {x.shape[1]}")
            imu = _fill_nan(x[:, [b + 1, b + 2, b + 3, b + 7, b + 8, b + 9]].copy())
            if imu is None:
                raise DataError(f"{f}: the {site} IMU has no valid samples")
            ids = np.where(np.isfinite(x[:, 1]) & (np.abs(x[:, 1]) < 1e6), x[:, 1], -1).astype(np.int64)
            names = {int(c): ACTIVITIES.get(int(c), "") for c in np.unique(ids)}   # NaN or odd ids: unlabelled
            labels = np.array([names[c] for c in ids.tolist()], dtype=object)
            seqs.append(imu_sequence(imu[:, :3], imu[:, 3:], x[:, 0], labels, f"subject{m.group(1)}",
                                     site=site, session=f"{f.parent.name}/{f.stem}", source=str(f)))
        except DataError as e:
            warn(str(e))
    return seqs
