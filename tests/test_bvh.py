"""BVH import: files written here with known answers, bad files, and the shared Bandai Namco corpus."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from addon.motion import MotionError, load_motion
from addon.motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from addon.motion.skeleton import BODY_JOINTS, BODY_PARENTS, TPOSE_BODY, forward_kinematics

from conftest import need_shared

J = {n: i for i, n in enumerate(BODY_JOINTS)}

# A CMU-style skeleton in a T-pose (Y up, facing +Z, the body's left on +X), in metres.
# name, parent, offset
CMU = [
    ("Hips", None, (0, 0.95, 0)),
    ("LeftUpLeg", "Hips", (0.09, -0.08, 0)), ("LeftLeg", "LeftUpLeg", (0, -0.42, 0)),
    ("LeftFoot", "LeftLeg", (0, -0.40, 0)), ("LeftToeBase", "LeftFoot", (0, -0.05, 0.12)),
    ("RightUpLeg", "Hips", (-0.09, -0.08, 0)), ("RightLeg", "RightUpLeg", (0, -0.42, 0)),
    ("RightFoot", "RightLeg", (0, -0.40, 0)), ("RightToeBase", "RightFoot", (0, -0.05, 0.12)),
    ("Spine", "Hips", (0, 0.10, 0)), ("Spine1", "Spine", (0, 0.12, 0)), ("Spine2", "Spine1", (0, 0.12, 0)),
    ("Neck", "Spine2", (0, 0.18, 0)), ("Head", "Neck", (0, 0.10, 0)),
    ("LeftShoulder", "Spine2", (0.03, 0.14, 0)), ("LeftArm", "LeftShoulder", (0.14, 0, 0)),
    ("LeftForeArm", "LeftArm", (0.27, 0, 0)), ("LeftHand", "LeftForeArm", (0.25, 0, 0)),
    ("RightShoulder", "Spine2", (-0.03, 0.14, 0)), ("RightArm", "RightShoulder", (-0.14, 0, 0)),
    ("RightForeArm", "RightArm", (-0.27, 0, 0)), ("RightHand", "RightForeArm", (-0.25, 0, 0)),
]


def write_bvh(path: Path, joints, frames: np.ndarray | None = None, n_frames: int = 10, frame_time=1 / 30,
              order: str = "ZXY", root_channels: int = 6, all_channels: int = 3, scale: float = 1.0,
              angles: dict | None = None, rows_written: int | None = None, prefix: str = "") -> Path:
    """A BVH of `joints`; `angles`: joint -> (F,3) degrees in `order` (others zero)."""
    angles = angles or {}
    kids = {}
    for name, parent, _ in joints:
        kids.setdefault(parent, []).append(name)
    off = {n: np.asarray(o, float) * scale for n, _, o in joints}
    lines, chans = ["HIERARCHY"], []

    def emit(name, depth, root):
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if root else 'JOINT'} {prefix}{name}")
        lines.append(pad + "{")
        o = off[name]
        lines.append(f"{pad}  OFFSET {o[0]:.6f} {o[1]:.6f} {o[2]:.6f}")
        rot = [f"{a}rotation" for a in order]
        n_ch = root_channels if root else all_channels
        ch = (["Xposition", "Yposition", "Zposition"] if n_ch == 6 else []) + rot
        lines.append(f"{pad}  CHANNELS {len(ch)} {' '.join(ch)}")
        chans.append((name, n_ch))
        for k in kids.get(name, []):
            emit(k, depth + 1, False)
        if not kids.get(name):
            lines.append(f"{pad}  End Site")
            lines.append(f"{pad}  {{")
            lines.append(f"{pad}    OFFSET 0 0.05 0")
            lines.append(f"{pad}  }}")
        lines.append(pad + "}")

    emit(joints[0][0], 0, True)
    lines += ["MOTION", f"Frames: {n_frames}", f"Frame Time: {frame_time:.8f}"]
    for f in range(n_frames if rows_written is None else rows_written):
        row = []
        for name, n_ch in chans:
            if n_ch == 6:
                pos = off[name] + (frames[f] * scale if frames is not None else 0)
                row += list(pos)
            a = angles.get(name)
            row += list(a[f] if a is not None else (0, 0, 0))
        lines.append(" ".join(f"{v:.6f}" for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tpose_cmu_is_identity_and_units_and_duration(tmp_path):
    for scale, unit in ((1.0, "m"), (100.0, "cm"), (1 / 0.0254, "inch")):
        walk = np.stack([np.zeros(31), np.zeros(31), np.linspace(0, 1.2, 31)], 1)  # 1.2 m along +Z in 1 s
        m = load_motion(write_bvh(tmp_path / f"t{unit}.bvh", CMU, walk, n_frames=31, scale=scale))
        assert m.source["bvh"]["units"] == unit and m.source["bvh"]["preset"] == "cmu"
        assert m.fps == 30 and m.duration == pytest.approx(1.0)
        L = m.rotations.copy()
        L[:, 0] = 0
        assert np.abs(L).max() < 1e-6                             # a T-pose is SMPL's T-pose
        R0 = axis_angle_to_matrix(m.rotations[0, 0])
        assert np.allclose(R0, axis_angle_to_matrix(np.array([np.pi / 2, 0, 0])), atol=1e-6)  # Y-up -> Z-up
        travel = m.trans[-1] - m.trans[0]
        assert np.allclose(travel, [0, -1.2, 0], atol=1e-6)    # +Z (Y-up, forward) -> -Y (Z-up)
