"""`Recording`: the simulated signals of one motion on one body, and its `.npz` export.

The `.npz` layout is the contract of DESIGN.md ("Export"); CSV and preview PNG derive from it.
Files are written through `atomic.atomic_write` (temporary name beside the target, renamed when
complete), so a reader (or a resumed batch) never sees half a file.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .atomic import atomic_write

SCHEMA_VERSION = 1
UNITS = {"t": "s", "acc": "m/s^2 (specific force, sensor frame)", "gyro": "rad/s (sensor frame)",
         "mag": "ohm", "rot6d": "first two columns of each joint's local rotation matrix", "phase": "degree", "length": "m"}


@dataclass
class Recording:
    t: np.ndarray                                  # (T,) float64
    imu: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)   # site -> {acc, gyro}
    imp: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)   # pair -> {mag, phase, length}
    pose: dict[str, np.ndarray] = field(default_factory=dict)          # rot6d -> (T,J,6)
    meta: dict = field(default_factory=dict)
    debug: dict = field(default_factory=dict)  # in-memory extras for tests/plots; never exported

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"t": np.asarray(self.t, dtype=np.float64)}
        for site, ch in self.imu.items():
            out[f"imu.{site}.acc"] = np.asarray(ch["acc"], dtype=np.float32)
            out[f"imu.{site}.gyro"] = np.asarray(ch["gyro"], dtype=np.float32)
        for pair, ch in self.imp.items():
            for k in ("mag", "phase", "length"):
                if k in ch:
                    out[f"imp.{pair}.{k}"] = np.asarray(ch[k], dtype=np.float32)
            for k, v in ch.items():
                if k not in ("mag", "phase", "length"):
                    out[f"imp.{pair}.{k}"] = np.asarray(v, dtype=np.float32)
        for k, v in self.pose.items():
            out[f"pose.{k}"] = np.asarray(v, dtype=np.float32)
        out["meta"] = np.array(json.dumps({"schema": SCHEMA_VERSION, "units": UNITS, **self.meta}))
        return out


def write_npz(rec: Recording, path: Path) -> Path:
    arrays = rec.arrays()
    atomic_write(path, lambda f: np.savez_compressed(f, **arrays))
    return Path(path)


def read_export(path) -> tuple[dict[str, np.ndarray], dict]:
    """Arrays and parsed meta of a WearTwin export (never unpickles; sizes checked first)."""
    from ..motion.safe_pickle import check_npz

    check_npz(path)
    with np.load(path, allow_pickle=False) as d:
        arrays = {k: d[k] for k in d.files}
    meta = json.loads(str(arrays.pop("meta")))
    return arrays, meta


def write_csv(rec: Recording, path: Path) -> Path:
    arrays = rec.arrays()
    arrays.pop("meta")
    cols, names = [], []
    for k, a in arrays.items():
        if k.startswith("pose."):  # signals only; the pose stays in the .npz
            continue
        a = a.reshape(len(rec.t), -1)
        for j in range(a.shape[1]):
            cols.append(a[:, j])
            axis = "xyz"[j] if a.shape[1] == 3 and k.startswith("imu.") else (str(j) if a.shape[1] > 1 else "")
            names.append(f"{k}.{axis}" if axis else k)
    table = np.column_stack(cols)

    def write(f):
        f.write((",".join(names) + "\n").encode())
        np.savetxt(f, table, delimiter=",", fmt="%.6g")

    atomic_write(path, write)
    return Path(path)
