"""Where people wear IMUs: the site presets — names, device frames, default mountings, jitter.

The one owner of every site preset (the simulator builds their geometry in `sites.py`; the
command line, synth specs, manifests and the add-on's picker list them from here; training code
reads the device frames from here to map a real device onto a simulated site). Pure Python +
numpy: no Blender, no body.

Three kinds of site:

- **wrists** (`left_wrist`, `right_wrist`): the watch, as before (frames in `sites.py`,
  `--imu-axes watch|anatomical`).
- **surface devices** (`SURFACE`): a rigid device on the body surface — a phone in a trouser
  pocket or on a belt, a strap unit on the chest, upper arm, thigh, ankle, lower back, a head band,
  an earbud. It follows the skin of its segment (three skin vertices give the *skin frame*: x along
  the segment towards its far joint, z out of the skin, y = z × x), sits `lift_m` off the skin
  (phone thickness + cloth), and is mounted in it as `screen_out|screen_in` and
  `top_up|top_down` say ("screen" is the device's face: the display of a phone, the lid of a
  unit). Every surface device uses the **Android device axes**: x to the right as you look at the
  face, y up the face (towards the top), z out of the face. Mounted `screen_out,top_up` on a
  person standing upright: z points out of the body, y up (a still wearer reads +9.81 m/s² on y).
- **joints** (`joints`, or one `joint.<smpl name>`): a sensor at each of the 22 SMPL body joints,
  as UniMTS and TransPose simulate them: rigid on the bone the joint turns, at the joint centre,
  with that joint's global SMPL frame (in the SMPL T-pose: x to the body's left, y up, z forward).

A phone in a pocket is not glued to the bone: it follows the thigh *surface* (the skin vertices,
so muscle bulge and skin sliding of the skinned mesh move it), sits `lift_m` off the skin (a
lever arm: thigh rotation adds centripetal and tangential acceleration), and sits at a tilt in a
loose pocket (`synth`'s placement jitter draws a static tilt per recording, and `:any` draws one
of the four ways a phone goes into a pocket). Left out: the phone sliding or swinging inside the
pocket during a movement (a dynamic lag), cloth dynamics, and impacts against the leg.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# directions in the SMPL T-pose, in WearTwin's Z-up world (the body faces -Y; +X is its left)
FRONT, BACK, LEFT, RIGHT, UP = (0.0, -1.0, 0.0), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), (0.0, 0.0, 1.0)

FACES = ("screen_out", "screen_in")
TOPS = ("top_up", "top_down")
ANY = "any"
MOUNT_WORDS = FACES + TOPS + (ANY,)

WRISTS = ("left_wrist", "right_wrist")
JOINTS = "joints"
JOINT_PREFIX = "joint."
SMPL_BODY_JOINTS = (   # = addon.motion.skeleton.BODY_JOINTS (tests check they agree); no import: kept light
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")
JOINT_FRAME = ("the SMPL joint's global frame (in the SMPL T-pose: x to the body's left, y up, z forward), "
               "rigid on the bone the joint turns; position: the joint centre")


def _mix(*parts) -> tuple[float, float, float]:
    v = np.sum([np.asarray(w, float) * np.asarray(d, float) for w, d in parts], axis=0)
    return tuple(float(x) for x in v / np.linalg.norm(v))


@dataclass(frozen=True)
class SurfacePreset:
    device: str                  # phone | strap unit | head band | earbud
    where: str                   # where it sits, in words
    joint: str                   # SMPL joint whose segment carries it
    child: str | None            # the segment's far joint (None: the end of the joint's bone)
    frac: float                  # where along the segment, from the joint (0) to the far end (1)
    toward: tuple                # which side of the segment, as a T-pose direction (FRONT, LEFT, ...)
    lift_m: float                # device centre off the skin, m
    up: int                      # +1: the segment points up on a standing person (trunk, head); -1: down
    near: tuple = ()             # further joints whose skin may carry it (besides the segment's own)
    mount: tuple = ("screen_out", "top_up")   # default mounting
    along_m: tuple = (-0.03, 0.03)            # synth placement jitter (x1): along the segment, m
    around_deg: tuple = (-15.0, 15.0)         # about the segment
    tilt_deg: float = 5.0                     # static tilt about each device axis, ±
    plumb: bool = False          # hangs plumb (belt clip, holster): its face is vertical on a standing body

    def frame_text(self, face: str, top: str) -> str:
        up = "up" if (top == "top_up") else "down"
        return (f"{self.device} {self.where}; Android device axes: x right as you look at its face, y up the "
                f"face (its top), z out of the face; mounted {face},{top}: z "
                f"{'out of' if face == 'screen_out' else 'into'} the skin, y pointing {up} along the body when "
                f"standing; centre {self.lift_m * 100:.1f} cm off the skin")


_POCKET = dict(device="phone", child=None, lift_m=0.02, up=-1, along_m=(-0.04, 0.04), around_deg=(-20.0, 20.0),
               tilt_deg=12.0)
SURFACE: dict[str, SurfacePreset] = {
    # front trouser pocket: upper third of the thigh, front and a little to the outside
    "left_pocket": SurfacePreset(where="in the left front trouser pocket", joint="left_hip", frac=0.22,
                                 toward=_mix((1, FRONT), (0.55, LEFT)), near=("pelvis",),
                                 **{**_POCKET, "child": "left_knee"}),
    "right_pocket": SurfacePreset(where="in the right front trouser pocket", joint="right_hip", frac=0.22,
                                  toward=_mix((1, FRONT), (0.55, RIGHT)), near=("pelvis",),
                                  **{**_POCKET, "child": "right_knee"}),
    "back_pocket_left": SurfacePreset(where="in the left back trouser pocket (on the buttock)", joint="left_hip",
                                      frac=0.06, toward=_mix((1, BACK), (0.35, LEFT)), near=("pelvis",),
                                      **{**_POCKET, "child": "left_knee", "lift_m": 0.015}),
    "back_pocket_right": SurfacePreset(where="in the right back trouser pocket (on the buttock)",
                                       joint="right_hip", frac=0.06, toward=_mix((1, BACK), (0.35, RIGHT)),
                                       near=("pelvis",), **{**_POCKET, "child": "right_knee", "lift_m": 0.015}),
    # belt: between the pelvis and spine1 joints (SMPL's pelvis joint sits at hip-joint height)
    "waist_front": SurfacePreset("phone", "on the belt at the front (belt clip)", "pelvis", "spine1", 0.6, FRONT,
                                 0.02, +1, near=("spine1", "left_hip", "right_hip"), tilt_deg=6.0, plumb=True),
    "waist_left": SurfacePreset("phone", "on the belt at the left hip (holster)", "pelvis", "spine1", 0.6, LEFT,
                                0.02, +1, near=("spine1", "left_hip", "right_hip"), tilt_deg=6.0, plumb=True),
    "waist_right": SurfacePreset("phone", "on the belt at the right hip (holster)", "pelvis", "spine1", 0.6, RIGHT,
                                 0.02, +1, near=("spine1", "left_hip", "right_hip"), tilt_deg=6.0, plumb=True),
    "lower_back": SurfacePreset("strap unit", "on the lower back (lumbar strap, L3-L5)", "pelvis", "spine1", 0.9,
                                BACK, 0.01, +1, near=("spine1", "spine2"), plumb=True),
    "chest": SurfacePreset("strap unit", "on the chest strap over the sternum", "spine2", "spine3", 0.6, FRONT,
                           0.01, +1, near=("spine1", "spine3", "neck")),
    "left_upper_arm": SurfacePreset("strap unit", "in an armband on the outside of the left upper arm",
                                    "left_shoulder", "left_elbow", 0.45, UP, 0.012, -1, near=("left_collar",)),
    "right_upper_arm": SurfacePreset("strap unit", "in an armband on the outside of the right upper arm",
                                     "right_shoulder", "right_elbow", 0.45, UP, 0.012, -1, near=("right_collar",)),
    "left_thigh": SurfacePreset("strap unit", "strapped on the outside of the left thigh, halfway down",
                                "left_hip", "left_knee", 0.5, LEFT, 0.01, -1),
    "right_thigh": SurfacePreset("strap unit", "strapped on the outside of the right thigh, halfway down",
                                 "right_hip", "right_knee", 0.5, RIGHT, 0.01, -1),
    "left_ankle": SurfacePreset("strap unit", "strapped on the outside of the left ankle, above the ankle bone",
                                "left_knee", "left_ankle", 0.85, LEFT, 0.01, -1),
    "right_ankle": SurfacePreset("strap unit", "strapped on the outside of the right ankle, above the ankle bone",
                                 "right_knee", "right_ankle", 0.85, RIGHT, 0.01, -1),
    "head": SurfacePreset("head band", "on a band at the forehead", "head", None, 0.55, FRONT, 0.008, +1,
                          around_deg=(-10.0, 10.0)),
    "left_ear": SurfacePreset("earbud", "in the left ear", "head", None, 0.3, LEFT, 0.005, +1,
                              along_m=(-0.01, 0.01), around_deg=(-8.0, 8.0)),
    "right_ear": SurfacePreset("earbud", "in the right ear", "head", None, 0.3, RIGHT, 0.005, +1,
                               along_m=(-0.01, 0.01), around_deg=(-8.0, 8.0)),
}
JOINT_SITES = tuple(JOINT_PREFIX + j for j in SMPL_BODY_JOINTS)
PRESET_NAMES = WRISTS + tuple(SURFACE) + (JOINTS,)     # what `--imu-sites` lists (joints = 22 sites)


class SiteError(ValueError):
    """A site name that is no preset, or mounting words that do not fit it (one line)."""


@dataclass(frozen=True)
class SiteSpec:
    """One requested site: `name` (the export's `imu.<name>.*`) and, for surface devices, how it
    is mounted (`face`, `top`; `any`: drawn per recording by `synth`'s placement jitter)."""

    name: str
    face: str = ""
    top: str = ""
    random_mount: bool = False

    @property
    def token(self) -> str:
        opts = [o for o in (ANY if self.random_mount else "", self.face, self.top) if o]
        return self.name + (":" + ",".join(opts) if opts else "")


def group_tokens(tokens) -> tuple[str, ...]:
    """A comma-split site list with mounting words put back on their site:
    ('right_pocket:screen_in', 'top_down', 'left_wrist') -> ('right_pocket:screen_in,top_down', 'left_wrist'),
    so `--imu-sites right_pocket:screen_in,top_down,left_wrist` means what it says."""
    out: list[str] = []
    for t in tokens:
        t = str(t).strip()
        if t in MOUNT_WORDS and out and (":" in out[-1] or out[-1] in SURFACE):
            out[-1] += ("," if ":" in out[-1] else ":") + t
        elif t:
            out.append(t)
    return tuple(out)


def parse(token: str) -> SiteSpec:
    """'right_pocket:screen_in,top_down' -> SiteSpec; raises SiteError naming what is wrong."""
    name, _, rest = str(token).partition(":")
    words = [w.strip() for w in rest.split(",") if w.strip()] if rest else []
    if name in SURFACE:
        p = SURFACE[name]
        face = next((w for w in words if w in FACES), p.mount[0])
        top = next((w for w in words if w in TOPS), p.mount[1])
        bad = [w for w in words if w not in MOUNT_WORDS]
        if bad or sum(w in FACES for w in words) > 1 or sum(w in TOPS for w in words) > 1:
            raise SiteError(f"site '{token}': mounting must be screen_out|screen_in and/or top_up|top_down "
                            f"(or any), got '{rest}'")
        return SiteSpec(name, face, top, ANY in words)
    if words:
        raise SiteError(f"site '{token}': only surface devices ({', '.join(SURFACE)}) take a mounting")
    if name in WRISTS or name in JOINT_SITES:
        return SiteSpec(name)
    raise SiteError(f"unknown IMU site '{name}' (presets: {', '.join(PRESET_NAMES)}, or joint.<smpl joint>)")


def expand(tokens, defs=()) -> list[SiteSpec]:
    """The sites a list of tokens asks for: `joints` becomes the 22 joint sites; names in `defs`
    (the user's own vertex sites) pass through. Raises SiteError on unknown names and repeats."""
    out: list[SiteSpec] = []
    for t in group_tokens(tokens):
        if t == JOINTS:
            out += [SiteSpec(n) for n in JOINT_SITES]
        elif t in defs:
            out.append(SiteSpec(t))
        else:
            out.append(parse(t))
    names = [s.name for s in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise SiteError(f"IMU site(s) listed twice: {', '.join(twice)} (one device per name)")
    return out


def site_names(tokens, defs=()) -> list[str]:
    """Export names (`imu.<name>.*`) a site list produces."""
    return [s.name for s in expand(tokens, defs)]


def mount_matrix(preset: SurfacePreset, face: str, top: str) -> np.ndarray:
    """(3,3): the device axes (columns) in the skin frame (x along the segment towards its far
    joint, z out of the skin, y = z × x)."""
    ex, ez = np.array([1.0, 0, 0]), np.array([0, 0, 1.0])
    y = ex * (preset.up if top == "top_up" else -preset.up)
    z = ez if face == "screen_out" else -ez
    return np.stack([np.cross(y, z), y, z], axis=1)


def mount_change(a: str, b: str) -> np.ndarray:
    """(3,3) that turns readings of the device mounted as `a` into readings of it mounted as `b`
    at the same spot (`x_b = C @ x_a`), e.g. a bake's `left_pocket` (screen_out,top_up) into the
    real phone's `left_pocket:screen_in,top_down`. Both must be the same surface preset."""
    sa, sb = parse(a), parse(b)
    if sa.name != sb.name or sa.name not in SURFACE:
        raise SiteError(f"mount_change: '{a}' and '{b}' must name the same surface device")
    Ma = mount_matrix(SURFACE[sa.name], sa.face, sa.top)
    Mb = mount_matrix(SURFACE[sb.name], sb.face, sb.top)
    return Mb.T @ Ma


def tilt_matrix(tilt_deg) -> np.ndarray:
    """Rotation by (a, b, c) degrees about the device's x, then y, then z axis (intrinsic)."""
    a, b, c = np.radians(np.asarray(tilt_deg, float))
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rx @ ry @ rz


def describe_presets() -> str:
    """One line per preset, for `--help` and the README."""
    lines = [f"{n}: watch on the {n.split('_')[0]} wrist (--imu-axes)" for n in WRISTS]
    lines += [f"{n}: {p.device} {p.where}" for n, p in SURFACE.items()]
    lines.append(f"joints: {len(JOINT_SITES)} sensors joint.<name> at the SMPL body joints, {JOINT_FRAME}")
    return "\n".join(lines)
