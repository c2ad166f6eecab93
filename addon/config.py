"""`BakeConfig`: every bake option — default, type, range, choices, help, flag — in one place.

Each option is one field declared with `opt(...)`; from those fields
- `weartwin bake` generates its flags (`headless/cli.py`, `add_bake_options`),
- manifest items may set the fields marked `item=True` (`BakeConfig.with_options`),
- the add-on's settings read their default, range and tooltip (`addon/ui/props.py`),
- `validated()` is the one check of every value (NaN, inf, out of range, unknown choice, wrong type),
  whichever face built the config; its errors are one line naming the option.
The resolved config is saved in each export's `meta.config`; `signal_hash()` (the fields that
change the arrays) decides whether an output is up to date.

Adding an option = adding one `opt(...)` line here (or a plain `field(default=..., metadata={"help":
..., "min": ..., "max": ..., "choices": ..., "flag": "--x-y"})`; missing keys take `OPTION_KEYS`'
values) and using it in the bake.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import typing
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_SITES = ("left_wrist", "right_wrist")
DEFAULT_PAIRS = ("wrist_wrist",)
SENSORS = ("imu", "impedance")   # what this build can simulate (DESIGN.md default: both)
# choices owned here (the GUI and CLI read them); addon/sensors/imu.py NOISE_PRESETS,
# addon/sensors/sites.py and addon/sensors/impedance/tissue.py implement them (tests check they agree)
NOISE_CHOICES = ("none", "smartwatch", "phone", "research-grade")
IMU_AXES = ("watch", "anatomical")
ELECTRODE_TYPES = ("gel", "dry", "tetrapolar")


class ConfigError(ValueError):
    """A bake option with a value that cannot be baked. `name` is the field; str() is one line."""

    def __init__(self, name: str, problem: str):
        self.name, self.problem = name, problem
        super().__init__(f"{name}: {problem}")

    def for_cli(self) -> str:
        f = next((f for f in dataclasses.fields(BakeConfig) if f.name == self.name), None)
        return f"{flag_of(f) if f is not None and flag_of(f) else self.name}: {self.problem}"


# metadata keys of an option and their values when a field leaves them out (a plain
# `field(default=..., metadata={"help": ..., "min": ...})` works too)
OPTION_KEYS = {"help": "", "flag": "", "group": "sampling and sensors", "item": False, "signal": True, "min": None,
               "max": None, "gt": None, "choices": None, "nonempty": False, "metavar": None, "negatable": False,
               "const": None}


def opt(default, help: str, *, flag: str | None = "", group: str = "sampling and sensors", item: bool = False,
        signal: bool = True, min=None, max=None, gt=None, choices=None, nonempty: bool = False,
        metavar: str | None = None, negatable: bool = False, const=None):
    """A bake option. `flag`: '' derives `--name-with-dashes`, None means no command-line flag;
    `item`: a manifest item may set it; `signal`: part of `signal_hash()` (changes the arrays);
    `min`/`max` inclusive, `gt` exclusive lower bound (per element for tuples); `choices` for
    strings (per element for tuples); `negatable`: a bool flag with a --no- form; `const`: the value of
    the bare flag (`--imu-noise` alone = `--imu-noise smartwatch`)."""
    meta = {"help": help, "flag": flag, "group": group, "item": item, "signal": signal, "min": min, "max": max,
            "gt": gt, "choices": choices, "nonempty": nonempty, "metavar": metavar, "negatable": negatable,
            "const": const}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class BakeConfig:
    # body
    body: str = opt("anny", "'anny' (free, default) or a SMPL/SMPL-H/SMPL-X model file or folder (.npz/.pkl)",
                    group="body", item=True, nonempty=True)
    height: float = opt(1.7, "normalized standing height in m", group="body", item=True, min=0.5, max=2.5)
    vary_body: int = opt(0, "bake N seeded body-shape variants per motion (0: the default body)", group="body",
                         item=True, min=0, max=999, metavar="N")
    # sampling and sensors
    fps: float = opt(60.0, "output sampling rate in Hz", item=True, min=1.0, max=1000.0)
    source_fps: float | None = opt(None, "frame rate of inputs that do not store one (e.g. old MoSh pickles)",
                                   item=True, gt=0.0, max=10000.0)
    bvh_map: str | None = opt(None, "BVH joint map: a JSON file SMPL joint -> BVH joint name (default: detect "
                              "CMU/Mixamo/Rokoko/Bandai Namco names)", item=True, metavar="FILE.json")
    bvh_scale: float | None = opt(None, "metres per BVH file unit (default: guessed from the skeleton's leg length)",
                                  item=True, gt=0.0, max=1e3, metavar="M")
    bvh_skip_frames: int | None = opt(None, "leading BVH frames to drop (default: drop the first frame when it "
                                      "is a rest-pose reference, as in CMU conversions, and say so; 0 keeps "
                                      "every frame)", item=True, min=0, max=1_000_000, metavar="N")
    sensors: tuple[str, ...] = opt(("imu", "impedance"), "comma-separated: imu, impedance", choices=SENSORS,
                                   nonempty=True)
    imu_sites: tuple[str, ...] = opt(DEFAULT_SITES, "IMU sites: left_wrist, right_wrist (watch); phones "
                                     "left_pocket, right_pocket, back_pocket_left, back_pocket_right, waist_front, "
                                     "waist_left, waist_right; strap units lower_back, chest, left_upper_arm, "
                                     "right_upper_arm, left_thigh, right_thigh, left_ankle, right_ankle; head "
                                     "(band), left_ear, right_ear (earbud); joints (22 sensors joint.<smpl joint>); "
                                     "or names from --imu-site-def. A surface device takes its mounting after a "
                                     "colon: right_pocket:screen_in,top_down (screen_out|screen_in, top_up|top_down; "
                                     "any: drawn per recording with --imu-placement-jitter)")
    imu_site_defs: dict = opt({}, "your own IMU site from mesh vertices (origin, along, side; or a patch whose "
                              "centre is the origin); add NAME to --imu-sites; repeatable",
                              flag="--imu-site-def", metavar="NAME=vertices:I[,J,K]")
    imu_smoothing: float = opt(0.0, "former Savitzky-Golay derivative window, s (0: the band filter, "
                               "see --imu-bandwidth)", min=0.0, max=10.0, metavar="S")
    imu_bandwidth: float = opt(0.0, "derivative filter pass band in Hz (0: min(20, 0.8 x the source's Nyquist "
                               "rate))", min=0.0, max=500.0, metavar="HZ")
    imu_noise: str = opt("none", "MEMS noise preset (white noise, bias, scale error, range, 16-bit): none, "
                         "smartwatch (LSM6DSO class; also the value of a bare --imu-noise), phone (BMI160 class), "
                         "research-grade (calibrated)", choices=NOISE_CHOICES, const="smartwatch")
    imu_axes: str = opt("watch", "wrist sensor axes: watch (Android/Wear OS axes of a normally worn watch on "
                        "either wrist) or anatomical (x towards the hand on both wrists)", choices=IMU_AXES)
    # addon/sensors/sites.py PLACEMENT_*: seeded per motion and body; 0 = the preset spot
    imu_placement_jitter: float = opt(0.0, "watch placement variation: 1 = 1.5-7.5 cm up the forearm and ±15° "
                                      "about it, seeded per motion and body (0: off)", min=0.0, max=2.0,
                                      metavar="X")
    # impedance (Pose2Imp)
    electrodes: tuple[str, ...] = opt(DEFAULT_PAIRS, "electrode pairs: presets wrist_wrist, left_wrist_elbow, "
                                      "right_wrist_elbow, or A:B with electrode presets (left_wrist, right_wrist, "
                                      "left_elbow, right_elbow, left_upperarm, right_upperarm) or names from "
                                      "--electrode-def", group="impedance (Pose2Imp)", nonempty=True)
    electrode_defs: dict = opt({}, "define an electrode: NAME=vertices:I,J,K (mesh vertex indices) or "
                               "NAME=bone:BONE:OFFSET (2 cm band OFFSET m along BONE); repeatable",
                               flag="--electrode-def", metavar="NAME=SPEC", group="impedance (Pose2Imp)")
    frequencies: tuple[float, ...] = opt((50e3,), "comma-separated frequencies in Hz", group="impedance (Pose2Imp)",
                                         min=1.0, max=1e7, nonempty=True)
    contact_distance: float = opt(0.002, "skin of two body segments closer than this (m) touches and conducts, "
                                  "in parallel with the body (0 turns contact off)", group="impedance (Pose2Imp)",
                                  min=0.0, max=0.1, metavar="M")
    electrode_type: str = opt("gel", "electrode-skin interface: bipolar Ag/AgCl gel, bipolar dry (~10x the "
                              "interface impedance), or tetrapolar (interfaces excluded)",
                              group="impedance (Pose2Imp)", choices=ELECTRODE_TYPES)
    calibration: str | None = opt(None, "impedance calibration file (weartwin calibrate)",
                                  group="impedance (Pose2Imp)")
    softbody: bool = opt(False, "soft-body flesh (proxy cage)", group="impedance (Pose2Imp)", negatable=True)
    softbody_stiffness: float = opt(0.7, "goal weight of the softest flesh, 0..1 (1: rigid skinning)",
                                    group="impedance (Pose2Imp)", min=0.0, max=1.0)
    save_path: bool = opt(False, "store the impedance current path per frame", group="impedance (Pose2Imp)")
    # engine (not part of the signal hash: both engines give the same arrays, tests/test_fast_imu.py)
    engine: str = opt("auto", "IMU engine: fast skins only the sensor patches outside Blender (same answer, "
                      "~100x faster); blender evaluates the whole mesh; auto: fast unless impedance or soft body "
                      "needs the mesh", choices=("auto", "fast", "blender"), group="engine", signal=False)
    device: str = opt("auto", "where the fast engine runs batches: cuda skins all clips of a batch at once in "
                      "torch on the GPU; cpu: numpy, clip by clip; auto: cuda when torch sees a GPU",
                      choices=("auto", "cpu", "cuda"), group="engine", signal=False)
    # output
    csv: bool = opt(False, "also write <stem>.csv", group="output", signal=False)
    preview: bool = opt(False, "also write <stem>.png (plot of the channels)", group="output", signal=False)
    seed: int = opt(0, "seed for body variants and noise", group="output", item=True, min=0, max=2**31 - 1)
    extra: dict = opt({}, "per-item notes from a manifest (label, text); not bake options", flag=None,
                      signal=False)

    def __post_init__(self):
        # one spelling per value, so equal configs hash equally (30 == 30.0, lists == tuples)
        if isinstance(self.imu_sites, (list, tuple)):   # mounting words back on their site (presets.py)
            from .sensors.presets import group_tokens

            self.imu_sites = group_tokens(self.imu_sites)
        for f in dataclasses.fields(self):
            v, kind = getattr(self, f.name), _kinds()[f.name].rstrip("?")
            if kind == "float" and isinstance(v, int) and not isinstance(v, bool):
                setattr(self, f.name, float(v))
            elif kind.startswith("tuple") and isinstance(v, list):
                setattr(self, f.name, tuple(float(x) if kind == "tuple_float" and isinstance(x, int)
                                            and not isinstance(x, bool) else x for x in v))

    def to_dict(self) -> dict:
        return asdict(self)

    def signal_hash(self) -> str:
        """Hash of everything that changes the arrays (not csv/preview/labels): the signal options,
        and (`provenance.runtime_key`) the engine, its Blender version, named files' content."""
        from .provenance import runtime_key

        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if option(f)["signal"]}
        d["_runtime"] = runtime_key(self)
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def validated(self) -> "BakeConfig":
        """The one check of every option; raises `ConfigError` (one line) or returns self."""
        for f in dataclasses.fields(self):
            _check(f, getattr(self, f.name))
        self._check_sensors()
        return self

    def with_options(self, opts: dict) -> "BakeConfig":
        """This config with a manifest item's options (only fields marked `item=True`), validated."""
        names = item_fields()
        for k in opts:
            if k not in names:
                raise ConfigError(k, f"not an item option (item options: {', '.join(names)})")
        return dataclasses.replace(self, **opts).validated()

    def _check_sensors(self) -> None:
        from .sensors.impedance.electrodes import PRESET_ELECTRODES, PRESET_PAIRS
        from .sensors.presets import SiteError
        from .sensors.presets import expand as expand_sites

        for name, spec in self.electrode_defs.items():
            if not (spec.startswith(("vertices:", "bone:")) or spec in PRESET_ELECTRODES):
                raise ConfigError("electrode_defs", f"'{name}={spec}': expected NAME=vertices:I,J,... "
                                                    "or NAME=bone:BONE:OFFSET")
        for name, spec in self.imu_site_defs.items():
            if not spec.startswith("vertices:"):
                raise ConfigError("imu_site_defs", f"'{name}={spec}': expected NAME=vertices:I[,J,K]")
        if "imu" in self.sensors:
            try:
                expand_sites(self.imu_sites, self.imu_site_defs)
            except SiteError as e:
                raise ConfigError("imu_sites", f"{e}; or --imu-site-def NAME=vertices:...") from None
        for pair in self.electrodes:
            if pair not in PRESET_PAIRS and ":" not in pair:
                raise ConfigError("electrodes", f"unknown pair '{pair}' (presets: {', '.join(PRESET_PAIRS)}; "
                                                "or A:B)")
        if self.engine == "fast" and ("impedance" in self.sensors or self.softbody):
            raise ConfigError("engine", "fast simulates IMUs only; impedance and --softbody need the whole "
                                        "mesh (--engine blender, or auto)")
        if self.device == "cuda":
            try:
                import torch

                ok = torch.cuda.is_available()
            except ImportError:
                ok = False
            if not ok:
                raise ConfigError("device", "cuda: torch sees no GPU here (use --device auto or cpu)")
        if self.bvh_map is not None and not Path(self.bvh_map).is_file():
            raise ConfigError("bvh_map", f"{self.bvh_map}: no such file")
        if self.calibration is not None and not Path(self.calibration).is_file():
            raise ConfigError("calibration", f"{self.calibration}: no such file")


