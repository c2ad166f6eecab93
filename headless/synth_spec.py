"""Reading and checking a `weartwin synth` study spec (YAML or JSON) before anything runs.

Everything here is a usage error (exit 2) naming the spec and the problem:
- size and shape: at most `MAX_SPEC_BYTES`; YAML anchors/aliases are refused (a few hundred
  bytes of nested aliases expand to billions of nodes) and at most `MAX_NODES` nodes;
- names: an activity name is the label and a folder under `--out`, so it must match
  `LABEL_RE` (letters, digits, `_`, `-`, `.`; no `..`, no `/`);
- counts: `count` is a whole number 1..`MAX_COUNT` per activity, `MAX_MOTIONS` in all;
- activities the generator does not know ("juggling" with the procedural backend and no
  descriptions) are refused, naming them;
- bake values (`fps`, `height`, `vary_body`, `seed`, ...) are checked in one place,
  `check_bake_values`, so it can give way to `BakeConfig`'s own validation.
Caps are module constants: raise them here if a study truly needs more.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

MAX_SPEC_BYTES = 1 << 20        # 1 MiB of YAML/JSON
MAX_NODES = 100_000             # YAML nodes (scalars, lists, maps)
MAX_COUNT = 10_000              # motions per activity
MAX_MOTIONS = 200_000           # motions per study
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SOURCES = ("procedural", "text", "library", "program")
TOP_KEYS = {"activities", "backend", "vary_body", "sensors", "imu_sites", "electrodes", "fps", "seed", "llm_url",
            "llm_model", "library", "motion_root", "checkpoint", "count", "height", "softbody", "imu_noise",
            "imu_placement_jitter", "imu_smoothing"}
ACTIVITY_KEYS = {"name", "count", "descriptions", "prompts", "source", "program",
                 "path", "label_rule", "filter", "max_clips"}          # the last four: library activities


class SpecError(ValueError):
    """A study spec cannot be used (usage error)."""


def _yaml_load(text: str, path: Path):
    import yaml

    nodes = 0
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):      # events only: nothing is built yet
        if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
            raise SpecError(f"{path}: YAML anchors and aliases (&, *) are not accepted in a study spec")
        if isinstance(ev, yaml.NodeEvent):
            nodes += 1
            if nodes > MAX_NODES:
                raise SpecError(f"{path}: more than {MAX_NODES} YAML nodes")
    return yaml.safe_load(text)


def load_spec(path: Path) -> dict:
    path = Path(path)
    if not path.exists():
        raise SpecError(f"{path}: no such file (a study spec: YAML or JSON, see `weartwin synth --help`)")
    if not path.is_file():
        raise SpecError(f"{path}: not a file (a study spec: YAML or JSON, see `weartwin synth --help`)")
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise SpecError(f"{path}: {size} bytes; a study spec may have at most {MAX_SPEC_BYTES}")
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise SpecError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        spec = _yaml_load(text, path) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except SpecError:
        raise
    except Exception as e:  # noqa: BLE001 - any parse error is a usage error naming the file
        raise SpecError(f"{path}: cannot parse ({e.__class__.__name__}: {' '.join(str(e).split())[:200]})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("activities"), list) or not spec["activities"]:
        raise SpecError(f"{path}: needs a non-empty 'activities' list (see `weartwin synth --help`)")
    unknown = set(spec) - TOP_KEYS
    if unknown:
        raise SpecError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    for k, act in enumerate(spec["activities"]):
        if isinstance(act, str):
            spec["activities"][k] = act = {"name": act}
        if not isinstance(act, dict) or not act.get("name"):
            raise SpecError(f"{path}: activity {k + 1} needs a 'name'")
        if not isinstance(act["name"], str):
            raise SpecError(f"{path}: activity {k + 1}: name must be a string, got {act['name']!r}")
        if not all(isinstance(key, str) for key in act):
            raise SpecError(f"{path}: activity {act['name']!r}: keys must be names")
        bad = set(act) - ACTIVITY_KEYS
        if bad:
            raise SpecError(f"{path}: activity {act['name']!r}: unknown key(s) {', '.join(sorted(map(str, bad)))}")
    check_bake_values(spec, path)
    check_activities(spec, path)
    return spec


def _int(v, what: str, lo: int, hi: int, path) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise SpecError(f"{path}: {what} must be a whole number in {lo}..{hi}, got {v!r}")
    return v


def _num(v, what: str, lo: float, hi: float, path) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        raise SpecError(f"{path}: {what} must be a number in {lo:g}..{hi:g}, got {v!r}")
    return float(v)


def check_bake_values(spec: dict, path) -> None:
    """Types and ranges of the bake options a spec may set (one place: swap for
    `BakeConfig`'s validation once it owns them)."""
    if "fps" in spec:
        _num(spec["fps"], "fps", 1.0, 1000.0, path)
    if "height" in spec:
        _num(spec["height"], "height (m)", 0.5, 2.5, path)
    if "vary_body" in spec:
        _int(spec["vary_body"], "vary_body", 0, 100, path)
    if "seed" in spec:
        _int(spec["seed"], "seed", 0, 2 ** 31 - 1, path)
    if "count" in spec:
        _int(spec["count"], "count", 1, MAX_COUNT, path)
    if "imu_placement_jitter" in spec:
        _num(spec["imu_placement_jitter"], "imu_placement_jitter", 0.0, 2.0, path)
    if "imu_smoothing" in spec:
        _num(spec["imu_smoothing"], "imu_smoothing (s)", 0.0, 1.0, path)
    if "softbody" in spec and not isinstance(spec["softbody"], bool):
        raise SpecError(f"{path}: softbody must be true or false, got {spec['softbody']!r}")
    if "imu_noise" in spec and not isinstance(spec["imu_noise"], bool):
        try:
            from addon.sensors.imu import NOISE_PRESETS as presets
        except ImportError:
            presets = {}
        if not isinstance(spec["imu_noise"], str) or spec["imu_noise"] not in presets:
            raise SpecError(f"{path}: imu_noise must be true, false"
                            + (f" or a preset ({', '.join(presets)})" if presets else "")
                            + f", got {spec['imu_noise']!r}")
    for key in ("sensors", "imu_sites", "electrodes"):
        if key in spec and (not isinstance(spec[key], list) or not all(isinstance(x, str) for x in spec[key])):
            raise SpecError(f"{path}: {key} must be a list of names, got {spec[key]!r}")
    bad = set(spec.get("sensors", [])) - {"imu", "impedance"}
    if bad:
        raise SpecError(f"{path}: unknown sensor(s) {', '.join(sorted(bad))} (imu, impedance)")
    for key in ("backend", "llm_url", "llm_model", "library", "motion_root", "checkpoint"):
        if key in spec and not isinstance(spec[key], str):
            raise SpecError(f"{path}: {key} must be a string, got {spec[key]!r}")


def source_of(act: dict) -> str:
    if "source" in act:
        return act["source"]
    if act.get("path"):
        return "library"
    if act.get("program") is not None:
        return "program"
    return "text" if (act.get("descriptions") or act.get("prompts")) else "procedural"


def check_activities(spec: dict, path) -> None:
    from addon.text2motion.describe import canonical
    from addon.text2motion.parse import CADENCE, TextError
    from addon.text2motion.words import interpret as parse

    procedural = spec.get("backend", "procedural") == "procedural"
    total = 0
    for act in spec["activities"]:
        name = act["name"]
        plain = re.sub(r"\{(content|style)\}", "x", name) if source_of(act) == "library" else name
        if not isinstance(name, str) or not LABEL_RE.match(plain) or ".." in name:
            raise SpecError(f"{path}: activity name {name!r} is not a safe label (letters, digits, _ - . ; "
                            "no '..' or '/', at most 64 characters)")
        src = source_of(act)
        if not isinstance(src, str) or src not in SOURCES:
            raise SpecError(f"{path}: activity {name!r}: source must be one of {', '.join(SOURCES)}, got {src!r}")
        n = _int(act.get("count", spec.get("count", 6)), f"activity {name!r}: count", 1, MAX_COUNT, path)
        total += n
        for key in ("descriptions", "prompts"):
            if key in act and (not isinstance(act[key], list) or not all(isinstance(x, str) for x in act[key])):
                raise SpecError(f"{path}: activity {name!r}: {key} must be a list of sentences")
        if src == "library":
            if not isinstance(act.get("path"), str) or not act["path"]:
                raise SpecError(f"{path}: activity {name!r}: source: library needs a 'path' (a folder or .zip)")
            if "label_rule" in act and not isinstance(act["label_rule"], str):
                raise SpecError(f"{path}: activity {name!r}: label_rule must be bandai, regex:PATTERN or csv:FILE")
            flt = act.get("filter", {})
            if not isinstance(flt, dict) or not all(
                    isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                    for v in flt.values()):
                raise SpecError(f"{path}: activity {name!r}: filter must map content/style to lists of labels")
            if "max_clips" in act:
                _int(act["max_clips"], f"activity {name!r}: max_clips", 1, MAX_COUNT, path)
            continue
        if src == "program":
            act["program"] = check_program(act, spec, path)
            continue
        if not procedural:
            continue
        if src == "procedural" and canonical(name) not in CADENCE:
            raise SpecError(f"{path}: activity {name!r} is unknown to the procedural generator (known: "
                            f"{', '.join(sorted(CADENCE))}); give it 'descriptions' or use another backend")
        for text in act.get("descriptions") or []:
            try:
                parse(text)
            except TextError as e:
                raise SpecError(f"{path}: activity {name!r}: description {text!r} names no activity or movement the "
                                f"procedural generator knows ({e})") from None
        for text in act.get("prompts") or []:
            if canonical(text) not in CADENCE:
                try:
                    parse(text)
                except TextError:
                    raise SpecError(f"{path}: activity {name!r}: prompt {text!r} names no activity the "
                                    "procedural generator knows") from None
    if total > MAX_MOTIONS:
        raise SpecError(f"{path}: {total} motions in all; a study may have at most {MAX_MOTIONS}")


def check_program(act: dict, spec: dict, path) -> dict:
    """An activity's `program:` (a mapping, or a .yaml/.json file relative to the spec): checked
    (`ProgramError` names the field), returned as a dict with the activity as its label."""
    from addon.text2motion.program import Program, ProgramError, load_program

    p = act["program"]
    where = f"{path}: activity {act['name']!r}: program"
    try:
        if isinstance(p, str):
            f = (Path(path).parent / p)
            if f.is_symlink() or ".." in Path(p).parts or Path(p).is_absolute():
                raise SpecError(f"{where}: {p!r} must be a file beside the spec (no links, no '..')")
            prog = load_program(f)
        else:
            prog = Program.from_dict(p, where=where)
    except ProgramError as e:
        raise SpecError(str(e)) from None
    if spec.get("backend", "procedural") != "procedural":
        raise SpecError(f"{where}: programs are compiled by the procedural backend (backend: procedural)")
    prog.activity = prog.activity or act["name"]
    return prog.to_dict()
