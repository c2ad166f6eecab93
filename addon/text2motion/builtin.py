"""The built-in activities that are pure arm/trunk movements, as motion programs (the one owner
of their definition; `procedural.generate` compiles them). Timing: the phases' seconds give the
shape of a repetition; `program_for` scales them so a repetition takes 1 / `parse.CADENCE` s at
a normal pace (the one owner of cadence), and the description's speed, repetitions, side,
amplitude and posture apply."""
from __future__ import annotations

from .parse import ActivitySpec
from .program import DOFS, Program, _split

PROGRAMS = {
    "bicep_curl": {"start": {"targets": {"elbow_flexion": 20, "forearm_pronation": -60, "shoulder_flexion": 5}},
                   "phases": [{"targets": {"elbow_flexion": [130, 145]}, "seconds": 1.0}], "return_seconds": 1.0},
    "shoulder_press": {"start": {"targets": {"shoulder_abduction": 80, "shoulder_rotation": 80, "elbow_flexion": 95,
                                             "forearm_pronation": 70}},
                       "phases": [{"targets": {"shoulder_abduction": [160, 172], "elbow_flexion": 10},
                                   "seconds": 1.1}], "return_seconds": 1.1},
    "lateral_raise": {"phases": [{"targets": {"shoulder_abduction": [82, 95], "elbow_flexion": 10}, "seconds": 1.1}],
                      "return_seconds": 1.1},
    "front_raise": {"phases": [{"targets": {"shoulder_flexion": [85, 95], "elbow_flexion": 5}, "seconds": 1.1}],
                    "return_seconds": 1.1},
    "reaching": {"phases": [{"targets": {"shoulder_flexion": [95, 130], "shoulder_abduction": 15,
                                         "elbow_flexion": 5}, "seconds": 1.25, "hold": 0.3}],
                 "return_seconds": 1.25},
    "drinking": {"phases": [{"targets": {"shoulder_flexion": 35, "elbow_flexion": 60}, "seconds": 0.8},
                            {"reach": "mouth", "seconds": 0.8, "hold": 1.0},
                            {"targets": {"shoulder_flexion": 35, "elbow_flexion": 60}, "seconds": 0.6}],
                 "return_seconds": 0.8},
    "triceps_extension": {"start": {"targets": {"shoulder_flexion": 165, "elbow_flexion": 140}},
                          "phases": [{"targets": {"elbow_flexion": [10, 25]}, "seconds": 1.1}], "return_seconds": 1.1},
    "chest_fly": {"start": {"targets": {"shoulder_abduction": 85, "shoulder_horizontal_abduction": 10,
                                        "elbow_flexion": 20}},
                  "phases": [{"targets": {"shoulder_horizontal_abduction": [-85, -75]}, "seconds": 1.25}],
                  "return_seconds": 1.25},
}
# the range-of-motion targets an amplitude scales (elbow/pronation set-up angles stay)
_SCALED = {"shoulder_abduction", "shoulder_flexion", "shoulder_horizontal_abduction", "elbow_flexion"}


def program_for(spec: ActivitySpec, posture: str | None = None, load: str | None = None) -> Program:
    """The built-in program of `spec.activity` with the description's side, speed, repetitions,
    amplitude and (optionally) posture."""
    d = PROGRAMS[spec.activity]
    phases = []
    for ph in d["phases"]:
        ph = dict(ph)
        if spec.amplitude != 1.0 and "targets" in ph:
            ph["targets"] = {k: _amp(k, v, spec.amplitude) for k, v in ph["targets"].items()}
        phases.append(ph)
    base = sum(p["seconds"] + p.get("hold", 0.0) for p in phases) + d.get("return_seconds", phases[0]["seconds"])
    prog = {**d, "phases": phases, "activity": spec.activity, "side": spec.side, "repetitions": spec.reps,
            "tempo": round(min(max(spec.cadence * base, 0.1), 5.0), 4), "text": spec.text, "source": "builtin",
            "posture": posture or "standing", "load": load or "none"}
    return Program.from_dict(prog, where=f"builtin program {spec.activity}")


def _amp(key: str, v, amp: float):
    dof = _split(key)[1]
    if dof not in _SCALED:
        return v
    lo, hi = DOFS[dof]
    f = lambda x: float(min(max(x * amp, lo), hi))  # noqa: E731
    return [f(x) for x in v] if isinstance(v, list) else f(v)
