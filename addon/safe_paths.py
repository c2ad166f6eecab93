"""The one rule for a file named from inside another file (stdlib only; `ml/` uses it too).

Zip members, `index.csv` rows, label files, side files, run folders, model files and spec paths
all name files that a stranger chose. Such a name is resolved the same way everywhere:

- relative names resolve against the folder of the file that names them (`naming_file`), or
  against the root they belong to;
- the result must stay inside its root (after following links: a link *inside* the root that
  points inside it is fine, one that points out is refused; absolute names and `..` that climb
  out are refused);
- it is opened with `O_NOFOLLOW` on its resolved path and `O_NONBLOCK` (a FIFO cannot block
  the open) and must be a regular file (`fstat`: no device such as /dev/zero, no FIFO, no
  folder), and it is read only up to a size cap (`addon/limits.py`).

Zip member names have one canonical form (`member_name`): `a/../b.bvh` is `b.bvh`; a name that
is absolute, climbs out (`../x.bvh`) or carries a drive or a NUL is refused.

Every refusal is a `PathError` (a `ValueError`) whose message is one line naming the file.
"""
from __future__ import annotations

import os
import posixpath
import stat
from pathlib import Path

from . import limits


class PathError(ValueError):
    """A name from inside a file that resolves outside its root, to a link out, or to a non-file."""


def member_name(name: str) -> str:
    """The canonical name of a zip member (forward slashes, no `.`/`..`, no leading `/`);
    PathError when the name is absolute or climbs out of the archive."""
    raw = str(name)
    if "\x00" in raw:
        raise PathError(f"member name {raw!r} holds a NUL byte")
    n = raw.replace("\\", "/")
    if n.startswith("/") or (len(n) > 1 and n[1] == ":"):
        raise PathError(f"member name '{raw}' is absolute: it would name a file outside the archive")
    norm = posixpath.normpath(n)
    if norm == ".." or norm.startswith("../") or norm in (".", ""):
        raise PathError(f"member name '{raw}' climbs out of the archive")
    return norm


def is_inside(path, root) -> bool:
    """True when `path`, with every link followed, lies inside `root` (also resolved)."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def resolve_named(name, root, naming_file=None) -> Path:
    """Path of `name` (written inside `naming_file`, or relative to `root`) after checking that it
    stays inside `root` with every link followed. Returns the resolved path."""
    root = Path(root)
    text = str(name)
    if not text or "\x00" in text:
        raise PathError(f"empty or invalid file name {text!r}")
    p = Path(text)
    if p.is_absolute():
        raise PathError(f"'{text}' is an absolute path; only names inside {root} are read")
    base = Path(naming_file).parent if naming_file is not None else root
    full = base / p
    if not is_inside(full, root):
        how = "through a link" if is_inside(os.path.normpath(full), root) else ""
        raise PathError(f"'{text}' leads outside {root}{' ' + how if how else ''}; only files inside it are read")
    return Path(os.path.realpath(full))


def open_regular(path, root=None, limit_name: str = "text_bytes"):
    """A binary file object on `path` after checking that it is a regular file (no device, FIFO or
    folder), inside `root` when given, and not larger than the cap `limit_name`."""
    path = Path(path)
    if root is not None and not is_inside(path, root):
        raise PathError(f"{path}: leads outside {root} (a link?); only files inside it are read")
    real = os.path.realpath(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except FileNotFoundError:
        raise PathError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise PathError(f"{path}: is a folder, not a file") from None
    except OSError as e:
        raise PathError(f"{path}: cannot open ({e.strerror or type(e).__name__})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else
                    "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "a socket"
                    if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            raise PathError(f"{path}: is {kind}, not a regular file")
        try:
            limits.check(limit_name, st.st_size, "file size")
        except limits.LimitError as e:
            raise PathError(f"{path}: {e}") from None
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path, root=None, limit_name: str = "text_bytes") -> bytes:
    """The bytes of a regular file inside `root` (see `open_regular`), at most the cap (the file
    may grow between the check and the read)."""
    cap = int(limits.limit(limit_name))
    with open_regular(path, root, limit_name) as f:
        data = f.read(cap + 1)
    if len(data) > cap:
        raise PathError(f"{path}: grew beyond the limit of {cap:,} bytes while being read")
    return data


def read_text(path, root=None, limit_name: str = "text_bytes", encoding: str = "utf-8") -> str:
    """`read_bytes` decoded; a file that is not valid `encoding` is one PathError line."""
    data = read_bytes(path, root, limit_name)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        raise PathError(f"{path}: not {encoding.upper()} text (byte 0x{data[e.start]:02x} at offset {e.start}); "
                        f"save it as {encoding.upper()}") from None


def regular_files(root, pattern: str = "*", warn=None) -> list[Path]:
    """Files under `root` matching `pattern` (recursive, sorted) that are regular files whose
    links, if any, stay inside `root`; links out, FIFOs and devices are left out, each with one
    line through `warn` when given (folders are not reported)."""
    root = Path(root)
    out = []
    for p in sorted(root.rglob(pattern)):
        try:
            if not is_inside(p, root):
                why = "leads outside " + str(root) + " (a link?); left out"
            elif p.is_dir():
                continue
            elif p.is_file() and stat.S_ISREG(p.stat().st_mode):
                out.append(p)
                continue
            else:
                why = "is not a regular file (a FIFO, device, socket or broken link); left out"
        except OSError as e:
            why = f"cannot be read ({e.strerror or type(e).__name__}); left out"
        if warn is not None:
            warn(f"{p}: {why}")
    return out


__all__ = ["PathError", "member_name", "is_inside", "resolve_named", "open_regular", "read_bytes", "read_text",
           "regular_files"]
