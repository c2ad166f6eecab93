"""`Motion`: what every importer produces and every body model consumes."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from .skeleton import parents_of


class MotionError(ValueError):
    """A motion file cannot be used. The message is one line naming the problem; callers add
    the file name (see `load_motion`)."""


@dataclass
class Motion:
    """Human motion on the SMPL-family skeleton, in Blender's Z-up world.

    rotations: (T, J, 3) float64 axis-angle, local to the parent joint, SMPL rest convention;
        the root rotation (joint 0) is in the Z-up world (Y-up sources are converted on import).
    trans: (T, 3) float64 root (pelvis) translation in the Z-up world, metres.
    fps: samples per second.
    joint_names: SMPL-family joint names, one per rotation column.
    betas: SMPL shape coefficients when the source has them.
    source: where it came from: path, format, sha256, original fps, up axis, notes.
    source_height: standing height (m) of the recorded subject when known (HumanML3D joints,
        SMPL models); used to scale root translation onto the normalized body.
    """

    rotations: np.ndarray
    trans: np.ndarray
    fps: float
    joint_names: tuple[str, ...]
    betas: np.ndarray | None = None
    gender: str = "neutral"
    source: dict = field(default_factory=dict)
    source_height: float | None = None

    def __post_init__(self) -> None:
        self.rotations = np.asarray(self.rotations, dtype=np.float64)
        self.trans = np.asarray(self.trans, dtype=np.float64)
        self.joint_names = tuple(self.joint_names)
        self.validate()

    @property
    def n_frames(self) -> int:
        return int(self.rotations.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from the first to the last sample."""
        return (self.n_frames - 1) / self.fps

    @property
    def parents(self) -> tuple[int, ...]:
        return parents_of(self.joint_names)

    def validate(self) -> None:
        r, t = self.rotations, self.trans
        if r.ndim != 3 or r.shape[2] != 3:
            raise MotionError(f"joint rotations have shape {r.shape}, expected (frames, joints, 3)")
        if r.shape[1] != len(self.joint_names):
            raise MotionError(f"{r.shape[1]} joint rotations for {len(self.joint_names)} joint names")
        if t.shape != (r.shape[0], 3):
            raise MotionError(f"root translation has shape {t.shape}, expected ({r.shape[0]}, 3)")
        if r.shape[0] < 2:
            raise MotionError(f"only {r.shape[0]} frame(s); at least 2 are needed")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise MotionError(f"frame rate is {self.fps!r}; it must be a positive number")
        if not np.all(np.isfinite(r)):
            raise MotionError("joint rotations contain NaN or inf")
        if not np.all(np.isfinite(t)):
            raise MotionError("root translation contains NaN or inf")

    def replace(self, **kw) -> "Motion":
        return dataclasses.replace(self, **kw)
