"""Resampling by time: signals linearly, labels by nearest sample."""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from .sequence import DataError


def _grid_length(duration: float, fps: float, channels: int, what: str) -> int:
    """Samples of a uniform grid, checked against the caps before it is allocated: the rate
    against WEARTWIN_MAX_RATE_HZ, its length against WEARTWIN_MAX_FRAMES, the grid's float32
    bytes against WEARTWIN_MAX_INPUT_BYTES."""
    from addon import limits

    if not (math.isfinite(fps) and 0 < fps <= limits.limit("rate_hz")):
        raise DataError(f"{what}: a sampling rate of {fps:g} Hz (expected 0..{limits.limit('rate_hz'):g}; "
                        "raise it with WEARTWIN_MAX_RATE_HZ=...)")
    n = math.floor(duration * fps) + 1 if math.isfinite(duration * fps) else math.inf
    try:   # frames first: the grid, its labels and the nearest-sample indices are each n long
        limits.check("frames", n, f"{what}: resampled to {fps:g} Hz over {duration:g} s, the frame count")
        limits.check("input_bytes", n * max(1, channels) * 4, f"{what}: resampled to {fps:g} Hz, the signals")
    except limits.LimitError as e:
        raise DataError(str(e)) from None
    return int(n)


def _nearest(t_src: np.ndarray, t_dst: np.ndarray) -> np.ndarray:
    i = np.clip(np.searchsorted(t_src, t_dst), 1, len(t_src) - 1)
    return np.where(t_dst - t_src[i - 1] <= t_src[i] - t_dst, i - 1, i)


def resample_to_grid(t: np.ndarray, data: np.ndarray, labels: np.ndarray, fps: float | None = None,
                     what: str = "recording"):
    """Irregular time stamps (s) -> uniform grid at `fps` (default: the median rate).
    Returns (data (N,C) float32, labels (N,), fps); `what` names the file in errors."""
    t = np.asarray(t, dtype=np.float64)
    if not np.all(np.isfinite(t)):
        raise DataError(f"{what}: NaN or inf time stamps (row {int(np.argmin(np.isfinite(t))) + 1} of the samples)")
    order = np.argsort(t, kind="stable")
    t, data, labels = t[order], np.asarray(data)[order], np.asarray(labels, dtype=object)[order]
    keep = np.concatenate([[True], np.diff(t) > 0])
    t, data, labels = t[keep], data[keep], labels[keep]
    if len(t) < 2:
        return data.astype(np.float32), labels, float(fps or 1.0)
    if fps is None:
        k = min(10, len(t) - 1)   # spans of k samples: robust to jitter and to occasional gaps
        fps = float(np.round(k / np.median(t[k:] - t[:-k]), 3))
    grid = t[0] + np.arange(_grid_length(t[-1] - t[0], fps, data.shape[1], what)) / fps
    out = np.empty((len(grid), data.shape[1]), dtype=np.float32)
    for c in range(data.shape[1]):
        out[:, c] = np.interp(grid, t, data[:, c])
    return out, labels[_nearest(t, grid)], float(fps)


def resample(seq, fps: float):
    """A Sequence at another rate (identity when the rate already matches)."""
    if abs(seq.fps - fps) < 1e-6:
        return seq
    n = len(seq)
    t = np.arange(n) / seq.fps
    grid = np.arange(_grid_length((n - 1) / seq.fps, fps, seq.data.shape[1], str(seq.source or "recording"))) / fps
    data = np.stack([np.interp(grid, t, seq.data[:, c]) for c in range(seq.data.shape[1])], axis=1)
    pose = None
    if seq.pose is not None:
        flat = seq.pose.reshape(n, -1)
        pose = np.stack([np.interp(grid, t, flat[:, c]) for c in range(flat.shape[1])], axis=1)
        pose = pose.reshape(len(grid), *seq.pose.shape[1:]).astype(np.float32)
    return dataclasses.replace(seq, data=data, fps=float(fps), labels=seq.labels[_nearest(t, grid)], pose=pose)
