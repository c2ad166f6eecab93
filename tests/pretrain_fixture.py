"""Tiny WearTwin exports written directly in the export format (DESIGN.md), for pretraining tests."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

ACTS = {"walking": 1.8, "waving": 3.5, "sitting": 0.0}


def write_exports(root: Path, n_per: int = 2, seconds: float = 8.0, fps: float = 60.0,
                  sites=("left_wrist", "joint.right_ankle"), acc_only_site: str | None = "chest") -> Path:
    """Exports per activity folder; every export holds IMUs at `sites` (+ one acc-only site)."""
    rng = np.random.default_rng(0)
    T = int(seconds * fps)
    t = np.arange(T) / fps
    for act, f in ACTS.items():
        for i in range(n_per):
            arrays = {"t": t.astype(np.float32)}
            for k, s in enumerate(list(sites) + ([acc_only_site] if acc_only_site else [])):
                amp = 3.0 * (1 + k) * (f > 0)
                acc = np.stack([amp * np.sin(2 * np.pi * f * t + k), 0.5 * amp * np.cos(2 * np.pi * f * t),
                                np.full(T, 9.81)], 1) + 0.2 * rng.standard_normal((T, 3))
                arrays[f"imu.{s}.acc"] = acc.astype(np.float32)
                if s != acc_only_site:
                    arrays[f"imu.{s}.gyro"] = (0.5 * amp * np.stack([np.cos(2 * np.pi * f * t)] * 3, 1)
                                               + 0.05 * rng.standard_normal((T, 3))).astype(np.float32)
            meta = {"schema": 1, "fps": fps, "label": act, "text": f"a person is {act}",
                    "body": {"variant": f"b{i:02d}"}}
            arrays["meta"] = np.array(json.dumps(meta))
            d = Path(root) / act
            d.mkdir(parents=True, exist_ok=True)
            np.savez(d / f"{act}_{i}.npz", **arrays)
    return Path(root)


def write_generic(root: Path, subjects: int = 4, seconds: float = 12.0, fps: float = 50.0, gyro: bool = True) -> Path:
    """A real-like labelled dataset in the generic layout (DESIGN.md): one wrist device per subject."""
    rng = np.random.default_rng(1)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    T = int(seconds * fps)
    t = np.arange(T) / fps
    index = ["file,subject,label"]
    for s in range(subjects):
        for act, f in ACTS.items():
            amp = (2.5 + 0.3 * s) * (f > 0)
            acc = np.stack([amp * np.sin(2 * np.pi * f * t), 0.5 * amp * np.cos(2 * np.pi * f * t),
                            np.full(T, 9.81)], 1) + 0.3 * rng.standard_normal((T, 3))
            cols = ["t", "acc_x", "acc_y", "acc_z"]
            data = [t[:, None], acc]
            if gyro:
                cols += ["gyro_x", "gyro_y", "gyro_z"]
                data.append(0.5 * amp * np.stack([np.cos(2 * np.pi * f * t)] * 3, 1) + 0.05 * rng.standard_normal((T, 3)))
            name = f"s{s}_{act}.csv"
            np.savetxt(root / name, np.concatenate(data, 1), delimiter=",", header=",".join(cols), comments="", fmt="%.5f")
            index.append(f"{name},s{s},{act}")
    (root / "index.csv").write_text("\n".join(index) + "\n")
    return root
