"""`BakeConfig`: every option of a bake, with its default, in one place.

The CLI, the add-on and `blender_scripts/bake.py` all build one of these; the resolved config
is saved in each export's `meta.config`, and its hash decides whether an output is up to date.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

DEFAULT_SITES = ("left_wrist", "right_wrist")
DEFAULT_PAIRS = ("wrist_wrist",)


@dataclass
class BakeConfig:
    fps: float = 60.0                       # output sampling rate, Hz
    body: str = "anny"                      # "anny" or a path to SMPL/SMPL-H/SMPL-X model file(s)
    height: float = 1.7                     # skeleton normalization height, m
    sensors: tuple[str, ...] = ("imu", "impedance")
    imu_sites: tuple[str, ...] = DEFAULT_SITES
    imu_site_defs: dict = field(default_factory=dict)   # NAME -> vertices:I[,J,K] (your own IMU sites)
    electrodes: tuple[str, ...] = DEFAULT_PAIRS
    electrode_defs: dict = field(default_factory=dict)  # NAME -> vertices:I,J,.. | bone:BONE:OFFSET | preset
    frequencies: tuple[float, ...] = (50e3,)  # impedance frequencies, Hz
    softbody: bool = False
    softbody_stiffness: float = 0.7         # goal weight of the softest flesh (1: rigid skinning)
    vary_body: int = 0                      # N seeded body-shape variants per motion (0: default body)
    seed: int = 0
    source_fps: float | None = None         # override for files without a frame rate
    imu_smoothing: float = 0.0              # >0: former Savitzky-Golay window, s (0: band filter)
    imu_bandwidth: float = 0.0              # derivative pass band, Hz (0: min(20, 0.8 x source Nyquist))
    imu_noise: str = "none"                 # MEMS noise preset: none, smartwatch, phone, research-grade
    imu_axes: str = "watch"                 # wrist frames: watch (Android axes) or anatomical
    calibration: str | None = None          # impedance calibration file (weartwin calibrate)
    contact_distance: float = 0.002         # m: skin closer than this touches (0: contact off)
    electrode_type: str = "gel"             # impedance electrodes: gel | dry (bipolar) | tetrapolar
    save_path: bool = False                 # keep the impedance current path per frame
    csv: bool = False
    preview: bool = False
    extra: dict = field(default_factory=dict)  # per-item options from a manifest (label, ...)

    def to_dict(self) -> dict:
        return asdict(self)

    def signal_hash(self) -> str:
        """Hash of everything that changes the arrays (not csv/preview/labels)."""
        d = self.to_dict()
        for k in ("csv", "preview", "extra"):
            d.pop(k)
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]
