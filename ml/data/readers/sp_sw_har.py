"""Smartphone/smartwatch HAR (Matey-Sanz, Casteleyn, Granell; Universitat Jaume I).

Layout: `sNN/sNN_EE_sw.csv` (smartwatch, ~100 Hz) with columns x_acc,y_acc,z_acc (m/s²),
x_gyro,y_gyro,z_gyro (rad/s), timestamp (ms), label. The smartphone files (`_sp.csv`, same
columns; the phone in a trouser pocket) are read instead with `--format sp_sw_har:phone`
(device "phone"; "watch" is the default). The watch is worn on the left wrist in the protocol,
so its site is `wrist` and the default channel map sends it to the simulated `left_wrist`; the
phone's site is `pocket`.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..sequence import DataError, imu_sequence
from .generic import open_text, read_columns

FILE = re.compile(r"^(s\d+)_(\d+)_(sw|sp)\.csv$")
COLS = ("x_acc", "y_acc", "z_acc", "x_gyro", "y_gyro", "z_gyro")


def detect(path: Path) -> bool:
    return path.is_dir() and any(FILE.match(p.name) for p in path.glob("s*/*.csv"))


VARIANTS = {"watch": "sw", "phone": "sp", "sw": "sw", "sp": "sp", "wrist": "sw", "pocket": "sp"}
SITES = {"sw": "wrist", "sp": "pocket"}
DEVICE_SITES = {site: dev for dev, site in SITES.items()}        # --site pocket: the sequences' site names


def read(path: Path, warn, device: str = "sw", variant: str = "", **_):
    device = VARIANTS.get(variant or device)
    if device is None:
        raise DataError(f"sp_sw_har: unknown device '{variant}' (watch, phone)")
    seqs = []
    for f in sorted(path.glob("s*/*.csv")):
        m = FILE.match(f.name)
        if not m or m.group(3) != device:
            continue
        try:
            with open_text(f, path) as fh:
                _, x, labels = read_columns(fh, f, COLS + ("timestamp",), text="label", text_required=True)
            if not len(x):
                raise DataError(f"{f}: no samples")
            seqs.append(imu_sequence(x[:, :3], x[:, 3:6], x[:, 6] / 1000.0, labels, m.group(1),
                                     site=SITES[device], session=f"{m.group(1)}_{m.group(2)}", source=str(f)))
        except DataError as e:
            warn(str(e))
    return seqs
