"""Shared fixtures. Tests use real Blender (pip `bpy`), real Anny, real files on disk."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.shared_data import shared_data  # noqa: E402  (the one owner of $WEARTWIN_SHARED)

SHARED = shared_data()


def need_shared(sub: str = "") -> Path:
    """Path into ../shared/data; skip when absent, fail when WEARTWIN_REQUIRE_SHARED_DATA=1."""
    p = SHARED / sub
    if not p.exists():
        msg = f"shared data not found at {p}"
        if os.environ.get("WEARTWIN_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(msg + " (WEARTWIN_REQUIRE_SHARED_DATA=1)")
        pytest.skip(msg)
    return p


@pytest.fixture
def shared_motion() -> Path:
    return need_shared("motion")


def run_cli(*args, cwd=None, timeout=900, env=None) -> subprocess.CompletedProcess:
    """Run `weartwin` as a user would, in a fresh interpreter."""
    e = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "headless", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=timeout, env=e)
