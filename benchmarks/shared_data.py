"""Where the shared data live (the one place that says so; tests/conftest.py and
tests/gui/screenshots.py use it too): `$WEARTWIN_SHARED/data` when the variable is set (the
folder that holds `data/`), else `../shared/data` beside the repository; in a `git worktree`
whose folder has no `../shared`, beside the main checkout."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _main_checkout() -> Path | None:
    """The main checkout when ROOT is a linked `git worktree` (its `.git` is a file
    `gitdir: MAIN/.git/worktrees/NAME`), else None."""
    try:
        text = (ROOT / ".git").read_text(encoding="utf-8", errors="replace") if (ROOT / ".git").is_file() else ""
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    gitdir = Path(text.split(":", 1)[1].strip())
    gitdir = gitdir if gitdir.is_absolute() else (ROOT / gitdir)
    return gitdir.resolve().parents[2] if gitdir.parent.name == "worktrees" else None


def shared_root() -> Path:
    if os.environ.get("WEARTWIN_SHARED"):
        return Path(os.environ["WEARTWIN_SHARED"])
    beside = ROOT.parent / "shared"
    main = _main_checkout()
    if not beside.exists() and main is not None and (main.parent / "shared").exists():
        return main.parent / "shared"
    return beside


def shared_data(*parts: str) -> Path:
    """`shared_data("imu", "sp_sw_har")` -> $WEARTWIN_SHARED/data/imu/sp_sw_har."""
    return shared_root().joinpath("data", *parts)
