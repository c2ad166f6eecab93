"""Daily living and further exercises: eating, brushing teeth, combing hair, a phone call,
typing, writing, pouring, wiping a table; bent-over rows, push-ups and lunges (triceps
extensions and chest flys are motion programs: builtin.py).

Arm poses are body-frame directions (x: the body's left, y: up, z: forward) for the upper
arm and the forearm (`pose_arm`); `u` is the 0..1..0 repetition profile. Seated activities
start from the seated pose of `transfers`.
"""
from __future__ import annotations

import numpy as np

from ..motion.procedural import J, body_to_world, leg_ik, min_jerk, root_rotation, set_leg
from .body import Ctx, spine
from .procedural import SIDE, _dir, _sides, pose_arm


def _z(c: Ctx):
    return np.zeros(c.n)


def _sit(c: Ctx) -> None:
    from .transfers import _apply_sit, _breathing

    _apply_sit(c, np.ones(c.n), 0, 8 * c.jitter(0.5, 1.5))
    _breathing(c)


def _active_ramp(c: Ctx, rise: float = 0.6) -> np.ndarray:
    """0 at rest, 1 while the activity goes on, ramping in and out over `rise` s."""
    end = c.t[-1] - c.start
    return min_jerk(np.minimum(c.t - c.start, end - c.t) / rise)


def _unit_mix(rest_dir, active_dir, ramp):
    v = (1 - ramp)[:, None] * rest_dir + ramp[:, None] * active_dir
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def bent_over_row(c: Ctx) -> None:
    lean = np.radians(45) * _active_ramp(c, 0.8)
    pitch = 0.5 * lean
    for side in ("left", "right"):
        set_leg(c.rot, side, np.radians(25) * lean / np.radians(45) + 0 * c.t, np.radians(20) * lean / np.radians(45),
                0.0, pelvis_pitch=pitch)
    spine(c.rot, flex=lean - pitch)
    c.rot[:, J["pelvis"]] = root_rotation(_z(c), pitch=pitch)
    down = np.stack([_z(c), -np.cos(lean), np.sin(lean)], -1)        # the world's down, in the trunk frame
    for side in _sides(c.spec):
        s = SIDE[side]
        b = np.radians(75) * c.amp * c.u                            # elbow drawn up and back
        upper = _dir(0.12 * s + _z(c), -np.cos(lean - b), np.sin(lean - b))
        pose_arm(c.rot, side, upper, _unit_mix(upper, down, np.clip(2 * c.u, 0, 1)))


def push_ups(c: Ctx) -> None:
    """A plank on hands and toes; the chest lowers and rises about the feet."""
    length = 1.35                                               # m, feet to shoulders
    h = 0.58 - 0.25 * c.amp * c.u                               # shoulder height over the floor
    alpha = np.arcsin(h / length)                               # body angle above the floor
    pitch = np.pi / 2 - alpha
    c.rot[:, J["pelvis"]] = root_rotation(_z(c), pitch=pitch)
    for side in ("left", "right"):
        set_leg(c.rot, side, -pitch, 0.0, np.radians(-40) + 0 * c.t, pelvis_pitch=pitch)
    feet_to_pelvis = 0.92
    local = np.stack([_z(c), feet_to_pelvis * np.sin(alpha) - 0.94, feet_to_pelvis * np.cos(alpha)], -1)
    c.trans[:] = body_to_world(local, _z(c))
    down = np.stack([_z(c), -np.cos(pitch), np.sin(pitch)], -1)
    for side in ("left", "right"):
        s = SIDE[side]
        bend = c.u * c.amp
        upper = down + np.stack([0.55 * s * bend, -0.8 * bend, _z(c)], -1)
        pose_arm(c.rot, side, upper / np.linalg.norm(upper, axis=1, keepdims=True),
                 down + np.stack([0.1 * s * bend, _z(c), _z(c)], -1))


