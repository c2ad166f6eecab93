"""Motion programs: what a body does, in anatomical terms, checked and turned into a `Motion`.

A program (YAML/JSON, or the dict `Program.from_dict` reads) is a posture, a start pose and a
list of phases; one repetition goes start -> phase 1 -> ... -> phase N -> back to the start:

    activity: forearm_rotation     # the label (required from an LLM endpoint; else optional)
    posture: standing              # standing | seated | lying | bent_forward | kneeling
    side: right                    # left | right | both | alternate (the side-less targets' side)
    load: none                     # none | band | dumbbell | weight (a load slows the tempo)
    start: {elbow_flexion: 90}     # held before, between and after the repetitions
    phases:
      - {targets: {forearm_pronation: 80}, seconds: 0.8, hold: 0.2}
      - {targets: {forearm_pronation: [-90, -60]}, seconds: 1.2}   # [lo, hi]: drawn per repetition
      - {reach: mouth, seconds: 1.0}                               # an end-effector target
    return_seconds: 1.0            # back to the start (default: the first phase's seconds)
    repetitions: 8
    tempo: 1.0                     # speed multiplier of every phase
    variability: 0.08              # per repetition: ranges and durations x U(1-v, 1+v)

Joint targets (degrees; `left.`/`right.` prefix for one side, else the program's side), each
within the joint's range (`DOFS`): shoulder_flexion (the upper arm forward of hanging straight
down in the world, or of the trunk after a `reach` of a body point), shoulder_abduction (out to
the side), shoulder_horizontal_abduction (+: away from the midline), shoulder_rotation
(+: external), elbow_flexion, forearm_pronation (+: palm down, -: supination, 0: thumb up with the
elbow bent), wrist_flexion (-: extension), wrist_deviation (+: radial), hip_flexion (the thigh
forward of the posture's thigh), hip_abduction, knee_flexion (the knee's own angle, 0: straight, in
any posture), ankle_dorsiflexion, trunk_flexion (half at the hips, half in the spine), trunk_lateral_flexion and trunk_rotation (+: towards the
body's left), neck_flexion, neck_rotation. Reach targets (`REACH`) are body points solved by
two-link IK in the trunk frame (mouth, face, ear, top_of_head, chest, opposite_shoulder) or named
poses (hang, side_shoulder_height, forward_shoulder_height, overhead, behind_back, hip).

Arms are built from the anatomical angles by rotations of the arm hanging at the side (palm to
the thigh): A = R_y(s·h) R_x(-flex) R_z(s·abd) R_y(s·rot) (s = +1 left, -1 right; body frame
x left, y up, z forward), elbow R_x(-flex) R_y(-s·pron), wrist R_z(-s·flex) R_x(-dev); legs,
trunk and postures reuse `addon.motion.procedural` and `transfers` (the seated pose).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from ..motion.motion import Motion
from ..motion.procedural import HIP_BELOW_PELVIS, J, body_to_world, content_hash, min_jerk, root_rotation
from ..motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from ..motion.skeleton import BODY_JOINTS
from .body import Ctx

LEAD = Ctx.start                       # s at the start pose before and after the repetitions

POSTURES = ("standing", "seated", "lying", "bent_forward", "kneeling")
SIDES = ("left", "right", "both", "alternate")
LOADS = ("none", "band", "dumbbell", "weight")
LOAD_TEMPO = {"none": 1.0, "band": 0.85, "dumbbell": 0.85, "weight": 0.8}
# degrees: the range each target may take (anatomical range of motion, a little generous)
ARM_DOFS = {"shoulder_flexion": (-60.0, 180.0), "shoulder_abduction": (-30.0, 180.0),
            "shoulder_horizontal_abduction": (-130.0, 45.0), "shoulder_rotation": (-90.0, 90.0),
            "elbow_flexion": (0.0, 150.0), "forearm_pronation": (-90.0, 90.0), "wrist_flexion": (-70.0, 80.0),
            "wrist_deviation": (-35.0, 25.0)}
LEG_DOFS = {"hip_flexion": (-30.0, 130.0), "hip_abduction": (-20.0, 45.0), "knee_flexion": (0.0, 150.0),
            "ankle_dorsiflexion": (-50.0, 25.0)}
TRUNK_DOFS = {"trunk_flexion": (-30.0, 90.0), "trunk_lateral_flexion": (-40.0, 40.0),
              "trunk_rotation": (-45.0, 45.0), "neck_flexion": (-50.0, 60.0), "neck_rotation": (-70.0, 70.0)}
DOFS = {**ARM_DOFS, **LEG_DOFS, **TRUNK_DOFS}
SIDED = set(ARM_DOFS) | set(LEG_DOFS)
# reach targets: body points (wrist position relative to the shoulder in the trunk frame, m,
# x towards the arm's own side, y up, z forward; 1.7 m body) ...
REACH_POINTS = {"mouth": (-0.14, 0.07, 0.14), "face": (-0.12, 0.10, 0.13), "ear": (-0.05, 0.11, 0.08),
                "top_of_head": (-0.10, 0.30, 0.02), "chest": (-0.14, -0.10, 0.17),
                "opposite_shoulder": (-0.28, -0.04, 0.13)}
# ... or named poses (angles; the arm DOFs they leave out go to 0, elbow as given)
REACH_POSES = {"hang": {"elbow_flexion": 8.0},
               "side_shoulder_height": {"shoulder_abduction": 90.0, "elbow_flexion": 5.0},
               "forward_shoulder_height": {"shoulder_flexion": 90.0, "elbow_flexion": 5.0},
               "overhead": {"shoulder_flexion": 170.0, "elbow_flexion": 5.0},
               "behind_back": {"shoulder_flexion": -35.0, "shoulder_rotation": -70.0, "elbow_flexion": 100.0,
                               "forearm_pronation": 60.0},
               "hip": {"shoulder_abduction": 35.0, "shoulder_rotation": -25.0, "elbow_flexion": 100.0}}
REACH = tuple(REACH_POINTS) + tuple(REACH_POSES)
UPPER_ARM, FOREARM = 0.26, 0.25        # m, the rest skeleton's (addon/motion/skeleton.py TPOSE_BODY)
SIDE_SIGN = {"left": 1.0, "right": -1.0}
# posture defaults: trunk pitch from the vertical at the hips (deg) and the arms' start
POSTURE_PITCH = {"standing": 0.0, "seated": 0.0, "lying": -90.0, "bent_forward": 60.0, "kneeling": 0.0}
REST_ARM = {"shoulder_abduction": 5.0, "elbow_flexion": 10.0}
SEATED_ARM = {"shoulder_flexion": 25.0, "elbow_flexion": 55.0, "forearm_pronation": 60.0}
MAX_PHASES, MAX_REPS, MAX_SECONDS = 32, 500, 600.0


class ProgramError(ValueError):
    """A motion program cannot be used: one line naming the field."""


@dataclass
class Phase:
    targets: dict = field(default_factory=dict)     # "elbow_flexion" | "left.elbow_flexion" -> deg | [lo, hi]
    reach: dict = field(default_factory=dict)       # side -> REACH name
    seconds: float = 1.0
    hold: float = 0.0


@dataclass
class Program:
    phases: list
    activity: str = ""
    posture: str = "standing"
    side: str = "right"
    load: str = "none"
    start: Phase = field(default_factory=Phase)
    repetitions: int = 6
    tempo: float = 1.0
    variability: float = 0.08
    return_seconds: float | None = None
    text: str = ""
    source: str = "program"        # who wrote it: builtin | description | program | llm:<url>

    # -------------------------------------------------------------------- reading / writing
    @classmethod
    def from_dict(cls, d, where: str = "program") -> "Program":
        if not isinstance(d, dict):
            raise ProgramError(f"{where}: a program is a mapping (posture, side, start, phases, ...)")
        known = {f for f in cls.__dataclass_fields__} | {"reps"}
        bad = sorted(set(map(str, d)) - known)
        if bad:
            raise ProgramError(f"{where}: unknown field(s) {', '.join(bad)} (known: {', '.join(sorted(known))})")
        kw = {}
        for k, choices in (("posture", POSTURES), ("side", SIDES), ("load", LOADS)):
            if k in d:
                v = d[k]
                if not isinstance(v, str) or v not in choices:
                    raise ProgramError(f"{where}.{k}: {v!r} is not one of {', '.join(choices)}")
                kw[k] = v
        for k in ("activity", "text", "source"):
            if k in d:
                if not isinstance(d[k], str) or len(d[k]) > 500:
                    raise ProgramError(f"{where}.{k}: must be a string (at most 500 characters)")
                kw[k] = d[k]
        reps = d.get("repetitions", d.get("reps", 6))
        if isinstance(reps, bool) or not isinstance(reps, int) or not 1 <= reps <= MAX_REPS:
            raise ProgramError(f"{where}.repetitions: must be a whole number in 1..{MAX_REPS}, got {reps!r}")
        kw["repetitions"] = reps
        kw["tempo"] = _num(d.get("tempo", 1.0), f"{where}.tempo", 0.1, 5.0)
        kw["variability"] = _num(d.get("variability", 0.08), f"{where}.variability", 0.0, 0.5)
        if d.get("return_seconds") is not None:
            kw["return_seconds"] = _num(d["return_seconds"], f"{where}.return_seconds", 0.05, 60.0)
        phases = d.get("phases")
        if not isinstance(phases, list) or not phases:
            raise ProgramError(f"{where}.phases: needs a non-empty list of phases")
        if len(phases) > MAX_PHASES:
            raise ProgramError(f"{where}.phases: at most {MAX_PHASES} phases, got {len(phases)}")
        kw["phases"] = [_phase(p, f"{where}.phases[{i}]") for i, p in enumerate(phases)]
        kw["start"] = _phase(d.get("start") or {}, f"{where}.start", start=True)
        prog = cls(**kw)
        if prog.seconds() > MAX_SECONDS:
            raise ProgramError(f"{where}.repetitions: {prog.seconds():.0f} s of motion; at most {MAX_SECONDS:g}")
        return prog

    def to_dict(self) -> dict:
        first = ("activity", "posture", "side", "load", "repetitions", "tempo", "variability", "start", "phases")
        d = asdict(self)
        d = {**{k: d[k] for k in first}, **{k: v for k, v in d.items() if k not in first}}
        d["start"] = _phase_dict(self.start, start=True)
        d["phases"] = [_phase_dict(p) for p in self.phases]
        if d["return_seconds"] is None:
            del d["return_seconds"]
        return d

    def dumps(self) -> str:
        """The program as YAML (what `--explain` prints)."""
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=None, width=100)

    def seconds(self) -> float:
        """Seconds of one performance: 1 s at the start pose, the repetitions, 1 s after."""
        per = sum(p.seconds + p.hold for p in self.phases) + self._return_s()
        return 2 * LEAD + self.repetitions * per / (self.tempo * LOAD_TEMPO[self.load])

    def _return_s(self) -> float:
        return self.return_seconds if self.return_seconds is not None else self.phases[0].seconds

    def active_sides(self, rep: int) -> tuple[str, ...]:
        if self.side == "both":
            return ("left", "right")
        if self.side == "alternate":
            return (("left", "right")[rep % 2],)
        return (self.side,)


def _num(v, where, lo, hi) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        raise ProgramError(f"{where}: must be a number in {lo:g}..{hi:g}, got {v!r}")
    return float(v)


def _phase(p, where: str, start: bool = False) -> Phase:
    if not isinstance(p, dict):
        raise ProgramError(f"{where}: a phase is a mapping (targets, reach, seconds, hold)")
    keys = {"targets", "reach"} | (set() if start else {"seconds", "hold"})
    bad = sorted(set(map(str, p)) - keys)
    if bad:
        raise ProgramError(f"{where}: unknown field(s) {', '.join(bad)} (known: {', '.join(sorted(keys))})")
    targets = p.get("targets") or {}
    if not isinstance(targets, dict):
        raise ProgramError(f"{where}.targets: a mapping of joint targets (degrees), e.g. {{elbow_flexion: 90}}")
    out = {}
    for k, v in targets.items():
        side, dof = _split(str(k))
        if dof not in DOFS:
            raise ProgramError(f"{where}.targets.{k}: unknown joint target (known: {', '.join(DOFS)})")
        if side and side not in ("left", "right"):
            raise ProgramError(f"{where}.targets.{k}: the side prefix is left. or right.")
        if side and dof not in SIDED:
            raise ProgramError(f"{where}.targets.{k}: {dof} has no side")
        lo, hi = DOFS[dof]
        vals = v if isinstance(v, list) else [v]
        if not 1 <= len(vals) <= 2:
            raise ProgramError(f"{where}.targets.{k}: a number of degrees or a range [lo, hi]")
        vals = [_num(x, f"{where}.targets.{k}", lo, hi) for x in vals]
        if len(vals) == 2 and vals[0] > vals[1]:
            raise ProgramError(f"{where}.targets.{k}: range [lo, hi] with lo <= hi, got {v!r}")
        out[str(k)] = vals[0] if len(vals) == 1 else vals
    reach = p.get("reach") or {}
    if isinstance(reach, str):
        reach = {"": reach}
    if not isinstance(reach, dict):
        raise ProgramError(f"{where}.reach: a target name ({', '.join(REACH)}) or {{left: ..., right: ...}}")
    for k, v in reach.items():
        if k not in ("", "left", "right"):
            raise ProgramError(f"{where}.reach.{k}: the side is left or right")
        if v not in REACH:
            raise ProgramError(f"{where}.reach: {v!r} is not a reach target ({', '.join(REACH)})")
    ph = Phase(targets=out, reach=dict(reach))
    if not start:
        ph.seconds = _num(p.get("seconds", 1.0), f"{where}.seconds", 0.05, 60.0)
        ph.hold = _num(p.get("hold", 0.0), f"{where}.hold", 0.0, 60.0)
    return ph


def _phase_dict(p: Phase, start: bool = False) -> dict:
    d = {}
    if p.targets:
        d["targets"] = dict(p.targets)
    if p.reach:
        d["reach"] = p.reach[""] if set(p.reach) == {""} else dict(p.reach)
    if not start:
        d["seconds"] = round(p.seconds, 3)
        if p.hold:
            d["hold"] = round(p.hold, 3)
    return d


def _split(key: str) -> tuple[str, str]:
    if "." in key:
        side, dof = key.split(".", 1)
        return side, dof
    return "", key


def load_program(path) -> Program:
    """A program file (.yaml/.yml/.json), at most 256 KiB; ProgramError names the file."""
    from pathlib import Path

    path = Path(path)
    try:
        if path.stat().st_size > 256 * 1024:
            raise ProgramError(f"{path}: over 256 KiB; a motion program is small")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise ProgramError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            d = yaml.safe_load(text)
        else:
            d = json.loads(text)
    except Exception as e:  # noqa: BLE001 - any parse error names the file
        raise ProgramError(f"{path}: cannot parse ({e.__class__.__name__}: {' '.join(str(e).split())[:160]})") from None
    return Program.from_dict(d, where=str(path))


# ------------------------------------------------------------------------ arm kinematics
def _R(axis: int, ang) -> np.ndarray:
    ang = np.atleast_1d(np.asarray(ang, float))
    aa = np.zeros(ang.shape + (3,))
    aa[..., axis] = ang
    return axis_angle_to_matrix(aa)


def _hang_rest(s: float) -> np.ndarray:
    """The T-pose arm (along ±x, palm down) turned to hang at the side, palm to the thigh."""
    return _R(2, -s * np.pi / 2)[0]


def arm_frame(s: float, flex, abd, horiz, rot) -> np.ndarray:
    """(T,3,3) rotation of the hanging arm's frame into the trunk frame from the angles (rad)."""
    return _R(1, s * np.asarray(horiz)) @ _R(0, -np.asarray(flex)) @ _R(2, s * np.asarray(abd)) @ _R(1, s * np.asarray(rot))


