"""Site presets (`addon/sensors/presets.py`, `sites.py`): phones in pockets and on belts, strap units,
head band, earbuds, and a sensor at each of the 22 SMPL joints — physics with known answers, both
engines and the torch batch giving the same signals, and the names/mountings the command line takes.
"""
from __future__ import annotations

import numpy as np
import pytest

from addon.bake import Baker
from addon.body.variants import BodyVariant
from addon.config import BakeConfig, ConfigError
from addon.motion import Motion, load_motion
from addon.motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from addon.motion.skeleton import BODY_JOINTS
from addon.sensors import presets as P
from conftest import need_shared
from test_fast_imu import ACC_TOL, GYRO_TOL, POS_TOL, crop

ANNY = BodyVariant("", "anny", {}, 1.7)
SURFACE = tuple(P.SURFACE)
ALL = ("left_wrist", "right_wrist") + SURFACE + ("joints",)
FPS = 30.0


def still(T: int = 40, root=(np.pi / 2, 0.0, 0.0), fps: float = FPS, **pose) -> Motion:
    """A body holding one pose (SMPL joint -> axis-angle), standing upright by default."""
    rot = np.zeros((T, 22, 3))
    rot[:, 0] = root
    for j, aa in pose.items():
        rot[:, BODY_JOINTS.index(j)] = aa
    trans = np.zeros((T, 3))
    trans[:, 2] = 0.95
    return Motion(rotations=rot, trans=trans, fps=fps, joint_names=BODY_JOINTS, source={"path": "still", "sha256": "s"})


def bake(m: Motion, sites=ALL, engine="fast", **kw):
    return Baker(BakeConfig(fps=m.fps, sensors=("imu",), imu_sites=sites, engine=engine, **kw)).bake(m, ANNY)


def test_presets_agree_with_the_skeleton():
    assert P.SMPL_BODY_JOINTS == BODY_JOINTS
    for p in P.SURFACE.values():
        assert p.joint in BODY_JOINTS and (p.child is None or p.child in BODY_JOINTS)
        assert all(j in BODY_JOINTS for j in p.near)


def test_standing_still_every_site_reads_gravity_on_its_up_axis():
    rec = bake(still())
    assert len(rec.imu) == 2 + len(SURFACE) + 22
    for name, d in rec.imu.items():
        a = d["acc"][5:-5]
        np.testing.assert_allclose(np.linalg.norm(a, axis=1), 9.81, atol=1e-3, err_msg=name)
        assert np.abs(d["gyro"]).max() < 1e-6, name
        if name in SURFACE and "arm" in name:   # T-pose: the armband's face (outside of the arm) points up
            assert a[:, 2].mean() > 9.81 * np.cos(np.radians(20)), (name, a.mean(0))
        elif name in SURFACE:    # Android axes, screen_out,top_up: y up along the body when standing
            assert a[:, 1].mean() > 9.81 * np.cos(np.radians(20)), (name, a.mean(0))
        elif name.startswith("joint."):   # SMPL joint frame: y up in the T-pose
            np.testing.assert_allclose(a.mean(0), [0, 9.81, 0], atol=1e-3, err_msg=name)
    # the upright phone in a front pocket: mostly +y; upside down: mostly -y; turned 180° about x
    down = bake(still(), ("right_pocket:screen_in,top_down",)).imu["right_pocket"]["acc"][5:-5].mean(0)
    up = rec.imu["right_pocket"]["acc"][5:-5].mean(0)
    np.testing.assert_allclose(down, up * [1, -1, -1], atol=1e-4)     # x = y × z stays


def test_mountings_are_one_fixed_rotation_apart():
    """The four ways a phone goes into a pocket differ by a rotation of the device only: readings
    of one mounting turned by `presets.mount_change` are the readings of another."""
    m = crop(load_motion(need_shared("bvh/bandai_namco/dataset-1") / "dataset-1_walk_normal_001.bvh"), 1.5)
    a = bake(m, ("left_pocket:screen_out,top_up",)).imu["left_pocket"]
    for way in ("screen_in,top_up", "screen_out,top_down", "screen_in,top_down"):
        b = bake(m, (f"left_pocket:{way}",)).imu["left_pocket"]
        C = P.mount_change("left_pocket:screen_out,top_up", f"left_pocket:{way}")
        np.testing.assert_allclose(a["acc"] @ C.T, b["acc"], atol=1e-4)
        np.testing.assert_allclose(a["gyro"] @ C.T, b["gyro"], atol=1e-5)
        assert np.linalg.det(C) == pytest.approx(1.0)


def test_spinning_body_gives_omega_at_every_site():
    """A rigid body turning at ω about the vertical: |gyro| = ω at every site, whatever its mounting."""
    T, omega = 90, 2.0
    m = still(T)
    t = np.arange(T) / FPS
    up = axis_angle_to_matrix(np.array([np.pi / 2, 0.0, 0.0]))
    turn = axis_angle_to_matrix(np.stack([np.zeros(T), np.zeros(T), omega * t], 1))
    m.rotations[:, 0] = matrix_to_axis_angle(turn @ up)
    rec = bake(m, ALL + ("right_pocket",)[:0])
    for name, d in rec.imu.items():
        g = np.linalg.norm(d["gyro"][10:-10], axis=1)
        np.testing.assert_allclose(g, omega, rtol=2e-3, err_msg=name)


