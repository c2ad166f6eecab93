"""Varied descriptions of an activity (who, speed, side, style), IMUGPT-style.

The default is an offline template generator: seeded, so a dataset can be regenerated. With
`llm_url` (an OpenAI-compatible /v1/chat/completions endpoint), a language model writes them
instead, under IMUGPT's rules: one person, one short sentence, only this activity (none of
the other activities of the study). Any failure of the endpoint falls back to the templates
with a warning; the endpoint is never required.

The request (`post_json`) never follows a redirect (so `Authorization` cannot travel to
another origin), has one deadline for the whole exchange (connect, headers, body: a server
that trickles one byte every few seconds is cut off) and reads at most a capped number of
bytes (`WEARTWIN_LLM_TIMEOUT`, default 60 s, and `WEARTWIN_LLM_MAX_BYTES`, default 1 MiB;
see `addon/limits.py`).
"""
from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import urllib.parse

import numpy as np

from .. import limits

# Subjects name no attribute (sex, age, height, build): the same description is baked on
# every body variant, so "a tall woman" would be false on most of them (see `who_for_body`
# for a subject that matches one body).
WHO = ["a person", "someone", "an adult", "a participant", "the subject", "a volunteer"]
SPEED = ["slowly", "at a normal pace", "quickly", "steadily", "with energy", "carefully"]
SIDE = {"one": ["with the left arm", "with the right arm", "with the right hand", "with the left hand"],
        "both": ["with both arms", ""]}
STYLE = ["", "with a small range of motion", "with a full range of motion", "while standing upright",
         "in a relaxed way"]
DAILY = {"eating", "brushing_teeth", "combing_hair", "phone_call", "typing", "writing", "pouring", "wiping",
         "drinking"}
WHOLE_BODY_STYLE = ["", "in a relaxed way", "calmly", "without hurrying"]
WHOLE_BODY = {"walking", "walking_turn", "running", "stairs_up", "stairs_down", "turning", "jumping", "sitting_down",
              "standing_up", "seated", "lying_down", "getting_up", "standing", "walking_in_place", "squats",
              "jumping_jacks"}
PHRASES = {   # activity -> verb phrases (the subject comes first)
    "bicep_curl": ["does bicep curls", "curls a dumbbell", "performs arm curls"],
    "shoulder_press": ["does shoulder presses", "presses a weight overhead", "does an overhead press"],
    "lateral_raise": ["does lateral raises", "raises the arms out to the sides"],
    "front_raise": ["does front raises", "raises the arm in front"],
    "arm_circles": ["does arm circles", "circles the arms"],
    "waving": ["waves", "waves hello", "waves goodbye"],
    "clapping": ["claps", "claps the hands", "applauds"],
    "reaching": ["reaches up to a shelf", "reaches forward for an object"],
    "walking_in_place": ["walks in place", "marches in place"],
    "squats": ["does squats", "squats down and stands up"],
    "jumping_jacks": ["does jumping jacks", "does star jumps"],
    "punching": ["punches", "throws punches", "shadow boxes"],
    "drinking": ["drinks from a glass", "sips from a cup"],
    "standing": ["stands still", "stands idle"],
    "walking": ["walks", "walks forward", "walks across the room", "walks down a hallway"],
    "walking_turn": ["walks and turns", "walks and then turns", "walks around a corner"],
    "running": ["runs", "jogs", "runs forward"],
    "stairs_up": ["walks up the stairs", "climbs the stairs", "goes upstairs"],
    "stairs_down": ["walks down the stairs", "goes downstairs", "comes down the stairs"],
    "turning": ["turns", "turns around", "turns in place"],
    "jumping": ["jumps", "jumps in place", "hops on the spot"],
    "sitting_down": ["sits down", "sits down on a chair", "takes a seat"],
    "standing_up": ["stands up", "stands up from a chair", "gets up from the chair"],
    "seated": ["sits still", "sits quietly on a chair", "is sitting"],
    "lying_down": ["lies down on the bed", "lies down"],
    "getting_up": ["gets up out of bed", "gets up from the bed"],
    "triceps_extension": ["does triceps extensions", "does overhead triceps extensions"],
    "bent_over_row": ["does bent over rows", "rows a dumbbell"],
    "push_ups": ["does push ups", "does press ups"],
    "lunges": ["does lunges", "does forward lunges"],
    "chest_fly": ["does chest flys", "does chest flyes"],
    "eating": ["eats a meal", "eats soup with a spoon", "eats with a fork"],
    "brushing_teeth": ["brushes the teeth", "brushes their teeth"],
    "combing_hair": ["combs the hair", "brushes their hair"],
    "phone_call": ["talks on the phone", "makes a phone call", "answers a phone call"],
    "typing": ["types on a keyboard", "is typing"],
    "writing": ["writes in a notebook", "writes with a pen"],
    "pouring": ["pours water into a glass", "pours a drink"],
    "wiping": ["wipes the table", "cleans the table"],
}
ONE_SIDED = {"bicep_curl", "shoulder_press", "lateral_raise", "front_raise", "waving", "reaching", "drinking",
             "punching", "arm_circles", "triceps_extension", "bent_over_row", "eating", "brushing_teeth",
             "combing_hair", "phone_call", "writing", "pouring", "wiping"}