def arm_angles_from_frame(s: float, A: np.ndarray) -> dict:
    """Inverse of `arm_frame` with no horizontal abduction: flexion, abduction, rotation (deg)."""
    d = -A[:, :, 1]                                  # the upper arm's direction (hanging: -y)
    abd = np.arcsin(np.clip(s * d[:, 0], -1, 1))
    flex = np.arctan2(d[:, 2], -d[:, 1])
    M = np.swapaxes(_R(0, -flex) @ _R(2, s * abd), -1, -2) @ A
    rot = s * np.arctan2(M[:, 0, 2], M[:, 0, 0])
    return {"shoulder_flexion": np.degrees(flex), "shoulder_abduction": np.degrees(abd),
            "shoulder_rotation": np.degrees(rot)}


def reach_point(s: float, name: str, hint=(0.35, -1.0, 0.15)) -> dict:
    """Two-link IK of the arm onto a body point (`REACH_POINTS`): the elbow on its circle as
    close as it gets to `hint` (down, a little out and forward). Returns the arm angles (deg)."""
    x, y, z = REACH_POINTS[name]
    w = np.array([s * x, y, z])
    d = float(np.clip(np.linalg.norm(w), 0.05, UPPER_ARM + FOREARM - 1e-4))
    n = w / np.linalg.norm(w)
    a = (UPPER_ARM ** 2 - FOREARM ** 2 + d ** 2) / (2 * d)
    r = math.sqrt(max(UPPER_ARM ** 2 - a ** 2, 0.0))
    h = np.array([s * hint[0], hint[1], hint[2]])
    h = h - n * (h @ n)
    elbow = n * a + r * h / max(np.linalg.norm(h), 1e-9)
    du = elbow / np.linalg.norm(elbow)
    df = (n * d - elbow) / np.linalg.norm(n * d - elbow)
    bend = df - du * (df @ du)
    bend /= max(np.linalg.norm(bend), 1e-9)
    A = np.stack([np.cross(-du, bend), -du, bend], axis=1)[None]      # columns: images of x, y, z
    out = {k: float(v[0]) for k, v in arm_angles_from_frame(s, A).items()}
    out["shoulder_horizontal_abduction"] = 0.0
    out["elbow_flexion"] = float(np.degrees(np.arccos(np.clip(du @ df, -1, 1))))
    return out


