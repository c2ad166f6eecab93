"""Virtual IMU physics against answers derived by hand: pure functions, then the full
Blender bake (real bpy, real Anny body)."""
from __future__ import annotations

import numpy as np
import pytest

from addon.bake import Baker
from addon.body.variants import BodyVariant
from addon.config import BakeConfig
from addon.motion import Motion
from addon.motion.procedural import UPRIGHT
from addon.motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle, rot_z
from addon.motion.skeleton import BODY_JOINTS
from addon.sensors.imu import GRAVITY, angular_velocity, smoothing_window, specific_force

FPS = 60.0


def _circle(omega: float, r: float, T: int = 240):
    t = np.arange(T) / FPS
    th = omega * t
    pos = np.stack([r * np.cos(th), r * np.sin(th), np.full(T, 1.2)], -1)
    # sensor x radial outward, z up
    R = np.stack([rot_z(np.degrees(a)) for a in th])
    return pos, R


def test_pure_sensor_at_rest_reads_gravity_up():
    T = 100
    pos = np.zeros((T, 3))
    R = np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
    acc = specific_force(pos, R, FPS, smoothing_window(FPS))
    np.testing.assert_allclose(acc, np.tile([0, 0, 9.81], (T, 1)), atol=1e-9)
    np.testing.assert_allclose(angular_velocity(R, FPS, 7), 0, atol=1e-12)


@pytest.mark.parametrize("omega,r", [(1.0, 0.5), (3.0, 0.8), (-2.0, 0.3)])
def test_pure_spinning_sensor(omega, r):
    pos, R = _circle(omega, r)
    acc = specific_force(pos, R, FPS, smoothing_window(FPS))
    gyro = angular_velocity(R, FPS, 7)
    # centripetal acceleration points inward: along -x of a radially-outward sensor
    np.testing.assert_allclose(acc[5:-5, 0], -omega ** 2 * r, rtol=5e-3)  # SG bias ~0.2% at 3 rad/s
    np.testing.assert_allclose(acc[5:-5, 2], 9.81, rtol=1e-6)
    np.testing.assert_allclose(gyro[:, 2], omega, rtol=1e-9)
    np.testing.assert_allclose(gyro[:, :2], 0, atol=1e-9)


def test_pure_gyro_is_in_sensor_frame():
    # constant rotation about the sensor's own x axis while the sensor is tilted in the world
    T = 60
    tilt = axis_angle_to_matrix(np.array([0.3, -0.7, 0.2]))
    R = np.stack([tilt @ axis_angle_to_matrix(np.array([2.0 * k / FPS, 0, 0])) for k in range(T)])
    g = angular_velocity(R, FPS, None)
    np.testing.assert_allclose(g, np.tile([2.0, 0, 0], (T, 1)), atol=1e-9)


def _circle_centre(xy: np.ndarray) -> np.ndarray:
    """Least-squares circle through points: x²+y² + D x + E y + F = 0."""
    A = np.column_stack([xy, np.ones(len(xy))])
    D, E, _ = np.linalg.lstsq(A, -(xy ** 2).sum(1), rcond=None)[0]
    return np.array([-D / 2, -E / 2])


def _standing_tpose(T: int) -> np.ndarray:
    rot = np.zeros((T, len(BODY_JOINTS), 3))
    rot[:, 0] = UPRIGHT
    return rot


@pytest.fixture(scope="module")
def baker():
    return Baker(BakeConfig(sensors=("imu",)))


def test_body_held_still(baker):
    T = 120
    m = Motion(rotations=_standing_tpose(T), trans=np.zeros((T, 3)), fps=FPS, joint_names=BODY_JOINTS)
    rec = baker.bake(m, BodyVariant("", "anny", {}, 1.7))
    for site in ("left_wrist", "right_wrist"):
        acc, gyro = rec.imu[site]["acc"], rec.imu[site]["gyro"]
        np.testing.assert_allclose(np.linalg.norm(acc, axis=1), 9.81, rtol=0.01)
        assert np.abs(gyro).max() < 1e-3
        # T-pose, palms down, sensor on the back of the wrist: z points up
        assert acc[:, 2].mean() > 8.8  # skin patch normal within ~25 deg of vertical


