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
(`text_bytes`), `Frames:` (`frames`), frames x channels x 8 bytes (`input_bytes`), `Frame Time:`
between 1 / `rate_hz` and `MAX_FRAME_TIME`, at most `MAX_BVH_JOINTS` joints, and no OFFSET or
channel value that is not finite or beyond ±`MAX_ABS_VALUE`. The rows are parsed in chunks
straight into one array (memory: about the file's size plus the motion array), and forward
kinematics runs only over the joints the retarget uses.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np

from .. import caps
from ..motion import Motion, MotionError

MAX_BVH_JOINTS = 1000
MAX_ABS_VALUE = 1e6        # |OFFSET| or a channel value beyond this is no capture (1000 km; 2,777 turns)
MAX_FRAME_TIME = 10.0      # s; the shortest frame time is 1 / WEARTWIN_MAX_RATE_HZ
_CHUNK = 4 << 20           # bytes of motion rows parsed at once

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


def _header_lines(buf: bytes, pos: int):
    """(line number, stripped text, position after the line) of the lines from `pos` on (the
    HIERARCHY and the MOTION header: short lines, decoded one by one, UTF-8 else Latin-1)."""
    n, line_no = len(buf), 0
    while pos < n:
        end = buf.find(b"\n", pos)
        end = n if end < 0 else end
        raw = buf[pos:end]
        line_no += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        pos = end + 1
        yield line_no, text.strip(), pos


def _check_values(v: np.ndarray, what: str, where: str) -> None:
    if not np.all(np.isfinite(v)):
        raise MotionError(f"{where}: NaN or inf in {what}")
    big = float(np.max(np.abs(v))) if v.size else 0.0
    if big > MAX_ABS_VALUE:
        raise MotionError(f"{where}: {what} holds {big:.3g}; values beyond ±{MAX_ABS_VALUE:g} are no motion capture")


def _motion_rows(buf: bytes, pos: int, line_no: int, frames: int, n_channels: int) -> np.ndarray:
    """The MOTION rows from `pos` (the line after `Frame Time:`, numbered `line_no`), parsed in
    chunks of ~4 MB straight into one (frames, channels) float64 array: the text is never split
    into one Python object per line or per number."""
    motion = np.empty((frames, n_channels))
    n, f = len(buf), 0
    while f < frames and pos < n:
        end = buf.find(b"\n", min(pos + _CHUNK, n - 1))
        end = n if end < 0 else end + 1
        lines = buf[pos:end].split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        numbered = [(line_no + k, ln) for k, ln in enumerate(lines) if ln.strip()]
        line_no += len(lines)
        pos = end
        rows = numbered[: frames - f]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # a bad token ends the parse early: found below
            vals = np.fromstring(b" ".join(ln for _, ln in rows), dtype=np.float64, sep=" ")
        if vals.size != len(rows) * n_channels:
            for k, ln in rows:                   # the slow path, only to name the bad line
                tok = ln.split()
                if len(tok) != n_channels:
                    raise MotionError(f"line {k}: {len(tok)} values, the skeleton has {n_channels} channels")
                _floats([t.decode("latin-1") for t in tok], "a motion row", k)
            raise MotionError(f"line {rows[0][0]}: unreadable motion rows")
        block = vals.reshape(len(rows), n_channels)
        if not (np.all(np.isfinite(block)) and np.max(np.abs(block), initial=0.0) <= MAX_ABS_VALUE):
            bad = int(np.argwhere(~np.all(np.isfinite(block) & (np.abs(block) <= MAX_ABS_VALUE), axis=1))[0, 0])
            _check_values(block[bad], "the motion", f"line {rows[bad][0]}")
        motion[f:f + len(rows)] = block
        f += len(rows)
    if f < frames:
        raise MotionError(f"truncated motion: 'Frames:' says {frames}, the file has {f} rows")
    return motion   # trailing extra rows are ignored, as other readers do


def parse_bvh(data: bytes | str) -> BvhClip:
    """Parse BVH text (bytes as read from the file, or str). Memory: the bytes, the motion array
    and a few MB of working space."""
    buf = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    lines = _header_lines(buf, 0)
    first = next(((k, t, p) for k, t, p in lines if t), None)
    if first is None or first[1].upper() != "HIERARCHY":
        raise MotionError("not a BVH file (no HIERARCHY at the top)")
    names, parents, offsets, channels, end_sites = [], [], [], [], {}
    stack: list[int] = []      # joint indices of open braces (-2: an End Site)
    pending: int | None = None
    n_channels = 0
    motion_at = None
    second_root = False
    for i, raw, nxt in lines:
        if not raw:
            continue
        tok = raw.split()
        key = tok[0].upper()
        if second_root:        # a second skeleton: only the first one is read
            if raw.upper() == "MOTION":
                motion_at = nxt
                break
            continue
        if key in ("ROOT", "JOINT"):
            if len(tok) < 2:
                raise MotionError(f"line {i}: {tok[0]} without a name")
            if key == "ROOT" and names and not stack:
                second_root = True
                continue
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
            _check_values(v, "an OFFSET", f"line {i}")
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
            motion_at = nxt
            break
        else:
            raise MotionError(f"line {i}: unexpected '{tok[0]}' in the HIERARCHY")
    if motion_at is None:
        raise MotionError("no MOTION section (truncated file?)")
    if not names:
        raise MotionError("no joints in the HIERARCHY")
    if stack:
        raise MotionError("unbalanced braces in the HIERARCHY")
    if n_channels == 0:
        raise MotionError("the skeleton has no channels")

    frames = frame_time = None
    pos = motion_at
    line_no = i
    for k, raw, nxt in _header_lines(buf, motion_at):
        if frames is not None and frame_time is not None:
            break
        line_no, pos = i + k, nxt
        if not raw:
            continue
        m = re.match(r"(?i)frames\s*:\s*(\S+)$", raw)
        if m:
            try:
                frames = int(m.group(1))
            except ValueError:
                raise MotionError(f"line {line_no}: 'Frames:' is not a whole number") from None
            continue
        m = re.match(r"(?i)frame\s*time\s*:\s*(\S+)$", raw)
        if m:
            frame_time = _floats([m.group(1)], "'Frame Time:'", line_no)[0]
            continue
        raise MotionError(f"line {line_no}: expected 'Frames:' and 'Frame Time:' after MOTION")
    if frames is None or frame_time is None:
        raise MotionError("no 'Frames:'/'Frame Time:' after MOTION (truncated file?)")
    if frames < 2:
        raise MotionError(f"'Frames:' is {frames}; at least 2 are needed")
    if not (np.isfinite(frame_time) and frame_time > 0):
        raise MotionError(f"'Frame Time:' is {frame_time}; it must be positive")
    max_rate = caps.limit("rate_hz")
    if frame_time < 1.0 / max_rate or frame_time > MAX_FRAME_TIME:
        raise MotionError(f"'Frame Time:' is {frame_time:g} s ({1 / frame_time:.4g} frames per second); "
                          f"expected between {1 / max_rate:g} and {MAX_FRAME_TIME:g} s "
                          "(raise the rate limit with WEARTWIN_MAX_RATE_HZ=...)")
    caps.check("frames", frames, "'Frames:'")
    caps.check("input_bytes", frames * n_channels * 8, f"the motion block ({frames} frames x {n_channels} channels)")
    motion = _motion_rows(buf, pos, line_no + 1, frames, n_channels)
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


def forward_kinematics(clip: BvhClip, joints=None) -> tuple[np.ndarray, np.ndarray]:
    """Global rotations (F, K, 3, 3) and positions (F, K, 3), file units and axes, of `joints`
    (indices; default all, K = J), in that order. Only those joints and their ancestors are
    computed, and an ancestor's arrays are dropped once its last wanted descendant has them."""
    F, J = len(clip.motion), len(clip.names)
    wanted = list(range(J)) if joints is None else [int(j) for j in joints]
    need = set()
    for j in wanted:
        while j >= 0 and j not in need:
            need.add(j)
            j = clip.parents[j]
    last_use = {}                       # joint -> the last joint (in file order) that reads it
    for j in sorted(need):
        last_use.setdefault(j, j)
        if clip.parents[j] >= 0:
            last_use[clip.parents[j]] = j
    out_G = np.empty((F, len(wanted), 3, 3))
    out_P = np.empty((F, len(wanted), 3))
    slot = {j: k for k, j in enumerate(wanted)}
    live: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    slices = clip.channel_slices()
    for j in sorted(need):              # parents come before their children in a BVH
        sl, chans = slices[j], clip.channels[j]
        vals = clip.motion[:, sl]
        R = None
        t = np.broadcast_to(clip.offsets[j], (F, 3)).copy()
        has_pos = False
        for c, name in enumerate(chans):
            if name in _ROT:
                Rc = _axis_rotations(name[0], vals[:, c])
                R = Rc if R is None else R @ Rc
            else:
                if not has_pos:
                    t[:] = 0.0
                    has_pos = True
                t[:, _POS.index(name)] = vals[:, c]
        if R is None:
            R = np.broadcast_to(np.eye(3), (F, 3, 3)).copy()
        p = clip.parents[j]
        if p < 0:
            G, P = R, t
        else:
            Gp, Pp = live[p]
            P = Pp + np.einsum("fij,fj->fi", Gp, t)
            G = np.matmul(Gp, R, out=R)
        live[j] = (G, P)
        if j in slot:
            out_G[:, slot[j]], out_P[:, slot[j]] = G, P
        for a in [a for a in live if last_use[a] <= j]:
            del live[a]
    return out_G, out_P


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


def rest_pose_first_frame(clip: BvhClip) -> bool:
    """Does the clip open with a reference rest pose (many CMU BVH conversions do: frame 0 has
    every rotation channel at zero, the T-pose of the OFFSETs, and frame 1 is the capture)?
    True when frame 0's rotations are all zero, frame 1's are not, and the jump between them is
    larger than 20 degrees and 5 times the largest jump between any later pair of frames."""
    rot = np.concatenate([clip.motion[:, sl][:, [k for k, c in enumerate(ch) if c in _ROT]]
                          for sl, ch in zip(clip.channel_slices(), clip.channels)], axis=1)
    if rot.shape[1] == 0 or len(rot) < 3 or np.any(np.abs(rot[0]) > 1e-6) or np.all(np.abs(rot[1]) <= 1e-6):
        return False
    first = float(np.max(np.abs(rot[1] - rot[0])))
    d = np.abs(np.diff(rot[1:], axis=0))
    d = np.minimum(d, 360.0 - d)                    # a wrap from 179 to -179 is 2 degrees
    later = float(np.max(d)) if d.size else 0.0
    return first > 20.0 and first > 5.0 * later


def skip_leading_frames(clip: BvhClip, skip_frames: int | None) -> tuple[BvhClip, int, bool]:
    """(clip without its first frames, frames skipped, whether a rest pose was detected).
    `skip_frames`: None = auto (skip a detected rest-pose first frame), N = skip N frames."""
    detected = rest_pose_first_frame(clip)
    n = (1 if detected else 0) if skip_frames is None else int(skip_frames)
    if n < 0:
        raise MotionError(f"--bvh-skip-frames is {n}; it must be 0 or more")
    if n and len(clip.motion) - n < 2:
        raise MotionError(f"skipping {n} leading frames leaves {len(clip.motion) - n}; at least 2 are needed")
    if n:
        clip = BvhClip(clip.names, clip.parents, clip.offsets, clip.channels, clip.end_sites, clip.frame_time,
                       clip.motion[n:])
    return clip, n, detected


def from_bytes(data: bytes, source_fps: float | None = None, bvh_map: dict | None = None,
               bvh_scale: float | None = None, twist: str = "auto", skip_frames: int | None = None,
               notice=None) -> Motion:
    """`skip_frames`: leading frames to drop (None: a rest-pose first frame is detected and
    dropped, and `notice` (a callable, default: a line on stderr) says so)."""
    import sys

    from .bvh_retarget import retarget

    clip = parse_bvh(data)
    clip, skipped, detected = skip_leading_frames(clip, skip_frames)
    if detected and skip_frames is None:
        (notice or (lambda m: print(m, file=sys.stderr)))(
            "first frame is a rest pose (a T-pose reference frame, as in CMU conversions): skipped it "
            "(--bvh-skip-frames 0 keeps it)")
    fps = float(source_fps) if source_fps else fps_from_frame_time(clip.frame_time)
    motion = retarget(clip, fps, bvh_map=bvh_map, scale=bvh_scale, twist=twist)
    motion.source["bvh"].update({"skipped_frames": skipped, "rest_pose_first_frame": detected})
    return motion
