"""The one way WearTwin writes a file: complete or not at all (stdlib only; `ml/` uses it too).

`atomic_write` writes to a temporary file beside the target (`.NAME.HOST-PID.XXXX.part`, same folder
so the rename cannot cross file systems; host and pid name its writer, so another process sharing
the folder removes it only once that writer is gone: `temp_files_of(..., dead_only=True)`), fsyncs it, gives it the permissions a plain `open()` would
(0666 minus the umask; `mkstemp` alone makes 0600) and renames it over the target. On any error
(or SIGTERM, which the workers turn into `SystemExit`) the temporary file is removed. A reader,
a resumed batch or a second process racing for the same cache file never sees half a file.
A link planted at the target's name is replaced, never written through.

`write_inside(root, name, write)` is the one way to write into a folder that came from elsewhere
(a run folder, a dataset): the target and every folder above it up to `root` must stay inside
`root` with links followed, and the write is `atomic_write`. `links_out(root)` lists the links
under a folder that lead out of it (a folder received with one is refused before writing).
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


class _FailOnce:
    """The file object `write` gets (buffered, seekable): after the first failed write (disk
    full) every later write is a no-op, so a writer's own clean-up (a ZipFile closing itself in
    `np.savez`) cannot fail a second time ("Exception ignored in ZipFile.__del__"); the first
    error is what propagates."""

    BUFFER = 1 << 20

    def __init__(self, raw):
        self._raw, self.failed, self._buf = raw, None, bytearray()

    def _drain(self) -> None:
        view, done = memoryview(self._buf), 0
        try:
            while done < len(view):
                done += self._raw.write(view[done:])
        except OSError as e:
            self.failed = e
            raise
        finally:
            view.release()
            self._buf.clear()

    def write(self, data) -> int:
        n = memoryview(data).nbytes
        if self.failed is None:
            self._buf += data
            if len(self._buf) >= self.BUFFER:
                self._drain()
        return n

    def flush(self) -> None:
        if self.failed is None and self._buf:
            self._drain()

    def tell(self) -> int:
        return 0 if self.failed is not None else self._raw.tell() + len(self._buf)

    def seek(self, offset: int, whence: int = 0) -> int:
        if self.failed is not None:
            return 0
        self.flush()
        return self._raw.seek(offset, whence)

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def __getattr__(self, name):
        return getattr(self._raw, name)


def atomic_write(path, write: Callable[[IO[bytes]], object], mode: int | None = None) -> Path:
    """Call `write(binary file object)` on a temporary file beside `path`, then rename it into place.
    `mode`: permissions before the umask (default 0o666, as `open()`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_writer()}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb", buffering=0) as raw:
            f = _FailOnce(raw)
            write(f)
            f.flush()
            if f.failed is not None:       # the writer swallowed it: still a failed write
                raise f.failed
            os.fsync(raw.fileno())
            os.fchmod(raw.fileno(), (0o666 if mode is None else mode) & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class OutsideFolderError(ValueError):
    """A write into a received folder would land outside it (through a link)."""


def _inside(path, root) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def write_inside(root, name, write: Callable[[IO[bytes]], object], mode: int | None = None) -> Path:
    """`atomic_write` of `root/name` (`name` relative, or a path under `root`), refused with an
    OutsideFolderError when it, or a folder on the way, leads out of `root` through a link."""
    root = Path(root)
    path = Path(name) if Path(name).is_absolute() else root / name
    lexical, base = os.path.abspath(path), os.path.abspath(root)
    if not lexical.startswith(base.rstrip(os.sep) + os.sep):
        raise OutsideFolderError(f"{path}: not inside {root}")
    probe = path.parent
    while not probe.exists() and probe != probe.parent:   # the folders that exist must be inside
        probe = probe.parent
    if not _inside(probe, root) or (path.is_symlink() and path.is_dir()):
        raise OutsideFolderError(f"{path}: a link leads out of {root}; refusing to write through it")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not _inside(path.parent, root):
        raise OutsideFolderError(f"{path}: a link leads out of {root}; refusing to write through it")
    return atomic_write(path, write, mode)


def links_out(root, max_entries: int = 1_000_000) -> list[Path]:
    """Links under `root` (not followed) whose target lies outside `root`."""
    out, seen = [], 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for n in dirnames + filenames:
            seen += 1
            p = Path(dirpath) / n
            if p.is_symlink() and not _inside(p, root):
                out.append(p)
        if seen > max_entries:
            break
    return out


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
    return _dead_or_other(int(pid), tmp)


def _dead_or_other(pid: int, tmp: Path) -> bool:
    """Linux: the pid exists but is a zombie (killed, not reaped yet: an orphaned worker whose
    parent was killed too), or was started after the file was written (the pid was reused)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            return True
        ticks = os.sysconf("SC_CLK_TCK")
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        started = time.time() - uptime + int(fields[19]) / ticks
        return started > tmp.stat().st_mtime + 1.0
    except (OSError, ValueError, IndexError):
        return False


def temp_files_of(path, dead_only: bool = False) -> list[Path]:
    """Temporary files `atomic_write(path, ...)` calls that were killed (kill -9) left behind.
    `dead_only`: only those whose writer process is gone (another process may be writing the rest)."""
    path = Path(path)
    found = list(path.parent.glob(glob.escape(f".{path.name}.") + "*.part")) if path.parent.is_dir() else []
    return [p for p in found if _writer_gone(p, path.name)] if dead_only else found
