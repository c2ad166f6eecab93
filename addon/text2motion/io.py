"""Write a `Motion` as an AMASS-style SMPL-H `.npz` (Z-up world, as AMASS ships it), which
every WearTwin reader (and most other tools) can load."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..export.atomic import atomic_write
from ..motion.motion import Motion


def write_amass(motion: Motion, path) -> Path:
    T = motion.n_frames
    poses = np.zeros((T, 156))
    n = min(52, motion.rotations.shape[1])
    poses[:, :3 * n] = motion.rotations[:, :n].reshape(T, -1)
    betas = np.zeros(16) if motion.betas is None else np.resize(motion.betas, 16)
    arrays = {"poses": poses, "trans": motion.trans, "betas": betas,
              "mocap_framerate": np.array(float(motion.fps)), "gender": np.array(motion.gender),
              "weartwin_source": np.array(json.dumps(motion.source, default=str))}
    path = Path(path)
    atomic_write(path, lambda f: np.savez_compressed(f, **arrays))
    return path
