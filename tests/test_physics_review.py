"""Checks with known answers from the physics review (issue 15): retargeting (upright zero pose,
inverse kinematics that gives bone directions back, forearm twist on the twist bone), IMU
bandwidth, edges, upsampling and noise presets, impedance as a resistor network. Pure numpy
on the real Anny asset; no Blender bakes here (seconds in all)."""
from __future__ import annotations

import numpy as np
import pytest

from addon.body.anny_body import anny_alignment, anny_asset
from addon.body.retarget import world_deltas
from addon.motion import Motion
from addon.motion.ik import solve_body_rotations
from addon.motion.rotations import axis_angle_to_matrix
from addon.motion.skeleton import BODY_JOINTS, BODY_PARENTS, TPOSE_BODY, joint_positions

J = {n: i for i, n in enumerate(BODY_JOINTS)}


@pytest.fixture(scope="module")
def anny():
    a = anny_asset().scaled_to_height(1.7)
    return a, anny_alignment(a)


def _posed_heads(asset, D):
    """Bone heads (T,B,3) of the posed rig: h'_b = h'_p + D_p (h_b - h_p) (what Blender does)."""
    h = asset.bone_heads.astype(np.float64)
    P = np.empty((len(D),) + h.shape)
    for b, p in enumerate(asset.bone_parents):
        P[:, b] = h[b] if p < 0 else P[:, p] + np.einsum("tij,j->ti", D[:, p], h[b] - h[p])
    return P


def _angle(a, b):
    c = np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    return np.degrees(np.arccos(np.clip(c, -1, 1)))


def _motion(rot):
    rot = np.asarray(rot, float)
    return Motion(rotations=rot, trans=np.zeros((len(rot), 3)), fps=30.0, joint_names=BODY_JOINTS)


def _upright_zero(T=2):
    r = np.zeros((T, 22, 3))
    r[:, 0, 0] = np.pi / 2  # the SMPL canonical (Y up) stood up in Blender's Z-up world
    return r


# -- retargeting -------------------------------------------------------------------------------
def test_zero_pose_is_upright(anny):
    """All joint rotations zero: the pelvis -> neck axis of the posed rig and of the skinned mesh
    (centroids of the pelvis and neck vertices) is vertical within 3 deg."""
    asset, C = anny
    D = world_deltas(_motion(_upright_zero()), asset, C)
    P = _posed_heads(asset, D)[0]
    axis = P[asset.bone_index("neck01")] - P[asset.bone_index("root")]
    assert _angle(axis, np.array([0, 0, 1.0])) < 3.0
    # linear blend skinning of the rest mesh with the same deltas
    h = asset.bone_heads.astype(np.float64)
    v = asset.vertices.astype(np.float64)
    sk = np.zeros_like(v)
    for k in range(asset.weights.shape[1]):
        b = asset.weight_bones[:, k]
        sk += asset.weights[:, k, None] * (np.einsum("vij,vj->vi", D[0][b], v - h[b]) + P[b])
    dom = asset.weight_bones[np.arange(len(v)), np.argmax(asset.weights, 1)]
    pelvis = sk[np.isin(dom, [asset.bone_index(b) for b in ("root", "spine05")])].mean(0)
    neck = sk[dom == asset.bone_index("neck01")].mean(0)
    assert _angle(neck - pelvis, np.array([0, 0, 1.0])) < 3.0


