"""MM-Fit (Strömbäck, Huang, Radu 2020): multimodal exercise recordings.

Layout per workout `wNN/`: `wNN_labels.csv` (rows `start_frame,end_frame,reps,exercise`, no
header) and smartwatch files `wNN_sw_l_acc.npy`, `wNN_sw_l_gyr.npy` (left wrist),
`wNN_sw_r_acc.npy`, `wNN_sw_r_gyr.npy` (right wrist), each (N,5): frame, time (ms), x, y, z;
acc m/s², gyro rad/s, ~100 Hz. Samples outside every labelled set are `non_activity`; sets
that overlap are refused (one line naming the labels file).
The published layout has no subject ids: each workout is its own subject unless
`subject_map` {workout: subject} is given (see the MM-Fit paper for the mapping).
"""
from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np

from ..sequence import DataError, imu_sequence
from .generic import open_inside, open_text, why

WORKOUT = re.compile(r"^w\d+$")
SIDES = {"l": "left_wrist", "r": "right_wrist"}
VARIANTS = {"l": "l", "r": "r", "left": "l", "right": "r", "left_wrist": "l", "right_wrist": "r"}   # mmfit:right
DEVICE_SITES = {site: side for side, site in SIDES.items()}      # --site right_wrist: the sequences' site names


def detect(path: Path) -> bool:
    return path.is_dir() and any(WORKOUT.match(p.name) and (p / f"{p.name}_labels.csv").is_file()
                                 for p in path.iterdir() if p.is_dir())


def _npy(f: Path, root: Path) -> np.ndarray:
    """A plain (N,5) `.npy` opened through `open_inside`, its declared shape checked against the
    caps (WEARTWIN_MAX_FRAMES rows) before it is read; no object arrays."""
    from numpy.lib import format as npformat

    from addon import limits
    from addon.motion.safe_pickle import read_npy_header

    with open_inside(f, root, "input_bytes") as fh:
        try:
            shape, _, dtype = read_npy_header(fh, "array", frames=True)
            if dtype.hasobject or dtype.kind not in "fiu":
                raise DataError(f"{f}: a .npy of dtype {dtype}; expected numbers")
            if len(shape) != 2 or shape[1] != 5 or shape[0] == 0:
                raise DataError(f"{f}: expected (N,5) frame,time,x,y,z, got {tuple(shape)}")
            fh.seek(0)
            a = npformat.read_array(fh, allow_pickle=False)
        except limits.LimitError as e:
            raise DataError(f"{f}: {e}") from None
        except (OSError, ValueError, EOFError) as e:
            raise DataError(f"{f}: not a numeric .npy file ({why(e, 160)})") from None
    return a.astype(np.float64)


def _labels(frames: np.ndarray, sets: list, lf: Path) -> np.ndarray:
    """Per-sample exercise from the (start_frame, end_frame, exercise) sets (vectorised: sorted
    starts, one search); samples outside every set are `non_activity`. Sets must not overlap."""
    labels = np.full(len(frames), "non_activity", dtype=object)
    if not sets:
        return labels
    starts = np.array([s for s, _, _ in sets], dtype=np.float64)
    order = np.argsort(starts, kind="stable")
    starts = starts[order]
    ends = np.array([e for _, e, _ in sets], dtype=np.float64)[order]
    names = np.array([x for _, _, x in sets], dtype=object)[order]
    if np.any(ends[:-1] > starts[1:]):
        k = int(np.argmax(ends[:-1] > starts[1:]))
        raise DataError(f"{lf}: the sets starting at frames {starts[k]:g} and {starts[k + 1]:g} overlap")
    k = np.searchsorted(starts, frames, side="right") - 1
    inside = (k >= 0) & (frames <= ends[np.clip(k, 0, None)])
    labels[inside] = names[k[inside]]
    return labels


def read(path: Path, warn, side: str = "l", subject_map: dict | None = None, variant: str = "", **_):
    side = VARIANTS.get(variant or side)
    if side is None:
        raise DataError(f"MM-Fit has smartwatches at left_wrist and right_wrist, not '{variant}'")
    from addon import limits

    cap = int(limits.limit("frames"))
    seqs = []
    for w in sorted(p for p in path.iterdir() if p.is_dir() and WORKOUT.match(p.name)):
        lf = w / f"{w.name}_labels.csv"
        try:
            if not os.path.lexists(lf):
                raise DataError(f"{lf}: missing labels file")
            sets = []
            with open_text(lf, path) as fh:
                for n, row in enumerate(csv.reader(fh), 1):
                    if not row:
                        continue
                    if len(sets) >= cap:
                        raise DataError(f"{lf}: more than {cap:,} sets (WEARTWIN_MAX_FRAMES)")
                    try:
                        sets.append((int(row[0]), int(row[1]), row[3].strip()))
                    except (ValueError, IndexError):
                        raise DataError(f"{lf}:{n}: expected start_frame,end_frame,reps,exercise") from None
            acc = _npy(w / f"{w.name}_sw_{side}_acc.npy", path)
            gf = w / f"{w.name}_sw_{side}_gyr.npy"
            gyro = None
            if os.path.lexists(gf):        # whatever is there: open_inside decides
                g = _npy(gf, path)
                gyro = np.stack([np.interp(acc[:, 1], g[:, 1], g[:, c]) for c in (2, 3, 4)], axis=1)
            labels = _labels(acc[:, 0], sets, lf)
            subject = (subject_map or {}).get(w.name, w.name)
            seqs.append(imu_sequence(acc[:, 2:5], gyro, acc[:, 1] / 1000.0, labels, subject,
                                     site=SIDES[side], session=w.name, source=str(w)))
        except DataError as e:
            warn(str(e))
    return seqs