def lunges(c: Ctx) -> None:
    """Forward lunges, legs alternating: the front hip and knee flex ≈90°, the pelvis drops
    ≈0.35 m and moves forward half a stride, then pushes back."""
    lead = np.floor(c.phase) % 2                                # 0: left leg forward, 1: right
    u = c.u * c.amp
    drop = 0.33 * u
    for side, is_front in (("left", lead == 0), ("right", lead == 1)):
        a_f, k_f, b_f = leg_ik(drop, -0.45 * u)                 # front foot ahead of the hip
        a_b, k_b, b_b = leg_ik(drop, 0.45 * u)                  # back foot behind
        set_leg(c.rot, side, np.where(is_front, a_f, a_b), np.where(is_front, k_f, k_b),
                np.where(is_front, b_f, 0.0), pelvis_pitch=0.0)
    c.trans[:] = body_to_world(np.stack([_z(c), -drop, _z(c)], -1), _z(c))
    for side in ("left", "right"):
        s = SIDE[side]
        pose_arm(c.rot, side, _dir(0.25 * s + _z(c), -1.0, 0.1), _dir(-0.3 * s + _z(c), -0.5, 0.6))


def _hand_to_face(c: Ctx, side: str, reach: np.ndarray, at_face: np.ndarray, u: np.ndarray) -> None:
    """Blend the arm from a resting pose (`reach`: upper, fore) to a hand-at-face pose."""
    (u0, f0), (u1, f1) = reach, at_face
    pose_arm(c.rot, side, _unit_mix(u0, u1, u), _unit_mix(f0, f1, u))


def _face_pose(c: Ctx, s: float):
    return (_dir(0.2 * s + _z(c), -0.55, 0.55), _dir(-0.75 * s + _z(c), 0.65, 0.2))


def eating(c: Ctx) -> None:
    """Seated at a table: food from the plate to the mouth, repeatedly."""
    _sit(c)
    for side in ("left", "right"):
        s = SIDE[side]
        table = (_dir(0.15 * s + _z(c), -0.8, 0.5), _dir(0.0 * s + _z(c), -0.15, 1.0))
        if side in _sides(c.spec):
            _hand_to_face(c, side, table, _face_pose(c, s), c.u ** 0.8)
        else:
            pose_arm(c.rot, side, *table)


def brushing_teeth(c: Ctx) -> None:
    ramp = _active_ramp(c, 0.8)
    osc = 0.18 * c.amp * np.sin(2 * np.pi * c.phase) * ramp
    for side in _sides(c.spec):
        s = SIDE[side]
        up, fo = _face_pose(c, s)
        fo = fo + np.stack([osc * s, _z(c), 0.3 * osc], -1)
        _hand_to_face(c, side, (_dir(0.09 * s + _z(c), -1.0, 0.02), _dir(0.05 * s + _z(c), -1.0, 0.12)),
                      (up, fo / np.linalg.norm(fo, axis=1, keepdims=True)), ramp)
    c.rot[:, J["head"], 0] += np.radians(8) * ramp


def combing_hair(c: Ctx) -> None:
    ramp = _active_ramp(c, 0.8)
    stroke = (c.u - 0.5) * c.amp * ramp                          # front .. back of the head
    for side in _sides(c.spec):
        s = SIDE[side]
        over = (_dir(0.75 * s + _z(c), 0.6, 0.1 - 0.3 * stroke), _dir(-0.8 * s + _z(c), 0.45, 0.3 - 1.2 * stroke))
        _hand_to_face(c, side, (_dir(0.09 * s + _z(c), -1.0, 0.02), _dir(0.05 * s + _z(c), -1.0, 0.12)), over, ramp)


