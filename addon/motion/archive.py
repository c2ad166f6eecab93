"""Motion files inside a zip archive, read in place (no unzip step).

A member is named by a path that runs through the archive: `corpus/dataset-2.zip/data/clip.bvh`
(the archive's own path, then the member's path inside it). Folders of motions and zips of
motions therefore look the same to `weartwin bake`, manifests and libraries.

Sizes are checked before anything is decompressed: a member larger than the `text_bytes` cap
(`caps.py`; uncompressed, as the archive's directory says, and again while reading) is refused.
"""
from __future__ import annotations

import functools
import os
import zipfile
from pathlib import Path

from . import caps
from .motion import MotionError


def split_archive_path(path) -> tuple[Path, str] | None:
    """`a/b.zip/c/d.bvh` -> (Path('a/b.zip'), 'c/d.bvh') when `a/b.zip` is a file; else None."""
    p = Path(path)
    if p.exists():
        return None
    parts = p.parts
    for k in range(len(parts) - 1, 0, -1):
        head = Path(*parts[:k])
        if head.suffix.lower() == ".zip" and head.is_file():
            return head, "/".join(parts[k:])
    return None


def is_archive(path) -> bool:
    p = Path(path)
    return p.suffix.lower() == ".zip" and p.is_file()


def list_members(archive, extensions) -> list[str]:
    """Member names (sorted) whose extension is one of `extensions`; hidden files and macOS
    resource forks are left out."""
    with zipfile.ZipFile(archive) as z:
        names = [i.filename for i in z.infolist() if not i.is_dir()]
    keep = []
    for n in names:
        base = n.rsplit("/", 1)[-1]
        if base.startswith(".") or n.startswith("__MACOSX/"):
            continue
        if Path(base).suffix.lower() in extensions:
            keep.append(n)
    return sorted(keep)


@functools.lru_cache(maxsize=4)
def _open(path: str, mtime_ns: int, size: int) -> zipfile.ZipFile:
    # reading a 6,000-member directory takes ~0.1 s: keep the archive open across members
    return zipfile.ZipFile(path)


def read_member(archive, member: str) -> bytes:
    """Bytes of one member; MotionError when it is missing or too large."""
    limit = int(caps.limit("text_bytes"))
    st = os.stat(archive)
    z = _open(str(Path(archive).resolve()), st.st_mtime_ns, st.st_size)
    try:
        info = z.getinfo(member)
    except KeyError:
        raise MotionError(f"no member '{member}' in {archive}") from None
    caps.check("text_bytes", info.file_size, "member size (uncompressed)")
    with z.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # the directory lied about the size
        raise MotionError(f"member is larger than its directory entry says and than the limit of {limit:,} bytes")
    return data