def _random_rotations(T=200, seed=0):
    """Smooth random joint rotations of everyday size (up to ~70 deg per joint), root upright."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, T)[:, None, None]
    a, b, f = rng.normal(0, 0.45, (3, 1, 22, 3))
    r = a * np.sin(2 * np.pi * (1 + 2 * np.abs(f)) * t) + b * t
    r[:, 0] = [np.pi / 2, 0, 0]
    return r


# SMPL-like rest skeleton with other proportions than the IK's template: the ground truth body
SKEWED_REST = TPOSE_BODY * np.array([1.08, 0.95, 1.0]) + np.random.default_rng(3).normal(0, 0.01, TPOSE_BODY.shape)


def test_ik_round_trip_bone_directions():
    """rotations -> FK joints -> IK -> FK joints gives every limb direction back (median < 1 deg,
    all bones median < 5 deg), also when the true skeleton has other proportions; the elbow
    angle comes back within 1 deg (the least-squares fit with grandchildren was 10-13 deg off)."""
    R = axis_angle_to_matrix(_random_rotations())
    for rest in (TPOSE_BODY, SKEWED_REST):
        truth = joint_positions(R, BODY_PARENTS, rest, np.zeros((len(R), 3)))
        back = joint_positions(solve_body_rotations(truth), BODY_PARENTS, TPOSE_BODY, np.zeros((len(R), 3)))
        err = {BODY_JOINTS[j]: _angle(truth[:, j] - truth[:, p], back[:, j] - back[:, p])
               for j, p in enumerate(BODY_PARENTS) if p >= 0}
        assert np.median(np.concatenate(list(err.values()))) < 5.0
        for s in ("left", "right"):
            for limb in ("elbow", "wrist", "knee", "ankle"):
                assert np.median(err[f"{s}_{limb}"]) < 1.0, (s, limb)
            sh, el, wr = (J[f"{s}_{k}"] for k in ("shoulder", "elbow", "wrist"))
            e_true = _angle(truth[:, sh] - truth[:, el], truth[:, wr] - truth[:, el])
            e_back = _angle(back[:, sh] - back[:, el], back[:, wr] - back[:, el])
            assert np.median(np.abs(e_true - e_back)) < 1.0


def test_ik_joint_directions_on_the_anny_body(anny):
    """Ground-truth joints -> IK -> Anny rig: the posed upper arm, forearm, thigh and shin point
    as the ground truth's within 5 deg (median)."""
    asset, C = anny
    R = axis_angle_to_matrix(_random_rotations(120, seed=1))
    truth = joint_positions(R, BODY_PARENTS, SKEWED_REST, np.zeros((len(R), 3)))
    from addon.motion.rotations import matrix_to_axis_angle
    P = _posed_heads(asset, world_deltas(_motion(matrix_to_axis_angle(solve_body_rotations(truth))), asset, C))
    for s, S in (("left", "L"), ("right", "R")):
        for (j0, j1), (b0, b1) in {("shoulder", "elbow"): ("upperarm01", "lowerarm01"),
                                   ("elbow", "wrist"): ("lowerarm01", "wrist"),
                                   ("hip", "knee"): ("upperleg01", "lowerleg01"),
                                   ("knee", "ankle"): ("lowerleg01", "foot")}.items():
            want = truth[:, J[f"{s}_{j1}"]] - truth[:, J[f"{s}_{j0}"]]
            got = P[:, asset.bone_index(f"{b1}.{S}")] - P[:, asset.bone_index(f"{b0}.{S}")]
            assert np.median(_angle(want, got)) < 5.0, (s, j0, j1)


def test_forearm_twist_is_shared_with_the_twist_bone(anny):
    """A wrist twist about the forearm axis turns the twist bone (distal forearm skin) with the
    hand; the forearm bone itself (elbow) does not turn."""
    asset, C = anny
    r = _upright_zero()
    r[1, J["left_wrist"]] = [1.2, 0, 0]   # 69 deg about the forearm (template +X) axis
    D = world_deltas(_motion(r), asset, C)

    def turned(bone):
        b = asset.bone_index(bone)
        R = D[1, b] @ D[0, b].T
        return np.degrees(np.arccos(np.clip((np.trace(R) - 1) / 2, -1, 1)))

    assert turned("lowerarm01.L") < 0.1
    assert abs(turned("lowerarm02.L") - np.degrees(1.2)) < 0.5
    assert abs(turned("wrist.L") - np.degrees(1.2)) < 0.5


# -- IMU: bandwidth, edges, upsampling, noise presets, watch axes -------------------------------
from addon.sensors.imu import (NOISE_PRESETS, BandFilter, angular_velocity,  # noqa: E402
                               noise_preset, specific_force, world_acceleration)

FPS = 60.0


def _gain(y, t, f):
    A = np.stack([np.sin(2 * np.pi * f * t), np.cos(2 * np.pi * f * t)], 1)
    return np.hypot(*np.linalg.lstsq(A, y, rcond=None)[0])


