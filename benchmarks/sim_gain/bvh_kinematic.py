"""A probe corpus: the wrist IMU of Bandai Namco mocap clips by forward kinematics of the BVH
skeleton alone (no body, no skin patch, no Blender) — a stand-in until the BVH importer (h13a)
and the fast IMU engine (h14) let `weartwin synth` bake these clips on a body.

It answers one question cheaply: does *captured* human motion (walks, turns, runs, waves...)
transfer to real watch data better than the procedural motions? The sensor sits on the
forearm 3.5 cm above the wrist joint; x along the forearm towards the hand, z out of the back of
the wrist (the hand's local axis that points most laterally in walking), y = z × x — the
convention of WearTwin's IMU site. Accelerometer = R_sᵀ(a − g), gyroscope = log(R(t−1)ᵀR(t+1))/2Δt.
Clips are written as WearTwin-style exports (t, imu.<site>.acc/gyro, meta with label, text,
fps and `engine: bvh-kinematic`) so the same reader windows them.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np

G = 9.80665
MAX_BVH_BYTES = 50 << 20


def parse_bvh(text: str):
    """-> joints [(name, parent, offset(3), channels[list])], frame_time, motion (F, n_channels)."""
    tok = text.split()
    joints, stack, i = [], [], 0
    while i < len(tok):
        t = tok[i]
        if t in ("ROOT", "JOINT"):
            joints.append([tok[i + 1], stack[-1] if stack else -1, None, []])
            i += 2
        elif t == "End":
            joints.append([None, stack[-1], None, []])
            i += 2
        elif t == "{":
            stack.append(len(joints) - 1)
            i += 1
        elif t == "}":
            stack.pop()
            i += 1
        elif t == "OFFSET":
            joints[stack[-1]][2] = np.array(tok[i + 1:i + 4], dtype=np.float64)
            i += 4
        elif t == "CHANNELS":
            n = int(tok[i + 1])
            joints[stack[-1]][3] = tok[i + 2:i + 2 + n]
            i += 2 + n
        elif t == "MOTION":
            nf = int(tok[i + 2])
            ft = float(tok[i + 5])
            vals = np.array(tok[i + 6:], dtype=np.float64)
            nch = sum(len(j[3]) for j in joints)
            if vals.size != nf * nch:
                raise ValueError(f"{vals.size} motion values, expected {nf}×{nch}")
            return [j for j in joints], ft, vals.reshape(nf, nch)
        else:
            i += 1
    raise ValueError("no MOTION section")


def _rot(axis: str, deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    R = np.zeros((len(a), 3, 3))
    i = "XYZ".index(axis)
    j, k = (i + 1) % 3, (i + 2) % 3
    R[:, i, i] = 1
    R[:, j, j], R[:, j, k], R[:, k, j], R[:, k, k] = c, -s, s, c
    return R


def forward_kinematics(joints, motion):
    """Global rotations (J, F, 3, 3) and positions (J, F, 3) of every named joint (metres)."""
    F_ = len(motion)
    col = 0
    Rg, Pg = {}, {}
    for jx, (name, parent, off, chans) in enumerate(joints):
        R = np.broadcast_to(np.eye(3), (F_, 3, 3)).copy()
        trans = np.broadcast_to(off, (F_, 3)).copy()
        for c in chans:
            v = motion[:, col]
            col += 1
            if c.endswith("position"):
                trans[:, "XYZ".index(c[0])] = v
            else:
                R = R @ _rot(c[0], v)
        if parent < 0:
            Rg[jx], Pg[jx] = R, trans
        else:
            Rg[jx] = Rg[parent] @ R
            Pg[jx] = Pg[parent] + np.einsum("fij,fj->fi", Rg[parent], trans)
    names = {j[0]: k for k, j in enumerate(joints) if j[0]}
    return names, Rg, {k: v / 100.0 for k, v in Pg.items()}


def _so3_log(R):
    cos = np.clip((np.trace(R, axis1=-2, axis2=-1) - 1) / 2, -1, 1)
    ang = np.arccos(cos)
    v = np.stack([R[..., 2, 1] - R[..., 1, 2], R[..., 0, 2] - R[..., 2, 0], R[..., 1, 0] - R[..., 0, 1]], -1)
    s = np.sin(ang)
    k = np.where(s > 1e-6, ang / (2 * np.maximum(s, 1e-12)), 0.5)
    return v * k[..., None]


def wrist_imu(names, Rg, Pg, ft: float, side: str = "L", back_axis=None):
    """(acc (F,3), gyro (F,3), back_axis) of a watch on the `side` forearm."""
    la, ha = names[f"LowerArm_{side}"], names[f"Hand_{side}"]
    x = Pg[ha] - Pg[la]
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    if back_axis is None:   # the hand's local axis most lateral (outwards) while the arm hangs
        root = Pg[names["Hips"]]
        fwd = root[-1] - root[0]
        fwd[1] = 0
        fwd /= max(np.linalg.norm(fwd), 1e-9)
        lateral = np.cross(np.array([0, 1.0, 0]), fwd) * (1 if side == "L" else -1)   # left of walker
        best = None
        for ax in range(3):
            for sgn in (1, -1):
                d = sgn * Rg[ha][:, :, ax]
                score = float((d @ lateral).mean())
                if best is None or score > best[0]:
                    best = (score, ax, sgn)
        back_axis = best[1:]
    ax, sgn = back_axis
    z = sgn * Rg[ha][:, :, ax]
    z = z - (z * x).sum(-1, keepdims=True) * x
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    y = np.cross(z, x)
    Rs = np.stack([x, y, z], -1)                          # columns = sensor axes in the world
    p = Pg[ha] - 0.035 * x
    a = np.gradient(np.gradient(p, ft, axis=0), ft, axis=0)
    f = a + np.array([0, G, 0])                           # Y-up world: specific force = a − g
    acc = np.einsum("fji,fj->fi", Rs, f)
    rel = np.einsum("fji,fjk->fik", Rs[:-2], Rs[2:])
    w = _so3_log(rel) / (2 * ft)
    gyro = np.concatenate([w[:1], w, w[-1:]])
    return acc.astype(np.float32), gyro.astype(np.float32), back_axis


STYLE_WORDS = {"not-confident": "an unconfident", "chimpira": "a swaggering", "giant": "a heavy giant-like",
               "musical": "a musical", "masculinity": "a masculine"}


def describe(content: str, style: str) -> str:
    act = {"walk": "walks", "walk-back": "walks backwards", "walk-left": "walks sideways to the left",
           "walk-right": "walks sideways to the right", "walk-turn-left": "walks and turns left",
           "walk-turn-right": "walks and turns right", "run": "runs", "dash": "dashes forward",
           "bow": "bows", "bye": "waves goodbye", "byebye": "waves goodbye with both hands",
           "guide": "guides someone with an arm gesture", "respond": "responds with a gesture",
           "call": "calls someone over", "punch": "punches", "kick": "kicks", "slash": "slashes with an arm",
           "wave-both-hands": "waves both hands", "wave-left-hand": "waves the left hand",
           "wave-right-hand": "waves the right hand", "raise-up-both-hands": "raises both hands",
           "raise-up-left-hand": "raises the left hand", "raise-up-right-hand": "raises the right hand",
           "dance-short": "dances", "dance-long": "dances"}.get(content, content.replace("-", " "))
    who = STYLE_WORDS.get(style, f"{'an' if style[:1] in 'aeiou' else 'a'} {style}")
    return f"{who} person {act}"


NAME = re.compile(r"dataset-\d_(?P<content>[a-z-]+)_(?P<style>[a-z-]+)_(?P<id>\d+)\.bvh$")


def iter_clips(root: Path, contents=None, limit: int = 0):
    """(name, text) of every Bandai clip under root (dataset-1 folder files and dataset-2.zip)."""
    n = 0
    for f in sorted((root / "dataset-1").glob("*.bvh")):
        m = NAME.search(f.name)
        if m and (not contents or m["content"] in contents) and f.stat().st_size < MAX_BVH_BYTES:
            yield f.name, m["content"], m["style"], f.read_text()
            n += 1
            if limit and n >= limit:
                return
    z = root / "dataset-2.zip"
    if z.is_file():
        with zipfile.ZipFile(z) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                m = NAME.search(info.filename)
                if not m or (contents and m["content"] not in contents) or info.file_size > MAX_BVH_BYTES:
                    continue
                with zf.open(info) as fh:
                    yield Path(info.filename).name, m["content"], m["style"], io.TextIOWrapper(fh).read()
                n += 1
                if limit and n >= limit:
                    return


def build(root: Path, out: Path, contents=None, limit: int = 0, sites=("left_wrist", "right_wrist")) -> int:
    out.mkdir(parents=True, exist_ok=True)
    axes = {}
    ref = root / "dataset-1" / "dataset-1_walk_normal_001.bvh"   # fixes the back-of-wrist axis once
    if ref.is_file():
        names, Rg, Pg = forward_kinematics(*parse_bvh(ref.read_text())[::2])
        ft = parse_bvh(ref.read_text())[1]
        for side in "LR":
            axes[side] = wrist_imu(names, Rg, Pg, ft, side)[2]
    n = 0
    for name, content, style, text in iter_clips(root, contents, limit):
        dst = out / content / (Path(name).stem + ".npz")
        if dst.is_file():
            n += 1
            continue
        try:
            joints, ft, motion = parse_bvh(text)
            names, Rg, Pg = forward_kinematics(joints, motion)
            arrays = {"t": (np.arange(len(motion)) * ft).astype(np.float64)}
            for site in sites:
                side = "L" if site.startswith("left") else "R"
                acc, gyro, axes[side] = wrist_imu(names, Rg, Pg, ft, side, axes.get(side))
                arrays[f"imu.{site}.acc"], arrays[f"imu.{site}.gyro"] = acc, gyro
        except (ValueError, KeyError) as e:
            print(f"{name}: skipped ({e})")
            continue
        meta = {"fps": 1.0 / ft, "label": content, "text": describe(content, style), "engine": "bvh-kinematic",
                "source": name, "body": {"name": "bandai-skeleton"}}
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_suffix(".part.npz")
        np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)
        tmp.replace(dst)
        n += 1
    return n


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[3] / "shared" / "data" / "bvh" / "bandai_namco"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--contents", default="", help="comma-separated contents (default all)")
    ap.add_argument("--limit", type=int, default=0)
    a = ap.parse_args()
    print(build(Path(a.root), Path(a.out), [c for c in a.contents.split(",") if c], a.limit), "clips")
