"""BVH (Biovision Hierarchy) motion capture: any skeleton, retargeted onto the SMPL body.

The file: a HIERARCHY of joints (ROOT / JOINT name, OFFSET x y z in the parent's frame,
CHANNELS n with any of X/Y/Zposition and X/Y/Zrotation in any order, End Site), then MOTION
(`Frames: N`, `Frame Time: dt`, N rows of numbers, one value per channel in file order).

Conventions read as the format defines them:
- a joint's local rotation is the product of its rotation channels in the order written
  (`Zrotation Xrotation Yrotation` -> R = Rz @ Rx @ Ry), angles in degrees;
- a joint with position channels takes them as its translation from the parent (they replace
  the OFFSET, as in the Bandai Namco and Mixamo exports); otherwise the OFFSET is used;
- the world is Y-up (a Z-up file is detected from where the head is; see `bvh_retarget`).

Retargeting (joint names -> SMPL joints, rest-pose alignment, units) lives in `bvh_retarget`.

Limits, checked before anything is allocated (`addon/motion/caps.py`): the file's size
(`text_bytes`), `Frames:` (`frames`), frames x channels x 8 bytes (`input_bytes`), and at most
`MAX_BVH_JOINTS` joints.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .. import caps
from ..motion import Motion, MotionError

MAX_BVH_JOINTS = 1000

_POS = ("Xposition", "Yposition", "Zposition")
_ROT = ("Xrotation", "Yrotation", "Zrotation")


@dataclass
class BvhClip:
    names: list[str]
    parents: list[int]
    offsets: np.ndarray                 # (J, 3) rest translation from the parent, file units
    channels: list[tuple[str, ...]]     # per joint, as written
    end_sites: dict                     # joint index -> (3,) End Site offset
    frame_time: float
    motion: np.ndarray                  # (F, C) all channel values, file order

    def channel_slices(self) -> list[slice]:
        out, k = [], 0
        for ch in self.channels:
            out.append(slice(k, k + len(ch)))
            k += len(ch)
        return out


def _floats(tokens, what: str, line_no: int) -> list[float]:
    try:
        return [float(x) for x in tokens]
    except ValueError:
        raise MotionError(f"line {line_no}: {what} is not numeric") from None


def parse_bvh(text: str) -> BvhClip:
    lines = text.splitlines()
    n = len(lines)
    i = 0
    while i < n and not lines[i].strip():
        i += 1
    if i >= n or lines[i].strip().upper() != "HIERARCHY":
        raise MotionError("not a BVH file (no HIERARCHY at the top)")
    i += 1
    names, parents, offsets, channels, end_sites = [], [], [], [], {}
    stack: list[int] = []      # joint indices of open braces (-2: an End Site)
    pending: int | None = None
    n_channels = 0
    while i < n:
        raw = lines[i].strip()
        i += 1
        if not raw:
            continue
        tok = raw.split()
        key = tok[0].upper()
        if key in ("ROOT", "JOINT"):
            if len(tok) < 2:
                raise MotionError(f"line {i}: {tok[0]} without a name")
            if key == "ROOT" and names:
                if not stack:   # a second skeleton: only the first one is read
                    while i < n and lines[i].strip().upper() != "MOTION":
                        i += 1
                    break
            parent = next((s for s in reversed(stack) if s >= 0), -1) if key == "JOINT" else -1
            if key == "JOINT" and parent < 0:
                raise MotionError(f"line {i}: JOINT outside any ROOT")
            names.append(raw.split(None, 1)[1].strip())
            parents.append(parent)
            offsets.append(np.zeros(3))
            channels.append(())
            pending = len(names) - 1
            if len(names) > MAX_BVH_JOINTS:
                raise MotionError(f"more than {MAX_BVH_JOINTS} joints")
        elif key == "END":
            pending = -2
        elif raw == "{":
            if pending is None:
                raise MotionError(f"line {i}: '{{' without a joint")
            stack.append(pending)
            pending = None
        elif raw == "}":
            if not stack:
                raise MotionError(f"line {i}: unbalanced '}}'")
            stack.pop()
        elif key == "OFFSET":
            if len(tok) != 4:
                raise MotionError(f"line {i}: OFFSET needs 3 numbers, has {len(tok) - 1}")
            v = np.array(_floats(tok[1:], "OFFSET", i))
            if not stack:
                raise MotionError(f"line {i}: OFFSET outside a joint")
            if stack[-1] == -2:
                owner = next((s for s in reversed(stack) if s >= 0), None)
                if owner is not None:
                    end_sites[owner] = v
            else:
                offsets[stack[-1]] = v
        elif key == "CHANNELS":
            if not stack or stack[-1] < 0:
                raise MotionError(f"line {i}: CHANNELS outside a joint")
            try:
                k = int(tok[1])
            except (IndexError, ValueError):
                raise MotionError(f"line {i}: CHANNELS needs a count") from None
            chans = tuple(tok[2:])
            if len(chans) != k:
                raise MotionError(f"line {i}: CHANNELS says {k} but lists {len(chans)}")
            bad = [c for c in chans if c not in _POS + _ROT]
            if bad:
                raise MotionError(f"line {i}: unknown channel(s) {', '.join(bad)}")
            channels[stack[-1]] = chans
            n_channels += k
        elif key == "MOTION":
            break
        else:
            raise MotionError(f"line {i}: unexpected '{tok[0]}' in the HIERARCHY")
    else:
        raise MotionError("no MOTION section (truncated file?)")
    if not names:
        raise MotionError("no joints in the HIERARCHY")
    if stack:
        raise MotionError("unbalanced braces in the HIERARCHY")
    if n_channels == 0:
        raise MotionError("the skeleton has no channels")

    frames = frame_time = None
    while i < n and (frames is None or frame_time is None):
        raw = lines[i].strip()
        i += 1
        if not raw:
            continue
        m = re.match(r"(?i)frames\s*:\s*(\S+)$", raw)
        if m:
            try:
                frames = int(m.group(1))
            except ValueError:
                raise MotionError(f"line {i}: 'Frames:' is not a whole number") from None
            continue
        m = re.match(r"(?i)frame\s*time\s*:\s*(\S+)$", raw)
        if m:
            frame_time = _floats([m.group(1)], "'Frame Time:'", i)[0]
            continue
        raise MotionError(f"line {i}: expected 'Frames:' and 'Frame Time:' after MOTION")
    if frames is None or frame_time is None:
        raise MotionError("no 'Frames:'/'Frame Time:' after MOTION (truncated file?)")
    if frames < 2:
        raise MotionError(f"'Frames:' is {frames}; at least 2 are needed")
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise MotionError(f"'Frame Time:' is {frame_time}; it must be positive")
    caps.check("frames", frames, "'Frames:'")
    caps.check("input_bytes", frames * n_channels * 8, f"the motion block ({frames} frames x {n_channels} channels)")
    rows = [(k + 1, ln) for k, ln in enumerate(lines[i:], start=i) if ln.strip()]
    if len(rows) < frames:
        raise MotionError(f"truncated motion: 'Frames:' says {frames}, the file has {len(rows)} rows")
    if len(rows) > frames:
        rows = rows[:frames]   # trailing extra rows are ignored, as other readers do
    motion = np.empty((frames, n_channels))
    for f, (line_no, ln) in enumerate(rows):
        tok = ln.split()
        if len(tok) != n_channels:
            raise MotionError(f"line {line_no}: {len(tok)} values, the skeleton has {n_channels} channels")
        motion[f] = _floats(tok, "a motion row", line_no)
    if not np.all(np.isfinite(motion)):
        bad = int(np.argwhere(~np.all(np.isfinite(motion), axis=1))[0, 0])
        raise MotionError(f"line {rows[bad][0]}: NaN or inf in the motion")
    return BvhClip(names, parents, np.array(offsets, dtype=np.float64), channels, end_sites,
                   float(frame_time), motion)


def _axis_rotations(axis: str, deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    R = np.zeros(a.shape + (3, 3))
    i = "XYZ".index(axis)
    j, k = (i + 1) % 3, (i + 2) % 3
    R[..., i, i] = 1.0
    R[..., j, j] = c
    R[..., k, k] = c
    R[..., j, k] = -s
    R[..., k, j] = s
    return R


def forward_kinematics(clip: BvhClip) -> tuple[np.ndarray, np.ndarray]:
    """Global rotations (F, J, 3, 3) and positions (F, J, 3), file units and axes."""
    F, J = len(clip.motion), len(clip.names)
    G = np.empty((F, J, 3, 3))
    P = np.empty((F, J, 3))
    for j, (sl, chans) in enumerate(zip(clip.channel_slices(), clip.channels)):
        vals = clip.motion[:, sl]
        R = np.broadcast_to(np.eye(3), (F, 3, 3)).copy()
        t = np.broadcast_to(clip.offsets[j], (F, 3)).copy()
        has_pos = False
        for c, name in enumerate(chans):
            if name in _ROT:
                R = R @ _axis_rotations(name[0], vals[:, c])
            else:
                if not has_pos:
                    t[:] = 0.0
                    has_pos = True
                t[:, _POS.index(name)] = vals[:, c]
        p = clip.parents[j]
        if p < 0:
            G[:, j], P[:, j] = R, t
        else:
            G[:, j] = G[:, p] @ R
            P[:, j] = P[:, p] + np.einsum("fij,fj->fi", G[:, p], t)
    return G, P


def rest_positions(clip: BvhClip) -> np.ndarray:
    """(J, 3) joint positions of the rest pose (zero rotations, OFFSETs)."""
    P = np.zeros((len(clip.names), 3))
    for j, p in enumerate(clip.parents):
        if p >= 0:
            P[j] = P[p] + clip.offsets[j]
    return P


def fps_from_frame_time(frame_time: float) -> float:
    fps = 1.0 / frame_time
    # 0.0333333 s is 30 fps written with 6 digits: snap to a whole rate within 0.01%
    r = round(fps)
    return float(r) if r > 0 and abs(fps - r) < 1e-4 * fps else fps


def from_bytes(data: bytes, source_fps: float | None = None, bvh_map: dict | None = None,
               bvh_scale: float | None = None, twist: str = "auto") -> Motion:
    from .bvh_retarget import retarget

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    clip = parse_bvh(text)
    fps = float(source_fps) if source_fps else fps_from_frame_time(clip.frame_time)
    return retarget(clip, fps, bvh_map=bvh_map, scale=bvh_scale, twist=twist)