@pytest.mark.parametrize("source_fps,passband", [(120.0, 20.0), (30.0, 12.0), (20.0, 8.0)])
def test_derivative_filter_band_follows_the_source_rate(source_fps, passband):
    """Flat (±1%) to 0.9 x the pass band, ≤ 5% from the stop band on; the pass band is
    min(20 Hz, 0.8 x source Nyquist). A 0.1 s Savitzky-Golay filter kept 37% at 10 Hz."""
    F = BandFilter.for_rates(FPS, source_fps)
    assert F.passband == pytest.approx(passband)
    t = np.arange(900) / FPS
    inner = slice(120, -120)
    for f in np.linspace(0.5, 0.9 * passband, 6).tolist() + [F.stopband, F.stopband + 2]:
        x = np.sin(2 * np.pi * f * t)
        acc = world_acceleration(np.stack([x, 0 * x, 0 * x], 1), F)[inner, 0]
        R = axis_angle_to_matrix(np.stack([0 * t, 0 * t, 0.2 * x], 1))
        gyro = angular_velocity(R, FPS, F)[inner, 2]
        g_acc = _gain(acc, t[inner], f) / (2 * np.pi * f) ** 2
        g_gyro = _gain(gyro, t[inner], f) / (0.2 * 2 * np.pi * f)
        if f <= 0.9 * passband:
            assert abs(g_acc - 1) < 0.01 and abs(g_gyro - 1) < 0.01, f
        else:
            assert g_acc < 0.05 and g_gyro < 0.05, f


def test_band_filter_is_exact_for_constant_rates_and_circles():
    F = BandFilter.for_rates(FPS, 120.0)
    T = 240
    t = np.arange(T) / FPS
    for omega, r in ((1.0, 0.5), (3.0, 0.8), (-2.0, 0.3)):
        th = omega * t
        pos = np.stack([r * np.cos(th), r * np.sin(th), np.full(T, 1.2)], -1)
        R = axis_angle_to_matrix(np.stack([0 * t, 0 * t, th], 1))
        acc = specific_force(pos, R, FPS, F)
        gyro = angular_velocity(R, FPS, F)
        np.testing.assert_allclose(gyro[:, 2], omega, rtol=1e-9)   # to the very ends
        np.testing.assert_allclose(acc[:, 2], 9.81, rtol=1e-9)
        n = F.taps // 2  # beyond the reach of the ends' polynomial extension
        np.testing.assert_allclose(acc[n:-n, 0], -omega ** 2 * r, rtol=1e-3)
        np.testing.assert_allclose(acc[:, 0], -omega ** 2 * r, rtol=0.08)  # first/last sample


def test_band_filter_edges_do_not_amplify_jitter():
    """White jitter on a still sensor: the first and last readings are no noisier than the
    interior (the Savitzky-Golay 'interp' ends were ~3x noisier)."""
    rng = np.random.default_rng(0)
    F = BandFilter.for_rates(FPS, 120.0)
    edge, inner = [], []
    for _ in range(40):
        a = world_acceleration(1e-3 * rng.normal(size=(300, 3)), F)
        edge.append(np.r_[a[:3], a[-3:]])
        inner.append(a[60:-60])
    assert np.std(edge) < 1.3 * np.std(inner)


def test_upsampling_has_no_kinks_at_source_frames():
    """A 20 fps elbow swing upsampled to 60 Hz: the angular acceleration of the result follows
    the true one (the piecewise slerp gave spikes at every source frame)."""
    from addon.motion.resample import resample

    f, amp = 1.3, 0.8
    T = 61
    t = np.arange(T) / 20.0
    rot = _upright_zero(T)
    rot[:, J["left_elbow"], 2] = amp * np.sin(2 * np.pi * f * t)
    up = resample(_motion(rot).replace(fps=20.0), 60.0)
    th = up.rotations[:, J["left_elbow"], 2]
    tt = np.arange(len(th)) / 60.0
    alpha = np.diff(th, 2) * 60.0 ** 2
    truth = -(2 * np.pi * f) ** 2 * amp * np.sin(2 * np.pi * f * tt[1:-1])
    inner = slice(6, -6)
    assert np.abs(alpha - truth)[inner].max() < 0.1 * (2 * np.pi * f) ** 2 * amp