def test_thigh_sites_see_the_thigh_turn_in_a_knee_lift():
    """Hip flexion about the body's left-right axis: the pocket phone and the thigh unit turn with the
    thigh (their |gyro| follows the hip's rate), the other leg's do not, the joint site reads it exactly."""
    T = 60
    m = still(T)
    ang = np.radians(80) * np.sin(np.linspace(0, np.pi, T)) ** 2
    m.rotations[:, BODY_JOINTS.index("left_hip"), 0] = -ang          # SMPL: -x = flexion (knee forward)
    rate = np.abs(np.gradient(ang, 1 / FPS))
    rec = bake(m, ("left_pocket", "right_pocket", "left_thigh", "joint.left_hip"))
    inner = slice(8, -8)
    for s in ("left_pocket", "left_thigh", "joint.left_hip"):
        g = np.linalg.norm(rec.imu[s]["gyro"], axis=1)
        assert np.corrcoef(g[inner], rate[inner])[0, 1] > 0.98, s
        assert abs(g[inner].max() - rate[inner].max()) < 0.1 * rate.max(), s
    np.testing.assert_allclose(np.abs(rec.imu["joint.left_hip"]["gyro"][inner, 0]), rate[inner], atol=0.05)
    assert np.abs(rec.imu["right_pocket"]["gyro"]).max() < 1e-3
    # seated-like thigh (horizontal): the pocket phone's screen faces up -> gravity on +z
    z = rec.imu["left_pocket"]["acc"][T // 2]
    assert z[2] > 8.0 and abs(z[1]) < 4.0


def test_pocket_phone_sits_off_the_skin_and_feels_the_lever_arm():
    """The phone centre is lift_m off the skin: on a turning thigh it moves on a larger circle than
    the skin vertices, so it reads more centripetal/tangential acceleration than a phone on the skin."""
    T = 60
    m = still(T)
    m.rotations[:, BODY_JOINTS.index("left_hip"), 0] = -np.radians(60) * np.sin(np.linspace(0, 2 * np.pi, T))
    rec = bake(m, ("left_pocket",))
    site = rec.debug["sites"]["left_pocket"]
    centre = rec.debug["site_positions"]["left_pocket"]
    skin = rec.debug["site_vertices"]["left_pocket"].mean(axis=1)
    np.testing.assert_allclose(np.linalg.norm(centre - skin, axis=1), P.SURFACE["left_pocket"].lift_m, atol=1e-6)
    assert site.mount is not None and site.frame.startswith("phone")


@pytest.fixture(scope="module")
def walk():
    return crop(load_motion(need_shared("bvh/bandai_namco/dataset-1") / "dataset-1_walk_normal_001.bvh"))


def _height(rec, s) -> float:
    """Smallest height of the site's sensor triangle at rest (m)."""
    site = rec.debug["sites"][s]
    a, b, c = (np.array(site.points) if site.rigid_bone >= 0
               else rec.debug["asset"].vertices[list(site.vertices)].astype(float))
    return float(np.linalg.norm(np.cross(b - a, c - a)) / max(np.linalg.norm(b - a), np.linalg.norm(c - a),
                                                              np.linalg.norm(c - b)))


def _same(a, b, names):
    """Agreement within the float32 bound: vertices agree to POS_TOL (test_fast_imu); a frame from a
    triangle of height h turns by up to 2·POS_TOL/h, which moves a device `lift` off the skin by
    |lift|·2·POS_TOL/h; the acc/gyro bounds of test_fast_imu scale the same way (they assume a 2 cm
    patch and no lift)."""
    for s in names:
        h = _height(a, s)
        lift = float(np.linalg.norm(a.debug["sites"][s].lift))
        pos_tol = POS_TOL * (1 + 2 * lift / h)
        assert a.meta["sites"][s] == b.meta["sites"][s]
        np.testing.assert_allclose(a.debug["site_positions"][s], b.debug["site_positions"][s], rtol=0, atol=pos_tol)
        np.testing.assert_allclose(a.debug["site_frames"][s], b.debug["site_frames"][s], rtol=0,
                                   atol=1e-4 * max(1.0, 0.02 / h))
        np.testing.assert_allclose(a.imu[s]["acc"], b.imu[s]["acc"], rtol=0, atol=ACC_TOL * pos_tol / POS_TOL,
                                   err_msg=s)
        np.testing.assert_allclose(a.imu[s]["gyro"], b.imu[s]["gyro"], rtol=0, atol=GYRO_TOL * max(1.0, 0.02 / h),
                                   err_msg=s)


def test_fast_and_blender_engines_agree_at_every_preset(walk):
    f, b = bake(walk), bake(walk, engine="blender")
    assert set(f.imu) == set(b.imu) and len(f.imu) == 2 + len(SURFACE) + 22
    _same(f, b, f.imu)


def test_torch_batch_agrees_at_every_preset(walk):
    baker = Baker(BakeConfig(fps=FPS, sensors=("imu",), imu_sites=ALL, engine="fast", device="cpu"))
    (batch,) = baker.bake_many([(walk, ANNY)], use_torch=True)
    single = bake(walk)
    assert batch.meta["engine"] == "fast"
    for s in single.imu:   # torch float64 vs numpy: same maths
        np.testing.assert_allclose(batch.imu[s]["acc"], single.imu[s]["acc"], atol=1e-3, err_msg=s)
        np.testing.assert_allclose(batch.imu[s]["gyro"], single.imu[s]["gyro"], atol=1e-4, err_msg=s)


def test_site_names_on_the_command_line():
    cfg = BakeConfig(imu_sites=("right_pocket:screen_in", "top_down", "left_wrist", "joints")).validated()
    assert cfg.imu_sites == ("right_pocket:screen_in,top_down", "left_wrist", "joints")
    assert P.site_names(cfg.imu_sites)[:2] == ["right_pocket", "left_wrist"]
    assert len(P.site_names(cfg.imu_sites)) == 24
    for bad, why in [(("left_pocket:sideways",), "mounting"), (("left_wrist:screen_in",), "only surface"),
                     (("pocket",), "unknown IMU site"), (("joint.left_hip", "joints"), "listed twice"),
                     (("left_pocket:screen_in,screen_out",), "mounting")]:
        with pytest.raises(ConfigError, match=why):
            BakeConfig(imu_sites=bad).validated()


def test_placement_jitter_moves_and_tilts_surface_devices_and_draws_any_mounting():
    from addon.sensors.sites import placement_jitter

    names = ("left_wrist", "right_pocket:any", "chest", "joint.head")
    draws = [placement_jitter(1.0, 0, f"clip{i}", names) for i in range(40)]
    assert all(set(d) == {"left_wrist", "right_pocket", "chest"} for d in draws)
    ways = {d["right_pocket"][3:] for d in draws}
    assert len(ways) == 4                     # all four ways a phone goes into a pocket
    assert {d["chest"][3:] for d in draws} == {("", "")}
    p = P.SURFACE["right_pocket"]
    for d in draws:
        along, around, tilt, _, _ = d["right_pocket"]
        assert p.along_m[0] <= along <= p.along_m[1] and p.around_deg[0] <= around <= p.around_deg[1]
        assert max(abs(t) for t in tilt) <= p.tilt_deg
    # the wrists draw exactly what they drew before surface sites existed (old corpora stay valid)
    assert placement_jitter(1.0, 0, "clip0", ("left_wrist",))["left_wrist"] == draws[0]["left_wrist"]
    m = still()
    rec = Baker(BakeConfig(fps=FPS, sensors=("imu",), imu_sites=("right_pocket:any",), imu_placement_jitter=1.0,
                           engine="fast")).bake(m, ANNY)
    g = rec.imu["right_pocket"]["acc"][10].copy()
    assert abs(np.linalg.norm(g) - 9.81) < 1e-3 and abs(g[1]) > 8.0     # upright or upside down, tilted a little


def test_training_maps_a_real_phone_mounting_onto_the_simulated_pocket(tmp_path):
    """`weartwin train --sim-axes left_pocket:screen_in,top_down`: simulated pocket readings are turned
    from the mounting each export was baked with into the real phone's, the same rotation the bake
    itself gives for that mounting."""
    from ml.api import remount
    from ml.data.channels import check_sim_axes
    from ml.data.readers.weartwin import read as read_exports

    m = still(30)
    m.rotations[:, BODY_JOINTS.index("left_hip"), 0] = -np.radians(50) * np.sin(np.linspace(0, np.pi, 30))
    baker = Baker(BakeConfig(fps=FPS, sensors=("imu",), imu_sites=("left_pocket",), engine="fast"))
    rec = baker.bake(m, ANNY)
    from addon.export.recording import write_npz

    (tmp_path / "lift").mkdir()
    write_npz(rec, tmp_path / "lift" / "a.npz")
    (seq,) = read_exports(tmp_path, print)
    turned = remount(seq, "left_pocket:screen_in,top_down")
    want = bake(m, ("left_pocket:screen_in,top_down",)).imu["left_pocket"]
    cols = [list(seq.channels).index(f"left_pocket.{q}") for q in ("acc_x", "acc_y", "acc_z")]
    np.testing.assert_allclose(turned.data[:, cols], want["acc"], atol=1e-3)
    for bad in ("left_pocket:upside", "left_wrist:screen_in"):
        with pytest.raises(ValueError, match="sim-axes"):
            check_sim_axes(bad)
    check_sim_axes("-x,-y,z")