def canonical(activity: str) -> str:
    key = activity.strip().lower().replace(" ", "_").replace("-", "_")
    aliases = {"bicep_curls": "bicep_curl", "curls": "bicep_curl", "wave": "waving", "clap": "clapping",
               "squat": "squats", "walk": "walking", "walking_in_place": "walking_in_place",
               "marching": "walking_in_place", "sitting": "seated", "sit_down": "sitting_down",
               "sitting_down": "sitting_down", "stand_up": "standing_up", "sit_to_stand": "standing_up",
               "turn": "turning", "turning_in_place": "turning", "run": "running", "jogging": "running",
               "jump": "jumping", "stairs": "stairs_up", "climbing_stairs": "stairs_up", "walking_upstairs": "stairs_up",
               "walking_downstairs": "stairs_down", "lying": "lying_down", "lie_down": "lying_down",
               "get_up": "getting_up", "push_up": "push_ups", "pushups": "push_ups", "lunge": "lunges",
               "row": "bent_over_row", "rows": "bent_over_row", "triceps": "triceps_extension",
               "tricep_extension": "triceps_extension", "eat": "eating", "phone": "phone_call", "type": "typing",
               "write": "writing", "pour": "pouring", "wipe": "wiping", "comb_hair": "combing_hair",
               "brush_teeth": "brushing_teeth", "chest_flys": "chest_fly", "fly": "chest_fly",
               "punch": "punching", "boxing": "punching", "drink": "drinking", "reach": "reaching",
               "jumping_jack": "jumping_jacks", "arm_circle": "arm_circles", "lateral_raises": "lateral_raise",
               "front_raises": "front_raise", "shoulder_presses": "shoulder_press"}
    return aliases.get(key, key)


def who_for_body(params: dict, height: float, reference: float = 1.7) -> str:
    """A subject phrase true of one body variant: Anny phenotype `gender` (0 female .. 1
    male), `age` (0.35..0.85 adult range) and the height relative to the reference."""
    g = params.get("gender")
    noun = "person" if g is None or 0.35 <= g <= 0.65 else ("man" if g > 0.65 else "woman")
    adj = []
    age = params.get("age")
    if age is not None and age >= 0.7:
        adj.append("older")
    elif age is not None and age <= 0.45:
        adj.append("young")
    if height >= reference * 1.03:
        adj.append("tall")
    elif height <= reference * 0.97:
        adj.append("short")
    words = " ".join(adj + [noun])
    return ("an " if words[0] in "aeiou" else "a ") + words


def template_descriptions(activity: str, n: int, seed: int = 0, who: list[str] | None = None) -> list[str]:
    act = canonical(activity)
    phrases = PHRASES.get(act, [f"is {activity.replace('_', ' ')}"])
    rng = np.random.default_rng([seed, len(act), sum(map(ord, act))])
    out, seen = [], set()
    for _ in range(n * 20):
        parts = [rng.choice(who or WHO), rng.choice(phrases), rng.choice(SPEED)]
        if act in ONE_SIDED:
            parts.append(rng.choice(SIDE["one"] + SIDE["both"] * (act in ("arm_circles", "punching"))))
        parts.append(rng.choice(WHOLE_BODY_STYLE if act in WHOLE_BODY | DAILY else STYLE))
        text = " ".join(p for p in parts if p).strip() + "."
        text = text[0].upper() + text[1:]
        if text not in seen:
            seen.add(text)
            out.append(text)
        if len(out) == n:
            break
    while len(out) < n:        # few combinations: repeat (seeded variation still differs)
        out.append(out[len(out) % max(1, len(seen))])
    return out


class EndpointError(RuntimeError):
    pass