@pytest.mark.parametrize("name", sorted(NOISE_PRESETS))
def test_noise_preset_statistics(name):
    """A still sensor: white noise of density x sqrt(fps/2) (plus quantization), a bias per
    recording with the preset's spread, readings on the LSB grid; never exactly 9.810."""
    n = NOISE_PRESETS[name]
    T = 6000
    acc = np.tile([0.0, 0.0, 9.81], (T, 1))
    gyro = np.zeros((T, 3))
    lsb_a = 2 * n.acc_range / 2 ** n.bits
    lsb_g = 2 * n.gyro_range / 2 ** n.bits
    a, g = n.apply(acc, gyro, FPS, np.random.default_rng(1))
    sd_a = np.sqrt((n.acc_noise_density * np.sqrt(FPS / 2)) ** 2 + lsb_a ** 2 / 12)
    assert np.std(a[:, 0]) == pytest.approx(sd_a, rel=0.15)
    assert np.std(g[:, 0]) < 1.3 * np.sqrt((n.gyro_noise_density * np.sqrt(FPS / 2)) ** 2 + lsb_g ** 2 / 12)
    assert not np.allclose(a[:, 2], 9.81)
    biases = np.array([n.apply(acc[:200], gyro[:200], FPS, np.random.default_rng(s))[0][:, 0].mean()
                       for s in range(300)])
    assert np.std(biases) == pytest.approx(np.hypot(n.acc_bias_sd, sd_a / np.sqrt(200)), rel=0.2)


def test_noise_preset_names_and_compat():
    assert not noise_preset("none").enabled and not noise_preset(False).enabled
    assert noise_preset(True) is NOISE_PRESETS["smartwatch"]  # the former on/off switch
    with pytest.raises(ValueError, match="unknown IMU noise preset"):
        noise_preset("loud")


def _skin(asset, D, P, ids):
    h = asset.bone_heads.astype(np.float64)
    v = asset.vertices[ids].astype(np.float64)
    out = np.zeros((len(D),) + v.shape)
    for k in range(asset.weights.shape[1]):
        b = asset.weight_bones[ids, k]
        out += asset.weights[ids, k, None] * (np.einsum("tvij,vj->tvi", D[:, b], v - h[b]) + P[:, b])
    return out


def test_watch_axes_match_android_on_both_wrists(anny):
    """T-pose, palms down, a watch worn normally on each wrist: both crowns (3 o'clock, +x)
    point to the body's left (+X), both screens (+z) up, both 12 o'clocks (+y) backwards (+Y)
    - the same frame on both wrists. The anatomical frames differ by 180 deg about z."""
    from addon.sensors.imu import frame_from_points
    from addon.sensors.sites import make_sites

    asset, C = anny
    D = world_deltas(_motion(_upright_zero()), asset, C)
    P = _posed_heads(asset, D)
    for axes, right_sign in (("watch", 1.0), ("anatomical", -1.0)):
        for s in make_sites(asset, ["left_wrist", "right_wrist"], C, axes=axes):
            p = _skin(asset, D, P, list(s.vertices))[0]
            R = frame_from_points(p[None, 0], p[None, 1], p[None, 2])[0] * s.axis_signs
            sign = right_sign if s.name == "right_wrist" else 1.0
            assert R[:, 0] @ [sign, 0, 0] > 0.9, (axes, s.name)
            assert R[:, 2] @ [0, 0, 1] > 0.9, (axes, s.name)
            assert R[:, 1] @ [0, sign, 0] > 0.9, (axes, s.name)


# -- impedance as a circuit ---------------------------------------------------------------------
from addon.sensors.impedance.graph import BodyGraph  # noqa: E402
from addon.sensors.impedance.sections import tube_areas  # noqa: E402
from addon.sensors.impedance.tissue import ColeTissue, Interface, TissueModel  # noqa: E402


def _effective_impedance(n, branches, a, b):
    """Impedance between nodes a and b of a network {(i, j): Z} by the Laplacian (Kirchhoff)."""
    Lp = np.zeros((n, n), complex)
    for (i, j), z in branches.items():
        y = 1 / z
        Lp[i, i] += y
        Lp[j, j] += y
        Lp[i, j] -= y
        Lp[j, i] -= y
    keep = [k for k in range(n) if k != b]
    I = np.zeros(n, complex)
    I[a] = 1.0
    V = np.linalg.solve(Lp[np.ix_(keep, keep)], I[keep])
    return V[keep.index(a)]


