"""Wrist-IMU walking statistics, the same for simulated and recorded signals (numpy only).

Per window: |acc| standard deviation, the share of the |acc| power (mean removed, Welch)
above 3 Hz, the step cadence (steps/min, strongest autocorrelation of |acc| between 1.2 and
2.6 steps/s), and the 50th/95th percentiles of |gyro|.
"""
from __future__ import annotations

import numpy as np

STAT_NAMES = ("acc_sd", "power_above_3hz", "cadence_spm", "gyro_p50", "gyro_p95")


def window_stats(acc: np.ndarray, gyro: np.ndarray, fs: float) -> dict:
    from scipy.signal import welch

    m = np.linalg.norm(acc, axis=1)
    x = m - m.mean()
    f, p = welch(x, fs=fs, nperseg=min(256, len(x)))
    ac = np.correlate(x, x, "full")[len(x) - 1:]
    lo, hi = int(fs / 2.6), min(int(fs / 1.2), len(ac) - 1)
    g = np.linalg.norm(gyro, axis=1)
    return {"acc_sd": float(m.std()), "power_above_3hz": float(p[f > 3].sum() / max(p[f > 0].sum(), 1e-12)),
            "cadence_spm": float(60 * fs / (lo + np.argmax(ac[lo:hi]))),
            "gyro_p50": float(np.percentile(g, 50)), "gyro_p95": float(np.percentile(g, 95))}


def windows(n: int, fs: float, seconds: float = 2.56, hop: float = 1.28):
    w, h = int(round(seconds * fs)), int(round(hop * fs))
    return [(a, a + w) for a in range(0, n - w + 1, h)]


def summarize(rows: list[dict]) -> dict:
    """name -> (p10, median, p90) over windows."""
    return {k: tuple(float(v) for v in np.percentile([r[k] for r in rows], [10, 50, 90])) for k in STAT_NAMES}


def real_walking(root, label: str = "WALKING", min_seconds: float = 2.0) -> list[dict]:
    """Stats of every contiguous `label` stretch (≥ min_seconds) of the sp_sw_har smartwatch
    recordings (`sNN/sNN_EE_sw.csv`), the whole stretch as one window."""
    import csv
    from pathlib import Path

    rows = []
    for f in sorted(Path(root).glob("s*/s*_sw.csv")):
        with open(f, newline="") as fh:
            r = csv.reader(fh)
            head = next(r)
            data = [row for row in r]
        lab = np.array([row[head.index("label")] for row in data])
        x = np.array([[float(row[head.index(c)]) for c in ("x_acc", "y_acc", "z_acc", "x_gyro", "y_gyro", "z_gyro",
                                                            "timestamp")] for row in data])
        fs = 1000.0 / np.median(np.diff(x[:, 6]))
        on = np.flatnonzero(np.diff(np.r_[0, (lab == label).astype(int), 0]))
        for a, b in zip(on[::2], on[1::2]):
            if b - a >= min_seconds * fs:
                rows.append(window_stats(x[a:b, :3], x[a:b, 3:6], fs))
    return rows
