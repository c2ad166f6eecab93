"""Whole-body procedural activities: meaning checked on the generated motion (forward
kinematics of the reference skeleton, fast) and on a few short Blender bakes (IMU)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import need_shared

from addon.motion.procedural import J
from addon.motion.rotations import axis_angle_to_matrix
from addon.motion.skeleton import BODY_PARENTS, TPOSE_BODY, joint_positions
from addon.text2motion import make_backend
from addon.text2motion.parse import CADENCE, parse

FPS = 50


def _gen(text, seed=0, fps=FPS):
    return make_backend("procedural", fps=fps).generate(text, seed=seed)


def _joints(m):
    return joint_positions(axis_angle_to_matrix(m.rotations), BODY_PARENTS, TPOSE_BODY, m.trans)


def _heading(m):
    """Root heading (rad, +: left) from the direction the pelvis faces in the Z-up world."""
    R = axis_angle_to_matrix(m.rotations[:, 0])
    fwd = R @ np.array([0.0, 0.0, 1.0])           # the body's forward axis in the world
    return np.unwrap(np.arctan2(fwd[:, 0], -fwd[:, 1]))


def test_at_least_30_activities_each_parsed_and_valid():
    assert len(CADENCE) >= 30
    for activity in CADENCE:
        text = f"a person does {activity.replace('_', ' ')}"
        assert parse(text).activity == activity, text
        m = _gen(text, seed=3, fps=30)
        assert m.rotations.shape[1:] == (22, 3) and np.isfinite(m.rotations).all() and np.isfinite(m.trans).all()
        assert m.source["spec"]["activity"] == activity
        m2 = _gen(text, seed=3, fps=30)
        assert np.array_equal(m.rotations, m2.rotations)                  # seeded
        assert not np.array_equal(m.rotations, _gen(text, seed=4, fps=30).rotations)


@pytest.mark.parametrize("text,activity,side,angle", [
    ("a person sits down slowly", "sitting_down", None, None), ("someone turns left", "turning", "left", 90),
    ("walks up the stairs", "stairs_up", None, None), ("a man walks down the stairs", "stairs_down", None, None),
    ("someone turns right 180 degrees", "turning", "right", 180), ("a woman turns around", "turning", "left", 180),
    ("someone stands up from the chair", "standing_up", None, None), ("a person sits still", "seated", None, None),
    ("stands still for 20 seconds", "standing", None, None), ("a person walks", "walking", None, None),
    ("someone jogs", "running", None, None), ("walks and turns right", "walking_turn", "right", 90),
    ("a person lies down on the bed", "lying_down", None, None), ("gets up out of bed", "getting_up", None, None),
    ("a person jumps 3 times", "jumping", None, None)])
def test_parse_whole_body(text, activity, side, angle):
    s = parse(text)
    assert s.activity == activity
    if side:
        assert s.side == side
    if angle:
        assert s.angle == angle
    assert parse("a person sits down slowly").duration > parse("a person sits down quickly").duration
    assert parse("stands still for 20 seconds").duration == pytest.approx(22.0)
    assert parse("someone turns right 180 degrees").reps == 1      # 180 is the angle, not repetitions


def test_sit_down_lowers_the_pelvis_onto_a_chair_and_ends_still():
    m = _gen("a person sits down")
    P = _joints(m)
    drop = P[0, 0, 2] - P[-1, 0, 2]
    assert 0.35 < drop < 0.45                                   # ≈ a thigh length: hips onto a ~0.45 m seat
    assert P[-1, 0, 2] - P[:, J["left_ankle"], 2].min() + 0.08 == pytest.approx(0.45 + 0.09, abs=0.06)
    back = P[-1, 0, 1] - P[0, 0, 1]                             # the hips travel backwards (+Y: behind)
    assert 0.3 < back < 0.5
    ankles = P[:, [J["left_ankle"], J["right_ankle"]]]
    assert np.abs(ankles - ankles[:1]).max() < 0.03             # feet stay planted
    head_y = P[:, J["head"], 1] - P[:, 0, 1]
    assert head_y.min() < -0.15                                 # the trunk leans forward during the transfer
    tail = slice(-int(0.5 * FPS), None)                         # ends still
    assert np.ptp(P[tail, 0], axis=0).max() < 0.01
    moving = np.flatnonzero(np.linalg.norm(np.diff(P[:, 0], axis=0), axis=1) * FPS > 0.02)
    assert 1.5 <= (moving[-1] - moving[0]) / FPS <= 3.0         # the transfer takes 1.5-3 s
    up = _joints(_gen("someone stands up"))
    assert up[-1, 0, 2] - up[0, 0, 2] == pytest.approx(drop, abs=0.03)


@pytest.mark.parametrize("text,deg", [("someone turns left", 90), ("someone turns right 180 degrees", -180),
                                      ("a person turns around to the right quickly", -180)])
def test_turning_in_place_rotates_the_heading(text, deg):
    m = _gen(text)
    h = np.degrees(_heading(m))
    assert h[-1] - h[0] == pytest.approx(deg, abs=2)
    P = _joints(m)
    assert np.linalg.norm(P[-1, 0, :2] - P[0, 0, :2]) < 0.05      # in place


def test_walking_speed_cadence_and_stairs():
    m = _gen("a person walks for 12 seconds")
    P = _joints(m)
    moving = np.linalg.norm(np.diff(P[:, 0, :2], axis=0), axis=1) * FPS
    mid = moving[int(3 * FPS):-int(3 * FPS)]
    assert 1.1 < mid.mean() < 1.5                               # m/s
    z = P[:, 0, 2]
    assert 0.02 < np.ptp(z[int(3 * FPS):-int(3 * FPS)]) < 0.08  # the pelvis bounces
    slow, fast = (np.linalg.norm(np.diff(_joints(_gen(t))[:, 0, :2], axis=0), axis=1).max() * FPS
                  for t in ("a person walks slowly", "a person walks quickly"))
    assert fast > 1.5 * slow
    up = _gen("walks up the stairs 10 steps")
    assert up.trans[-1, 2] - up.trans[0, 2] == pytest.approx(1.7, abs=0.1)   # 10 stairs of 0.17 m
    down = _gen("walks down the stairs 6 steps")
    assert down.trans[-1, 2] - down.trans[0, 2] == pytest.approx(-1.02, abs=0.1)
    run = _joints(_gen("a person runs for 8 seconds"))
    assert 2.3 < np.linalg.norm(run[-1, 0, :2] - run[0, 0, :2]) / 8 < 3.6
    wt = _gen("walks and turns left")
    assert np.degrees(_heading(wt)[-1] - _heading(wt)[0]) == pytest.approx(90, abs=3)


# --- baked (Blender) --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def baker():
    from addon.bake import Baker
    from addon.config import BakeConfig

    return Baker(BakeConfig(fps=100, sensors=("imu",), imu_sites=("left_wrist", "right_wrist"), imu_smoothing=0.05))


def _bake(baker, motion):
    from addon.body.variants import BodyVariant

    return baker.bake(motion, BodyVariant("", "anny", {}, 1.7))


def test_baked_turn_gyro_integrates_to_the_angle(baker):
    rec = _bake(baker, _gen("someone turns right 90 degrees", fps=100))
    g, R = rec.imu["left_wrist"]["gyro"], rec.debug["site_frames"]["left_wrist"]
    wz = np.einsum("tij,tj->ti", R, g)[:, 2]                   # angular velocity about the world vertical
    assert np.degrees(wz.sum() / 100) == pytest.approx(-90, abs=8)


def test_baked_walk_wrist_statistics_in_the_real_range(baker):
    from addon.text2motion.realism import summarize, window_stats, windows

    rec = _bake(baker, _gen("a person walks for 10 seconds", fps=100))
    imu = rec.imu["left_wrist"]
    acc, gyro = imu["acc"][200:-200], imu["gyro"][200:-200]
    s = summarize([window_stats(acc[a:b], gyro[a:b], 100) for a, b in windows(len(acc), 100)])
    # real smartwatch walking (sp_sw_har, p10..p90 over stretches): sd 1.4-2.7 m/s², 11-49 % above 3 Hz,
    # 87-111 steps/min, |gyro| median 1.0-2.8 rad/s
    assert 1.4 < s["acc_sd"][1] < 2.7
    assert 0.11 < s["power_above_3hz"][1] < 0.49
    assert 87 < s["cadence_spm"][1] < 125
    assert 0.9 < s["gyro_p50"][1] < 2.8


def test_baked_sit_down_ends_still(baker):
    rec = _bake(baker, _gen("a person sits down", fps=100))
    g = np.linalg.norm(rec.imu["left_wrist"]["gyro"], axis=1)
    assert g[-50:].max() < 0.1 < g.max()


def test_seated_hands_rest_palm_down_watch_face_up(baker):
    """Hands resting on the thighs lie palm down: at rest the left-wrist watch reads most of
    gravity out of its face (+z), as real seated smartwatch wearers do (sp_sw_har seated: mean
    (-3.5, -3.7, +7.0) m/s²); before the forearm's pronation it read -9.5 on y (thumb up)."""
    for text in ("a person sits down", "someone sits still for 8 seconds"):
        rec = _bake(baker, _gen(text, fps=100))
        for site in ("left_wrist", "right_wrist"):
            a = rec.imu[site]["acc"][-60:].mean(0)
            assert a[2] > 6.0 and abs(a[1]) < 6.0, (text, site, a)
            assert np.linalg.norm(a) == pytest.approx(9.81, abs=1.0)
    # standing up starts from that posture (the hands leave the thighs palm down), not thumb up
    rec = _bake(baker, _gen("a person stands up", fps=100))
    assert rec.imu["left_wrist"]["acc"][:60].mean(0)[2] > 6.0