def test_network_formula_is_kirchhoff():
    """The bake's reduced network, A -K1- M -K2- N -K3- B with the contact branch M -Kc- P =Zc= Q - N,
    equals the Laplacian solution of the same resistor/RC network."""
    model = TissueModel(electrode=None)
    rho = model.tissue.resistivity(50e3)
    zs = model.skin_contact.specific(50e3)
    rng = np.random.default_rng(0)
    for _ in range(20):
        K1, K2, K3, Kc = rng.uniform(1, 150, 4)
        area = rng.uniform(1e-5, 5e-3)
        got = model.impedance([K1 + K2 + K3], [50e3], contact_area=[area], k_shared=[K1 + K3], k_contact=[Kc])[0, 0]
        # nodes: 0 A, 1 M, 2 N, 3 B, 4 P (Q joins N)
        net = {(0, 1): rho * K1, (1, 2): rho * K2, (2, 3): rho * K3, (1, 4): rho * Kc, (4, 2): 2 * zs / area}
        assert got == pytest.approx(_effective_impedance(5, net, 0, 3), rel=1e-9)
        assert abs(got) <= abs(model.impedance([K1 + K2 + K3], [50e3])[0, 0]) + 1e-9  # contact never raises |Z|


def test_resistor_series_parallel():
    """Pure resistors (ρ constant, no interfaces): R = ρ(K1+K3) + ρK2·ρKc/(ρK2+ρKc)."""
    rho = 2.0
    model = TissueModel(tissue=ColeTissue(rho0=rho, rho_inf=rho), electrode=None,
                        skin_contact=Interface(r=1e-12, c=0.0))
    Z = model.impedance([100.0], [50e3], contact_area=[1.0], k_shared=[30.0], k_contact=[70.0])[0, 0]
    assert Z.real == pytest.approx(2 * 30 + (2 * 70) * (2 * 70) / (2 * 70 + 2 * 70))
    assert Z.imag == pytest.approx(0, abs=1e-9)
    # no contact area: the body alone
    assert model.impedance([100.0], [50e3], contact_area=[0.0], k_shared=[30.0], k_contact=[70.0])[0, 0].real == pytest.approx(200)


def tube(profile, L=0.5, n_around=48, n_rings=61):
    """Closed tube along z with radius profile(z)."""
    th = 2 * np.pi * np.arange(n_around) / n_around
    zs = np.linspace(0, L, n_rings)
    v = np.concatenate([np.stack([profile(z) * np.cos(th), profile(z) * np.sin(th), np.full(n_around, z)], 1)
                        for z in zs] + [np.array([[0, 0, 0.0], [0, 0, L]])])
    f = []
    for k in range(n_rings - 1):
        for i in range(n_around):
            a, b = k * n_around + i, k * n_around + (i + 1) % n_around
            f += [(a, b, a + n_around), (b, b + n_around, a + n_around)]
    bottom, top, last = len(v) - 2, len(v) - 1, (n_rings - 1) * n_around
    for i in range(n_around):
        f += [(bottom, (i + 1) % n_around, i), (top, last + i, last + (i + 1) % n_around)]
    return v, np.array(f, np.int64), n_around, n_rings


def _k_between_ends(v_rest, v_now, f, n, rings):
    import bpy  # noqa: F401  (mathutils, for the interior chords)
    g = BodyGraph(v_rest, f)
    g.set_areas(tube_areas(v_rest, np.zeros(3), np.array([0, 0, 1.0])))
    d, _ = g.k_tree(v_now, np.arange(n))
    return d[(rings - 1) * n:rings * n].min()


def test_cylinder_with_a_neck():
    """K = ∫ dz / (π r(z)²) for a tube narrowing from 4 cm to 2 cm radius and back (within 4%)."""
    L = 0.5
    prof = lambda z: 0.04 - 0.02 * np.exp(-((z - L / 2) / 0.05) ** 2)  # noqa: E731
    v, f, n, rings = tube(prof, L)
    z = np.linspace(0, L, 20001)
    truth = np.trapz(1 / (np.pi * prof(z) ** 2), z)
    assert _k_between_ends(v, v, f, n, rings) == pytest.approx(truth, rel=0.04)