def hand_position(s: float, ang: dict) -> np.ndarray:
    """(T,3) wrist position relative to the shoulder (trunk frame, m) from arm angles (deg)."""
    r = {k: np.radians(np.atleast_1d(ang.get(k, 0.0))) for k in ARM_DOFS}
    A = arm_frame(s, r["shoulder_flexion"], r["shoulder_abduction"], r["shoulder_horizontal_abduction"],
                  r["shoulder_rotation"])
    down = np.array([0.0, -1.0, 0.0])
    e = r["elbow_flexion"]
    fore = np.stack([np.zeros_like(e), -np.cos(e), np.sin(e)], -1)
    return UPPER_ARM * (A @ down) + FOREARM * np.einsum("tij,tj->ti", A, fore)


def set_arm(rot: np.ndarray, side: str, ang: dict) -> None:
    """Shoulder, elbow and wrist rotations (local, SMPL) from anatomical angles (deg, (T,))."""
    s = SIDE_SIGN[side]
    r = {k: np.radians(np.asarray(ang[k], float)) for k in ARM_DOFS}
    Q = _hang_rest(s)
    A = arm_frame(s, r["shoulder_flexion"], r["shoulder_abduction"], r["shoulder_horizontal_abduction"],
                  r["shoulder_rotation"])
    rot[:, J[f"{side}_shoulder"]] = matrix_to_axis_angle(A @ Q)
    el = _R(0, -r["elbow_flexion"]) @ _R(1, -s * r["forearm_pronation"])
    rot[:, J[f"{side}_elbow"]] = matrix_to_axis_angle(Q.T @ el @ Q)
    wr = _R(2, -s * r["wrist_flexion"]) @ _R(0, -r["wrist_deviation"])
    rot[:, J[f"{side}_wrist"]] = matrix_to_axis_angle(Q.T @ wr @ Q)