@pytest.mark.parametrize("omega", [1.5, 3.0])
def test_body_spinning_about_vertical_axis(baker, omega):
    T = 240
    rot = _standing_tpose(T)
    t = np.arange(T) / FPS
    rot[:, 0] = matrix_to_axis_angle(np.stack([rot_z(np.degrees(omega * x)) for x in t])
                                     @ axis_angle_to_matrix(UPRIGHT))
    m = Motion(rotations=rot, trans=np.zeros((T, 3)), fps=FPS, joint_names=BODY_JOINTS)
    rec = baker.bake(m, BodyVariant("", "anny", {}, 1.7))
    inner = slice(10, -10)
    for site in ("left_wrist", "right_wrist"):
        acc, gyro = rec.imu[site]["acc"][inner], rec.imu[site]["gyro"][inner]
        np.testing.assert_allclose(np.linalg.norm(gyro, axis=1), abs(omega), rtol=0.02)
        p = rec.debug["site_positions"][site][inner]
        r = np.linalg.norm(p[:, :2] - _circle_centre(p[:, :2]), axis=1)  # distance to the spin axis
        assert r.std() < 0.005 and 0.6 < r.mean() < 0.95
        expected = np.sqrt((omega ** 2 * r.mean()) ** 2 + 9.81 ** 2)
        np.testing.assert_allclose(np.linalg.norm(acc, axis=1), expected, rtol=0.02)


def test_source_rate_keeps_duration_through_the_bake(baker, tmp_path):
    from bad_inputs import good_amass

    for fps_in in (100.0, 120.0):
        T = int(2.5 * fps_in) + 1
        path = good_amass(tmp_path / f"m{int(fps_in)}.npz", T=T, fps=fps_in)
        res = baker.bake_file(path, tmp_path / f"o{int(fps_in)}")
        from addon.export.recording import read_export

        arrays, meta = read_export(res.outputs[0])
        assert abs(arrays["t"][-1] - 2.5) < 1 / FPS
        assert meta["source"]["original_fps"] == fps_in


def test_noise_model_is_seeded_bounded_and_off_by_default():
    from addon.sensors.imu import ImuNoise

    T = 600
    acc = np.tile([0.0, 0.0, 9.81], (T, 1))
    gyro = np.zeros((T, 3))
    same = ImuNoise().apply(acc, gyro, FPS, np.random.default_rng(0))
    assert same[0] is acc and same[1] is gyro  # off: the ideal sensor
    n = ImuNoise(enabled=True)
    a1, g1 = n.apply(acc, gyro, FPS, np.random.default_rng(5))
    a2, g2 = n.apply(acc, gyro, FPS, np.random.default_rng(5))
    np.testing.assert_array_equal(a1, a2)
    assert 0.005 < np.std(a1[:, 0]) < 0.1          # white noise around the datasheet density
    assert abs(a1[:, 2].mean() - 9.81) < 0.5        # bias + scale error stay small
    big = n.apply(acc * 100, gyro + 100, FPS, np.random.default_rng(1))
    assert np.abs(big[0]).max() <= n.acc_range and np.abs(big[1]).max() <= n.gyro_range  # saturation
    lsb = 2 * n.acc_range / 2 ** n.bits
    np.testing.assert_allclose(a1 / lsb, np.round(a1 / lsb), atol=1e-6)  # quantized


def test_watch_axes_with_arms_hanging_match_a_real_smartwatch(baker):
    """Arms hanging at the sides, standing still. Android axes (x = 3 o'clock, a device at rest
    reads +9.81 on the axis pointing up): a left-wrist watch's x points to the hand, down, so
    acc_x ≈ -9.8, as the real left-wrist smartwatch in ../shared/data/imu/sp_sw_har reads while
    walking (mean acc_x -8.8 .. -10.7 m/s² over subjects s01-s08); a normally worn right-wrist
    watch's x points to the elbow, up: acc_x ≈ +9.8. The anatomical axes read -9.8 on both."""
    T = 30
    rot = _standing_tpose(T)
    rot[:, BODY_JOINTS.index("left_shoulder")] = np.radians([0, 0, -80])
    rot[:, BODY_JOINTS.index("right_shoulder")] = np.radians([0, 0, 80])
    m = Motion(rotations=rot, trans=np.zeros((T, 3)), fps=FPS, joint_names=BODY_JOINTS)
    v = BodyVariant("", "anny", {}, 1.7)
    rec = baker.bake(m, v)
    assert rec.imu["left_wrist"]["acc"][:, 0].mean() < -8.5
    assert rec.imu["right_wrist"]["acc"][:, 0].mean() > 8.5
    anat = Baker(BakeConfig(sensors=("imu",), imu_axes="anatomical")).bake(m, v)
    assert anat.imu["right_wrist"]["acc"][:, 0].mean() < -8.5