def test_folded_tube_keeps_its_cross_section():
    """Bend a tube 120° about an axis 6 cm from its centre line: the rest cross-sections are
    carried, so K stays within 10% of the straight tube's (ray casts on the fold read a collapsed
    section and +65-85%)."""
    r, L = 0.04, 0.5
    v, f, n, rings = tube(lambda z: r, L)
    straight = _k_between_ends(v, v, f, n, rings)
    z0, R0, ang = 0.22, 0.06, np.radians(120)
    s = v[:, 2] - z0
    bent = v.copy()
    arc = (s > 0) & (s <= R0 * ang)
    th = s[arc] / R0
    bent[arc, 0] = R0 - (R0 - v[arc, 0]) * np.cos(th)
    bent[arc, 2] = z0 + (R0 - v[arc, 0]) * np.sin(th)
    far = s > R0 * ang
    u = np.array([np.sin(ang), 0, np.cos(ang)])        # the far part's axis
    nrm = np.array([-np.cos(ang), 0, np.sin(ang)])      # its radial x direction
    centre = np.array([R0, 0, z0]) + R0 * np.array([-np.cos(ang), 0, np.sin(ang)])
    bent[far] = centre + np.outer(s[far] - R0 * ang, u) + np.outer(v[far, 0], nrm) + np.outer(v[far, 1], [0, 1, 0])
    folded = _k_between_ends(v, bent, f, n, rings)
    assert 0.85 * straight < folded < 1.1 * straight


def test_contact_only_where_skin_touches():
    """Two parallel tubes of different segments: a 1 mm gap touches at --contact-distance 2 mm,
    a 5 mm gap does not, 0 turns contact off; the area grows as the gap closes."""
    v1, f1, n, rings = tube(lambda z: 0.03, 0.3, 32, 31)
    faces = np.concatenate([f1, f1 + len(v1)])
    labels = np.r_[np.zeros(len(v1), int), np.ones(len(v1), int)]
    from addon.sensors.impedance.electrodes import vertex_areas

    def groups(gap, distance):
        v2 = v1 + [0.06 + gap, 0, 0]
        v = np.concatenate([v1, v2])
        g = BodyGraph(np.concatenate([v1, v1 + [0.3, 0, 0]]), faces, labels, ["left_hand", "torso"],
                      chords=np.zeros((0, 2)))
        return g.contact_groups(v, distance, vertex_areas(v, faces))

    assert groups(0.005, 0.002) == [] and groups(0.001, 0.0) == []
    a1 = sum(x["area"] for x in groups(0.0015, 0.002))
    a2 = sum(x["area"] for x in groups(0.0005, 0.002))
    assert 0 < a1 < a2


def test_electrode_types_order_the_interface():
    """Tetrapolar (no interface) < bipolar gel < bipolar dry, for the same tissue path."""
    from addon.sensors.impedance.tissue import tissue_model_for

    Z = [tissue_model_for(k).impedance([220.0], [50e3], 4.5e-4, 4.5e-4)[0, 0] for k in ("tetrapolar", "gel", "dry")]
    assert abs(Z[0]) < abs(Z[1]) < abs(Z[2])
    assert abs(Z[1] - Z[0]) == pytest.approx(2 * 0.0032 / 4.5e-4, rel=0.1)  # ≈ 32 Ω·cm² per 4.5 cm² electrode
    with pytest.raises(ValueError):
        tissue_model_for("wet")


@pytest.mark.parametrize("T", [2, 3, 5, 10, 40, 200])
def test_band_filter_on_short_recordings(T):
    """Recordings shorter than the filter: constant acceleration and rotation rate still exact
    (a quadratic / linear extension), whatever the length."""
    F = BandFilter.for_rates(FPS, 20.0)   # 99 taps
    t = np.arange(T) / FPS
    acc = world_acceleration(np.stack([1.5 * t ** 2, 0 * t, 0 * t], 1), F)[:, 0]
    gyro = angular_velocity(axis_angle_to_matrix(np.stack([0 * t, 0 * t, 2 * t], 1)), FPS, F)[:, 2]
    if T >= 3:
        np.testing.assert_allclose(acc, 3.0, atol=1e-6)
    np.testing.assert_allclose(gyro, 2.0, atol=1e-9)
