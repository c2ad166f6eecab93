"""The fast IMU engine (`addon/skinning`) against the Blender engine (real bpy, real Anny, real
shared motions): same vertices, same joints, same IMU signals.

Blender's evaluated mesh is float32 (vertex coordinates near 1 m carry ~1e-7 m rounding); the fast
engine computes in float64. Vertex positions and joints agree to 1e-6 m; the IMU channels agree to
what that rounding allows after double differentiation (`ACC_TOL`, `GYRO_TOL` at 30 fps; the
gap is the same size as rounding the fast engine's own positions to float32, see
`test_gap_is_float32_rounding`).
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from addon.bake import Baker, engine_for
from addon.body.variants import BodyVariant, variants_for
from addon.config import BakeConfig
from addon.motion import Motion, load_motion
from addon.motion.procedural import UPRIGHT
from addon.motion.skeleton import BODY_JOINTS
from addon.sensors.imu import angular_velocity, frame_from_points, smoothing_window, specific_force
from conftest import ROOT, SHARED, need_shared, run_cli

FPS = 30.0
SECONDS = 1.0
POS_TOL = 1e-6      # m


def _acc_gain(fps: float = FPS, n: int = 31) -> float:
    """Worst-case gain (s⁻², L∞ -> L∞) of the bake's acceleration operator (central d²/dt² +
    band filter + edge extension): a position error e moves the acceleration by at most gain·e."""
    from addon.sensors.imu import BandFilter, world_acceleration

    f = BandFilter.for_rates(fps)
    M = np.stack([world_acceleration(np.eye(n)[:, [j]], f)[:, 0] for j in range(n)], 1)
    return float(np.abs(M).sum(1).max())


# m/s²: positions agree to POS_TOL, so the accelerations agree to the operator's gain times it
# (~7.7e3 s⁻² at 30 fps with the 12 Hz band: 7.7e-3; measured max ~4e-3 on the wildest clip)
ACC_TOL = _acc_gain() * POS_TOL

def _gyro_gain(fps: float = FPS) -> float:
    """Gain (s⁻¹) from a frame's angle error to the gyro: central difference + band filter."""
    from addon.sensors.imu import BandFilter

    return float(fps * np.abs(BandFilter.for_rates(fps).kernel(1)).sum())


# rad/s: a patch vertex off by POS_TOL turns the frame (2 cm patch) by up to POS_TOL / 0.02 rad
# (~1.7e2 s⁻¹ x 5e-5 rad = 8.6e-3 at 30 fps; measured max ~1.1e-3)
GYRO_TOL = _gyro_gain() * POS_TOL / 0.02
ANNY = BodyVariant("", "anny", {}, 1.7)


def crop(m: Motion, seconds: float = SECONDS) -> Motion:
    n = int(min(m.n_frames, round(m.fps * seconds) + 1))
    return m.replace(rotations=m.rotations[:n], trans=m.trans[:n])


def bakers(**kw):
    return (Baker(BakeConfig(sensors=("imu",), fps=FPS, engine="blender", **kw)),
            Baker(BakeConfig(sensors=("imu",), fps=FPS, engine="fast", **kw)))


@pytest.fixture(scope="module")
def pair():
    return bakers()


def assert_same(b, f):
    assert b.meta["engine"] == "blender" and f.meta["engine"] == "fast"
    assert set(b.imu) == set(f.imu)
    for s in b.imu:
        assert b.meta["sites"][s] == f.meta["sites"][s]
        np.testing.assert_allclose(f.debug["site_positions"][s], b.debug["site_positions"][s], rtol=0, atol=POS_TOL)
        np.testing.assert_allclose(f.debug["site_frames"][s], b.debug["site_frames"][s], rtol=0, atol=1e-4)
        np.testing.assert_allclose(f.imu[s]["acc"], b.imu[s]["acc"], rtol=0, atol=ACC_TOL)
        np.testing.assert_allclose(f.imu[s]["gyro"], b.imu[s]["gyro"], rtol=0, atol=GYRO_TOL)
    assert f.pose["joints"].shape == b.pose["joints"].shape == (len(b.t), 22, 3)
    assert f.pose["joints"].dtype == np.float32 and np.all(np.isfinite(f.pose["joints"]))
    np.testing.assert_allclose(f.pose["joints"], b.pose["joints"], rtol=0, atol=POS_TOL)
    np.testing.assert_array_equal(f.pose["rot6d"], b.pose["rot6d"])


