"""Readers: a dataset folder in its published layout -> list of `Sequence`.

| name | layout |
| --- | --- |
| `weartwin` | `*.npz` exports of `weartwin bake` (labels from `meta.label`, text from `meta.text`) |
| `generic` | DESIGN.md: `index.csv` (file,subject[,label][,session]) + one CSV per file |
| `sp_sw_har` | `sNN/sNN_EE_sw.csv` smartwatch files (Matey-Sanz et al.); `sp_sw_har:phone` (or `:pocket`): the `_sp.csv` phone files |
| `hmp` | `<Activity>/Accelerometer-<date>-<activity>-<volunteer>.txt` (Bruno et al.) |
| `pamap2` | `Protocol/subject1NN.dat` (+ `Optional/`), 54 space-separated columns |
| `mmfit` | `wNN/wNN_labels.csv` + `wNN_sw_{l,r}_{acc,gyr}.npy` |
| `openpack` | `UXXXX/atr/atr0N/SXXXX.csv` + `UXXXX/annotation/openpack-operations/SXXXX.csv` |
| `realworld` | `probandN/data/{acc,gyr}_<activity>_csv.zip` (or the CSVs unzipped) |

`load_dataset(path)` detects the layout. Layouts with several devices read one at a time:
`pamap2:hand|chest|ankle`, `realworld:forearm|chest|head|shin|thigh|upperarm|waist`,
`mmfit:left_wrist|right_wrist`, `openpack:atr01..atr04` (or their sites), `sp_sw_har:watch|phone`
(`device_variants(name)` lists them); `train --init` and `predict --zero-shot` take `--site SITE`
for it (`DEVICE_SITES`: the site names the sequences carry). A file that cannot be read is reported in one line
(`DataError` text) and skipped; a folder with nothing readable is an error.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ..sequence import DataError, Sequence
from . import generic, hmp, mmfit, openpack, pamap2, realworld, sp_sw_har, weartwin

READERS = {
    "weartwin": weartwin,
    "generic": generic,
    "sp_sw_har": sp_sw_har,
    "hmp": hmp,
    "pamap2": pamap2,
    "mmfit": mmfit,
    "openpack": openpack,
    "realworld": realworld,
}


def detect(path: Path) -> str:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    for name, mod in READERS.items():
        if mod.detect(path):
            return name
    raise DataError(f"{path}: not a dataset layout WearTwin knows ({', '.join(READERS)}); "
                    "see `weartwin train --help`")


def _usable(s: Sequence, warn) -> bool:
    """Signals every reader hands over are checked here once: finite values, a sane rate."""
    import math

    import numpy as np

    from addon import limits

    fps = float(s.fps) if isinstance(s.fps, (int, float)) else math.nan
    if not (math.isfinite(fps) and 0 < fps <= limits.limit("rate_hz")):
        warn(f"{s.source}: sampling rate {s.fps!r} Hz is not a usable rate (0..{limits.limit('rate_hz'):g}); left out")
        return False
    if not np.all(np.isfinite(s.data)):
        warn(f"{s.source}: NaN or inf in its signals; left out")
        return False
    return True


def device_variants(name: str) -> list[str]:
    """The devices a multi-device layout can be read at (`--format NAME:DEVICE`); [] for one device."""
    return sorted(getattr(READERS[name], "VARIANTS", {}))


def device_of(config: dict) -> dict:
    """The device a training run read, as `load_dataset` keywords, for reading more of that data the
    same way (its --final predictions, `weartwin predict` with its model): `device` = its --format's
    :DEVICE (used where the layout has it), `site` = its --site under --init."""
    return {"device": str(config.get("format") or "").partition(":")[2],
            "site": str(config["site"]) if config.get("init") and config.get("site") else ""}


def load_dataset(path, fmt: str = "auto", warn=None, site: str = "", site_from: str = "--site",
                 device: str = "", **options) -> list[Sequence]:
    """All readable sequences under `path`. Unreadable files are reported through `warn`
    (default: a line on stderr) and skipped. A layout with several devices (PAMAP2's hand, chest
    and ankle; RealWorld's seven positions; ...) reads one: `FORMAT:DEVICE`, else the device named
    `site` (a site name as its sequences carry it: the `--site` of `train --init` / `predict
    --zero-shot`; `site_from` names where it came from in errors), else `device` where the layout has
    it (a remembered FORMAT:DEVICE, for data that may be in another layout), else the layout's default."""
    path = Path(path)
    warn = warn or (lambda msg: print(f"warning: {msg}", file=sys.stderr))
    name, _, variant = (fmt or "auto").partition(":")   # FORMAT:VARIANT, e.g. sp_sw_har:phone
    name = detect(path) if name == "auto" else name
    if name not in READERS:
        raise DataError(f"unknown dataset format '{fmt}' (choose from auto, {', '.join(READERS)})")
    devices = device_variants(name)
    sites = getattr(READERS[name], "DEVICE_SITES", {})      # the site names its sequences carry -> variant
    if not variant and device in devices:
        variant = device
    if not variant and site and sites:
        if site not in sites:
            raise DataError(f"{site_from} {site}: {path} ({name}) has devices at {', '.join(sorted(sites))}")
        variant = sites[site]
    if variant:
        if not devices:
            raise DataError(f"--format {fmt}: {name} has one device (no ':DEVICE' to choose)")
        if variant not in devices:
            raise DataError(f"--format {fmt}: {name} has devices at {', '.join(devices)}")
        options["variant"] = variant
    seqs = [s for s in READERS[name].read(path, warn=warn, **options) if _usable(s, warn)]
    if not seqs:
        raise DataError(f"{path}: no readable {name} recordings" + (f" of the {variant} device" if variant else ""))
    for s in seqs:
        s.dataset = s.dataset or name
    return seqs
