"""Walking, running, stairs, turning in place and jumping: whole-body motion with the root
moving as a body does.

A step cycle (stride phase φ, 0 at the heel strike of that leg) drives sagittal hip, knee
and ankle angles (textbook gait curves), the pelvis rises and falls twice per stride
(≈4 cm peak to peak walking; lowest at double support), sways over the stance foot, rotates
and tilts; the thorax counter-rotates; the arms swing opposite to the legs. Each foot strike
sends a damped shock up the body (a few m/s² at ≈10 Hz): the impacts that give real wrist
acceleration a third of its power above 3 Hz. Forward speed = cadence × step length
(1.85 steps/s × 0.70 m ≈ 1.3 m/s at a normal pace).
"""
from __future__ import annotations

import numpy as np

from ..motion.procedural import J, body_to_world, impacts, leg_ik, min_jerk, root_rotation, set_leg
from .body import Ctx, bump, spine
from .procedural import SIDE, _dir, pose_arm

# per activity: step length (m), hip flexion amplitude and mean (deg), swing knee peak (deg),
# pelvis bounce (m, half peak-to-peak), strike shock (m/s² peak at the pelvis), arm swing
# (deg), elbow flexion (deg), trunk lean (deg), rise per step (m)
GAITS = {
    "walking": dict(step=0.70, hip=21, hip0=9, knee=60, bounce=0.024, shock=11.0, arm=16, elbow=22, lean=3, rise=0.0),
    "walking_turn": dict(step=0.62, hip=19, hip0=9, knee=58, bounce=0.022, shock=8.0, arm=16, elbow=22, lean=3,
                         rise=0.0),
    "running": dict(step=1.10, hip=30, hip0=15, knee=95, bounce=0.045, shock=14.0, arm=38, elbow=85, lean=8, rise=0.0),
    "stairs_up": dict(step=0.28, hip=30, hip0=30, knee=85, bounce=0.012, shock=3.0, arm=12, elbow=25, lean=10,
                      rise=0.17),
    "stairs_down": dict(step=0.28, hip=18, hip0=14, knee=75, bounce=0.012, shock=6.0, arm=12, elbow=20, lean=2,
                        rise=-0.17),
}


def _stride_phases(phase):
    """Stride phases (0 = heel strike) of the left leg (swings during step 0..1, strikes at
    1) and the right leg (strikes at 2)."""
    return ((phase - 1) / 2) % 1.0, ((phase - 2) / 2) % 1.0


def _envelope(c: Ctx) -> np.ndarray:
    """0 while standing, 1 while stepping, with a half-step ramp at the start and the end."""
    r = c.spec.reps
    return min_jerk(np.minimum(c.phase, r - c.phase) / 0.5) * (c.phase > 0)


def _leg_curves(phi, g, scale):
    hip = np.radians(g["hip0"] + g["hip"] * scale * np.cos(2 * np.pi * phi))
    knee = np.radians(5 + 15 * scale * bump(phi, 0.14, 0.06) + g["knee"] * scale * bump(phi, 0.72, 0.10))
    ankle = np.radians(8 * bump(phi, 0.40, 0.10) - 15 * scale * bump(phi, 0.62, 0.05) + 3 * bump(phi, 0.85, 0.08))
    return hip, knee, ankle


def _strike_times(c: Ctx) -> np.ndarray:
    k = np.floor(c.phase)
    return c.t[1:][np.diff(k) > 0]


