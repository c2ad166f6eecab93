"""Motion import: every format and variant, Z-up conversion, resampling by time."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from addon.motion import MotionError, load_motion, resample
from addon.motion.formats.humanml3d import joints_from_vecs
from addon.motion.rotations import Y_UP_TO_Z_UP, axis_angle_to_matrix
from addon.motion.skeleton import BODY_PARENTS, TPOSE_BODY, joint_positions
from conftest import need_shared


def _amass(path, T=50, width=156, fps_key="mocap_framerate", gender="female", betas=16, fps=120.0):
    d = {"poses": np.random.default_rng(0).normal(0, 0.2, (T, width)), "trans": np.zeros((T, 3)),
         "betas": np.zeros(betas), "gender": gender}
    if fps_key:
        d[fps_key] = np.array(fps)
    np.savez(path, **d)
    return path


def test_every_shared_motion_imports():
    files = sorted(p for p in need_shared("motion").rglob("*") if p.is_file())
    assert len(files) >= 7
    for f in files:
        m = load_motion(f)
        assert m.n_frames > 10 and m.fps > 0
        assert m.source["sha256"] and m.source["path"] == str(f)
        assert np.all(np.isfinite(m.rotations))


@pytest.mark.parametrize("width,joints", [(72, 24), (156, 52), (165, 55)])
@pytest.mark.parametrize("fps_key", ["mocap_framerate", "mocap_frame_rate"])
def test_amass_variants(tmp_path, width, joints, fps_key):
    m = load_motion(_amass(tmp_path / "a.npz", width=width, fps_key=fps_key, betas=10))
    assert m.rotations.shape == (50, joints, 3) and m.fps == 120.0 and len(m.betas) == 10


@pytest.mark.parametrize("gender", ["male", b"female", np.array("male"), np.array([b"female"])])
def test_amass_gender_forms(tmp_path, gender):
    np.savez(tmp_path / "g.npz", poses=np.zeros((5, 156)), trans=np.zeros((5, 3)),
             mocap_framerate=60.0, gender=gender)
    assert load_motion(tmp_path / "g.npz").gender in ("male", "female")


def test_amass_split_smplx_release(tmp_path):
    T = 10
    np.savez(tmp_path / "x.npz", root_orient=np.zeros((T, 3)), pose_body=np.zeros((T, 63)),
             pose_hand=np.zeros((T, 90)), pose_jaw=np.zeros((T, 3)), pose_eye=np.zeros((T, 6)),
             trans=np.zeros((T, 3)), mocap_frame_rate=30.0, gender="neutral", betas=np.zeros(16))
    m = load_motion(tmp_path / "x.npz")
    assert m.rotations.shape == (T, 55, 3) and m.fps == 30.0


def test_aistpp_pickle_is_converted_to_z_up(tmp_path):
    T = 20
    trans = np.tile([0.0, 90.0, 0.0], (T, 1))  # 0.9 m up in Y-up, at scaling 100
    with open(tmp_path / "d.pkl", "wb") as f:
        pickle.dump({"smpl_poses": np.zeros((T, 72), np.float32), "smpl_trans": trans.astype(np.float32),
                     "smpl_scaling": np.array([100.0], np.float32), "smpl_loss": 0.1}, f)
    m = load_motion(tmp_path / "d.pkl")
    assert m.fps == 60.0
    np.testing.assert_allclose(m.trans[0], [0, 0, 0.9], atol=1e-6)  # Y-up -> Z-up, cm -> m
    # zero root rotation in Y-up == the upright +90 deg about X in Z-up
    np.testing.assert_allclose(axis_angle_to_matrix(m.rotations[0, 0]), Y_UP_TO_Z_UP, atol=1e-9)


def test_mosh_pickle(tmp_path):
    T = 12
    with open(tmp_path / "m.pkl", "wb") as f:
        pickle.dump({"pose_est_fullposes": np.zeros((T, 156)), "pose_est_trans": np.ones((T, 3)),
                     "shape_est_betas": np.zeros(10), "mocap_framerate": 100.0}, f)
    m = load_motion(tmp_path / "m.pkl")
    assert m.rotations.shape == (T, 52, 3) and m.fps == 100.0 and m.source["format"] == "mosh"
    # no frame rate: clear error unless the user gives one
    with open(tmp_path / "n.pkl", "wb") as f:
        pickle.dump({"pose_est_fullposes": np.zeros((T, 156)), "pose_est_trans": np.ones((T, 3))}, f)
    with pytest.raises(MotionError, match="n.pkl: no frame rate"):
        load_motion(tmp_path / "n.pkl")
    assert load_motion(tmp_path / "n.pkl", source_fps=50).fps == 50


def test_grab_nested_dicts_via_restricted_unpickler(tmp_path):
    T = 15
    params = {"transl": np.zeros((T, 3)), "global_orient": np.zeros((T, 3)), "body_pose": np.zeros((T, 63)),
              "fullpose": np.zeros((T, 165)), "left_hand_pose": np.zeros((T, 24))}
    np.savez(tmp_path / "grab.npz", body=np.array({"params": params, "vtemp": "s1.ply"}, dtype=object),
             framerate=np.array(120.0), gender=np.array("male"), n_frames=np.array(T))
    m = load_motion(tmp_path / "grab.npz")
    assert m.rotations.shape == (T, 55, 3) and m.fps == 120 and m.source["format"] == "grab"


def test_humanml3d_vectors_recover_the_joints():
    d = need_shared("motion/humanml3d")
    vecs = np.load(d / "012314_new_joint_vecs.npy")
    joints = np.load(d / "012314_new_joints.npy")
    np.testing.assert_allclose(joints_from_vecs(vecs), joints, atol=1e-4)


def test_humanml3d_ik_reproduces_bone_directions():
    d = need_shared("motion/humanml3d")
    m = load_motion(d / "012314_new_joints.npy")
    joints = np.load(d / "012314_new_joints.npy").astype(np.float64)
    # FK of the solved rotations on the template, back in Y-up, vs the recorded bone directions
    R = axis_angle_to_matrix(m.rotations)
    R[:, 0] = Y_UP_TO_Z_UP.T @ R[:, 0]
    P = joint_positions(R, BODY_PARENTS, TPOSE_BODY, np.zeros((len(R), 3)))
    cos = []
    for j, p in enumerate(BODY_PARENTS):
        if p >= 0 and j not in (20, 21, 15):  # leaves whose own rotation is free
            a = P[:, j] - P[:, p]
            b = joints[:, j] - joints[:, p]
            cos.append(np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1))
    assert np.mean(cos) > 0.97 and np.min(cos) > 0.7


@pytest.mark.parametrize("fps_in", [100.0, 120.0, 30.0, 59.94])
def test_resampling_keeps_duration(tmp_path, fps_in):
    T = 241
    m = load_motion(_amass(tmp_path / "r.npz", T=T, fps=fps_in))
    r = resample(m, 60.0)
    assert abs(r.duration - (T - 1) / fps_in) < 1 / 60
    assert r.fps == 60.0


def test_slerp_interpolates_rotation_at_midpoint(tmp_path):
    poses = np.zeros((2, 72))
    poses[1, 3 * 18 + 2] = 1.0  # left elbow 1 rad about Z on the second frame
    np.savez(tmp_path / "s.npz", poses=poses, trans=np.zeros((2, 3)), mocap_framerate=2.0)
    r = resample(load_motion(tmp_path / "s.npz"), 4.0)
    np.testing.assert_allclose(r.rotations[:, 18, 2], [0, 0.5, 1.0], atol=1e-9)