def phone_call(c: Ctx) -> None:
    """The phone comes up to the ear, stays there (small movements while talking), goes down."""
    ramp = _active_ramp(c, 1.0)
    talk = 0.05 * np.sin(2 * np.pi * c.rng.uniform(0.2, 0.5) * c.t + c.rng.uniform(0, 6))
    for side in _sides(c.spec)[:1]:
        s = SIDE[side]
        ear = (_dir(0.35 * s + _z(c), -0.75, 0.35 + talk), _dir(-0.25 * s + _z(c), 1.0, 0.15))
        _hand_to_face(c, side, (_dir(0.09 * s + _z(c), -1.0, 0.02), _dir(0.05 * s + _z(c), -1.0, 0.12)), ear, ramp)
    c.rot[:, J["head"], 2] += np.radians(5) * ramp * SIDE[_sides(c.spec)[0]]


def _desk_arms(c: Ctx, sides, jitter_deg: float, freq: tuple[float, float], drift: np.ndarray | None = None):
    for side in sides:
        s = SIDE[side]
        f = c.rng.uniform(*freq)
        tap = np.radians(jitter_deg) * np.sin(2 * np.pi * f * c.t + c.rng.uniform(0, 6)) * (c.t > c.start)
        d = 0 * c.t if drift is None else drift
        pose_arm(c.rot, side, _dir(0.12 * s + 0.1 * d, -1.0, 0.35), _dir(-0.25 * s + d + _z(c), -0.2, 1.0))
        c.rot[:, J[f"{side}_wrist"], 2] += tap
        c.rot[:, J[f"{side}_wrist"], 1] += 0.6 * tap


def typing(c: Ctx) -> None:
    _sit(c)
    _desk_arms(c, ("left", "right"), 1.5, (5.0, 8.0))


def writing(c: Ctx) -> None:
    """Seated at a desk: small, fast pen strokes while the hand drifts along a line, then
    returns to the start of the next one."""
    _sit(c)
    line = c.rng.uniform(3.0, 5.0)
    drift = 0.25 * ((c.t / line) % 1.0)
    side = _sides(c.spec)[0]
    _desk_arms(c, (side,), 3.0, (2.5, 5.0), drift * SIDE[side] * -1)
    other = "left" if side == "right" else "right"
    _desk_arms(c, (other,), 0.2, (0.1, 0.3))


def pouring(c: Ctx) -> None:
    """A bottle held at chest height in front, tilted (the forearm rotating about its own
    axis) to pour and back upright."""
    ramp = _active_ramp(c, 0.8)
    for side in _sides(c.spec):
        s = SIDE[side]
        hold = (_dir(0.15 * s + _z(c), -0.6, 0.7), _dir(-0.1 * s + _z(c), 0.0, 1.0))
        _hand_to_face(c, side, (_dir(0.09 * s + _z(c), -1.0, 0.02), _dir(0.05 * s + _z(c), -1.0, 0.12)), hold, ramp)
        c.rot[:, J[f"{side}_wrist"], 0] += s * np.radians(100) * c.amp * min_jerk(2 * c.u) * ramp


def wiping(c: Ctx) -> None:
    """Wiping a table: leaning over it, the hand circles on the surface."""
    ramp = _active_ramp(c, 0.8)
    lean = np.radians(20) * ramp
    spine(c.rot, flex=lean)
    ang = 2 * np.pi * c.phase
    for side in _sides(c.spec):
        s = SIDE[side]
        r = 0.35 * c.amp * ramp
        up = _dir(0.15 * s + 0.3 * r * np.sin(ang), -0.55, 0.75 + 0.3 * r * np.cos(ang))
        fo = _dir(-0.05 * s + r * np.sin(ang), -0.55, 0.9 + r * np.cos(ang))
        _hand_to_face(c, side, (_dir(0.09 * s + _z(c), -1.0, 0.02), _dir(0.05 * s + _z(c), -1.0, 0.12)),
                      (up, fo), ramp)


GENERATORS = {"bent_over_row": bent_over_row, "push_ups": push_ups,
              "lunges": lunges, "eating": eating, "brushing_teeth": brushing_teeth,
              "combing_hair": combing_hair, "phone_call": phone_call, "typing": typing, "writing": writing,
              "pouring": pouring, "wiping": wiping}