def to_args(cfg: BakeConfig) -> list[str]:
    """The `weartwin bake` flags that rebuild `cfg` (fields that differ from their default): how
    the add-on hands its settings to a batch it starts (`addon/ui/batch.py`)."""
    args: list[str] = []
    for f in dataclasses.fields(BakeConfig):
        flag, m = flag_of(f), option(f)
        v = getattr(cfg, f.name)
        if not flag or v == m["default"]:
            continue
        kind = kind_of(f.name).rstrip("?")
        if kind == "bool":
            args.append(flag if v else "--no-" + flag[2:])
        elif kind == "dict":
            for name, spec in v.items():
                args += [flag, f"{name}={spec}"]
        elif kind.startswith("tuple"):
            args += [flag, ",".join(repr(x) if isinstance(x, float) else str(x) for x in v)]
        else:
            args += [flag, repr(v) if isinstance(v, float) else str(v)]
    return args


def option(f: dataclasses.Field | str) -> dict:
    """A field's option metadata with every key (OPTION_KEYS' values where left out) and its `default`."""
    f = BakeConfig.__dataclass_fields__[f] if isinstance(f, str) else f
    default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
    return {**OPTION_KEYS, **f.metadata, "default": default}


def flag_of(f: dataclasses.Field) -> str | None:
    flag = option(f)["flag"]
    return "--" + f.name.replace("_", "-") if flag == "" else flag


