"""Parametric motion primitives driven by a parsed description (`ActivitySpec`).

Arms are posed by *directions* in the body frame (SMPL canonical: Y up, facing +Z, the
body's left on +X): the upper arm and the forearm each get the smallest rotation from their
rest direction (the T-pose: ±X) onto the wanted direction. Legs use hip/knee flexion about
X (hip forward: negative, knee: positive). Each repetition follows a smooth raised-cosine
profile; seeded variation changes cadence, range and timing a little, so N variants of one
description are N different, plausible performances.
"""
from __future__ import annotations

import numpy as np

from ..motion.motion import Motion
from ..motion.procedural import J, UPRIGHT, content_hash
from ..motion.skeleton import BODY_JOINTS
from .parse import ActivitySpec

REST_DIR = {"left": np.array([1.0, 0, 0]), "right": np.array([-1.0, 0, 0])}
SIDE = {"left": 1.0, "right": -1.0}
THIGH, SHANK = 0.40, 0.41    # m, for keeping the feet on the floor (1.7 m body)


def _unit(v):
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Axis-angle (T,3) of the smallest rotations taking directions a onto b (both (T,3))."""
    a, b = _unit(np.broadcast_to(a, b.shape)), _unit(b)
    axis = np.cross(a, b)
    s = np.linalg.norm(axis, axis=-1, keepdims=True)
    ang = np.arctan2(s, np.sum(a * b, axis=-1, keepdims=True))
    return np.where(s > 1e-9, axis / np.maximum(s, 1e-12) * ang, 0.0)


def _aa_to_R(aa):
    from ..motion.rotations import axis_angle_to_matrix

    return axis_angle_to_matrix(aa)


def pose_arm(rot: np.ndarray, side: str, upper: np.ndarray, fore: np.ndarray, pronation=None) -> None:
    """Shoulder and elbow rotations that point the upper arm along `upper` and the forearm
    along `fore` (body-frame directions, (T,3)). `pronation` (radians, scalar or (T,)) turns the
    forearm about its own axis from the smallest rotation's roll: positive turns the palm down
    (the back of the wrist, where a watch sits, up) on either side."""
    r = REST_DIR[side]
    aa_s = between(r, upper)
    R_s = _aa_to_R(aa_s)
    fore_local = np.einsum("tji,tj->ti", R_s, _unit(fore))     # R_sᵀ · fore
    rot[:, J[f"{side}_shoulder"]] = aa_s
    aa_e = between(r, fore_local)
    if pronation is not None:
        from ..motion.rotations import matrix_to_axis_angle

        ang = np.broadcast_to(np.asarray(pronation, dtype=float), (len(fore_local),))
        twist = _aa_to_R(_unit(fore_local) * (SIDE[side] * ang)[:, None])
        aa_e = matrix_to_axis_angle(twist @ _aa_to_R(aa_e))
    rot[:, J[f"{side}_elbow"]] = aa_e


def reps_profile(t: np.ndarray, spec: ActivitySpec, rng, start: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """u(t) in 0..1..0 per repetition (raised cosine) and the phase φ(t) in repetitions.
    The cadence wanders by a few percent from one repetition to the next."""
    f = spec.cadence * rng.uniform(0.93, 1.07)
    wobble = 1.0 + 0.04 * np.sin(2 * np.pi * rng.uniform(0.05, 0.15) * t + rng.uniform(0, 2 * np.pi))
    dt = np.diff(t, prepend=t[0])
    phase = np.cumsum(f * wobble * dt * ((t >= start)))
    phase = np.minimum(phase, spec.reps)
    u = 0.5 - 0.5 * np.cos(2 * np.pi * phase)
    return u, phase


def _sides(spec):
    return ("left", "right") if spec.side == "both" else (spec.side,)


def _down(n):
    return np.tile([0.0, -1.0, 0.0], (n, 1))


def _dir(x, y, z):
    return _unit(np.stack(np.broadcast_arrays(x, y, z), axis=-1).astype(float))


def whole_body_generators() -> dict:
    """activity -> generator(ctx) of the whole-body and daily-living modules."""
    from . import daily, locomotion, transfers

    return {**locomotion.GENERATORS, **transfers.GENERATORS, **daily.GENERATORS}


def generate(spec: ActivitySpec, fps: float = 30.0, seed: int = 0) -> Motion:
    rng = np.random.default_rng([seed, 42])
    T = int(round(spec.duration * fps)) + 1
    t = np.arange(T) / fps
    rot = np.zeros((T, len(BODY_JOINTS), 3))
    rot[:, J["pelvis"]] = UPRIGHT
    trans = np.zeros((T, 3))
    amp = spec.amplitude * rng.uniform(0.9, 1.1)
    u, phase = reps_profile(t, spec, rng)
    n = len(t)
    # relaxed arms by default (a little out from the body)
    for side in ("left", "right"):
        s = SIDE[side]
        pose_arm(rot, side, _dir(np.full(n, 0.09 * s), -1.0, 0.02), _dir(np.full(n, 0.05 * s), -1.0, 0.12))
    a = spec.activity
    from .builtin import PROGRAMS

    if a in PROGRAMS:                 # arm/trunk activities are motion programs (builtin.py)
        return from_program(spec, fps, seed)
    gens = whole_body_generators()
    if a in gens:
        from .body import Ctx

        gens[a](Ctx(spec, t, fps, rot, trans, rng, amp, u, phase))
        return _motion(spec, rot, trans, fps, seed)
    active = _sides(spec)
    for k, side in enumerate(active):
        s = SIDE[side]
        # both-arm punches alternate: the second arm half a repetition later
        uu = 0.5 - 0.5 * np.cos(2 * np.pi * (phase + 0.5 * k)) if a == "punching" else u
        if a == "arm_circles":
            ang = 2 * np.pi * phase
            r = 0.35 * amp * np.clip(t - 0.5, 0, 1)
            upper = _dir(s * np.ones(n), r * np.sin(ang), r * np.cos(ang))
            pose_arm(rot, side, upper, upper)
        elif a == "waving":
            ramp = np.clip(np.minimum(t - 0.6, t[-1] - 0.6 - t) / 0.5, 0, 1)
            osc = np.sin(2 * np.pi * phase)
            upper = _dir(s * (0.5 + 0.5 * (1 - ramp)), 0.35 * ramp - (1 - ramp), 0.25 + 0 * t)
            fore = _dir(s * (0.35 * amp * osc * ramp + 0.1) + 0.1 * s * (1 - ramp), ramp - (1 - ramp) * 1.0,
                        0.15 + 0 * t)
            pose_arm(rot, side, upper, fore)
        elif a == "clapping":
            ramp = np.clip(np.minimum(t - 0.5, t[-1] - 0.5 - t) / 0.5, 0, 1)
            upper = _dir(s * 0.35 + 0 * t, -0.35 * ramp - (1 - ramp), 0.9 * ramp + 0.05)
            inward = 0.15 + 0.55 * amp * (1 - u)           # hands apart ... together
            fore = _dir(s * (0.5 - (1.0 - inward)) * ramp + s * 0.05 * (1 - ramp), -(1 - ramp) + 0 * t,
                        1.0 * ramp + 0.1)
            pose_arm(rot, side, upper, fore)
        elif a == "punching":
            ext = uu * amp
            upper = _dir(0.25 * s * (1 - ext) + 0.05 * s, -0.6 * (1 - ext) + 0.1 * ext, 0.5 + 0.6 * ext)
            fore = _dir(-0.2 * s * (1 - ext), 0.6 * (1 - ext) + 0.05 * ext, 0.6 + 0.6 * ext)
            pose_arm(rot, side, upper, fore)
    if a == "walking_in_place":
        step = np.sin(np.pi * phase)                       # left leg up on even steps, right on odd
        lift_l, lift_r = np.clip(step, 0, None), np.clip(-step, 0, None)
        for side, lift in (("left", lift_l), ("right", lift_r)):
            rot[:, J[f"{side}_hip"], 0] = -np.radians(45 * amp) * lift
            rot[:, J[f"{side}_knee"], 0] = np.radians(70 * amp) * lift
        for side, other in (("left", lift_r), ("right", lift_l)):   # arms swing with the opposite leg
            s = SIDE[side]
            sw = np.radians(25 * amp) * (other - (lift_l + lift_r - other))
            pose_arm(rot, side, _dir(0.08 * s + 0 * t, -np.cos(sw), np.sin(sw)),
                     _dir(0.05 * s + 0 * t, -np.cos(sw + 0.5), np.sin(sw + 0.5)))
    elif a == "squats":
        hip = np.radians(95 * amp) * u
        knee = np.radians(110 * amp) * u
        for side in ("left", "right"):
            rot[:, J[f"{side}_hip"], 0] = -hip
            rot[:, J[f"{side}_knee"], 0] = knee
            rot[:, J[f"{side}_ankle"], 0] = -np.radians(20 * amp) * u
            s = SIDE[side]
            b = np.radians(10 + 80 * u)
            pose_arm(rot, side, _dir(0.15 * s + 0 * t, -np.cos(b), np.sin(b)), _dir(0.15 * s + 0 * t, -np.cos(b), np.sin(b)))
        rot[:, J["spine1"], 0] = np.radians(25 * amp) * u     # lean forward over the feet
        drop = THIGH + SHANK - (THIGH * np.cos(hip) + SHANK * np.cos(knee - hip))
        trans[:, 2] -= drop
    elif a == "jumping_jacks":
        for side in ("left", "right"):
            s = SIDE[side]
            b = np.radians(10 + 160 * amp * u)
            upper = _dir(s * np.sin(b), -np.cos(b), 0.05 + 0 * t)
            pose_arm(rot, side, upper, upper)
            rot[:, J[f"{side}_hip"], 2] = s * np.radians(18 * amp) * u
        hop = np.abs(np.sin(2 * np.pi * phase)) * (phase > 0) * (phase < spec.reps)
        trans[:, 2] += 0.06 * amp * hop
    # a little sway of the upper body, so no two performances are identical
    sway = rng.uniform(0.5, 1.5, 3)
    rot[:, J["spine2"], 2] += np.radians(1.5) * np.sin(2 * np.pi * 0.2 * t * sway[0] + sway[1])
    return _motion(spec, rot, trans, fps, seed)


def _spec_dict(spec: ActivitySpec) -> dict:
    return {"activity": spec.activity, "side": spec.side, "speed": spec.speed, "reps": spec.reps,
            "amplitude": spec.amplitude, "angle": spec.angle, "seconds": spec.seconds}


def from_program(spec: ActivitySpec, fps: float = 30.0, seed: int = 0, posture: str | None = None) -> Motion:
    """A built-in activity that is a motion program (`builtin.PROGRAMS`), compiled."""
    from .builtin import program_for
    from .program import compile_program

    m = compile_program(program_for(spec, posture), fps=fps, seed=seed)
    m.source.update({"backend": "procedural", "spec": _spec_dict(spec), "path": f"text:{spec.text}"})
    return m


def _motion(spec: ActivitySpec, rot, trans, fps, seed) -> Motion:
    return Motion(rotations=rot, trans=trans, fps=fps, joint_names=BODY_JOINTS,
                  source={"format": "text2motion", "backend": "procedural", "text": spec.text,
                          "spec": _spec_dict(spec), "seed": seed,
                          "up_axis": "Z", "original_fps": fps, "path": f"text:{spec.text}",
                          "sha256": content_hash(rot, trans)})
