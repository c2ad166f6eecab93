"""RealWorld HAR (Sztyler & Stuckenschmidt 2016).

Layout: `probandN/data/acc_<activity>_csv.zip` and `gyr_<activity>_csv.zip`, holding
`acc_<activity>[_<n>]_<position>.csv` / `Gyroscope_<activity>[_<n>]_<position>.csv` with
columns id, attr_time (ms), attr_x, attr_y, attr_z (m/s², rad/s), ~50 Hz; some zips hold
one zip per session. Unzipped CSVs in `data/` work too. Positions: chest, forearm, head,
shin, thigh, upperarm, waist (the watch-like one is `forearm`).
"""
from __future__ import annotations

import functools
import io
import re
import zipfile
from pathlib import Path

import numpy as np

from ..sequence import DataError, imu_sequence
from .generic import open_inside, open_text, read_columns, why

PROBAND = re.compile(r"^proband(\d+)$")
INNER = re.compile(r"^(acc|gyr|gyroscope)_([a-z]+)(?:_(\d+))?_([a-z]+)\.csv$", re.I)


def detect(path: Path) -> bool:
    return path.is_dir() and any(PROBAND.match(p.name) and (p / "data").is_dir() for p in path.iterdir())


MAX_NESTING = 2        # a zip, and zips inside it (one per session); no deeper


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, budget: list) -> bytes:
    """One member's bytes: its declared and its real size at most WEARTWIN_MAX_TEXT_BYTES, and
    the bytes inflated from one proband's folder at most WEARTWIN_MAX_INPUT_BYTES (`budget`)."""
    from addon import limits

    cap = int(limits.limit("text_bytes"))
    try:
        limits.check("text_bytes", info.file_size, "member size (uncompressed)")
        limits.check("input_bytes", budget[0] + info.file_size, "bytes inflated from this folder's zips")
        with z.open(info) as fh:
            data = fh.read(cap + 1)
        limits.check("text_bytes", len(data), "member size (uncompressed, as read)")
    except limits.LimitError as e:
        raise DataError(f"{where}: {e}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError,
            ValueError) as e:   # a corrupt member, an unknown compression, an encrypted one
        raise DataError(f"{where}: cannot read this member ({why(e, 160)})") from None
    budget[0] += len(data)
    return data


def _members(container: Path, root: Path, warn):
    """(where, name, load) of every CSV under data/: plain files, zips and zips inside zips
    (MAX_NESTING deep). Every file is opened through `open_inside` (inside the dataset, regular
    files only); member names are canonical (`addon/safe_paths.member_name`); a bad file or
    member is one line through `warn`, the rest go on. `load()` returns the CSV's text stream
    (members are read when their recording is built, not all at once)."""
    from addon.safe_paths import PathError, member_name

    budget = [0]

    def walk_zip(z: zipfile.ZipFile, where: str, chain: tuple, top: Path):
        for info in z.infolist():
            if info.is_dir():
                continue
            try:
                canon = member_name(info.filename)
            except PathError as e:
                warn(f"{where}: {e}")
                continue
            name = canon.rsplit("/", 1)[-1]
            here = f"{where}/{canon}"
            if name.lower().endswith(".zip"):
                if len(chain) + 1 >= MAX_NESTING:
                    warn(f"{here}: a zip nested more than {MAX_NESTING} deep; left out")
                    continue
                try:
                    with zipfile.ZipFile(io.BytesIO(_read_member(z, info, here, budget))) as inner:
                        yield from walk_zip(inner, here, chain + (info.filename,), top)
                except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as e:
                    warn(f"{here}: not a valid zip file ({why(e, 120)})")
                except DataError as e:
                    warn(str(e))
            elif name.lower().endswith(".csv"):
                yield here, name, functools.partial(_load_member, top, root, chain + (info.filename,), here, budget)

    try:
        entries = sorted(container.iterdir())
    except OSError as e:
        warn(f"{container}: cannot list ({e.strerror or type(e).__name__})")
        return
    for p in entries:
        if p.suffix.lower() == ".zip":
            try:
                with open_inside(p, root, "input_bytes") as fh, zipfile.ZipFile(fh) as z:
                    yield from walk_zip(z, str(p), (), p)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as e:
                warn(f"{p}: not a valid zip file ({why(e, 120)})")
            except DataError as e:
                warn(str(e))
        elif p.suffix.lower() == ".csv":
            yield str(p), p.name, functools.partial(open_text, p, root)


def _load_member(top: Path, root: Path, chain: tuple, where: str, budget: list):
    """The text stream of the member reached through `chain` (member names, outermost first)
    inside the zip `top`; each level read under `_read_member`'s caps."""
    try:
        with open_inside(top, root, "input_bytes") as fh, zipfile.ZipFile(fh) as z:
            for k, name in enumerate(chain):
                data = _read_member(z, z.getinfo(name), where, budget)
                if k < len(chain) - 1:
                    z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, EOFError) as e:
        raise DataError(f"{where}: cannot read ({type(e).__name__})") from None
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline="")


def _table(where: str, load) -> np.ndarray:
    with load() as fh:
        _, x, _ = read_columns(fh, where, ("attr_time", "attr_x", "attr_y", "attr_z"))
    return x


POSITIONS = ("forearm", "chest", "head", "shin", "thigh", "upperarm", "waist")   # forearm: the watch-like one
VARIANTS = {p: p for p in POSITIONS}        # --format realworld:thigh
DEVICE_SITES = dict(VARIANTS)               # --site thigh (train --init, predict --zero-shot): site -> variant


def read(path: Path, warn, position: str = "forearm", variant: str = "", **_):
    position = (variant or position).lower()
    if position not in POSITIONS:
        raise DataError(f"RealWorld has devices at {', '.join(POSITIONS)}, not '{position}'")
    seqs = []
    for pb in sorted(p for p in path.iterdir() if p.is_dir() and PROBAND.match(p.name)):
        found: dict = {}
        for where, name, load in _members(pb / "data", path, warn):
            m = INNER.match(name)
            if m and m.group(4).lower() == position:
                kind = "acc" if m.group(1).lower() == "acc" else "gyro"
                parts = found.setdefault((m.group(2).lower(), m.group(3) or "1"), {})
                if kind in parts:     # e.g. two members whose names differ only in case
                    warn(f"{where}: same recording as {parts[kind][0]} ({kind}, {m.group(2).lower()} "
                         f"session {m.group(3) or '1'}); the first is read, this one left out")
                    continue
                parts[kind] = (where, load)
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
