"""Activity descriptions -> what to move: activity, side, speed, repetitions, amplitude.

A small keyword grammar, good enough for the short, one-person sentences IMUGPT-style
prompts produce ("a person does bicep curls slowly with the left arm", "someone claps
quickly ten times"). Unknown words are ignored; no activity word is an error naming the
known activities.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# activity -> trigger phrases (regular expressions, matched on lower-case text)
ACTIVITIES = {
    "bicep_curl": [r"bicep", r"biceps", r"\bcurl", r"arm curl"],
    "shoulder_press": [r"shoulder press", r"overhead press", r"military press", r"press(?:es|ing)? .*overhead",
                       r"\bpress(?:es|ing)?\b.*\b(?:up|above)"],
    "lateral_raise": [r"lateral raise", r"side raise", r"raises? .*arms? (?:out )?to the sides?", r"lateral"],
    "front_raise": [r"front raise", r"raises? .*arms? (?:in front|forward)"],
    "arm_circles": [r"arm circle", r"circles? .*arms?", r"circling"],
    "waving": [r"\bwav(?:e|es|ing)\b", r"waves? (?:hello|goodbye)"],
    "clapping": [r"\bclap", r"applau"],
    "reaching": [r"\breach", r"grab", r"pick(?:s|ing)? up .* shelf"],
    "walking_in_place": [r"walk(?:s|ing)? in place", r"march", r"\bwalk", r"\bstep(?:s|ping)? in place", r"jog(?:s|ging)? in place"],
    "squats": [r"\bsquat"],
    "jumping_jacks": [r"jumping jack", r"star jump"],
    "punching": [r"\bpunch", r"\bbox(?:es|ing)?\b", r"\bjab"],
    "drinking": [r"\bdrink", r"\bsip", r"glass of water", r"\bcup\b"],
    "standing": [r"stand(?:s|ing)? still", r"\bidle\b", r"\bstands?\b"],
}
# default cadence: repetitions per second at normal speed, and default repetitions
CADENCE = {"bicep_curl": 0.5, "shoulder_press": 0.45, "lateral_raise": 0.45, "front_raise": 0.45,
           "arm_circles": 1.0, "waving": 2.0, "clapping": 2.5, "reaching": 0.4, "walking_in_place": 0.9,
           "squats": 0.4, "jumping_jacks": 0.9, "punching": 1.4, "drinking": 0.25, "standing": 0.2}
DEFAULT_REPS = {"bicep_curl": 6, "shoulder_press": 6, "lateral_raise": 6, "front_raise": 6, "arm_circles": 8,
                "waving": 6, "clapping": 10, "reaching": 4, "walking_in_place": 8, "squats": 5,
                "jumping_jacks": 8, "punching": 10, "drinking": 3, "standing": 1}
ONE_ARM = {"bicep_curl", "shoulder_press", "lateral_raise", "front_raise", "arm_circles", "waving", "reaching",
           "punching", "drinking"}
NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                       "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
SLOW = r"\b(slow|slowly|gently|leisurely|carefully|sluggish)"
FAST = r"\b(fast|quick|quickly|rapid|rapidly|briskly|vigorously|energetically|hurried)"
SMALL = r"\b(small|slight|slightly|little|partial|half)"
BIG = r"\b(big|large|wide|high|full|exaggerated|big)"


class TextError(ValueError):
    """A description names no activity the procedural backend knows."""


@dataclass(frozen=True)
class ActivitySpec:
    activity: str
    side: str = "right"          # left | right | both
    speed: float = 1.0           # cadence multiplier
    reps: int = 6
    amplitude: float = 1.0       # range-of-motion multiplier
    text: str = ""

    @property
    def cadence(self) -> float:
        return CADENCE[self.activity] * self.speed

    @property
    def duration(self) -> float:
        """Seconds of motion: the repetitions, plus 1 s of standing before and after."""
        return self.reps / self.cadence + 2.0


def find_activity(text: str) -> str | None:
    t = text.lower()
    best = None
    for name, pats in ACTIVITIES.items():
        for p in [*pats, r"\b" + name.replace("_", " ")]:   # the activity's own name works too
            m = re.search(p, t)
            if m and (best is None or m.start() < best[0] or (m.start() == best[0] and len(p) > best[2])):
                best = (m.start(), name, len(p))
    return best[1] if best else None


def parse(text: str) -> ActivitySpec:
    t = " " + text.lower().replace("-", " ") + " "
    activity = find_activity(t)
    if activity is None:
        raise TextError(f"no known activity in '{text.strip()}' (known: {', '.join(ACTIVITIES)})")
    if re.search(r"\b(both|two) (arms|hands)\b|\bboth\b|\balternat", t) or activity not in ONE_ARM:
        side = "both"
    elif re.search(r"\bleft\b", t):
        side = "left"
    elif re.search(r"\bright\b", t):
        side = "right"
    else:
        side = "right"          # the dominant hand of most people
    speed = 1.0
    if re.search(SLOW, t):
        speed = 0.55
    elif re.search(FAST, t):
        speed = 1.7
    if re.search(r"\bvery (slow|slowly)\b", t):
        speed = 0.4
    if re.search(r"\bvery (fast|quick|quickly)\b", t):
        speed = 2.2
    reps = DEFAULT_REPS[activity]
    m = re.search(r"\b(\d{1,3})\s*(?:x\b|times|reps|repetitions|rounds|curls|squats|claps|waves|steps|punches|jacks)", t) \
        or re.search(r"\b(\d{1,3})\b", t)
    if m:
        reps = int(m.group(1))
    else:
        for w, n in NUMBERS.items():
            if re.search(rf"\b{w}\b\s*(times|reps|repetitions|curls|squats|claps|waves|steps|punches|jumping)", t) \
                    or re.search(rf"\b{w}\b (bicep|shoulder|lateral|front|arm|squat|jumping|punch|clap|wave)", t):
                reps = n
                break
    reps = max(1, min(reps, 200))
    amplitude = 1.0
    if re.search(SMALL, t):
        amplitude = 0.6
    elif re.search(BIG, t):
        amplitude = 1.15
    return ActivitySpec(activity, side, speed, reps, amplitude, text.strip())
