"""OpenPack (Yoshimura et al. 2022): packaging work, ATR wearable IMUs.

Layout (v0.3.x preprocessed): `UXXXX/atr/atr0N/SXXXX.csv` with columns unixtime (ms), accX,
accY, accZ (G), gyroX, gyroY, gyroZ (deg/s), quat…; 30 Hz. Labels from
`UXXXX/annotation/openpack-operations/SXXXX.csv` (columns `unixtime` and `operation`: the
operation id or name), each row holding until the next. Sensors: atr01 right wrist, atr02
left wrist, atr03 right upper arm, atr04 left upper arm. Converted to m/s² and rad/s.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..sequence import G, DataError, imu_sequence
from .generic import open_text, read_columns

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
    except (ValueError, OverflowError):
        return v.strip().lower().replace(" ", "_")


VARIANTS = {**{d: d for d in DEVICES}, **{site: d for d, site in DEVICES.items()}}   # openpack:atr03 / :right_upperarm
DEVICE_SITES = {site: d for d, site in DEVICES.items()}          # --site right_upperarm: the sequences' site names


def read(path: Path, warn, device: str = "atr02", variant: str = "", **_):
    device = VARIANTS.get(variant or device)
    if device is None:
        raise DataError(f"OpenPack has devices {', '.join(f'{d} ({s})' for d, s in DEVICES.items())}, not '{variant}'")
    seqs = []
    for user in sorted(p for p in path.iterdir() if p.is_dir() and USER.match(p.name)):
        for f in sorted((user / "atr" / device).glob("S*.csv")):
            ann = user / "annotation" / "openpack-operations" / f.name
            try:
                with open_text(f, path) as fh:
                    _, x, _ = read_columns(fh, f, ["unixtime", "accX", "accY", "accZ", "gyroX", "gyroY", "gyroZ"])
                if not len(x):
                    raise DataError(f"{f}: no samples")
                if not os.path.lexists(ann):
                    raise DataError(f"{ann}: missing operation annotation for {f.name}")
                with open_text(ann, path) as fh:
                    _, at, raw = read_columns(fh, ann, ["unixtime"], text="operation", text_required=True)
                at = at[:, 0]
                names = {v: _operation(v) for v in set(raw)}               # one lookup per distinct value
                ops = np.array([names[v] for v in raw], dtype=object)
                order = np.argsort(at, kind="stable")
                at, ops = at[order], ops[order]
                k = np.searchsorted(at, x[:, 0], side="right") - 1
                labels = np.where(k >= 0, ops[np.clip(k, 0, None)] if len(ops) else "", "")
                seqs.append(imu_sequence(x[:, 1:4] * G, np.deg2rad(x[:, 4:7]), x[:, 0] / 1000.0, labels,
                                         user.name, site=DEVICES.get(device, device),
                                         session=f.stem, source=str(f)))
            except DataError as e:
                warn(str(e))
    return seqs
