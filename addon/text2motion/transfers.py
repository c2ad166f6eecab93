"""Sitting down, standing up, sitting still, standing still, lying down and getting up.

Sit-to-stand geometry (1.7 m reference body, feet fixed on the floor): the hips travel from
above the ankles down by a thigh length (≈0.40 m: the pelvis lands at a ≈0.45 m chair seat)
and back by a thigh length, legs solved as a two-link chain (`leg_ik`); the trunk flexes
forward (≈35°) while the weight moves over the feet and straightens once seated. A transfer
takes ≈1.9 s at a normal pace (1.5–3.5 s quick to slow). Standing up is the same path
played backwards, with the arms swinging forward for momentum at seat-off and settling
with a damped pendulum swing; sitting down reaches back for the seat with the arms and
lands on it with a soft shock. Sitting still is never frozen: breathing, postural shifts
and now and then a hand gesture (to the face, the other arm, the lap). Lying down continues
from the seated pose by reclining onto a bed of seat height while the legs straighten.
"""
from __future__ import annotations

import numpy as np

from ..motion.procedural import (HIP_BELOW_PELVIS, J, THIGH, body_to_world, impacts, leg_ik, min_jerk, root_rotation,
                                 set_leg)
from .body import Ctx, bump, spine
from .procedural import SIDE, _dir, pose_arm

SEAT_DROP = THIGH               # hip drop, m (standing hip height − seat height)
TRANSFER_S = 1.9                # s, one sit-to-stand at a normal pace


# hands resting on the thighs lie palm down, the watch face up: the forearm is turned 60° from
# the smallest rotation's thumb-up roll (at 0 a left-wrist watch at rest read gravity across its
# face's y axis, -9.5 m/s², where real seated wearers read it on z)
LAP_PRONATION = np.radians(60)


def transfer_seconds(speed: float) -> float:
    return float(np.clip(TRANSFER_S / speed, 1.5, 3.5))


def _apply_sit(c: Ctx, s: np.ndarray, lean_max: float, seated_lean: float, arms: str = "rest") -> np.ndarray:
    """Pose the body along the sit-down path, s: 0 (standing) .. 1 (seated). `arms`: "sit"
    (reach back for the seat while descending), "stand" (swing forward at seat-off) or
    "rest". Returns the pelvis pitch (rad)."""
    drop = SEAT_DROP * min_jerk((s - 0.15) / 0.75)
    back = THIGH * min_jerk((s - 0.08) / 0.75)
    lean = np.radians(lean_max) * bump(s, 0.5, 0.18, None) + np.radians(seated_lean) * min_jerk((s - 0.45) / 0.55)
    pitch = 0.35 * lean
    alpha, kappa, beta = leg_ik(drop, back)
    for side in ("left", "right"):
        set_leg(c.rot, side, alpha, kappa, beta, pelvis_pitch=pitch)
    spine(c.rot, flex=0.65 * lean)
    c.rot[:, J["pelvis"]] = root_rotation(np.zeros(c.n), pitch=pitch)
    local = np.stack([np.zeros(c.n), -drop + HIP_BELOW_PELVIS * (np.cos(pitch) - 1),
                      -back + HIP_BELOW_PELVIS * np.sin(pitch)], -1)
    c.trans[:] = body_to_world(local, np.zeros(c.n))
    # the arms come forward with the trunk and end resting on the thighs
    rest = min_jerk((s - 0.3) / 0.7)
    move = {"sit": -np.radians(25) * bump(s, 0.7, 0.12, None), "stand": np.radians(50) * bump(s, 0.55, 0.12, None),
            "rest": 0.0}[arms]
    for side in ("left", "right"):
        sg = SIDE[side]
        up_f = np.radians(10) * (1 - rest) + np.radians(25) * rest + 0.6 * lean * (1 - rest) + move
        fo_f = np.radians(15) * (1 - rest) + np.radians(80) * rest + 0.8 * lean * (1 - rest) + 1.3 * move
        pose_arm(c.rot, side, _dir(0.12 * sg + 0 * s, -np.cos(up_f), np.sin(up_f)),
                 _dir(0.04 * sg + 0 * s, -np.cos(fo_f), np.sin(fo_f)), pronation=LAP_PRONATION * rest)
    return pitch


def _path(c: Ctx) -> np.ndarray:
    return np.clip((c.t - c.start) / transfer_seconds(c.spec.speed), 0, 1)


