"""The one way WearTwin writes a file: complete or not at all (stdlib only; `ml/` uses it too).

`atomic_write` writes to a temporary file beside the target (`.NAME.HOST-PID.XXXX.part`, same folder
so the rename cannot cross file systems; host and pid name its writer, so another process sharing
the folder removes it only once that writer is gone: `temp_files_of(..., dead_only=True)`), fsyncs it, gives it the permissions a plain `open()` would
(0666 minus the umask; `mkstemp` alone makes 0600) and renames it over the target. On any error
(or SIGTERM, which the workers turn into `SystemExit`) the temporary file is removed. A reader,
a resumed batch or a second process racing for the same cache file never sees half a file.
"""
from __future__ import annotations

import glob
import os
import socket
import tempfile
import time
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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_writer()}.", suffix=".part", dir=path.parent)
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


def _host() -> str:
    return "".join(c if c.isalnum() or c in "_" else "_" for c in socket.gethostname()) or "host"


def _writer() -> str:
    return f"{_host()}-{os.getpid()}"


FOREIGN_TEMP_AGE_S = 6 * 3600   # another host's temporary file this old: its writer is gone


def _writer_gone(tmp: Path, name: str) -> bool:
    tag = tmp.name[len(name) + 2:-len(".part")].rsplit(".", 1)[0]   # HOST-PID (older files: none)
    who, _, pid = tag.rpartition("-")
    if not who or not pid.isdigit():
        return True
    if who != _host():
        try:
            return time.time() - tmp.stat().st_mtime > FOREIGN_TEMP_AGE_S
        except OSError:
            return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def temp_files_of(path, dead_only: bool = False) -> list[Path]:
    """Temporary files `atomic_write(path, ...)` calls that were killed (kill -9) left behind.
    `dead_only`: only those whose writer process is gone (another process may be writing the rest)."""
    path = Path(path)
    found = list(path.parent.glob(glob.escape(f".{path.name}.") + "*.part")) if path.parent.is_dir() else []
    return [p for p in found if _writer_gone(p, path.name)] if dead_only else found