# ------------------------------------------------------------------------ compiling
def _pose(prog: Program, phase: Phase, prev: dict, sides: tuple[str, ...], rng, scale: float) -> dict:
    """The keyframe after `phase`: `prev` with the phase's targets (ranges drawn, deviations from
    the previous pose scaled by `scale`) and reaches applied. Keys: 'left.elbow_flexion', ...,
    'trunk_flexion', and 'left.hang' (1: shoulder flexion counted from the world vertical)."""
    out = dict(prev)
    for side, name in phase.reach.items():
        for sd in ((side,) if side else sides):
            s = SIDE_SIGN[sd]
            if name in REACH_POINTS:
                vals, hang = reach_point(s, name), 0.0
            else:
                vals, hang = {k: 0.0 for k in ARM_DOFS if k != "forearm_pronation"}, 1.0
                vals.update(REACH_POSES[name])
            for k, v in vals.items():
                out[f"{sd}.{k}"] = prev[f"{sd}.{k}"] + scale * (v - prev[f"{sd}.{k}"])
            out[f"{sd}.hang"] = hang
    for key, v in phase.targets.items():
        side, dof = _split(key)
        val = float(rng.uniform(v[0], v[1])) if isinstance(v, list) else float(v)
        lo, hi = DOFS[dof]
        for k in ([key] if side or dof not in SIDED else [f"{sd}.{dof}" for sd in sides]):
            out[k] = float(np.clip(prev[k] + scale * (val - prev[k]), lo, hi))
    return out


