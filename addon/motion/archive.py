"""Motion files inside a zip archive, read in place (no unzip step).

A member is named by a path that runs through the archive: `corpus/dataset-2.zip/data/clip.bvh`
(the archive's own path, then the member's path inside it). Folders of motions and zips of
motions therefore look the same to `weartwin bake`, manifests and libraries.

Sizes are checked before anything is decompressed: a member larger than the `text_bytes` cap
(`caps.py`; uncompressed, as the archive's directory says, and again while reading) is refused.

Member names are canonical (`addon/safe_paths.member_name`): `a/../b.bvh` is listed and read as
`b.bvh` (the first of several members with one canonical name wins); a member named `../x.bvh`
or `/etc/x.bvh` is never listed, and asking for it is refused: nothing outside the archive is
ever read through a member name. A `.zip` that is not a zip archive is one MotionError line.
"""
from __future__ import annotations

import functools
import os
import zipfile
from pathlib import Path

from . import caps
from .motion import MotionError
from ..safe_paths import PathError, member_name


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


def _zip(archive) -> zipfile.ZipFile:
    """The open archive (cached while it is unchanged); MotionError when it is not a zip."""
    try:
        st = os.stat(archive)
        return _open(str(Path(archive).resolve()), st.st_mtime_ns, st.st_size)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as e:
        raise MotionError(f"{archive}: not a valid zip archive ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    except OSError as e:
        raise MotionError(f"{archive}: cannot read the archive ({e.strerror or type(e).__name__})") from None


def canonical_members(archive) -> dict[str, zipfile.ZipInfo]:
    """Canonical member name -> its entry, for every file member whose name stays inside the archive."""
    z = _zip(archive)
    return _canonical(z)


@functools.lru_cache(maxsize=4)
def _canonical(z: zipfile.ZipFile) -> dict:
    out: dict[str, zipfile.ZipInfo] = {}
    for info in z.infolist():
        if info.is_dir():
            continue
        try:
            name = member_name(info.filename)
        except PathError:
            continue            # absolute or climbing out: never listed, never read
        out.setdefault(name, info)
    return out


def list_members(archive, extensions) -> list[str]:
    """Canonical member names (sorted) whose extension is one of `extensions`; hidden files and
    macOS resource forks are left out."""
    names = list(canonical_members(archive))
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
    if not os.path.isfile(path):
        raise MotionError(f"{path}: not a regular file")
    # reading a 6,000-member directory takes ~0.1 s: keep the archive open across members
    return zipfile.ZipFile(path)


def read_member(archive, member: str, limit_name: str = "text_bytes") -> bytes:
    """Bytes of one member (named canonically or not); MotionError when it is missing, names a
    place outside the archive or is too large (cap `limit_name`)."""
    try:
        name = member_name(member)
    except PathError as e:
        raise MotionError(str(e)) from None
    info = canonical_members(archive).get(name)
    if info is None:
        raise MotionError(f"no member '{member}' in {archive}")
    z = _zip(archive)
    limit = int(caps.limit(limit_name))
    caps.check(limit_name, info.file_size, "member size (uncompressed)")
    with z.open(info) as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # the directory lied about the size
        raise MotionError(f"member is larger than its directory entry says and than the limit of {limit:,} bytes")
    return data
