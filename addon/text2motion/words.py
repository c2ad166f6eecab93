"""Movement descriptions -> motion programs, offline: an anatomical vocabulary and a small grammar.

`interpret(text)` returns a `Program` when the text describes a movement of body parts ("turns the
right palm up and down with the elbow bent at 90 degrees", "bring the right hand to the mouth",
"kick the left leg forward ten times", "bent forward at the hips, raise both arms out to the side
with a band"), else the `ActivitySpec` of a named activity (`parse.parse`: "does bicep curls",
"walks upstairs"); a named activity that is itself a program (`builtin.PROGRAMS`) keeps a posture
the text gives. Anything else is refused with one line saying what was not understood
(`TextError`) — a description is never replaced by another activity.

Grammar: clauses "VERB [the] [SIDE] PART [DIRECTION] [to ANGLE | to shoulder height | overhead]"
(e.g. raise/lift/lower, bend/flex/curl, straighten/extend, rotate/turn/twist, kick, swing, lean,
bring/move/put ... to TARGET, reach), posture phrases (seated, lying on the back, bent forward at
the hips, kneeling, standing), tempo (slowly, quickly), repetitions ("ten times", "12 reps"),
holds ("hold for 2 seconds"), load ("with a band", "with a dumbbell") and side (left, right,
both, alternating).
"""
from __future__ import annotations

import re

from .parse import FAST, NUMBERS, SLOW, TextError, find_activity, parse
from .program import REACH, Phase, Program

PARTS = {  # word -> body part
    "forearm": "forearm", "forearms": "forearm", "palm": "palm", "palms": "palm", "wrist": "wrist",
    "wrists": "wrist", "elbow": "elbow", "elbows": "elbow", "arm": "arm", "arms": "arm", "upper arm": "upper_arm",
    "upper arms": "upper_arm", "shoulder": "shoulder", "shoulders": "shoulder", "hand": "hand", "hands": "hand",
    "trunk": "trunk", "torso": "trunk", "upper body": "trunk",
    "hip": "hip", "hips": "hip", "leg": "leg", "legs": "leg", "knee": "knee", "knees": "knee", "thigh": "leg",
    "foot": "foot", "feet": "foot", "ankle": "foot", "ankles": "foot", "head": "head", "neck": "head",
    "heel": "heel", "heels": "heel", "finger": "finger", "fingers": "finger", "thumb": "finger", "toes": "finger", "toe": "finger",
    "fist": "hand", "dumbbell": "hand", "weight": "hand", "band": "hand",
}
VERBS = {  # regex (on a word) -> verb
    r"rais|lift|elevat": "raise", r"lower|drop": "lower", r"bend|bent|flex|curl": "bend",
    r"straighten|extend": "extend", r"rotat|turn|twist|roll|supinat|pronat": "rotate", r"kick": "kick",
    r"swing": "swing", r"lean|tilt|hinge|incline": "lean", r"bring|brings|move|put|place|touch|hold|lift": "bring",
    r"reach": "reach", r"push|press": "push", r"pull|draw": "pull", r"nod": "nod", r"shake|shakes|wiggl": "shake",
    r"circl": "circle",
}
TARGETS = [  # phrase -> reach target
    (r"\b(?:mouth|lips)\b", "mouth"), (r"\b(?:face|chin|nose|cheek)\b", "face"), (r"\bear\b", "ear"),
    (r"(?:top of the |)\bhead\b", "top_of_head"), (r"\bchest\b|\bsternum\b|\bheart\b", "chest"),
    (r"(?:opposite|other) shoulder", "opposite_shoulder"), (r"behind (?:the |their |his |her )?back|lower back",
                                                           "behind_back"),
    (r"\bhips?\b|\bwaist\b", "hip"),
]
POSTURE = [  # (regex, posture) checked in order
    (r"\b(?:bent|bending|hinged|leaning) (?:forward |over )?(?:at|from) the (?:hips|waist)|\bbent (?:forward|over)\b",
     "bent_forward"),
    (r"\bl(?:ying|ies|ie) (?:on (?:the|their|his|her|a) (?:back|floor|mat|bed|bench))|\bsupine\b|\blying down\b",
     "lying"),
    (r"\bkneel", "kneeling"),
    (r"\bseated\b|\bsitting (?:on|in|at)\b|\bsits (?:on|in|at)\b|\bwhile sitting\b|\bsitting\b", "seated"),
]
STOP = set("a an the and or then to of with his her their its one s at in on by for from up down as is are "
           "while person someone subject participant people man woman who does do doing performs perform "
           "performing keep keeps keeping still slowly quickly times time repeat repeats again back forth "
           "left right both it them this that each other side sides upper same position start starting".split())