def _shared_motions():
    root = SHARED / "motion"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) or ["<none>"]


@pytest.mark.parametrize("rel", _shared_motions())
def test_engines_agree_on_every_shared_motion(pair, rel):
    path = need_shared("motion") / rel
    if not path.is_file():
        pytest.skip(f"{path} not found")
    m = crop(load_motion(path))
    blender, fast = pair
    for variant in [ANNY] + variants_for(path.stem, "anny", 1.7, 1, 0):   # default body + a --vary-body variant
        assert_same(blender.bake(m, variant), fast.bake(m, variant))


@pytest.mark.parametrize("name", ["dataset-1_walk_normal_001.bvh", "dataset-1_kick_normal_001.bvh",
                                  "dataset-1_dance-short_normal_001.bvh"])
def test_engines_agree_on_bandai_bvh(pair, name):
    path = need_shared("bvh/bandai_namco/dataset-1") / name
    m = crop(load_motion(path))
    blender, fast = pair
    assert_same(blender.bake(m, ANNY), fast.bake(m, ANNY))


def test_rest_matrices_and_weights_are_blenders():
    import bpy

    from addon.body.anny_body import anny_asset
    from addon.scene.build import build_body, empty_scene
    from addon.skinning.rig import rest_matrices

    asset = anny_asset().scaled_to_height(1.7)
    empty_scene()
    arm, body = build_body(asset)
    m = np.empty(len(arm.data.bones) * 16, dtype=np.float32)
    arm.data.bones.foreach_get("matrix_local", m)
    err = np.abs(rest_matrices(asset.bone_heads, asset.bone_tails) - m.reshape(-1, 4, 4).transpose(0, 2, 1))
    # float32 in Blender: bones pointing near -Y (toes, eyes) lose digits (see rig.vec_roll_to_mat3)
    assert err.max() < 5e-5 and np.median(err.max(axis=(1, 2))) < 1e-6
    assert [b.name for b in arm.data.bones] == asset.bone_names
    defaults = [(b.use_inherit_rotation, b.inherit_scale, b.use_local_location, b.use_connect,
                 b.use_deform, b.bbone_segments) for b in arm.data.bones]
    assert set(defaults) == {(True, "FULL", True, False, True, 1)}   # what rig.py assumes
    mod = body.modifiers["Armature"]
    assert not mod.use_deform_preserve_volume and not mod.use_bone_envelopes and mod.use_vertex_groups
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_custom_sites_and_a_site_patch(pair):
    kw = dict(imu_sites=("left_wrist", "ankle", "chest"),
              imu_site_defs={"ankle": "vertices:1200,1210,1220", "chest": "vertices:5000,5001,5002,5003,5010"})
    blender, fast = bakers(**kw)
    m = crop(load_motion(need_shared("motion") / "amass" / "dmpl_sample.npz"))
    assert_same(blender.bake(m, ANNY), fast.bake(m, ANNY))


def test_smpl_body(tmp_path):
    from smpl_fixture import write_fake_smpl

    model = write_fake_smpl(tmp_path / "SMPL_NEUTRAL.npz")
    blender, fast = bakers(body=str(model))
    m = crop(load_motion(need_shared("motion") / "aistpp" / "gWA_sFM_cAll_d27_mWA5_ch20.pkl"))
    variant = variants_for("x", str(model), 1.7, 1, 3)[0]
    b, f = blender.bake(m, variant), fast.bake(m, variant)
    assert f.meta["body"]["model"] == "smpl-family"
    assert_same(b, f)


def test_gap_is_float32_rounding(pair):
    """Rounding the fast engine's own patch vertices to float32 (as Blender stores its mesh)
    moves its IMU channels by the same order as the gap between the engines."""
    m = crop(load_motion(need_shared("motion") / "amass" / "hbp_amass_sample.npz"))
    blender, fast = pair
    b, f = blender.bake(m, ANNY), fast.bake(m, ANNY)
    w = smoothing_window(FPS, 0.1)
    for s in f.imu:
        p = f.debug["site_vertices"][s]
        off = f.debug["offset"]
        p32 = (p - off).astype(np.float32).astype(np.float64) + off
        R = frame_from_points(p32[:, 0], p32[:, 1], p32[:, 2])
        rounding_acc = np.abs(specific_force(p32.mean(1), R, FPS, w) - f.imu[s]["acc"]).max()
        rounding_gyro = np.abs(angular_velocity(R, FPS, w) - f.imu[s]["gyro"]).max()
        gap_acc = np.abs(b.imu[s]["acc"] - f.imu[s]["acc"]).max()
        gap_gyro = np.abs(b.imu[s]["gyro"] - f.imu[s]["gyro"]).max()
        assert 1e-5 < rounding_acc and gap_acc < 30 * rounding_acc, (gap_acc, rounding_acc)
        assert 1e-6 < rounding_gyro and gap_gyro < 30 * rounding_gyro, (gap_gyro, rounding_gyro)