def item_fields() -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(BakeConfig) if option(f)["item"])


_KINDS: dict = {}


def _kinds() -> dict:
    """field name -> 'bool' | 'int' | 'float' | 'str' | 'tuple_str' | 'tuple_float' | 'dict' (+ '?' if optional)."""
    if not _KINDS:
        hints = typing.get_type_hints(BakeConfig)
        for f in dataclasses.fields(BakeConfig):
            t, optional = hints[f.name], False
            args = typing.get_args(t)
            if type(None) in args:
                optional, t = True, next(a for a in args if a is not type(None))
            origin = typing.get_origin(t)
            if origin is tuple:
                kind = "tuple_" + typing.get_args(t)[0].__name__
            else:
                kind = (origin or t).__name__
            _KINDS[f.name] = kind + ("?" if optional else "")
    return _KINDS


def kind_of(name: str) -> str:
    return _kinds()[name]


def _number(name: str, v, want: str, m: dict) -> None:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and (want == "float" or isinstance(v, int))
    if not ok:
        raise ConfigError(name, f"expected {'an integer' if want == 'int' else 'a number'}, got {v!r}")
    if not math.isfinite(v):
        raise ConfigError(name, f"must be a finite number, got {v}")
    lo, hi, gt = m["min"], m["max"], m["gt"]
    if (lo is not None and v < lo) or (gt is not None and v <= gt) or (hi is not None and v > hi):
        raise ConfigError(name, f"must be within {value_range(m)}, got {_fmt(v)}")


