"""WearTwin's cache folder: the one function that says where it is.

`WEARTWIN_CACHE_DIR` if set, else `~/.cache/weartwin`. It holds derived data that can be
rebuilt at any time (body assets of Anny phenotypes, interior chords, text embeddings);
deleting it only costs time. (Anny's own cache is `ANNY_CACHE_DIR`, default `~/.cache/anny`.)
"""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "WEARTWIN_CACHE_DIR"


def cache_dir(create: bool = True) -> Path:
    d = Path(os.environ.get(ENV_VAR) or Path.home() / ".cache" / "weartwin").expanduser()
    if create:
        d.mkdir(parents=True, exist_ok=True)
    return d