def test_joints_tpose_span_and_feet_on_floor(pair):
    T = 10
    rot = np.zeros((T, len(BODY_JOINTS), 3))
    rot[:, 0] = UPRIGHT
    m = Motion(rotations=rot, trans=np.zeros((T, 3)), fps=FPS, joint_names=BODY_JOINTS)
    blender, fast = pair
    b, f = blender.bake(m, ANNY), fast.bake(m, ANNY)
    J = {n: f.pose["joints"][0, i].astype(np.float64) for i, n in enumerate(BODY_JOINTS)}
    np.testing.assert_allclose(f.pose["joints"], b.pose["joints"], atol=POS_TOL)
    assert b.meta["pose"]["joints"] == list(BODY_JOINTS)
    span = np.linalg.norm(J["left_wrist"] - J["right_wrist"])
    # wrist to wrist in a T-pose: arm span (~ height) less two hands (~0.11 height each)
    assert 0.70 * 1.7 < span < 0.85 * 1.7, span
    assert abs(J["left_wrist"][2] - J["right_wrist"][2]) < 0.02 and J["left_wrist"][0] > 0.5
    for side in ("left", "right"):
        assert 0.0 < J[f"{side}_ankle"][2] < 0.12 and -0.01 < J[f"{side}_foot"][2] < 0.08, J[f"{side}_ankle"]
    assert 0.85 < J["pelvis"][2] < 1.1 and J["head"][2] > 1.4


def test_engine_choice():
    assert engine_for(BakeConfig(sensors=("imu",))) == "fast"
    assert engine_for(BakeConfig(sensors=("imu", "impedance"))) == "blender"
    assert engine_for(BakeConfig(sensors=("imu",), softbody=True)) == "blender"
    assert engine_for(BakeConfig(sensors=("imu",), engine="blender")) == "blender"
    with pytest.raises(ValueError, match="impedance"):
        engine_for(BakeConfig(engine="fast"))
    # the engines agree to float tolerance, not bit for bit: the resolved engine (and the Blender
    # version the Blender engine runs on) is part of the hash, so resume never mixes them (issue 26)
    assert BakeConfig(engine="fast", sensors=("imu",)).signal_hash() != \
        BakeConfig(engine="blender", sensors=("imu",)).signal_hash()
    assert BakeConfig(engine="auto", sensors=("imu",)).signal_hash() == \
        BakeConfig(engine="fast", sensors=("imu",)).signal_hash()


def test_fast_cli_bake_never_imports_blender(tmp_path):
    src = need_shared("motion") / "amass" / "dmpl_sample.npz"
    code = ("import sys, runpy; sys.argv = ['weartwin', 'bake', %r, '--out', %r, '--sensors', 'imu', '--quiet', "
            "'--fps', '30']; from headless.cli import main; rc = main(sys.argv[1:]); "
            "assert 'bpy' not in sys.modules, 'bpy imported'; sys.exit(rc)" % (str(src), str(tmp_path)))
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr + r.stdout
    from addon.export.recording import read_export

    arrays, meta = read_export(tmp_path / "dmpl_sample.npz")
    assert meta["engine"] == "fast" and arrays["pose.joints"].shape == (len(arrays["t"]), 22, 3)
    r = run_cli("info", tmp_path / "dmpl_sample.npz")
    assert r.returncode == 0 and "pose.joints" in r.stdout and "engine: fast" in r.stdout
    r = run_cli("bake", src, "--out", tmp_path / "x", "--engine", "fast", "--quiet")   # impedance is on
    assert r.returncode == 2 and "--engine: fast simulates IMUs only" in r.stderr