def post_json(url: str, payload: dict, headers: dict | None = None, timeout: float | None = None,
              max_bytes: int | None = None) -> object:
    """POST `payload` as JSON to `url` and parse the JSON reply; no redirects, one deadline
    (`timeout` s) for the whole exchange, at most `max_bytes` read. Raises `EndpointError`."""
    timeout = float(limits.limit("llm_timeout") if timeout is None else timeout)
    max_bytes = int(limits.limit("llm_max_bytes") if max_bytes is None else max_bytes)
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise EndpointError(f"not an http(s) URL: {url}")
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    try:
        conn = cls(u.hostname, u.port, timeout=timeout)
    except ValueError as e:
        raise EndpointError(f"bad URL {url} ({e})") from None
    expired = threading.Event()

    def cut_off():  # the deadline: shut the socket so any blocked read returns at once
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(timeout, cut_off)
    timer.daemon = True
    timer.start()
    t0 = time.monotonic()
    try:
        body = json.dumps(payload).encode()
        conn.request("POST", (u.path or "/") + (f"?{u.query}" if u.query else ""), body,
                     {"Content-Type": "application/json", **(headers or {})})
        r = conn.getresponse()
        if 300 <= r.status < 400:
            raise EndpointError(f"HTTP {r.status} redirect to {r.getheader('Location')!r} not followed")
        if r.status != 200:
            raise EndpointError(f"HTTP {r.status} {r.reason}")
        declared = r.getheader("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > max_bytes:
            raise EndpointError(f"reply of {int(declared):,} bytes is over the {max_bytes:,}-byte cap "
                                "(WEARTWIN_LLM_MAX_BYTES)")
        chunks, n = [], 0
        while True:
            b = r.read1(65536)
            if not b:
                break
            n += len(b)
            if n > max_bytes:
                raise EndpointError(f"reply is over the {max_bytes:,}-byte cap (WEARTWIN_LLM_MAX_BYTES)")
            chunks.append(b)
            if expired.is_set():
                break
        if expired.is_set():
            raise TimeoutError
        return json.loads(b"".join(chunks))
    except EndpointError:
        raise
    except (OSError, http.client.HTTPException, TimeoutError) as e:
        if expired.is_set() or time.monotonic() - t0 >= timeout:
            raise EndpointError(f"no complete reply within {timeout:g} s (WEARTWIN_LLM_TIMEOUT)") from None
        raise EndpointError(f"{type(e).__name__}: {e}") from None
    except ValueError as e:
        raise EndpointError(f"reply is not JSON ({e})") from None
    finally:
        timer.cancel()
        conn.close()


def llm_descriptions(activity: str, n: int, others: list[str], url: str, model: str = "gpt-4o-mini",
                     api_key: str | None = None, timeout: float | None = None) -> list[str]:
    prompt = (f"Write {n} different short descriptions of one person doing '{activity.replace('_', ' ')}'. "
              "Vary who the person is, the speed, the side (left/right arm) and the style. Rules: one person; "
              "one short sentence each; describe only this activity"
              + (f"; never mention {', '.join(o.replace('_', ' ') for o in others)}" if others else "")
              + ". Answer with one description per line, no numbering.")
    payload = {"model": model, "messages": [{"role": "user", "content": prompt}], "temperature": 0.9}
    endpoint = url.rstrip("/") + ("" if url.rstrip("/").endswith("completions") else "/v1/chat/completions")
    answer = post_json(endpoint, payload, {"Authorization": f"Bearer {api_key}"} if api_key else {}, timeout)
    try:
        reply = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise EndpointError("reply has no choices[0].message.content") from None
    if not isinstance(reply, str):
        raise EndpointError("reply content is not text")
    lines = [re.sub(r"^\s*(\d+[.)]|-|\*)\s*", "", ln).strip() for ln in reply.splitlines()]
    lines = [ln for ln in lines if ln and len(ln.split()) <= 30
             and not any(o.replace("_", " ") in ln.lower() for o in others)]
    if not lines:
        raise ValueError("the endpoint returned no usable descriptions")
    return (lines * n)[:n]


_ATTR = r"(?:tall|short|old|older|elderly|young|younger|teenage|middle[- ]aged|athletic|heavy|heavyset|slim|thin|" \
        r"overweight|fit|petite|muscular|tired|frail|female|male)"
_NOUN = r"(?:man|woman|men|women|boy|girl|lady|gentleman|guy|teenager|athlete|person|adult|senior|grandmother|" \
        r"grandfather|grandma|grandpa|student|child|kid)"
_SUBJECT = re.compile(rf"\b(?:a|an|the)\s+(?:{_ATTR}[,\s]+)*{_NOUN}\b|\b(?:he|she|his|her)\b", re.IGNORECASE)


def neutral_subject(text: str) -> str:
    """Replace a subject with attributes ("A tall woman", "an older man", "she") by a neutral
    one: the same description is baked on bodies of every sex, age and height."""
    def sub(m):
        w = m.group(0)
        if w.lower() in ("he", "she", "his", "her"):
            word = "they" if w.lower() in ("he", "she") else "their"
            return word.capitalize() if w[0].isupper() else word
        return "A person" if w[0].isupper() else "a person"

    return _SUBJECT.sub(sub, text)


def descriptions(activity: str, n: int, seed: int = 0, others=(), llm_url: str | None = None,
                 llm_model: str = "gpt-4o-mini", api_key: str | None = None, warn=print) -> list[str]:
    if llm_url:
        try:
            return [neutral_subject(t) for t in
                    llm_descriptions(activity, n, [o for o in others if o != activity], llm_url, llm_model, api_key)]
        except Exception as e:  # noqa: BLE001 - the endpoint is optional; fall back, say so
            msg = " ".join(str(e).split()) or e.__class__.__name__
            warn(f"warning: --llm-url {llm_url}: {msg}; using the template generator")
    return template_descriptions(activity, n, seed)


PROGRAM_PROMPT = (
    "Write {n} different motion programs (JSON) of one person doing '{activity}'. Answer with a JSON list only. "
    "Each program: {{\"activity\": \"{key}\", \"posture\": standing|seated|lying|bent_forward|kneeling, "
    "\"side\": left|right|both|alternate, \"load\": none|band|dumbbell|weight, \"repetitions\": N, \"tempo\": 1.0, "
    "\"start\": {{\"targets\": {{...}}}}, \"phases\": [{{\"targets\": {{JOINT: degrees or [lo, hi]}}, "
    "\"reach\": TARGET (optional), \"seconds\": s, \"hold\": s}}]}}. JOINT: {joints}. TARGET: {reach}. "
    "Vary the side, speed, range and posture as real people would.")


def llm_programs(activity: str, n: int, url: str, model: str = "gpt-4o-mini", api_key: str | None = None,
                 timeout: float | None = None, warn=print) -> list[dict]:
    """Motion programs for `activity` from an OpenAI-compatible endpoint: each is validated
    (`Program.from_dict`) and must say it is for this activity; others are dropped with a
    warning. Raises EndpointError when none is usable."""
    from .program import DOFS, REACH, Program, ProgramError

    key = canonical(activity)
    prompt = PROGRAM_PROMPT.format(n=n, activity=activity.replace("_", " "), key=key, joints=", ".join(DOFS),
                                   reach=", ".join(REACH))
    endpoint = url.rstrip("/") + ("" if url.rstrip("/").endswith("completions") else "/v1/chat/completions")
    answer = post_json(endpoint, {"model": model, "messages": [{"role": "user", "content": prompt}],
                                  "temperature": 0.9}, {"Authorization": f"Bearer {api_key}"} if api_key else {},
                       timeout)
    try:
        reply = answer["choices"][0]["message"]["content"]
        items = json.loads(re.sub(r"^\s*```(?:json)?|```\s*$", "", str(reply).strip()))
    except (KeyError, IndexError, TypeError, ValueError):
        raise EndpointError("reply is not a JSON list of motion programs in choices[0].message.content") from None
    if not isinstance(items, list):
        items = [items]
    out = []
    for k, d in enumerate(items[:max(n, 1) * 2]):
        try:
            p = Program.from_dict(d, where=f"--llm-url program {k + 1}")
        except ProgramError as e:
            warn(f"warning: {e}; dropped")
            continue
        if canonical(p.activity) != key:
            warn(f"warning: --llm-url program {k + 1} is for {p.activity!r}, not {key!r}; dropped")
            continue
        p.source = f"llm:{url}"
        out.append(p.to_dict())
    if not out:
        raise EndpointError(f"no valid motion program for '{key}' in the reply")
    return (out * n)[:n]


def check_descriptions(activity: str, texts: list[str], warn=print) -> list[str]:
    """Descriptions an endpoint wrote for `activity`, kept only when they are of it: a named
    activity must be this one; a described movement (a program) is kept as the endpoint's.
    Nothing is filed under a label it does not describe."""
    from .parse import TextError
    from .words import interpret

    key, keep = canonical(activity), []
    for t in texts:
        try:
            r = interpret(t)
        except TextError as e:
            warn(f"warning: --llm-url description {t!r} dropped: {e}")
            continue
        named = getattr(r, "activity", "") or ""
        if named and named != key and getattr(r, "source", "") != "description":
            warn(f"warning: --llm-url description {t!r} is of {named!r}, not {key!r}: dropped")
            continue
        keep.append(t)
    return keep