def _base_pose(prog: Program) -> dict:
    pose = {}
    arm = SEATED_ARM if prog.posture == "seated" else REST_ARM
    for side in ("left", "right"):
        for k in SIDED:
            pose[f"{side}.{k}"] = arm.get(k, 0.0)
        pose[f"{side}.hang"] = 0.0 if prog.posture in ("seated", "lying") else 1.0
    for k in TRUNK_DOFS:
        pose[k] = 0.0
    return pose


def keyframes(prog: Program, seed: int = 0):
    """(times (K,), poses: key -> values (K,)) of the whole performance, with the per-repetition
    variation drawn from `seed`."""
    rng = np.random.default_rng([seed, 4242])
    speed = prog.tempo * LOAD_TEMPO[prog.load]
    all_sides = ("left", "right") if prog.side in ("both", "alternate") else (prog.side,)
    start = _pose(prog, prog.start, _base_pose(prog), all_sides, rng, 1.0)
    times, poses = [0.0, LEAD], [start, start]
    t = LEAD
    v = prog.variability
    for rep in range(prog.repetitions):
        sides = prog.active_sides(rep)
        scale = float(rng.uniform(1 - v, 1 + v))
        cur = start
        for ph in prog.phases:
            t += ph.seconds / speed * float(rng.uniform(1 - v, 1 + v))
            cur = _pose(prog, ph, cur, sides, rng, scale)
            times.append(t)
            poses.append(cur)
            if ph.hold:
                t += ph.hold / speed
                times.append(t)
                poses.append(cur)
        t += prog._return_s() / speed * float(rng.uniform(1 - v, 1 + v))
        times.append(t)
        poses.append(start)
    times.append(t + LEAD)
    poses.append(start)
    keys = list(start)
    return np.array(times), {k: np.array([p[k] for p in poses]) for k in keys}