def test_real_walking_statistics_reader():
    from addon.text2motion.realism import real_walking, summarize

    root = need_shared("imu/sp_sw_har")
    s = summarize(real_walking(root))
    assert 1.4 < s["acc_sd"][1] < 2.7 and 0.15 < s["power_above_3hz"][1] < 0.45


def test_template_descriptions_parse_back_and_name_no_attributes():
    from addon.text2motion.describe import PHRASES, descriptions, who_for_body

    assert set(PHRASES) == set(CADENCE)
    for a in PHRASES:
        for text in descriptions(a, 12, seed=1):
            assert parse(text).activity == a, text
            assert not any(w in text.lower().split() for w in ("man", "woman", "tall", "short", "older", "teenager"))
    assert who_for_body({"gender": 0.9, "age": 0.8}, 1.78) == "an older tall man"
    assert who_for_body({"gender": 0.1, "age": 0.5}, 1.70) == "a woman"
    assert who_for_body({"gender": 0.5, "age": 0.4}, 1.62) == "a young short person"


def test_daily_activities_put_the_hand_where_it_belongs():
    for text, lo, hi in (("brushes the teeth", 0.0, 0.32), ("talks on the phone", 0.0, 0.32),
                         ("combs the hair", 0.0, 0.3), ("eats soup with a spoon", 0.0, 0.32)):
        P = _joints(_gen(text, fps=30))
        d = np.linalg.norm(P[:, J["right_wrist"]] - P[:, J["head"]], axis=1)
        assert lo <= d.min() <= hi, text
    P = _joints(_gen("does push ups", fps=30))
    floor = P[0, [J["left_ankle"], J["right_ankle"]], 2].min() - 0.08
    assert abs(P[:, J["right_wrist"], 2].min() - floor) < 0.12          # hands on the floor


def test_llm_subjects_are_made_neutral():
    from addon.text2motion.describe import neutral_subject

    assert neutral_subject("A tall woman does bicep curls slowly.") == "A person does bicep curls slowly."
    assert neutral_subject("An elderly, frail man waves; she lifts her cup") == "A person waves; they lifts their cup"
    assert neutral_subject("Someone claps quickly.") == "Someone claps quickly."