def sitting_down(c: Ctx) -> None:
    s = _path(c)
    _apply_sit(c, s, 35 * c.amp * c.jitter(), 5 * c.jitter(0.5, 1.5), arms="sit")
    # the seat takes the weight: a shock (≈10 m/s² at the pelvis, 7-11 Hz)
    landed = c.t[np.argmax(s >= 0.88)] if (s >= 0.88).any() else None
    if landed is not None:
        f = c.rng.uniform(7.0, 11.0)
        c.trans[:, 2] -= impacts(c.t, np.array([landed]), f, 0.05) * c.jitter(8, 12) / (2 * np.pi * f) ** 2
        # and the hands land on the thighs / armrests: a small jolt of each forearm
        for side in ("left", "right"):
            fh = c.rng.uniform(9.0, 14.0)
            hit = landed + c.rng.uniform(-0.15, 0.25)
            jolt = impacts(c.t, np.array([hit]), fh, 0.06)
            c.rot[:, J[f"{side}_elbow"], 1] += SIDE[side] * np.radians(c.jitter(0.8, 1.4)) * jolt
    _settle(c)


def standing_up(c: Ctx) -> None:
    s = _path(c)
    _apply_sit(c, 1 - s, 38 * c.amp * c.jitter(), 5 * c.jitter(0.5, 1.5), arms="stand")
    # upright again: the arms settle with a damped pendulum swing
    up = c.t[np.argmax(s >= 1.0)] if (s >= 1.0).any() else c.t[-1]
    dt = np.clip(c.t - up, 0, None)
    swing = np.radians(14) * c.amp * np.exp(-dt / 0.8) * np.sin(2 * np.pi * 0.9 * dt) * (c.t > up)
    after = c.t >= up          # until then the arms follow the rise (hands off the thighs, palms down)
    for side in ("left", "right"):
        sg = SIDE[side]
        swung = c.rot.copy()
        pose_arm(swung, side, _dir(0.12 * sg + 0 * s, -np.cos(np.radians(10) + swing), np.sin(np.radians(10) + swing)),
                 _dir(0.04 * sg + 0 * s, -np.cos(np.radians(15) + 1.3 * swing), np.sin(np.radians(15) + 1.3 * swing)))
        for j in (f"{side}_shoulder", f"{side}_elbow"):
            c.rot[after, J[j]] = swung[after, J[j]]
    _settle(c)


def _breathing(c: Ctx, amount: float = 1.0) -> None:
    f = c.rng.uniform(0.2, 0.3)
    spine(c.rot, flex=np.radians(0.8 * amount) * np.sin(2 * np.pi * f * c.t + c.rng.uniform(0, 6.3)))


def _settle(c: Ctx) -> None:
    """Postural noise: slow sway and breathing, so still stretches are never frozen."""
    _breathing(c)
    for k, j in enumerate(("spine2", "neck", "head")):
        f = c.rng.uniform(0.05, 0.4)
        c.rot[:, J[j], 1] += np.radians(1.0) * np.sin(2 * np.pi * f * c.t + c.rng.uniform(0, 6.3))


def seated(c: Ctx) -> None:
    """Sitting still: the seated pose, breathing, postural shifts, and about every 5 s a hand
    gesture (to the face, the hair, the other arm, or across the lap), seeded."""
    _apply_sit(c, np.ones(c.n), 0, 5 * c.jitter(0.5, 1.5))
    _settle(c)
    wander = {}
    for side in ("left", "right"):
        f = c.rng.uniform(0.05, 0.15)
        wander[side] = np.sin(2 * np.pi * f * c.t + c.rng.uniform(0, 6))
    # gestures: each hand leaves the thigh now and then (to the face, the hair, across the
    # lap, the other forearm) and comes back
    up0, fo0 = np.radians(25), np.radians(80)
    for side in ("left", "right"):
        sg = SIDE[side]
        g_up = [_dir(0.12 * sg + 0 * c.t, -np.cos(up0), np.sin(up0))]
        g_fo = [_dir(0.04 * sg + 0 * c.t, -np.cos(fo0), np.sin(fo0))]
        weight = [np.ones(c.n)]
        targets = (((0.2 * sg, -0.55, 0.55), (-0.75 * sg, 0.65, 0.2)),     # hand to the face
                   ((0.6 * sg, 0.5, 0.2), (-0.8 * sg, 0.5, 0.2)),         # to the hair
                   ((0.05 * sg, -0.8, 0.5), (-0.9 * sg, -0.1, 0.4)),      # across the lap
                   ((0.15 * sg, -0.6, 0.6), (-0.6 * sg, 0.1, 0.8)))       # to the other forearm
        for _ in range(c.rng.poisson(max(c.t[-1], 1.0) / 8.0)):
            t0, dur = c.rng.uniform(-0.5, c.t[-1]), c.rng.uniform(0.8, 2.5)
            g = np.sin(np.pi * np.clip((c.t - t0) / dur, 0, 1)) ** 2 * c.jitter(0.5, 1.0)
            up, fo = targets[int(c.rng.integers(len(targets)))]
            g_up.append(_dir(*(x + 0 * c.t for x in up)))
            g_fo.append(_dir(*(x + 0 * c.t for x in fo)))
            weight.append(g / np.maximum(1 - g, 1e-3))
        w = np.stack(weight, 0)[..., None]
        resting = w[0, :, 0] / w.sum(0)[:, 0]
        pose_arm(c.rot, side, (w * np.stack(g_up)).sum(0), (w * np.stack(g_fo)).sum(0),
                 pronation=LAP_PRONATION * resting)
        c.rot[:, J[f"{side}_elbow"], 1] += SIDE[side] * np.radians(3) * wander[side]    # slow drift
    shift = c.rng.uniform(0.1, 0.3)
    spine(c.rot, flex=np.radians(3) * np.sin(2 * np.pi * shift * 0.3 * c.t + c.rng.uniform(0, 6)),
          twist=np.radians(3) * np.sin(2 * np.pi * shift * 0.2 * c.t + c.rng.uniform(0, 6)))