def _fmt(x) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


def states_default(help_text: str | None) -> bool:
    """The help already says its default (written out, or argparse's %(default)s): none is added."""
    return bool(help_text) and ("default:" in help_text or "%(default)" in help_text)


def default_text(d, boolean: bool | None = None) -> str:
    """How `--help` shows a default (weartwin bake's flags and weartwin train's): on/off, none,
    60 (not 60.0), imu,impedance (not a tuple). `boolean`: the option is a switch (None: when the
    default is a bool)."""
    if boolean or (boolean is None and isinstance(d, bool)):
        return "on" if d else "off"
    if d is None:
        return "none"
    if isinstance(d, float):
        return f"{d:g}"
    if isinstance(d, (tuple, list)):
        return ",".join(default_text(x) for x in d) or "none"
    if isinstance(d, dict):
        return ",".join(f"{k}={v}" for k, v in d.items()) or "none"
    return str(d) or "none"


def value_range(m) -> str:
    """'1..1000', '> 0..10', '0..' for a field's metadata ('' when unbounded)."""
    lo = f"> {_fmt(m['gt'])}" if m["gt"] is not None else (_fmt(m["min"]) if m["min"] is not None else "")
    hi = _fmt(m["max"]) if m["max"] is not None else ""
    return f"{lo}..{hi}" if lo or hi else ""


