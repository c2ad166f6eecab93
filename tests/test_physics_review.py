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