def gait(c: Ctx, g: dict, heading: np.ndarray | None = None, speed_scale: float = 1.0) -> None:
    """Stepping along the heading; `c.phase` counts steps."""
    a, s = c.spec.activity, c.spec.speed
    env = _envelope(c)
    scale = c.amp * speed_scale ** 0.45
    step = g["step"] * c.jitter(0.92, 1.08) * speed_scale ** 0.45
    run = a == "running"
    phi_l, phi_r = _stride_phases(c.phase)
    pitch = np.radians(g["lean"] * c.jitter()) * env
    for side, phi in (("left", phi_l), ("right", phi_r)):
        hip, knee, ankle = _leg_curves(phi, g, scale)
        set_leg(c.rot, side, hip * env, knee * env, ankle * env, pelvis_pitch=pitch)
    # the pelvis: bounce (lowest at double support; running: at mid-stance), sway, rotation, tilt
    bphase = 2 * np.pi * (c.phase - (0.2 if run else 0.0))
    bounce = -g["bounce"] * scale * c.jitter() * np.cos(bphase) * env
    sway = 0.022 * c.jitter() * np.sin(2 * np.pi * phi_l) * env * (0.5 if run else 1.0)
    twist = -np.radians(5 * scale) * np.cos(2 * np.pi * phi_l) * env
    roll = np.radians(3.5 * scale) * np.sin(2 * np.pi * phi_l) * env
    spine(c.rot, flex=pitch * 0.3, twist=-1.3 * twist)
    heading = np.zeros(c.n) if heading is None else heading
    c.rot[:, J["pelvis"]] = root_rotation(heading, pitch=pitch, roll=roll, twist=twist)
    # forward: step length × steps, faster at double support (inverted pendulum)
    fwd = step * (c.phase + 0.08 * np.sin(2 * np.pi * c.phase) / (2 * np.pi) * env)
    v = np.gradient(fwd, 1 / c.fps)
    vel = body_to_world(np.stack([np.zeros(c.n), np.zeros(c.n), v], -1), heading)
    path = np.cumsum(vel, axis=0) / c.fps
    path -= path[0]
    # foot strikes: a damped shock (≈8-13 Hz) travelling up the body
    f_imp = c.rng.uniform(8.0, 13.0)
    shock = g["shock"] * scale * c.jitter(0.8, 1.2) / (2 * np.pi * f_imp) ** 2
    jolt = impacts(c.t, _strike_times(c), f_imp, c.rng.uniform(0.025, 0.045))
    local = np.stack([sway, bounce - shock * jolt, 0.3 * shock * jolt], -1)
    c.trans[:] = path + body_to_world(local, heading)
    c.trans[:, 2] += g["rise"] * np.clip(c.phase, 0, c.spec.reps)      # one stair per step
    # arms swing opposite to the legs, the forearm lagging a little; the swing varies from
    # one stride to the next
    for side, phi in (("left", phi_l), ("right", phi_r)):
        sgn = SIDE[side]
        vary = 1 + 0.3 * np.sin(2 * np.pi * c.rng.uniform(0.1, 0.3) * c.t + c.rng.uniform(0, 6.3))
        sw = -np.radians(g["arm"] * scale * c.jitter()) * vary * np.cos(2 * np.pi * phi - 0.3) * env
        el = (np.radians(g["elbow"] + 0.4 * g["arm"] * scale) + 0.5 * sw
              + np.radians(8) * np.cos(2 * np.pi * phi - 0.9) * env)
        if run:
            el = np.radians(g["elbow"]) * (0.3 + 0.7 * env) + 0.4 * sw
        pose_arm(c.rot, side, _dir(0.08 * sgn + 0 * c.t, -np.cos(sw), np.sin(sw)),
                 _dir(0.05 * sgn + 0 * c.t, -np.cos(sw + el), np.sin(sw + el)))


def walking(c: Ctx) -> None:
    gait(c, GAITS["walking"], speed_scale=c.spec.speed)


def running(c: Ctx) -> None:
    gait(c, GAITS["running"], speed_scale=c.spec.speed)


def stairs_up(c: Ctx) -> None:
    gait(c, GAITS["stairs_up"], speed_scale=1.0)


def stairs_down(c: Ctx) -> None:
    gait(c, GAITS["stairs_down"], speed_scale=1.0)


def _turn_sign(c: Ctx) -> float:
    return -1.0 if c.spec.side == "right" else 1.0


def walking_turn(c: Ctx) -> None:
    """Walking while the heading turns by the asked angle over the middle of the walk."""
    r = c.spec.reps
    k = min_jerk((c.phase - 0.25 * r) / (0.5 * r))
    heading = _turn_sign(c) * np.radians(c.spec.angle or 90.0) * k
    gait(c, GAITS["walking_turn"], heading=heading, speed_scale=c.spec.speed)


