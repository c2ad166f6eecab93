"""SMPL-family bodies through real smplx, from a model file in the official layout."""
from __future__ import annotations

import numpy as np

from addon.body.smpl_body import smpl_asset
from addon.export.recording import read_export
from bad_inputs import good_amass
from conftest import run_cli
from smpl_fixture import write_fake_smpl


def test_smplx_loads_model_file_and_betas_change_shape(tmp_path):
    f = write_fake_smpl(tmp_path / "SMPL_NEUTRAL.npz")
    a = smpl_asset(f)
    assert a.model == "smpl" and len(a.bone_names) == 24 and a.joint_map["left_wrist"] == ["left_wrist"]
    b = smpl_asset(tmp_path, betas=np.full(10, 3.0))  # a folder works too
    assert not np.allclose(a.vertices, b.vertices)
    assert abs(a.vertices[:, 2].min()) < 1e-5


def test_bake_with_smpl_body(tmp_path):
    f = write_fake_smpl(tmp_path / "SMPL_NEUTRAL.npz")
    motion = good_amass(tmp_path / "clip.npz", T=60)
    r = run_cli("bake", motion, "--out", tmp_path / "out", "--body", f, "--sensors", "imu", "--quiet")
    assert r.returncode == 0, r.stderr
    arrays, meta = read_export(tmp_path / "out" / "clip.npz")
    assert meta["body"]["model"] == "smpl-family" and meta["body"]["params"]["model_file"].endswith("SMPL_NEUTRAL.npz")
    assert np.all(np.isfinite(arrays["imu.left_wrist.acc"]))


def test_smpl_body_at_rest_reads_gravity(tmp_path):
    from addon.bake import Baker
    from addon.body.variants import BodyVariant
    from addon.config import BakeConfig
    from addon.motion import Motion
    from addon.motion.procedural import UPRIGHT
    from addon.motion.skeleton import SKELETONS

    f = write_fake_smpl(tmp_path / "SMPL_NEUTRAL.npz")
    rot = np.zeros((60, 24, 3))
    rot[:, 0] = UPRIGHT
    m = Motion(rotations=rot, trans=np.zeros((60, 3)), fps=60, joint_names=SKELETONS["smpl"])
    rec = Baker(BakeConfig(sensors=("imu",), body=str(f))).bake(m, BodyVariant("", str(f), {}, 1.7))
    for s in ("left_wrist", "right_wrist"):
        np.testing.assert_allclose(np.linalg.norm(rec.imu[s]["acc"], axis=1), 9.81, rtol=0.01)