def standing(c: Ctx) -> None:
    """Standing still: relaxed arms, postural sway of the whole body (≈1 cm at 0.1–0.4 Hz)."""
    f = c.rng.uniform(0.1, 0.4, 2)
    ph = c.rng.uniform(0, 6.3, 2)
    local = np.stack([0.008 * np.sin(2 * np.pi * f[0] * c.t + ph[0]), np.zeros(c.n),
                      0.006 * np.sin(2 * np.pi * f[1] * c.t + ph[1])], -1)
    c.trans[:] = body_to_world(local, np.zeros(c.n))
    sway = np.arctan(local[:, 2] / 0.95)
    c.rot[:, J["pelvis"]] = root_rotation(np.zeros(c.n), pitch=sway, roll=-np.arctan(local[:, 0] / 0.95))
    for side in ("left", "right"):
        c.rot[:, J[f"{side}_ankle"], 0] = -sway
    _settle(c)


def _lie(c: Ctx, s: np.ndarray) -> None:
    """s: 0 standing .. 0.45 seated on the bed edge .. 1 lying on the back, legs on the bed."""
    sit = np.clip(s / 0.45, 0, 1)
    _apply_sit(c, sit, 30 * c.amp, 5)
    r = min_jerk((s - 0.45) / 0.55)
    back_tilt = -np.radians(95) * r                     # the trunk reclines past the vertical
    pitch0 = 0.35 * np.radians(5)
    pitch = pitch0 * (1 - r) + back_tilt
    alpha = np.radians(90) + np.radians(5) * r          # thighs stay on the bed
    knee = np.radians(90) * (1 - r)
    lay = s > 0.45
    for side in ("left", "right"):
        hip = -(alpha + pitch)
        c.rot[lay, J[f"{side}_hip"], 0] = hip[lay]
        c.rot[lay, J[f"{side}_knee"], 0] = knee[lay]
        c.rot[lay, J[f"{side}_ankle"], 0] = 0.0
    rp = root_rotation(np.zeros(c.n), pitch=pitch)
    c.rot[lay, J["pelvis"]] = rp[lay]
    for j in ("spine1", "spine2", "spine3"):
        c.rot[lay, J[j], 0] *= (1 - r[lay])
    # the pelvis pivots about the hips, which stay on the bed edge
    hip_seat = np.array([0.0, -SEAT_DROP, -THIGH])
    local = hip_seat + HIP_BELOW_PELVIS * np.stack([np.zeros(c.n), np.cos(pitch), np.sin(pitch)], -1)
    off = local - np.array([0.0, HIP_BELOW_PELVIS, 0.0])
    c.trans[lay] = body_to_world(off, np.zeros(c.n))[lay]


def lying_down(c: Ctx) -> None:
    _lie(c, np.clip((c.t - c.start) / (2.2 * transfer_seconds(c.spec.speed)), 0, 1))
    _settle(c)


def getting_up(c: Ctx) -> None:
    _lie(c, 1 - np.clip((c.t - c.start) / (2.2 * transfer_seconds(c.spec.speed)), 0, 1))
    _settle(c)


GENERATORS = {"sitting_down": sitting_down, "standing_up": standing_up, "seated": seated, "standing": standing,
              "lying_down": lying_down, "getting_up": getting_up}
