"""Where the shared data live (the one place that says so; tests/conftest.py uses it too):
`$WEARTWIN_SHARED/data` when the variable is set (the folder that holds `data/`), else
`../shared/data` beside the repository."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    return Path(os.environ.get("WEARTWIN_SHARED") or ROOT.parent / "shared")


def shared_data(*parts: str) -> Path:
    """`shared_data("imu", "sp_sw_har")` -> $WEARTWIN_SHARED/data/imu/sp_sw_har."""
    return shared_root().joinpath("data", *parts)
