"""Pose2Imp against answers derived by hand (cylinder R = ρL/A, Cole model limits), then on the
real Anny body in real Blender: T-pose path length, hands together (contact), electrodes."""
from __future__ import annotations

import bpy  # mathutils comes with it; the soft-body test reads the scene
import numpy as np
import pytest
from mathutils.bvhtree import BVHTree

from addon.bake import Baker
from addon.body.variants import BodyLibrary, BodyVariant
from addon.config import BakeConfig
from addon.motion import Motion
from addon.motion.procedural import J, UPRIGHT
from addon.motion.skeleton import BODY_JOINTS
from addon.sensors.impedance.electrodes import ElectrodeError, resolve_pairs
from addon.sensors.impedance.graph import CHORD, BodyGraph, chord_is_inside
from addon.sensors.impedance.simulate import path_impedance_inputs
from addon.sensors.impedance.tissue import ColeTissue, TissueModel, magnitude_phase


def cylinder(r=0.04, L=0.5, n_around=64, n_rings=41):
    """Closed cylinder along z (rings of vertices, triangulated side, fan caps)."""
    th = 2 * np.pi * np.arange(n_around) / n_around
    zs = np.linspace(0, L, n_rings)
    v = [np.stack([r * np.cos(th), r * np.sin(th), np.full(n_around, z)], 1) for z in zs]
    v = np.concatenate(v + [np.array([[0, 0, 0.0], [0, 0, L]])])
    f = []
    for k in range(n_rings - 1):
        for i in range(n_around):
            a, b = k * n_around + i, k * n_around + (i + 1) % n_around
            c, d = a + n_around, b + n_around
            f += [(a, b, c), (b, d, c)]  # counter-clockwise seen from outside
    bottom, top = len(v) - 2, len(v) - 1
    last = (n_rings - 1) * n_around
    for i in range(n_around):
        f.append((bottom, (i + 1) % n_around, i))
        f.append((top, last + i, last + (i + 1) % n_around))
    return v, np.array(f, dtype=np.int64), n_around


def test_cole_model_limits():
    c = ColeTissue(rho0=2.0, rho_inf=1.3, fc=50e3, alpha=0.7)
    assert abs(c.resistivity(1e-3) - 2.0) < 1e-3          # DC: ρ0
    assert abs(c.resistivity(1e12) - 1.3) < 1e-3          # high frequency: ρ∞
    mag, ph = magnitude_phase(c.resistivity(np.array([5e3, 50e3, 500e3])))
    assert np.all(np.diff(mag) < 0) and np.all(ph < 0)    # falls with frequency, capacitive
    assert np.argmin(ph) == 1                             # largest phase near f_c


def test_cylinder_resistance_is_rho_L_over_A():
    r, L, rho = 0.04, 0.5, 1.7
    v, f, n = cylinder(r, L)
    g = BodyGraph(v, f)
    assert len(g.chords) > 0
    bvh = BVHTree.FromPolygons(v.tolist(), f.tolist(), all_triangles=True)
    res = g.shortest_path(v, np.arange(n), np.arange(40 * n, 41 * n), bvh)
    assert res.length == pytest.approx(L, rel=1e-6)
    K, areas, length = path_impedance_inputs(bvh, res.points)
    model = TissueModel(tissue=ColeTissue(rho0=rho, rho_inf=rho), electrode=None, skin_contact=None)
    Z = model.impedance([K], [50e3])[0, 0]
    assert abs(Z.imag) < 1e-9
    assert Z.real == pytest.approx(rho * L / (np.pi * r ** 2), rel=0.02)