def _check(f: dataclasses.Field, v) -> None:
    name, m, kind = f.name, option(f), _kinds()[f.name]
    if kind.endswith("?"):
        if v is None:
            return
        kind = kind[:-1]
    if kind == "bool":
        if not isinstance(v, bool):
            raise ConfigError(name, f"expected true or false, got {v!r}")
    elif kind in ("int", "float"):
        _number(name, v, kind, m)
    elif kind == "str":
        if not isinstance(v, str) or (m["nonempty"] and not v.strip()):
            raise ConfigError(name, f"expected a non-empty string, got {v!r}")
        if m["choices"] and v not in m["choices"]:
            raise ConfigError(name, f"'{v}' is not one of {', '.join(m['choices'])}")
    elif kind.startswith("tuple"):
        if not isinstance(v, (tuple, list)):
            raise ConfigError(name, f"expected a list, got {v!r}")
        if m["nonempty"] and not v:
            raise ConfigError(name, "must not be empty")
        for x in v:
            if kind == "tuple_float":
                _number(name, x, "float", m)
            elif not isinstance(x, str) or not x.strip():
                raise ConfigError(name, f"expected names, got {x!r}")
        bad = [x for x in v if m["choices"] and x not in m["choices"]]
        if bad:
            raise ConfigError(name, f"{', '.join(map(str, bad))} not available (available: "
                                    f"{', '.join(m['choices'])})")
    elif kind == "dict":
        if not isinstance(v, dict) or not all(isinstance(k, str) and k for k in v):
            raise ConfigError(name, f"expected NAME -> value pairs, got {v!r}")
        if name != "extra" and not all(isinstance(x, str) for x in v.values()):
            raise ConfigError(name, f"expected NAME=SPEC strings, got {v!r}")