def turning(c: Ctx) -> None:
    """Turning in place by the asked angle (default 90°; "turns around": 180°) with small
    stepping: the heading follows a minimum-jerk profile, the feet take ~1 step per 45°."""
    angle = np.radians(c.spec.angle or 90.0) * _turn_sign(c)
    dur = c.spec.reps / c.spec.cadence
    x = (c.t - c.start) / dur
    heading = angle * min_jerk(x)
    n_steps = max(2, int(round(abs(np.degrees(angle)) / 45)))
    steps = np.clip(x, 0, 1) * n_steps
    env = np.sin(np.pi * np.clip(x, 0, 1)) ** 0.5
    first = "left" if angle > 0 else "right"
    second = "right" if first == "left" else "left"
    for side, off in ((first, 0.0), (second, 1.0)):
        lift = np.clip(np.sin(np.pi * (steps - off) / 1.0), 0, None) * ((steps - off) % 2 < 1) * env
        set_leg(c.rot, side, np.radians(18 * c.amp) * lift, np.radians(35 * c.amp) * lift, 0.0)
        c.rot[:, J[f"{side}_hip"], 1] += SIDE[side] * 0.25 * (heading - angle * min_jerk(x + 0.1))
    bounce = -0.012 * c.amp * np.cos(2 * np.pi * steps) * env
    f_imp = c.rng.uniform(8.0, 13.0)
    strikes = c.t[1:][np.diff(np.floor(steps)) > 0]
    jolt = impacts(c.t, strikes, f_imp, 0.03) * 7.0 * c.jitter(0.8, 1.2) / (2 * np.pi * f_imp) ** 2
    lead = 0.3 * (angle * min_jerk(x + 0.08) - heading)          # the head and trunk lead the turn
    spine(c.rot, twist=lead)
    c.rot[:, J["pelvis"]] = root_rotation(heading)
    c.trans[:, 2] = bounce - jolt
    for side in ("left", "right"):
        sgn = SIDE[side]
        sw = np.radians(8 * c.amp) * np.sin(np.pi * steps + (0 if side == first else np.pi)) * env
        pose_arm(c.rot, side, _dir(0.12 * sgn + 0 * c.t, -np.cos(sw), np.sin(sw)),
                 _dir(0.06 * sgn + 0 * c.t, -np.cos(sw + 0.4), np.sin(sw + 0.4)))


def jumping(c: Ctx) -> None:
    """Counter-movement jumps in place: crouch, push off, flight (ballistic), land, absorb."""
    p = c.phase % 1.0
    on = (c.phase > 0) & (c.phase < c.spec.reps)
    h = 0.12 * c.amp * c.jitter()                       # jump height, m
    t_flight = 2 * np.sqrt(2 * h / 9.81)
    period = 1.0 / c.spec.cadence
    fl = min(0.6, t_flight / period)                    # flight share of a repetition
    t0 = 0.45
    crouch = 0.14 * c.amp * (bump(p, 0.3, 0.09, None) + 0.7 * bump(p, t0 + fl + 0.08, 0.06, None)) * on
    x = np.clip((p - t0) / fl, 0, 1)
    air = ((p > t0) & (p < t0 + fl) & on)
    z = np.where(air, 4 * h * x * (1 - x), 0.0)
    alpha, kappa, beta = leg_ik(crouch, 0.05 * crouch / 0.14)
    plantar = np.radians(30) * air
    pitch = np.radians(25) * crouch / 0.14
    for side in ("left", "right"):
        set_leg(c.rot, side, alpha, kappa, beta - plantar, pelvis_pitch=pitch)
    spine(c.rot, flex=0.6 * pitch)
    c.rot[:, J["pelvis"]] = root_rotation(np.zeros(c.n), pitch=pitch)
    landings = c.t[1:][np.diff(air.astype(int)) < 0]
    f_imp = c.rng.uniform(9.0, 14.0)
    jolt = impacts(c.t, landings, f_imp, 0.03) * 25.0 / (2 * np.pi * f_imp) ** 2
    c.trans[:, 2] = z - crouch - jolt
    for side in ("left", "right"):
        sgn = SIDE[side]
        sw = np.radians(-40) * crouch / 0.14 + np.radians(120) * bump(p, t0 + 0.05, 0.12, None) * on * c.amp
        pose_arm(c.rot, side, _dir(0.12 * sgn + 0 * c.t, -np.cos(sw), np.sin(sw)),
                 _dir(0.08 * sgn + 0 * c.t, -np.cos(sw + 0.3), np.sin(sw + 0.3)))


GENERATORS = {"walking": walking, "running": running, "stairs_up": stairs_up, "stairs_down": stairs_down,
              "walking_turn": walking_turn, "turning": turning, "jumping": jumping}
