"""Activity descriptions -> what to move: activity, side, speed, repetitions, amplitude.

A small keyword grammar, good enough for the short, one-person sentences IMUGPT-style
prompts produce ("a person does bicep curls slowly with the left arm", "someone claps
quickly ten times"). Unknown words are ignored; no activity word is an error naming the
known activities.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

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
    "walking_in_place": [r"walk(?:s|ing)? in place", r"march", r"\bstep(?:s|ping)? in place", r"jog(?:s|ging)? in place"],
    "squats": [r"\bsquat"],
    "jumping_jacks": [r"jumping jack", r"star jump"],
    "punching": [r"\bpunch", r"\bbox(?:es|ing)?\b", r"\bjab"],
    "drinking": [r"\bdrink", r"\bsip", r"glass of water", r"\bcup\b"],
    "standing": [r"stand(?:s|ing)? still", r"\bidle\b", r"\bstands?\b", r"stand(?:s|ing)? (?:quietly|upright|in place)"],
    # whole-body activities (locomotion, transfers)
    "walking": [r"\bwalk(?:s|ing)?\b", r"\bstroll", r"\bstep(?:s|ping)? forward"],
    "walking_turn": [r"walk(?:s|ing)? (?:and (?:then )?|while |then )turn", r"turn(?:s|ing)? while walking",
                     r"walk(?:s|ing)? (?:around|round) (?:a |the )?(?:corner|curve|bend)", r"walking turn"],
    "turning": [r"\bturn(?:s|ing)?\b", r"\bpivot", r"\bspins? around", r"about face"],
    "running": [r"\brun(?:s|ning)?\b", r"\bjog(?:s|ging)?\b", r"\bsprint"],
    "stairs_up": [r"(?:walk|climb|go|goes|going|run|head)\w* up (?:the |a |some )?(?:stairs|staircase|steps|flight)",
                  r"climb(?:s|ing)? (?:the |some |a flight of )?(?:stairs|steps|staircase)", r"\bupstairs",
                  r"\bascend", r"stairs up"],
    "stairs_down": [r"(?:walk|climb|go|goes|going|come|comes|coming|head|run)\w* down (?:the |a |some )?"
                    r"(?:stairs|staircase|steps|flight)", r"\bdownstairs", r"\bdescend", r"stairs down"],
    "jumping": [r"\bjump(?:s|ing)?\b", r"\bhop(?:s|ping)?\b", r"\bleaps?\b"],
    "sitting_down": [r"\bsits? down", r"\bsitting down", r"\btakes? a seat", r"\bsits? (?:down )?on (?:a|the) "
                     r"(?:chair|bench|sofa|couch|stool)", r"\bsit down"],
    "standing_up": [r"stand(?:s|ing)? up", r"gets? up (?:from|off|out of) (?:a|the) (?:chair|seat|sofa|couch|bench|stool)",
                    r"\brises? (?:from|up)", r"\bstand up"],
    "seated": [r"\bseated\b", r"\bsit(?:s|ting)? (?:still|quietly|calmly|idle|relaxed|at a desk)",
               r"\bis sitting\b", r"\bsits\b", r"\bsitting\b", r"\bremains? seated"],
    "lying_down": [r"\bl(?:ie|ies|ying|ay|ays) down", r"goes? to bed", r"\bl(?:ie|ies) on (?:the|a) (?:bed|sofa|couch)"],
    "getting_up": [r"gets? (?:up )?out of bed", r"gets? up from (?:the |a )?(?:bed|floor|lying)", r"\bgets? up\b",
                   r"\bgetting up"],
    # daily living and further exercises
    "triceps_extension": [r"\btriceps?\b", r"overhead extension", r"skull crusher"],
    "bent_over_row": [r"\brow(?:s|ing)?\b", r"bent over row"],
    "push_ups": [r"push ?ups?", r"press ?ups?", r"\bpushes? up\b"],
    "lunges": [r"\blunge"],
    "chest_fly": [r"chest fl(?:y|ies|yes)", r"\bfl(?:ies|yes)\b", r"pec fly", r"\bflys?\b"],
    "eating": [r"\beat(?:s|ing)?\b", r"\bmeal\b", r"\bspoon", r"\bfork\b", r"\bsoup\b"],
    "brushing_teeth": [r"brush(?:es|ing)? (?:the |his |her |their |one's )?teeth", r"toothbrush", r"brushing teeth"],
    "combing_hair": [r"\bcomb", r"brush(?:es|ing)? (?:the |his |her |their |one's )?hair"],
    "phone_call": [r"\bphone", r"\bcall(?:s|ing)?\b", r"talks? on", r"\bmobile\b"],
    "typing": [r"\btyp(?:e|es|ing)\b", r"keyboard"],
    "writing": [r"\bwrit(?:e|es|ing)\b", r"\bpen\b", r"notebook", r"\bnotes?\b"],
    "pouring": [r"\bpour"],
    "wiping": [r"\bwip(?:e|es|ing)\b", r"clean(?:s|ing)? (?:the |a )?(?:table|surface|window|counter)",
               r"\bdust(?:s|ing)?\b"],
}
# whole-body activities whose cadence counts steps, and those with a turn direction
GAIT = {"walking", "walking_turn", "running", "stairs_up", "stairs_down"}
TURNS = {"turning", "walking_turn"}
STILL = {"standing", "seated", "phone_call", "typing", "writing"}   # held for `seconds`
# default cadence: repetitions per second at normal speed, and default repetitions
CADENCE = {"bicep_curl": 0.5, "shoulder_press": 0.45, "lateral_raise": 0.45, "front_raise": 0.45,
           "arm_circles": 1.0, "waving": 2.0, "clapping": 2.5, "reaching": 0.4, "walking_in_place": 0.9,
           "squats": 0.4, "jumping_jacks": 0.9, "punching": 1.4, "drinking": 0.25, "standing": 0.125,
           "walking": 1.85, "walking_turn": 1.8, "running": 2.7, "stairs_up": 1.5, "stairs_down": 1.7,
           "turning": 0.55, "jumping": 0.75, "sitting_down": 1 / 2.2, "standing_up": 1 / 2.2, "seated": 0.125,
           "lying_down": 1 / 4.8, "getting_up": 1 / 4.8,
           "triceps_extension": 0.45, "bent_over_row": 0.45, "push_ups": 0.5, "lunges": 0.35, "chest_fly": 0.4,
           "eating": 0.2, "brushing_teeth": 3.5, "combing_hair": 0.8, "phone_call": 0.125, "typing": 0.1,
           "writing": 0.1, "pouring": 0.2, "wiping": 0.8}
DEFAULT_REPS = {"bicep_curl": 6, "shoulder_press": 6, "lateral_raise": 6, "front_raise": 6, "arm_circles": 8,
                "waving": 6, "clapping": 10, "reaching": 4, "walking_in_place": 8, "squats": 5,
                "jumping_jacks": 8, "punching": 10, "drinking": 3, "standing": 1,
                "walking": 16, "walking_turn": 16, "running": 20, "stairs_up": 10, "stairs_down": 10, "turning": 1,
                "jumping": 5, "sitting_down": 1, "standing_up": 1, "seated": 1, "lying_down": 1, "getting_up": 1,
                "triceps_extension": 6, "bent_over_row": 6, "push_ups": 5, "lunges": 6, "chest_fly": 6, "eating": 5,
                "brushing_teeth": 50, "combing_hair": 8, "phone_call": 1, "typing": 1, "writing": 1, "pouring": 2,
                "wiping": 8}
ONE_ARM = {"bicep_curl", "shoulder_press", "lateral_raise", "front_raise", "arm_circles", "waving", "reaching",
           "punching", "drinking", "triceps_extension", "bent_over_row", "eating", "brushing_teeth", "combing_hair",
           "phone_call", "writing", "pouring", "wiping"}
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
    angle: float = 0.0           # turning: degrees (0: the activity's default, 90)
    seconds: float | None = None  # still activities: how long ("sits still for 30 seconds")

    @property
    def cadence(self) -> float:
        """Repetitions (steps for gaits, turns for turning) per second."""
        if self.activity in GAIT:        # faster walking: a little quicker steps, much longer ones
            return CADENCE[self.activity] * self.speed ** 0.5
        if self.activity == "turning":   # 180° in ≈1.8 s at a normal pace
            return CADENCE["turning"] * self.speed * 180.0 / max(abs(self.angle or 90.0), 30.0)
        return CADENCE[self.activity] * self.speed

    @property
    def duration(self) -> float:
        """Seconds of motion: the repetitions, plus 1 s of standing before and after."""
        if self.seconds:
            return float(self.seconds) + 2.0
        return self.reps / self.cadence + 2.0


BACKGROUND = {"standing", "seated"}     # "stands and brushes the teeth": the other activity


def find_activity(text: str) -> str | None:
    """The activity named first in the text (the longest trigger on a tie); standing and
    sitting still only when nothing else is named."""
    t = text.lower()
    best = None
    for name, pats in ACTIVITIES.items():
        if name in BACKGROUND:
            continue
        for p in [*pats, r"\b" + name.replace("_", " ")]:   # the activity's own name works too
            m = re.search(p, t)
            span = m.end() - m.start() if m else 0
            if m and (best is None or m.start() < best[0] or (m.start() == best[0] and span > best[2])):
                best = (m.start(), name, span)
    if best is None:
        for name in BACKGROUND:
            if any(re.search(p, t) for p in [*ACTIVITIES[name], r"\b" + name]):
                return name
    return best[1] if best else None


def parse(text: str) -> ActivitySpec:
    t = " " + text.lower().replace("-", " ") + " "
    activity = find_activity(t)
    if activity is None:
        raise TextError(f"no known activity in '{text.strip()}' (known: {', '.join(ACTIVITIES)})")
    angle, t = _angle(t, activity)
    if activity in TURNS and not angle:
        angle = 90.0
    seconds, t = _seconds(t)
    if activity in TURNS:
        side = "right" if re.search(r"\bright\b|clockwise", t) and not re.search(r"counter ?clockwise", t) else "left"
    elif re.search(r"\b(both|two) (arms|hands)\b|\bboth\b|\balternat", t) or activity not in ONE_ARM:
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
    if activity == "running" and re.search(r"\bjog", t) and speed == 1.0:
        speed = 0.75
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
    if activity in STILL | {"sitting_down", "standing_up", "lying_down", "getting_up"} or \
            (activity == "turning" and reps > 4):
        reps = DEFAULT_REPS[activity]
    amplitude = 1.0
    if re.search(SMALL, t):
        amplitude = 0.6
    elif re.search(BIG, t):
        amplitude = 1.15
    spec = ActivitySpec(activity, side, speed, reps, amplitude, text.strip(), angle, seconds)
    if seconds and activity not in STILL:     # "walks for 20 seconds": as many steps as fit
        spec = replace(spec, reps=max(1, min(int(round(seconds * spec.cadence)), 2000)), seconds=None)
    return spec


def _angle(t: str, activity: str) -> tuple[float, str]:
    """Turning angle in degrees from the text (the phrase is removed so its number is not
    read as repetitions): "90 degrees", "turns around" (180), "a full turn" (360)."""
    m = re.search(r"\b(\d{1,3})\s*(?:°|deg\b|degrees?)", t)
    if m:
        return float(m.group(1)), t[:m.start()] + " " + t[m.end():]
    if activity not in TURNS:
        return 0.0, t
    for pat, deg in ((r"\bturns? around|about face|half (?:a )?turn|u ?turn|180", 180.0),
                     (r"full (?:turn|circle)|all the way around|360", 360.0), (r"quarter", 90.0)):
        if re.search(pat, t):
            return deg, t
    return 0.0, t


def _seconds(t: str) -> tuple[float | None, str]:
    m = re.search(r"\bfor (\d{1,4}(?:\.\d+)?)\s*(s|sec|secs|seconds?|min|mins|minutes?)\b", t)
    if not m:
        return None, t
    v = float(m.group(1)) * (60.0 if m.group(2).startswith("m") else 1.0)
    return min(v, 600.0), t[:m.start()] + " " + t[m.end():]
