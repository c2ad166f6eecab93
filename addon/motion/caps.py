"""Size caps for BVH text and zip members, checked before anything is read or allocated.

The caps are owned by `addon/limits.py` (branch h12b: `frames`, `input_bytes`, `text_bytes`,
each with a WEARTWIN_MAX_* environment override); until that module is merged the same
defaults apply here. A cap that is exceeded is a `MotionError` (one line).
"""
from __future__ import annotations

from .motion import MotionError

_FALLBACK = {"frames": 1_000_000, "input_bytes": 1 << 30, "text_bytes": 256 << 20, "rate_hz": 10_000}


def limit(name: str) -> float:
    try:
        from ..limits import limit as _limit
    except ImportError:
        return _FALLBACK[name]
    return _limit(name)


def check(name: str, value: int, what: str) -> None:
    try:
        from ..limits import LimitError, check as _check
    except ImportError:
        if value > _FALLBACK[name]:
            raise MotionError(f"{what} is {value:,}; the limit is {_FALLBACK[name]:,}") from None
        return
    try:
        _check(name, value, what)
    except LimitError as e:
        raise MotionError(str(e)) from None
