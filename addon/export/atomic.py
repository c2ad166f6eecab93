"""The one way WearTwin writes a file: complete or not at all (stdlib only; `ml/` uses it too).

`atomic_write` writes to a temporary file beside the target (`.NAME.XXXX.part`, same folder so the
rename cannot cross file systems), fsyncs it, gives it the permissions a plain `open()` would
(0666 minus the umask; `mkstemp` alone makes 0600) and renames it over the target. On any error
(or SIGTERM, which the workers turn into `SystemExit`) the temporary file is removed. A reader,
a resumed batch or a second process racing for the same cache file never sees half a file.
"""
from __future__ import annotations

import glob
import os
import tempfile
import threading
from pathlib import Path
from typing import Callable, IO

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    with _UMASK_LOCK:   # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write(path, write: Callable[[IO[bytes]], object], mode: int | None = None) -> Path:
    """Call `write(binary file object)` on a temporary file beside `path`, then rename it into place.
    `mode`: permissions before the umask (default 0o666, as `open()`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
            os.fchmod(f.fileno(), (0o666 if mode is None else mode) & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_bytes(path, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))


def write_text(path, text: str) -> Path:
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def temp_files_of(path) -> list[Path]:
    """Temporary files `atomic_write(path, ...)` calls that were killed (kill -9) left behind."""
    path = Path(path)
    return list(path.parent.glob(glob.escape(f".{path.name}.") + "*.part")) if path.parent.is_dir() else []