def _interp(t: np.ndarray, kt: np.ndarray, kv: np.ndarray) -> np.ndarray:
    """Minimum-jerk transitions between keyframes (vectorized)."""
    i = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 2)
    x = (t - kt[i]) / np.maximum(kt[i + 1] - kt[i], 1e-9)
    return kv[i] + (kv[i + 1] - kv[i]) * min_jerk(x)


def compile_program(prog: Program, fps: float = 30.0, seed: int = 0) -> Motion:
    """The program as a `Motion` (SMPL body tree, Z-up world), seeded variation."""
    from .body import Ctx, spine
    from .transfers import _apply_sit

    kt, kv = keyframes(prog, seed)
    T = int(round(kt[-1] * fps)) + 1
    t = np.arange(T) / fps
    f = {k: _interp(t, kt, v) for k, v in kv.items()}
    rng = np.random.default_rng([seed, 17])
    rot = np.zeros((T, len(BODY_JOINTS), 3))
    trans = np.zeros((T, 3))
    zero = np.zeros(T)
    trunk = np.radians(f["trunk_flexion"])
    base = np.radians(POSTURE_PITCH[prog.posture])
    pitch = base + 0.5 * trunk                                  # at the hips
    if prog.posture == "seated":
        c = Ctx(None, t, fps, rot, trans, rng, 1.0, zero, zero)
        _apply_sit(c, np.ones(T), 0.0, 0.0)
        rot[:, J["pelvis"]] = root_rotation(zero, pitch=pitch)
    else:
        rot[:, J["pelvis"]] = root_rotation(zero, pitch=pitch)
        hip_pitch = pitch if prog.posture != "lying" else zero
        for side in ("left", "right"):
            thigh = np.radians(15.0) * (prog.posture == "bent_forward")        # soft knees
            knee = np.radians(90.0) * (prog.posture == "kneeling") + 1.3 * thigh
            rot[:, J[f"{side}_hip"], 0] = -(thigh + hip_pitch)
            rot[:, J[f"{side}_knee"], 0] = knee
            rot[:, J[f"{side}_ankle"], 0] = -thigh * (prog.posture == "bent_forward")
        if prog.posture == "lying":
            local = np.stack([zero, zero - 0.80, zero], -1)                     # on the floor, on the back
        else:
            drop = 0.42 * (prog.posture == "kneeling") + 0.04 * (prog.posture == "bent_forward")
            local = np.stack([zero, -drop + HIP_BELOW_PELVIS * (np.cos(pitch) - 1),
                              HIP_BELOW_PELVIS * np.sin(pitch)], -1)
        trans[:] = body_to_world(local, zero)
    spine(rot, flex=0.5 * trunk, twist=np.radians(f["trunk_rotation"]), side=np.radians(f["trunk_lateral_flexion"]))
    rot[:, J["neck"], 0] += np.radians(f["neck_flexion"])
    rot[:, J["neck"], 1] += np.radians(f["neck_rotation"])
    total_pitch = base + trunk                                   # the trunk from the vertical
    all_sides = ("left", "right") if prog.side in ("both", "alternate") else (prog.side,)
    knee_set = {sd for ph in (prog.start, *prog.phases) for k in ph.targets if _split(k)[1] == "knee_flexion"
                for sd in ((_split(k)[0],) if _split(k)[0] else all_sides)}
    for side in ("left", "right"):
        s = SIDE_SIGN[side]
        ang = {k: f[f"{side}.{k}"] for k in ARM_DOFS}
        if prog.posture != "lying":
            ang["shoulder_flexion"] = ang["shoulder_flexion"] + f[f"{side}.hang"] * np.degrees(total_pitch)
        set_arm(rot, side, ang)
        rot[:, J[f"{side}_hip"], 0] -= np.radians(f[f"{side}.hip_flexion"])
        rot[:, J[f"{side}_hip"], 2] += s * np.radians(f[f"{side}.hip_abduction"])
        if side in knee_set:      # the knee's own angle (0: straight) replaces the posture's
            rot[:, J[f"{side}_knee"], 0] = np.radians(f[f"{side}.knee_flexion"])
        else:
            rot[:, J[f"{side}_knee"], 0] += np.radians(f[f"{side}.knee_flexion"])
        rot[:, J[f"{side}_ankle"], 0] -= np.radians(f[f"{side}.ankle_dorsiflexion"])
    # never frozen: breathing and a little sway of the upper body
    ph = rng.uniform(0, 2 * np.pi, 3)
    rot[:, J["spine2"], 0] += np.radians(0.8) * np.sin(2 * np.pi * rng.uniform(0.2, 0.3) * t + ph[0])
    rot[:, J["spine2"], 2] += np.radians(1.2) * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * t + ph[1])
    return Motion(rotations=rot, trans=trans, fps=fps, joint_names=BODY_JOINTS,
                  source={"format": "text2motion", "backend": "program", "text": prog.text,
                          "program": prog.to_dict(), "seed": seed, "up_axis": "Z", "original_fps": fps,
                          "path": f"program:{prog.activity or prog.text}", "sha256": content_hash(rot, trans)})


def joint_positions_of(motion: Motion) -> np.ndarray:
    """(T,22,3) joint positions in the Z-up world on the rest skeleton (1.7 m body): what the
    stick figure draws and the tests measure."""
    from ..motion.skeleton import BODY_PARENTS, TPOSE_BODY, joint_positions

    R = axis_angle_to_matrix(motion.rotations[:, :len(BODY_JOINTS)])
    return joint_positions(R, BODY_PARENTS, TPOSE_BODY, motion.trans)
