"""Shared state of one generated performance (`Ctx`) and small pose helpers for whole-body
activities. The activity modules (`locomotion`, `transfers`, `daily`) fill `ctx.rot` (local
axis-angle, SMPL tree) and `ctx.trans` (root, Z-up world, metres)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..motion.procedural import J
from .parse import ActivitySpec


@dataclass
class Ctx:
    spec: ActivitySpec
    t: np.ndarray            # (T,) s
    fps: float
    rot: np.ndarray          # (T,22,3)
    trans: np.ndarray        # (T,3)
    rng: np.random.Generator
    amp: float               # seeded range-of-motion multiplier
    u: np.ndarray            # 0..1..0 per repetition
    phase: np.ndarray        # repetitions done (cadence wobbles a little)
    start: float = 1.0       # s of standing before the activity

    @property
    def n(self) -> int:
        return len(self.t)

    def jitter(self, lo: float = 0.9, hi: float = 1.1) -> float:
        return float(self.rng.uniform(lo, hi))


def bump(x: np.ndarray, centre: float, width: float, period: float | None = 1.0) -> np.ndarray:
    """Gaussian bump; on a circle of `period` when given (gait cycles)."""
    d = x - centre
    if period:
        d = (d + period / 2) % period - period / 2
    return np.exp(-0.5 * (d / width) ** 2)


def spine(rot: np.ndarray, flex=0.0, twist=0.0, side=0.0) -> None:
    """Spread trunk flexion (+: forward), twist (+: towards the left) and side bend over the
    three spine joints (radians, total)."""
    for j, w in (("spine1", 0.4), ("spine2", 0.3), ("spine3", 0.3)):
        rot[:, J[j], 0] += w * np.asarray(flex)
        rot[:, J[j], 1] += w * np.asarray(twist)
        rot[:, J[j], 2] += w * np.asarray(side)
