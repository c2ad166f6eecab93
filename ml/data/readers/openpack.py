"""OpenPack (Yoshimura et al. 2022): packaging work, ATR wearable IMUs.

Layout (v0.3.x preprocessed): `UXXXX/atr/atr0N/SXXXX.csv` with columns unixtime (ms), accX,
accY, accZ (G), gyroX, gyroY, gyroZ (deg/s), quat…; 30 Hz. Labels from
`UXXXX/annotation/openpack-operations/SXXXX.csv` (columns `unixtime` and `operation`: the
operation id or name), each row holding until the next. Sensors: atr01 right wrist, atr02
left wrist, atr03 right upper arm, atr04 left upper arm. Converted to m/s² and rad/s.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..sequence import G, DataError, imu_sequence
from .generic import numeric, read_table

USER = re.compile(r"^U\d{4}$")
DEVICES = {"atr01": "right_wrist", "atr02": "left_wrist", "atr03": "right_upperarm", "atr04": "left_upperarm"}
OPERATIONS = {100: "picking", 200: "relocate_item_label", 300: "assemble_box", 400: "insert_items",
              500: "close_box", 600: "attach_box_label", 700: "scan_label", 800: "attach_shipping_label",
              900: "put_on_back_table", 1000: "fill_out_order", 8100: "null"}


def detect(path: Path) -> bool:
    return path.is_dir() and any(USER.match(p.name) and (p / "atr").is_dir() for p in path.iterdir())


def _operation(v: str) -> str:
    try:
        return OPERATIONS.get(int(float(v)), str(v))
    except ValueError:
        return v.strip().lower().replace(" ", "_")


def read(path: Path, warn, device: str = "atr02", **_):
    seqs = []
    for user in sorted(p for p in path.iterdir() if p.is_dir() and USER.match(p.name)):
        for f in sorted((user / "atr" / device).glob("S*.csv")):
            ann = user / "annotation" / "openpack-operations" / f.name
            try:
                h, rows = read_table(f)
                if not rows:
                    raise DataError(f"{f}: no samples")
                x = numeric(f, h, rows, ["unixtime", "accX", "accY", "accZ", "gyroX", "gyroY", "gyroZ"])
                if not ann.is_file():
                    raise DataError(f"{ann}: missing operation annotation for {f.name}")
                ah, arows = read_table(ann)
                if "unixtime" not in ah or "operation" not in ah:
                    raise DataError(f"{ann}: needs columns 'unixtime' and 'operation'")
                at = numeric(ann, ah, arows, ["unixtime"])[:, 0]
                ops = np.array([_operation(r[ah.index("operation")]) for r in arows], dtype=object)
                order = np.argsort(at)
                at, ops = at[order], ops[order]
                k = np.searchsorted(at, x[:, 0], side="right") - 1
                labels = np.where(k >= 0, ops[np.clip(k, 0, None)], "")
                seqs.append(imu_sequence(x[:, 1:4] * G, np.deg2rad(x[:, 4:7]), x[:, 0] / 1000.0, labels,
                                         user.name, site=DEVICES.get(device, device),
                                         session=f.stem, source=str(f)))
            except DataError as e:
                warn(str(e))
    return seqs