WHOLE_BODY = {"walking", "walking_turn", "running", "stairs_up", "stairs_down", "jumping", "sitting_down",
              "standing_up", "lying_down", "getting_up", "walking_in_place", "jumping_jacks", "push_ups", "lunges"}


def interpret(text: str):
    """`Program` or `ActivitySpec` for a description; `TextError` (one line) when neither."""
    from .builtin import PROGRAMS, program_for

    raw = text.strip()
    t = " " + raw.lower().replace("-", " ").replace(",", " , ").replace(".", " . ") + " "
    t = re.sub(r"\bto the (left|right) and (?:then )?(?:to the )?(left|right)\b", r"\1_and_\2", t)
    t = re.sub(r"\b(up|down|back|in|side|left|right|forward) (?:and|then|and then) (down|up|forth|out|side|right|left|"
               r"back)\b", r"\1_and_\2", t)
    t = re.sub(r"\b(flex|bend)(?:es|s)? and (?:then )?(extend|straighten)s?\b", r"flex_and_extend", t)
    r = re.search(RETURN, t)     # "bend forward ... then stand up": the end of the repetition, no activity
    if r and re.search(r"\b(?:bend|bent|bends|lean|leans|hinge|hinges|bow|bows)\b", t[:r.start()]):
        t = t[:r.start()] + " " + t[r.end():]
    mods, t_rest = _modifiers(t)
    candidates, rest, errors = _clauses(t_rest)
    moving = []
    for verb, part, chunk in (c for c in candidates if c[0] != "static"):
        try:
            moving.append((verb, part, chunk, _clause(verb, part, chunk, mods.get("hold", 0.0))))
        except TextError as e:
            errors.append(str(e))
            rest += " " + chunk
    activity = find_activity(rest)
    named = find_activity(t)
    # a movement said in anatomical terms (a named joint, an angle) is the movement; "does bicep
    # curls with the left arm" is the named activity
    precise = any(_strict_part(m[2], joints=True) or _angle(m[2]) is not None for m in moving)
    if moving and (precise or named is None or named in ("standing", "seated", "turning")):
        if activity in WHOLE_BODY or named in WHOLE_BODY:   # "walks while swinging the arms", "marches on
            # the spot lifting the knees high": the activity, its own arm swing / knee lift
            return parse(raw)
        return _program(raw, moving, _static(t), mods)
    activity = named
    unparsed = errors or any(re.match(pat, w) for w in re.findall(r"[a-z]+", rest) for pat in VERBS)
    if activity is None or (activity in ("turning", "walking_turn") and _strict_part(t)) or \
            (activity in ("standing", "seated") and unparsed):
        if errors:
            raise TextError(errors[0])
        words = _leftover(rest)
        raise TextError(f"no known activity or movement in '{raw}'"
                        + (f" (did not understand: {' '.join(words)})" if words else ""))
    spec = parse(raw)
    if mods.get("posture") and spec.activity in PROGRAMS:
        return program_for(spec, posture=mods["posture"], load=mods.get("load"))
    if mods.get("posture") == "bent_forward" and spec.activity not in ("bent_over_row", "wiping"):
        raise TextError(f"'{raw}': the posture 'bent forward at the hips' cannot be applied to "
                        f"{spec.activity.replace('_', ' ')} (describe the movement of the arms or trunk instead)")
    return spec


def _strict_part(t: str, joints: bool = False) -> bool:
    """Names a joint or segment (not just "the arm"/"the hand"); `joints`: one that no named
    activity's description needs ("shoulder press", "lunges with the left leg")."""
    if joints:
        return bool(re.search(r"\b(?:forearms?|palms?|wrists?|elbows?|upper arms?|knees?|ankles?|torso|trunk)\b", t))
    return bool(re.search(r"\b(?:forearms?|palms?|wrists?|elbows?|upper arms?|knees?|ankles?|torso|trunk|hips?|"
                          r"shoulders?|legs?|neck|head)\b", t))


