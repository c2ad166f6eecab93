"""Size caps for files from strangers: the one place they are declared.

Every input is checked against these *before* anything is decompressed or built (declared
`.npy` shapes, zip member sizes, pickle length and the size of what a pickle builds), so a
small hostile file cannot make WearTwin allocate gigabytes. Each cap can be raised (or
lowered) by an environment variable, read at the time of the check:

`LIMITS` below is the one list of them (variable, default, unit); README.md documents them
for users ("Size caps").

Readers call `check(name, value, what)` (or `check_file_size`) and let `LimitError`
(a `ValueError`) become their one-line error: "<file>: <what> is N; the limit is M (raise
it with WEARTWIN_...=...)".
"""
from __future__ import annotations

import math
import os
from pathlib import Path

# name -> (environment variable, default, unit for messages)
LIMITS: dict[str, tuple[str, float, str]] = {
    "frames": ("WEARTWIN_MAX_FRAMES", 1_000_000, "frames"),
    "input_bytes": ("WEARTWIN_MAX_INPUT_BYTES", 1 << 30, "bytes"),
    "pickle_objects": ("WEARTWIN_MAX_PICKLE_OBJECTS", 2_000_000, "pickle operations"),
    "text_bytes": ("WEARTWIN_MAX_TEXT_BYTES", 256 << 20, "bytes"),
    "rate_hz": ("WEARTWIN_MAX_RATE_HZ", 10_000, "Hz"),
    "subjects": ("WEARTWIN_MAX_SUBJECTS", 10_000, "subjects"),
    "side_bytes": ("WEARTWIN_MAX_SIDE_BYTES", 1 << 20, "bytes"),
    "regex_seconds": ("WEARTWIN_REGEX_TIMEOUT", 10.0, "s"),
    "llm_timeout": ("WEARTWIN_LLM_TIMEOUT", 60.0, "s"),
    "llm_max_bytes": ("WEARTWIN_LLM_MAX_BYTES", 1 << 20, "bytes"),
}


class LimitError(ValueError):
    """A declared or built size is beyond a cap (the message is one line)."""


def limit(name: str) -> float:
    """The cap `name` now: its environment variable if set to a positive number, else the default."""
    var, default, _ = LIMITS[name]
    text = os.environ.get(var, "").strip().replace("_", "")
    if text:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value > 0:
            return value if isinstance(default, float) else int(value)
    return default


def check(name: str, value, what: str) -> None:
    """Raise `LimitError` when `value` exceeds the cap `name`; `what` names the quantity."""
    cap = limit(name)
    if value > cap:
        var, _, unit = LIMITS[name]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        raise LimitError(f"{what} is {value:,} {unit}; the limit is {cap:,} "
                         f"(raise it with {var}=...)")


def declared_bytes(shape, itemsize: int) -> int:
    """Bytes an array of `shape` and `itemsize` would take, as a Python int (no overflow)."""
    n = int(itemsize)
    for s in shape:
        s = int(s)
        if s < 0:
            raise LimitError(f"negative dimension {s} in shape {tuple(shape)}")
        n *= s
    return n


def check_array(shape, itemsize: int, what: str, frames: bool = False) -> int:
    """Check an array's declared size before it is built; `frames`: its first axis is time."""
    nbytes = declared_bytes(shape, itemsize)
    check("input_bytes", nbytes, f"{what} {tuple(int(s) for s in shape)}")
    if frames and len(shape):
        check("frames", int(shape[0]), f"{what} frame count")
    return nbytes


def check_file_size(path, name: str = "input_bytes") -> int:
    """Check a file's size on disk (before reading it into memory); returns the size."""
    size = Path(path).stat().st_size
    check(name, size, "file size")
    return size


def read_text(path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """A text input (BVH, manifest, ...) read whole after checking its size against
    `WEARTWIN_MAX_TEXT_BYTES`. Raises LimitError / OSError / UnicodeDecodeError."""
    check_file_size(path, "text_bytes")
    with open(path, "rb") as f:
        data = f.read(int(limit("text_bytes")) + 1)   # the file may grow between stat and read
    check("text_bytes", len(data), "file size")
    return data.decode(encoding, errors)


__all__ = ["LIMITS", "LimitError", "limit", "check", "check_array", "check_file_size", "declared_bytes",
           "read_text"]
