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
    bvh_map: str | None = field(default=None, metadata={
        "help": "BVH joint map: a JSON file SMPL joint -> BVH joint name (default: detect CMU/Mixamo/"
                "Rokoko/Bandai Namco names)", "flag": "--bvh-map", "item": True, "metavar": "FILE.json"})
    bvh_scale: float | None = field(default=None, metadata={
        "help": "metres per BVH file unit (default: guessed from the skeleton's leg length)",
        "gt": 0, "max": 1e3, "flag": "--bvh-scale", "item": True, "metavar": "M"})
    imu_smoothing: float = 0.1              # Savitzky-Golay window, s
    imu_noise: bool = False                 # MEMS noise model (off: ideal sensor)
    # watch placement variation, 0..2: 1 = along the forearm 1.5-7.5 cm from the wrist and ±15° about it
    # (addon/sensors/sites.py PLACEMENT_*), seeded per motion and body; 0 = the preset spot
    imu_placement_jitter: float = field(default=0.0, metadata={
        "help": "watch placement variation: 1 = 1.5-7.5 cm up the forearm and ±15° about it, seeded per "
                "motion and body (0: off)", "min": 0.0, "max": 2.0, "flag": "--imu-placement-jitter"})
    calibration: str | None = None          # impedance calibration file (weartwin calibrate)
    contact_distance: float = 0.01          # m: skin closer than this counts as touching
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
        if not d.get("imu_placement_jitter"):    # off: the same hash as before the option existed
            d.pop("imu_placement_jitter", None)
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]