def _static(t: str) -> list:
    """How the arms are held throughout ("with the arms hanging", "the elbow bent at 90 degrees")."""
    out = []
    for pat in (r"\b(?:arms?|hands?) (?:hanging|hang|hangs|down|relaxed|at the sides?)\b",
                r"(?:elbows?|arms?) (?:bent|flexed)(?: at| to)? (?:\d{1,3})?"):
        m = re.search(pat, t)
        if m:
            out.append(("static", None, m.group(0)))
    return out


def _leftover(t: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", t) if w not in STOP and len(w) > 2][:8]


def _number(w: str) -> int | None:
    if w.isdigit():
        return int(w)
    return NUMBERS.get(w)


RETURN = (r"(?:,|\band|\bthen)\s+(?:then\s+)?(?:stand|come|comes|straighten|return)\w* (?:back )?(?:up|upright|to "
          r"(?:the )?(?:start|standing|upright))(?: again)?\b(?! from| out of| off)")


def _modifiers(t: str) -> tuple[dict, str]:
    m = {}
    for pat, posture in POSTURE:
        r = re.search(pat, t)
        if r:
            m["posture"] = posture
            t = t[:r.start()] + " " + t[r.end():]
            break
    num = r"(\d{1,3}|" + "|".join(NUMBERS) + r")"
    r = re.search(rf"\b{num}\s*(?:times|reps|repetitions|x\b)", t)
    if r:
        m["reps"] = max(1, min(_number(r.group(1)) or 1, 200))
        t = t[:r.start()] + " " + t[r.end():]
    r = re.search(rf"\bhold(?:s|ing)?(?: it| them| the position)?(?: for)? {num} (?:s|sec|secs|seconds?)\b", t)
    if r:
        m["hold"] = float(_number(r.group(1)) or 1)
        t = t[:r.start()] + " " + t[r.end():]
    if re.search(r"\bvery (?:slow|slowly)\b", t):
        m["tempo"] = 0.4
    elif re.search(SLOW, t):
        m["tempo"] = 0.6
    elif re.search(r"\bvery (?:fast|quick|quickly)\b", t):
        m["tempo"] = 2.0
    elif re.search(FAST, t):
        m["tempo"] = 1.6
    r = re.search(r"\b(?:with|using|holding) (?:a |an )?(?:light |heavy |resistance |elastic )?"
                  r"(band|dumbbells?|weights?|kettlebell)\b", t)
    if r:
        m["load"] = {"band": "band", "kettlebell": "weight"}.get(r.group(1), "dumbbell" if "dumb" in r.group(1)
                                                                 else "weight")
        t = t[:r.start()] + " " + t[r.end():]
    if re.search(r"\balternat", t):
        m["side"] = "alternate"
    elif re.search(r"\bboth\b|\b(?:two|2) (?:arms|hands|legs)\b", t):
        m["side"] = "both"
    elif re.search(r"\b(?:left|right) (?:hand|arm)s?\b", t) and re.search(r"\bleft\b", t) and re.search(r"\bright\b", t):
        m["side"] = re.search(r"\b(left|right) (?:hand|arm)s?\b", t).group(1)    # "the left shoulder with the right hand"
    elif re.search(r"\bleft\b", t) and not re.search(r"\bright\b", t):
        m["side"] = "left"
    elif re.search(r"\bright\b", t):
        m["side"] = "right"
    return m, t


def _angle(c: str) -> float | None:
    r = re.search(r"(\d{1,3})\s*(?:°|deg\b|degrees?)", c)
    if r:
        return float(r.group(1))
    if re.search(r"shoulder (?:height|level)|horizontal|parallel to the floor", c):
        return 90.0
    if re.search(r"overhead|above the head|over the head|straight up|all the way up", c):
        return 170.0
    if re.search(r"halfway|half way", c):
        return 45.0
    if re.search(r"slightly|a little|a bit", c):
        return 25.0
    return None


def _clauses(t: str):
    """Split into chunks; each with a movement verb and a body part is a candidate clause
    (verb, part, chunk), each saying how the arms are held a 'static' one. Returns (candidates,
    the text of the other chunks, errors about parts the body cannot move)."""
    chunks = re.split(r"\s(?:,|;|\.|and then|then|and|while|before|after)\s", t)
    out, rest, errors = [], [], []
    for ch in chunks:
        words = re.findall(r"[a-z]+|\d+", ch)
        verb, vpos = None, None
        for i, w in enumerate(words):
            v = next((v for pat, v in VERBS.items() if re.match(pat, w)), None)
            if v:
                verb, vpos = v, i
                break
        found, skip = [], set()
        for i, w in enumerate(words):       # "upper arm" before "arm"
            if i in skip:
                continue
            two = " ".join(words[i:i + 2])
            if two in PARTS:
                found.append((i, PARTS[two]))
                skip.add(i + 1)
            elif w in PARTS:
                found.append((i, PARTS[w]))
        after = [p for i, p in found if vpos is not None and i > vpos]
        part = after[0] if after else (found[-1][1] if found else None)
        if verb in ("bring", "reach", "raise") and part != "hand" and any(p == "hand" for _, p in found) and \
                any(re.search(pat, ch) for pat, _ in TARGETS + [(r"\b(?:left|right) shoulder", "")]):
            part = "hand"               # "touch the left shoulder with the right hand": the hand moves
        if verb == "lean" and part is None and re.search(r"\blean", ch):
            part = "trunk"
        if re.search(r"\b(?:arms?|hands?) (?:hanging|hang|down|relaxed|at the sides?)\b|"
                     r"(?:upper arms?|elbows?) (?:still|at the sides?|against the body|tucked|fixed|close|bent|flexed)",
                     ch) and verb in (None, "bend"):
            out.append(("static", part, ch))
        elif verb and part == "finger":
            errors.append(f"'{' '.join(words[vpos:vpos + 4])}': the body model has no finger joints to move")
            rest.append(ch)
        elif verb and part:
            out.append((verb, part, ch))
        else:
            rest.append(ch)
    return out, " ".join(rest), errors


def _program(raw: str, moving: list, static: list, mods: dict) -> Program:
    side = mods.get("side", "right")
    posture = mods.get("posture", "standing")
    start, phases, start_reach = {}, [], None
    # a forward lean with other movements: the posture they are done in
    leans = [m for m in moving if m[0] == "lean" and m[1] in ("trunk", "hip") and _dir(m[2]) in ("forward", "")]
    if leans and len(moving) > len(leans):
        posture = "bent_forward"
        moving = [m for m in moving if m not in leans]
    for _, _, c in static:
        if re.search(r"hang|down|relaxed", c) and re.search(r"arms?|hands?", c):
            start_reach = "hang"
        m = re.search(r"(?:elbows?|arms?) (?:bent|flexed)(?: at| to)? (\d{1,3})", c)
        if m:
            start["elbow_flexion"] = min(float(m.group(1)), 150.0)
        elif re.search(r"elbows? (?:bent|flexed)", c):
            start["elbow_flexion"] = 90.0
    for _, _, _, (st, ph) in moving:
        for k, v in st.items():
            start.setdefault(k, v)
        if ph != phases[-len(ph):]:             # two clauses saying the same movement
            phases += ph
    if start_reach:
        for ph in phases:
            if "reach" not in ph and not any(k.startswith("shoulder") for k in ph.get("targets", {})):
                ph["reach"] = "hang"
    d = {"posture": posture, "side": side, "phases": phases, "text": raw, "source": "description",
         "repetitions": mods.get("reps", 6), "tempo": mods.get("tempo", 1.0), "load": mods.get("load", "none"),
         "start": {k: v for k, v in (("targets", start), ("reach", start_reach)) if v}}
    return Program.from_dict(d, where="description")


def _dir(c: str) -> str:
    for pat, name in ((r"\bforwards?\b|in front|\bfront\b|ahead", "forward"),
                      (r"to the sides?|sideways|\bout\b|outward|laterally|\baway from the body", "side"),
                      (r"backwards?|behind|\bback\b", "back"), (r"\binwards?\b|\bin\b|towards? the body|across", "in"),
                      (r"overhead|above|\bup\b|upward|ceiling", "up"), (r"\bdown\b|downward|floor", "down")):
        if re.search(pat, c):
            return name
    return ""


def _clause(verb: str, part: str, c: str, hold: float):
    """(start targets, phases) of one clause."""
    ang = _angle(c)
    d = _dir(c)
    ph = lambda targets=None, reach=None, s=1.0: {k: v for k, v in (("targets", targets or {}), ("reach", reach),  # noqa: E731
                                                                   ("seconds", s), ("hold", hold)) if v}
    if verb in ("bring", "reach", "raise") and part in ("hand", "arm"):
        sh, hand = re.search(r"\b(left|right) shoulder", c), re.search(r"\b(left|right) (?:hand|arm)", c)
        if sh and hand:
            if sh.group(1) == hand.group(1):
                raise TextError(f"'{c.strip()}': a hand on its own shoulder is not a reach target "
                                f"(known: {', '.join(REACH)})")
            return {}, [ph(reach="opposite_shoulder")]
        for pat, target in TARGETS:
            m = re.search(r"\b(?:to|towards?|on|onto|behind|over|against|up to|near)\b.*" + pat, c)
            if m or (target == "behind_back" and re.search(pat, c)):
                return {}, [ph(reach=target)]
        if verb == "reach":
            return {}, [ph(reach={"up": "overhead", "side": "side_shoulder_height"}.get(d, "forward_shoulder_height"))]
    if part in ("forearm", "palm") or (part in ("hand", "wrist") and verb == "rotate"):
        if verb not in ("rotate", "bend", "extend") or (part == "wrist" and verb != "rotate"):
            pass
        else:
            rng = min(ang or 80.0, 90.0)
            start = {"elbow_flexion": 90.0}
            both = re.search(r"up_and_down|down_and_up|\bover\b|back_and_forth|in_and_out|side_and_side", c)
            if re.search(r"palms? (?:faces? |facing |turned |turns? )?up\b|supinat|upward", c) and not both:
                return start, [ph({"forearm_pronation": -rng})]
            if re.search(r"palms? (?:faces? |facing |turned |turns? )?down\b|pronat|downward", c) and not both:
                return start, [ph({"forearm_pronation": rng})]
            first = -1.0 if re.search(r"up_and_down|supinat\w* and", c) else 1.0      # the way the text says first
            return start, [ph({"forearm_pronation": first * rng}, s=0.8), ph({"forearm_pronation": -first * rng}, s=1.2)]
    if part == "wrist":
        if "flex_and_extend" in c:
            return {"elbow_flexion": 90.0, "forearm_pronation": 80.0}, [ph({"wrist_flexion": ang or 60.0}, s=0.8),
                                                                       ph({"wrist_flexion": -(ang or 50.0)}, s=0.8)]
        if verb in ("bend", "raise", "lower", "extend", "swing", "circle"):
            if verb == "extend" or d in ("back", "up"):
                return {"elbow_flexion": 90.0, "forearm_pronation": 80.0}, [ph({"wrist_flexion": -(ang or 50.0)})]
            if re.search(r"side to side|sideways|left_and_right", c):
                return {"elbow_flexion": 90.0}, [ph({"wrist_deviation": 20.0}, s=0.6), ph({"wrist_deviation": -30.0}, s=0.6)]
            return {"elbow_flexion": 90.0, "forearm_pronation": -80.0}, [ph({"wrist_flexion": ang or 60.0})]
    if part == "elbow" or (part in ("arm", "forearm", "upper_arm") and verb in ("bend", "extend")):
        if verb == "bend":
            return {}, [ph({"elbow_flexion": min(ang or 130.0, 150.0)})]
        if verb in ("extend", "raise", "push"):
            if d == "up" or re.search(r"overhead", c):
                return {"shoulder_flexion": 170.0, "elbow_flexion": 140.0}, [ph({"elbow_flexion": 10.0})]
            return {"elbow_flexion": 100.0}, [ph({"elbow_flexion": 5.0})]
    if part in ("arm", "shoulder", "upper_arm", "hand"):
        if verb == "rotate":
            start = {"elbow_flexion": 90.0}
            if d == "in" or re.search(r"internal|inward", c):
                return start, [ph({"shoulder_rotation": -(ang or 60.0)})]
            if d in ("side", "back") or re.search(r"external|outward", c):
                return start, [ph({"shoulder_rotation": ang or 60.0})]
            return start, [ph({"shoulder_rotation": 60.0}), ph({"shoulder_rotation": -60.0})]
        if verb in ("raise", "lower", "bring") or (verb == "reach" and d):
            a = ang or (170.0 if d == "up" else 90.0)
            if d == "side":
                return {}, [ph({"shoulder_abduction": a, "elbow_flexion": 5.0})]
            if d == "back":
                return {}, [ph({"shoulder_flexion": -min(ang or 40.0, 60.0), "elbow_flexion": 5.0})]
            if d == "in":
                return {"shoulder_abduction": 90.0, "elbow_flexion": 10.0}, \
                    [ph({"shoulder_horizontal_abduction": -(ang or 90.0)})]
            return {}, [ph({"shoulder_flexion": a, "elbow_flexion": 5.0})]
        if verb == "swing":
            a = ang or 40.0
            if d == "side":
                return {}, [ph({"shoulder_abduction": a}, s=0.5), ph({"shoulder_abduction": 0.0}, s=0.5)]
            return {}, [ph({"shoulder_flexion": a}, s=0.5), ph({"shoulder_flexion": -0.6 * a}, s=0.5)]
        if verb == "push":
            return {"shoulder_flexion": 60.0, "elbow_flexion": 110.0}, [ph({"shoulder_flexion": 90.0,
                                                                           "elbow_flexion": 5.0})]
        if verb == "pull":
            return {"shoulder_flexion": 90.0, "elbow_flexion": 5.0}, [ph({"shoulder_flexion": 10.0,
                                                                         "elbow_flexion": 110.0})]
        if verb == "bend":
            return {}, [ph({"elbow_flexion": min(ang or 130.0, 150.0)})]
    if part in ("trunk", "hip") and verb in ("lean", "bend", "rotate", "lower", "tilt"):
        if verb == "rotate":
            a = min(ang or 40.0, 45.0)
            if d == "side" or re.search(r"side to side|left_and_right|both ways", c):
                return {}, [ph({"trunk_rotation": a}), ph({"trunk_rotation": -a})]
            return {}, [ph({"trunk_rotation": a if "left" in c else -a})]
        if d == "side" or re.search(r"sideways|to the (?:left|right)", c):
            a = min(ang or 30.0, 40.0)
            return {}, [ph({"trunk_lateral_flexion": -a if "right" in c else a})]
        if d == "back":
            return {}, [ph({"trunk_flexion": -min(ang or 20.0, 30.0)})]
        return {}, [ph({"trunk_flexion": min(ang or 60.0, 90.0)})]
    if part in ("leg", "hip", "knee", "foot"):
        if verb == "kick":
            if d == "side":
                return {}, [ph({"hip_abduction": min(ang or 40.0, 45.0)}, s=0.45)]
            if d == "back":
                return {}, [ph({"hip_flexion": -25.0, "knee_flexion": 30.0}, s=0.45)]
            return {"knee_flexion": 40.0}, [ph({"hip_flexion": min(ang or 70.0, 110.0), "knee_flexion": 0.0},
                                              s=0.45)]
        if part == "knee" and verb in ("raise", "bring", "lift"):
            return {}, [ph({"hip_flexion": min(ang or 90.0, 120.0), "knee_flexion": 90.0})]
        if part == "knee" and verb == "bend" or (part == "leg" and verb == "bend"):
            return {}, [ph({"knee_flexion": min(ang or 90.0, 140.0)})]
        if part == "knee" and verb == "extend" or (part == "leg" and verb == "extend"):
            return {"knee_flexion": 90.0}, [ph({"knee_flexion": 0.0})]
        if part == "foot" and verb in ("raise", "bend", "lift", "rotate", "extend", "lower"):
            if re.search(r"toes? up|dorsi|up", c):
                return {}, [ph({"ankle_dorsiflexion": 20.0})]
            return {}, [ph({"ankle_dorsiflexion": -35.0})]
        if verb in ("raise", "lift", "swing"):
            if d == "side":
                return {}, [ph({"hip_abduction": min(ang or 35.0, 45.0)})]
            if d == "back":
                return {}, [ph({"hip_flexion": -20.0})]
            return {}, [ph({"hip_flexion": min(ang or 60.0, 110.0)})]
    if part == "head":
        if verb in ("nod", "bend", "lower", "lean"):
            return {}, [ph({"neck_flexion": ang or 30.0}, s=0.6)]
        if verb in ("rotate", "shake"):
            return {}, [ph({"neck_rotation": ang or 45.0}, s=0.6), ph({"neck_rotation": -(ang or 45.0)}, s=0.6)]
    raise TextError(f"did not understand how to '{verb}' the {part.replace('_', ' ')} in '{c.strip()}'")
