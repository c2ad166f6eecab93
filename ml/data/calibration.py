"""Simulated -> real signal calibration and per-channel normalization.

`QuantileCalibration` is IMUGPT-style distribution matching: each channel of the simulated
windows is mapped through its own quantile function onto the real one (optionally per
class, matched by class id or name). Fit it on the real windows of training subjects only; the evaluation does.
"""
from __future__ import annotations

import numpy as np


class QuantileCalibration:
    def __init__(self, n_quantiles: int = 101, per_class: bool = False):
        self.n = n_quantiles
        self.per_class = per_class
        self.maps: dict = {}   # key (class or None) -> (src_q (Q,C), dst_q (Q,C))

    def _q(self, x: np.ndarray) -> np.ndarray:
        return np.quantile(x.reshape(-1, x.shape[-1]), np.linspace(0, 1, self.n), axis=0)

    def fit(self, sim_x, real_x, sim_y=None, real_y=None) -> "QuantileCalibration":
        self.maps = {None: (self._q(sim_x), self._q(real_x))}
        if self.per_class and sim_y is not None and real_y is not None:
            for c in np.intersect1d(np.unique(sim_y), np.unique(real_y)):
                self.maps[c] = (self._q(sim_x[sim_y == c]), self._q(real_x[real_y == c]))
        return self

    def _apply(self, x, key):
        src, dst = self.maps[key]
        out = np.empty_like(x)
        for c in range(x.shape[-1]):
            s = src[:, c]
            # strictly increasing source quantiles (flat stretches come from constant channels)
            s = s + np.arange(len(s)) * 1e-9 * max(1.0, float(np.abs(s).max()))
            out[..., c] = np.interp(x[..., c], s, dst[:, c])
        return out

    def transform(self, x: np.ndarray, y=None) -> np.ndarray:
        if not self.per_class or y is None:
            return self._apply(x, None)
        out = np.empty_like(x)
        for c in np.unique(y):
            m = y == c
            out[m] = self._apply(x[m], c if c in self.maps else None)
        return out


class Standardizer:
    """Per-channel mean/std of training windows."""

    def fit(self, x: np.ndarray) -> "Standardizer":
        flat = x.reshape(-1, x.shape[-1]).astype(np.float64)
        self.mean = flat.mean(axis=0).astype(np.float32)
        self.std = np.maximum(flat.std(axis=0), 1e-6).astype(np.float32)
        return self

    @classmethod
    def fixed(cls, mean, std) -> "Standardizer":
        """Constants instead of statistics (a pretrained encoder's physical scaling)."""
        s = cls()
        s.mean, s.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)
        return s

    def transform(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32)

    def state(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}
