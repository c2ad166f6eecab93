"""What decides an export's numbers besides the options: the engine, the Blender build, the
content of files an option names. `BakeConfig.signal_hash` includes `runtime_key`, so resume never
calls an export from another Blender version (or made with another --bvh-map file) "up to date";
each export's `meta.blender` / `meta.engine` say what made it. Cheap: no `bpy` import (the pip
wheel's version comes from its metadata), file hashes cached by (path, size, mtime)."""
from __future__ import annotations

import functools
import hashlib
import os
import sys


def blender_info() -> dict | None:
    """{"version": "5.0.1", "build": "bpy module" | "blender binary", "binary": path}, or None
    when no Blender is importable."""
    bpy = sys.modules.get("bpy")
    if bpy is not None and hasattr(bpy, "app"):
        binary = getattr(bpy.app, "binary_path", "") or ""
        return {"version": ".".join(map(str, tuple(bpy.app.version)[:3])),
                "build": "blender binary" if binary and not binary.endswith((".so", ".pyd")) else "bpy module",
                "binary": binary}
    try:
        from importlib.metadata import PackageNotFoundError, version
        return {"version": version("bpy"), "build": "bpy module", "binary": ""}
    except (ImportError, PackageNotFoundError):
        return None


@functools.lru_cache(maxsize=64)
def _file_sha(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def file_digest(path) -> str | None:
    """Content hash of a file an option names (None: no such file; the bake reports that)."""
    if not path:
        return None
    try:
        st = os.stat(path)
        return _file_sha(os.path.abspath(path), st.st_size, st.st_mtime_ns)
    except OSError:
        return None


def runtime_key(cfg) -> dict:
    """Part of the signal hash: the resolved engine, the Blender version the Blender engine runs
    on, and the content of the files named by --bvh-map and --calibration."""
    from .bake import engine_for

    try:
        engine = engine_for(cfg)
    except ValueError:
        engine = cfg.engine
    key = {"engine": engine}
    if engine == "blender":
        info = blender_info()
        key["blender"] = info["version"] if info else None
    files = {name: file_digest(getattr(cfg, name)) for name in ("bvh_map", "calibration") if getattr(cfg, name)}
    if files:
        key["files"] = files
    return key
