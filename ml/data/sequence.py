"""`Sequence`: one continuous recording (real or simulated) in a common, in-memory shape.

Every reader turns its files into `Sequence`s; everything downstream (resampling, windowing,
channel selection, calibration, models) only sees this shape.

Channel names are `<site>.<quantity>`: `wrist.acc_x`, `left_wrist.gyro_z`,
`wrist_wrist.mag`, `wrist_wrist.phase`. Units: m/s² (specific force, gravity included),
rad/s, ohm, degree. Labels are per sample; "" means unlabelled (dropped by windowing).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ACC = ("acc_x", "acc_y", "acc_z")
GYRO = ("gyro_x", "gyro_y", "gyro_z")
G = 9.80665


class DataError(ValueError):
    """A data file or folder cannot be used; the message is one line naming it."""


@dataclass
class Sequence:
    data: np.ndarray                 # (T, C) float32
    channels: tuple[str, ...]        # C names, `<site>.<quantity>`
    fps: float
    labels: np.ndarray               # (T,) str; "" = unlabelled
    subject: str
    session: str = ""
    source: str = ""                 # file it came from
    dataset: str = ""
    synthetic: bool = False
    text: str | None = None          # activity description (simulated data)
    pose: np.ndarray | None = None   # (T, J, 6) joint rotations, simulated data only
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data = np.asarray(self.data, dtype=np.float32)
        self.channels = tuple(self.channels)
        labels = np.asarray(self.labels)
        if labels.ndim == 0:
            labels = np.full(len(self.data), str(labels), dtype=object)
        self.labels = labels.astype(str).astype(object)
        if self.data.ndim != 2 or self.data.shape[1] != len(self.channels):
            raise DataError(f"{self.source}: data {self.data.shape} does not match {len(self.channels)} channels")
        if len(self.labels) != len(self.data):
            raise DataError(f"{self.source}: {len(self.labels)} labels for {len(self.data)} samples")

    def __len__(self) -> int:
        return len(self.data)

    @property
    def sites(self) -> list[str]:
        return sorted({c.split(".", 1)[0] for c in self.channels})

    def column(self, name: str) -> np.ndarray | None:
        try:
            return self.data[:, self.channels.index(name)]
        except ValueError:
            return None


def imu_sequence(acc, gyro, t_or_fps, labels, subject, site="wrist", **kw) -> Sequence:
    """Convenience: build a Sequence from (T,3) acc and optional (T,3) gyro at one site.
    `t_or_fps` is the sampling rate or a (T,) time stamp array (s); irregular stamps are
    resampled onto a uniform grid at their median rate."""
    from .resample import resample_to_grid

    acc = np.asarray(acc, dtype=np.float64)
    cols = [acc]
    names = [f"{site}.{a}" for a in ACC]
    if gyro is not None:
        cols.append(np.asarray(gyro, dtype=np.float64))
        names += [f"{site}.{a}" for a in GYRO]
    data = np.concatenate(cols, axis=1)
    labels = np.asarray(labels, dtype=object) if np.ndim(labels) else np.full(len(acc), str(labels), dtype=object)
    if np.ndim(t_or_fps) == 0:
        return Sequence(data, names, float(t_or_fps), labels, subject, **kw)
    t = np.asarray(t_or_fps, dtype=np.float64)
    data, labels, fps = resample_to_grid(t, data, labels, what=str(kw.get("source") or "recording"))
    return Sequence(data, names, fps, labels, subject, **kw)