def test_torch_batch_equals_numpy_engine():
    """Every shared motion on two bodies in one torch batch (CPU here; the same code runs on
    cuda) gives what the numpy engine gives clip by clip."""
    paths = [need_shared("motion") / rel for rel in _shared_motions()]
    motions = [crop(load_motion(p)) for p in paths]
    short = Motion(rotations=motions[0].rotations[:3], trans=motions[0].trans[:3], fps=motions[0].fps,
                   joint_names=motions[0].joint_names)         # shorter than the filter window
    variants = [ANNY, variants_for("x", "anny", 1.7, 1, 5)[0]]
    pairs = [(m, v) for v in variants for m in motions + [short]]
    baker = Baker(BakeConfig(sensors=("imu",), fps=FPS, device="cpu"))
    batch = baker.bake_many(pairs, use_torch=True, max_frames=200)   # several chunks per body
    for (m, v), got in zip(pairs, batch):
        want = baker.bake(m, v)
        assert got.meta["engine"] == "fast" and len(got.t) == len(want.t)
        for s in want.imu:
            np.testing.assert_allclose(got.imu[s]["acc"], want.imu[s]["acc"], rtol=0, atol=1e-8)
            np.testing.assert_allclose(got.imu[s]["gyro"], want.imu[s]["gyro"], rtol=0, atol=1e-8)
            np.testing.assert_allclose(got.debug["site_positions"][s], want.debug["site_positions"][s], atol=1e-12)
        np.testing.assert_allclose(got.pose["joints"], want.pose["joints"], atol=1e-6)
    assert any("batch_clips" in r.meta["timings"] for r in batch)


def test_batch_items_write_the_same_exports(tmp_path):
    """The GPU batch route of `weartwin bake` (headless/fast_batch.py), forced onto the CPU:
    the same files as the per-item route, a bad input fails alone."""
    import dataclasses

    from addon.export.recording import read_export
    from headless.fast_batch import bake_items
    from headless.items import Item
    from headless.runner import bake_item

    src = need_shared("motion")
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not a motion")
    inputs = [src / "amass" / "dmpl_sample.npz", bad, src / "humanml3d" / "000612_new_joint_vecs.npy"]
    cfg = BakeConfig(sensors=("imu",), fps=FPS, vary_body=2)
    todo = [(Item(p, Path(p.stem)), str(tmp_path / "batch"),
             dataclasses.replace(cfg, extra={"label": p.stem}).to_dict()) for p in inputs]
    results = list(bake_items(todo, use_torch=True))
    assert [r["status"] for r in results] == ["done", "failed", "done"]
    assert "broken.npz" in results[1]["reason"] and not list((tmp_path / "batch").glob("broken*"))
    for item, _, cdict in todo[::2]:
        one = bake_item((item, str(tmp_path / "single"), cdict))
        assert one["status"] == "done" and len(one["outputs"]) == 2
        for f in one["outputs"]:
            a, ma = read_export(f)
            b, mb = read_export(tmp_path / "batch" / Path(f).name)
            assert ma["engine"] == mb["engine"] == "fast" and mb["label"] == item.input.stem
            assert mb["config"]["extra"]["label"] == item.input.stem
            assert ma["config_hash"] == mb["config_hash"] and set(a) == set(b)
            for k in a:
                np.testing.assert_allclose(b[k], a[k], rtol=0, atol=1e-5)


def test_shortcut_equals_keyed_quaternion_path_on_every_bone():
    """`rig.deform_from_deltas` (world deltas) and `rig.deform_matrices` (the float32 keys that
    `pose_bones` gives Blender) agree on all 104 bones over a whole clip, toes and eyes too."""
    from addon.skinning.engine import _deform
    from addon.skinning.rig import rest_matrices

    baker = Baker(BakeConfig(sensors=("imu",), fps=FPS))
    m, _, asset, align = baker.prepare(crop(load_motion(need_shared("motion") / "amass" / "hbp_amass_sample.npz"), 4.0),
                                       ANNY)
    rest = rest_matrices(asset.bone_heads, asset.bone_tails)
    every = np.arange(len(asset.bone_names))
    exact, keep_e = _deform(asset, align, rest, m, 1.0, every, exact=True)
    short, keep_s = _deform(asset, align, rest, m, 1.0, every)
    assert list(keep_e) == list(keep_s) == list(every)
    assert np.abs(exact - short).max() < 1e-6
