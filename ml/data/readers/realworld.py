"""RealWorld HAR (Sztyler & Stuckenschmidt 2016).

Layout: `probandN/data/acc_<activity>_csv.zip` and `gyr_<activity>_csv.zip`, holding
`acc_<activity>[_<n>]_<position>.csv` / `Gyroscope_<activity>[_<n>]_<position>.csv` with
columns id, attr_time (ms), attr_x, attr_y, attr_z (m/s², rad/s), ~50 Hz; some zips hold
one zip per session. Unzipped CSVs in `data/` work too. Positions: chest, forearm, head,
shin, thigh, upperarm, waist (the watch-like one is `forearm`).
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np

from ..sequence import DataError, imu_sequence

PROBAND = re.compile(r"^proband(\d+)$")
INNER = re.compile(r"^(acc|gyr|gyroscope)_([a-z]+)(?:_(\d+))?_([a-z]+)\.csv$", re.I)


def detect(path: Path) -> bool:
    return path.is_dir() and any(PROBAND.match(p.name) and (p / "data").is_dir() for p in path.iterdir())


def _members(container: Path):
    """(name, bytes) of every CSV under data/: plain files, zips and zips inside zips."""
    def walk_zip(z: zipfile.ZipFile, where: str):
        for info in z.infolist():
            data = z.read(info)
            name = Path(info.filename).name
            if name.lower().endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(data)) as inner:
                    yield from walk_zip(inner, f"{where}/{name}")
            elif name.lower().endswith(".csv"):
                yield f"{where}/{name}", name, data

    for p in sorted(container.iterdir()):
        if p.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(p) as z:
                    yield from walk_zip(z, str(p))
            except zipfile.BadZipFile:
                raise DataError(f"{p}: not a valid zip file") from None
        elif p.suffix.lower() == ".csv":
            yield str(p), p.name, p.read_bytes()


def _table(where: str, data: bytes) -> np.ndarray:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8", errors="replace"))))
    if not rows or "attr_time" not in rows[0]:
        raise DataError(f"{where}: needs columns id,attr_time,attr_x,attr_y,attr_z")
    h = rows[0]
    idx = [h.index(c) for c in ("attr_time", "attr_x", "attr_y", "attr_z")]
    try:
        return np.array([[float(r[i]) for i in idx] for r in rows[1:]], dtype=np.float64)
    except (ValueError, IndexError) as e:
        raise DataError(f"{where}: non-numeric row ({e})") from None


def read(path: Path, warn, position: str = "forearm", **_):
    seqs = []
    for pb in sorted(p for p in path.iterdir() if p.is_dir() and PROBAND.match(p.name)):
        found: dict = {}
        try:
            for where, name, data in _members(pb / "data"):
                m = INNER.match(name)
                if m and m.group(4).lower() == position:
                    kind = "acc" if m.group(1).lower() == "acc" else "gyro"
                    found.setdefault((m.group(2).lower(), m.group(3) or "1"), {})[kind] = (where, data)
        except DataError as e:
            warn(str(e))
            continue
        for (activity, n), parts in sorted(found.items()):
            try:
                if "acc" not in parts:
                    raise DataError(f"{parts['gyro'][0]}: gyroscope without accelerometer file")
                a = _table(*parts["acc"])
                if len(a) < 2:
                    raise DataError(f"{parts['acc'][0]}: too few samples")
                gyro = None
                if "gyro" in parts:
                    g = _table(*parts["gyro"])
                    gyro = np.stack([np.interp(a[:, 0], g[:, 0], g[:, c]) for c in (1, 2, 3)], axis=1)
                seqs.append(imu_sequence(a[:, 1:4], gyro, a[:, 0] / 1000.0, activity, pb.name,
                                         site=position, session=f"{activity}_{n}", source=parts["acc"][0]))
            except DataError as e:
                warn(str(e))
    return seqs