def test_path_goes_through_the_body_not_around_it():
    """Electrodes on opposite sides of a tube: the surface way round is πr, through is 2r."""
    r = 0.04
    v, f, n = cylinder(r, 0.5)
    src, dst = np.array([20 * n]), np.array([20 * n + n // 2])
    through = BodyGraph(v, f).shortest_path(v, src, dst, BVHTree.FromPolygons(v.tolist(), f.tolist()))
    around = BodyGraph(v, f, chords=np.zeros((0, 2))).shortest_path(v, src, dst)
    assert around.length == pytest.approx(np.pi * r, rel=0.01)
    # 4 random chords per vertex (speed): the way across is a chain of chords, within 25% of 2r
    assert 2 * r - 1e-6 <= through.length < 1.25 * 2 * r < around.length


def test_chords_that_leave_a_bent_tube_are_rejected():
    """Chords chosen on the straight tube (the rest pose); bend it 90°: the ray tests reject the
    chords that now cut through the air inside the bend, and the path keeps only inside chords."""
    v2, f, n = cylinder(0.04, 0.4, 32, 41)
    z0, R0 = 0.15, 0.06  # bend towards +x around an arc of radius 6 cm from z = 0.15
    s_end = np.pi / 2 * R0
    v = v2.copy()
    s = v2[:, 2] - z0
    arc = (s > 0) & (s <= s_end)
    th = s[arc] / R0
    v[arc, 0] = R0 - (R0 - v2[arc, 0]) * np.cos(th)
    v[arc, 2] = z0 + (R0 - v2[arc, 0]) * np.sin(th)
    far = s > s_end
    v[far, 0] = R0 + (s[far] - s_end)
    v[far, 2] = z0 + R0 - v2[far, 0]
    g = BodyGraph(v2, f)
    bvh = BVHTree.FromPolygons(v.tolist(), f.tolist(), all_triangles=True)
    outside = [c for c, (a, b) in enumerate(g.chords) if not chord_is_inside(bvh, v[a], v[b])]
    assert 0 < len(outside) < 0.1 * len(g.chords)
    c = outside[len(outside) // 2]
    src, dst = g.chords[c, :1], g.chords[c, 1:]
    trusting = g.shortest_path(v, src, dst, None)     # takes the straight chord through the air
    assert trusting.length == pytest.approx(np.linalg.norm(v[src[0]] - v[dst[0]]))
    res = g.shortest_path(v, src, dst, bvh)
    assert c in res.blocked and res.searches > 1
    assert res.length > trusting.length
    steps = np.nonzero(res.kinds == CHORD)[0]
    assert all(chord_is_inside(bvh, v[res.nodes[k]], v[res.nodes[k + 1]]) for k in steps)


# ---- the real body in real Blender ------------------------------------------------------------

def _pose(**joints) -> Motion:
    T = 3
    rot = np.zeros((T, len(BODY_JOINTS), 3))
    rot[:, J["pelvis"]] = UPRIGHT
    for k, val in joints.items():
        rot[:, J[k]] = np.radians(val)
    return Motion(rotations=rot, trans=np.zeros((T, 3)), fps=60.0, joint_names=BODY_JOINTS,
                  source={"format": "test", "path": "test", "sha256": "0"})


HANDS_TOGETHER = dict(left_shoulder=[0, -60, 8], left_elbow=[0, -110, 0],
                      right_shoulder=[0, 60, 0], right_elbow=[0, 110, 0])


@pytest.fixture(scope="module")
def baker():
    return Baker(BakeConfig(sensors=("imu", "impedance"), save_path=True))


def test_tpose_wrist_to_wrist(baker):
    rec = baker.bake(_pose(), BodyVariant("", "anny", {}, 1.7))
    ch = rec.imp["wrist_wrist"]
    assert 1.1 <= ch["length"][1] <= 1.6
    # published hand-to-hand |Z| of adults at 50 kHz (Kyle et al. 2004; Lukaski 1996): ~550-800 ohm
    assert 500 <= ch["mag"][1] <= 800
    assert -12 <= ch["phase"][1] <= -5          # capacitive, phase angle ~6-8 deg
    assert ch["contact"][1] == 0
    path = ch["path"][1]
    assert path.shape == (32, 3)
    # the path runs from one wrist to the other, across the chest, at shoulder height
    assert path[0, 0] * path[-1, 0] < 0 and abs(path[0, 0]) > 0.5
    assert np.all(path[:, 2] > 1.2)


def test_hands_together_opens_a_parallel_path_and_lowers_impedance(baker):
    t = baker.bake(_pose(), BodyVariant("", "anny", {}, 1.7)).imp["wrist_wrist"]
    h = baker.bake(_pose(**HANDS_TOGETHER), BodyVariant("", "anny", {}, 1.7)).imp["wrist_wrist"]
    assert h["contact"][1] == 1 and h["contact_area"][1] > 0
    assert h["mag"][1] < 0.8 * t["mag"][1]


def test_frequencies_and_meta(tmp_path):
    cfg = BakeConfig(sensors=("impedance",), frequencies=(5e3, 50e3, 200e3))
    rec = Baker(cfg).bake(_pose(), BodyVariant("", "anny", {}, 1.7))
    ch = rec.imp["wrist_wrist"]
    assert ch["mag"].shape == (3, 3) and ch["phase"].shape == (3, 3)
    assert np.all(np.diff(ch["mag"][1]) < 0)     # |Z| falls with frequency
    meta = rec.meta["pairs"]["wrist_wrist"]
    assert meta["frequencies_hz"] == [5e3, 50e3, 200e3]
    assert meta["a"]["kind"] == "preset" and len(meta["a"]["vertices"]) >= 3
    assert "cole" in meta["tissue_model"]
    assert rec.imu == {}


def test_user_electrodes_by_vertices_and_bone():
    asset, align = BodyLibrary().get(BodyVariant("", "anny", {}, 1.7))
    left = resolve_pairs(asset, ["wrist_wrist"], {}, align)[0][1]
    defs = {"mine": "vertices:" + ",".join(map(str, left.vertices)), "band": "bone:lowerarm01.R:0.1"}
    (name, a, b), = resolve_pairs(asset, ["mine:band"], defs, align)
    assert a.kind == "vertices" and np.array_equal(a.vertices, left.vertices)
    assert b.kind == "band" and len(b.vertices) > 10 and np.all(asset.vertices[b.vertices, 0] < 0)
    for bad in ("vertices:1,x", "vertices:99999999", "bone:nope:0.1", "bone:lowerarm01.R:abc", "what"):
        with pytest.raises(ElectrodeError):
            resolve_pairs(asset, ["x:left_wrist"], {"x": bad}, align)
    with pytest.raises(ElectrodeError):
        resolve_pairs(asset, ["no_such_pair"], {}, align)


def test_softbody_moves_flesh_not_hands_and_contacts_still_work():
    from addon.motion.procedural import demo_motion
    from addon.sensors.impedance.graph import segment_labels

    m = demo_motion()
    m = Motion(rotations=m.rotations[:90], trans=m.trans[:90], fps=m.fps, joint_names=m.joint_names,
               source=m.source)
    cfg = BakeConfig(sensors=("imu", "impedance"), softbody=True)
    rec = Baker(cfg).bake(m, BodyVariant("", "anny", {}, 1.7))
    assert "softbody_setup_s" in rec.meta["timings"] and rec.meta["config"]["softbody"]
    assert np.isfinite(rec.imp["wrist_wrist"]["mag"]).all()
    body = next(o for o in bpy.data.objects if o.get("weartwin_role") == "body")
    cage = next(o for o in bpy.data.objects if o.get("weartwin_role") == "softbody_cage")
    assert len(cage.data.vertices) < len(body.data.vertices) / 10
    sd = body.modifiers["SurfaceDeform"]
    scene = bpy.context.scene

    def verts():
        me = body.evaluated_get(bpy.context.evaluated_depsgraph_get()).data
        a = np.empty(len(me.vertices) * 3, np.float32)
        me.vertices.foreach_get("co", a)
        return a.reshape(-1, 3)

    scene.frame_set(60)  # mid-curl: the arms accelerate
    soft = verts()
    sd.show_viewport = False
    rigid = verts()
    sd.show_viewport = True
    asset = rec.debug["asset"]
    labels, names = segment_labels(asset)
    d = np.linalg.norm(soft - rigid, axis=1)
    hands = np.isin(labels, [names.index("left_hand"), names.index("right_hand")])
    assert d[hands].max() < 1e-3           # hands stay skinned (sub-millimetre at the wrist edge)
    # flesh moves, by millimetres to centimetres, and nowhere jumps: bound on frame 0 with the
    # arms hanging, thigh vertices beside the hands once followed the hands up the curl (31 cm)
    assert 1e-3 < np.percentile(d, 99.9) and d.max() < 0.03

    h = Baker(cfg).bake(_pose(**HANDS_TOGETHER), BodyVariant("", "anny", {}, 1.7)).imp["wrist_wrist"]
    assert h["contact"][1] == 1 and h["mag"][1] < 0.8 * rec.imp["wrist_wrist"]["mag"].max()


def test_contact_never_raises_impedance_and_zero_distance_turns_it_off():
    v = BodyVariant("", "anny", {}, 1.7)
    on = Baker(BakeConfig(sensors=("impedance",), contact_distance=0.002)).bake(_pose(**HANDS_TOGETHER), v)
    wide = Baker(BakeConfig(sensors=("impedance",), contact_distance=0.01)).bake(_pose(**HANDS_TOGETHER), v)
    off = Baker(BakeConfig(sensors=("impedance",), contact_distance=0.0)).bake(_pose(**HANDS_TOGETHER), v)
    z_on, z_wide, z_off = (r.imp["wrist_wrist"] for r in (on, wide, off))
    assert z_off["contact"].max() == 0 and z_on["contact"][1] == 1
    assert z_wide["mag"][1] <= z_on["mag"][1] <= z_off["mag"][1]
    # arms hanging at the sides, hands near the thighs: no contact at the default 2 mm
    sides = Baker(BakeConfig(sensors=("impedance",))).bake(
        _pose(left_shoulder=[0, 0, -80], right_shoulder=[0, 0, 80]), v).imp["wrist_wrist"]
    assert sides["contact"].max() == 0


def test_impedance_follows_height_and_is_smooth_through_elbow_flexion():
    """|Z| ~ length/area: the same body scaled to 1.5 m reads higher than at 1.9 m (x 1.9/1.5 = 1.27
    for a uniform scale of every tissue; the fixed parts - 1.2 cm electrode patches, the 15 cm
    reach of a trunk cross-section, 2 cm² finger floor - make it ~1.17). A smooth 0 -> 150 deg elbow flexion gives a smooth |Z|: frame-to-frame
    change p95 < 1%, no jump > 3% (ray-cast cross-sections collapsed at the fold: +65-85%)."""
    b = Baker(BakeConfig(sensors=("impedance",)))
    z15 = b.bake(_pose(), BodyVariant("", "anny", {}, 1.5)).imp["wrist_wrist"]["mag"][1]
    z19 = b.bake(_pose(), BodyVariant("", "anny", {}, 1.9)).imp["wrist_wrist"]["mag"][1]
    assert 1.1 < z15 / z19 < 1.3
    T = 90
    rot = np.zeros((T, len(BODY_JOINTS), 3))
    rot[:, J["pelvis"]] = UPRIGHT
    rot[:, J["left_elbow"], 1] = -np.radians(150) * (1 - np.cos(np.linspace(0, np.pi, T))) / 2
    m = Motion(rotations=rot, trans=np.zeros((T, 3)), fps=60.0, joint_names=BODY_JOINTS, source={"format": "test"})
    z = b.bake(m, BodyVariant("", "anny", {}, 1.7)).imp["wrist_wrist"]["mag"]
    step = np.abs(np.diff(z)) / z[:-1]
    assert np.percentile(step, 95) < 0.01 and step.max() < 0.03
    assert z.max() <= 1.05 * z[0]   # no rise from a collapsing fold
