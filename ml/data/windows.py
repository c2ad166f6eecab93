"""Windowing: sequences -> fixed-length windows with one label each.

A window's label is the majority label of its samples; windows whose majority covers less
than `min_purity` of the window, or is unlabelled, are dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .channels import extract, normalize_label
from .resample import resample
from .sequence import DataError, Sequence


@dataclass
class Windows:
    x: np.ndarray                 # (N, W, C) float32
    y: np.ndarray                 # (N,) int64 index into classes
    subject: np.ndarray           # (N,) str
    seq: np.ndarray               # (N,) int64: which sequence
    synthetic: np.ndarray         # (N,) bool
    text: np.ndarray              # (N,) object: description or None
    channels: list[str]
    classes: list[str]
    fps: float
    pose: np.ndarray | None = None   # (N, W, J, 6) when every sequence has a pose
    present: np.ndarray | None = None  # (N, C) bool: channel existed in the source
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, idx) -> "Windows":
        idx = np.asarray(idx)
        return Windows(self.x[idx], self.y[idx], self.subject[idx], self.seq[idx], self.synthetic[idx],
                       self.text[idx], self.channels, self.classes, self.fps,
                       None if self.pose is None else self.pose[idx],
                       None if self.present is None else self.present[idx], dict(self.extra))

    @property
    def subjects(self) -> list[str]:
        return sorted(set(self.subject.tolist()))

    @staticmethod
    def concat(parts: list["Windows"]) -> "Windows":
        parts = [p for p in parts if len(p)]
        if not parts:
            raise DataError("no windows to concatenate")
        a = parts[0]
        pose = None if any(p.pose is None for p in parts) else np.concatenate([p.pose for p in parts])
        present = None if any(p.present is None for p in parts) else np.concatenate([p.present for p in parts])
        return Windows(np.concatenate([p.x for p in parts]), np.concatenate([p.y for p in parts]),
                       np.concatenate([p.subject for p in parts]), np.concatenate([p.seq for p in parts]),
                       np.concatenate([p.synthetic for p in parts]), np.concatenate([p.text for p in parts]),
                       a.channels, a.classes, a.fps, pose, present, dict(a.extra))


def make_windows(seqs: list[Sequence], channels: list[str], fps: float = 50.0, window_s: float = 2.0,
                 stride_s: float = 1.0, classes: list[str] | None = None, site_map: dict | None = None,
                 label_map: dict | None = None, fill_missing: bool = False, min_purity: float = 0.5,
                 with_pose: bool = False) -> Windows:
    """Resample every sequence to `fps`, cut windows of `window_s` every `stride_s` seconds.
    `classes` fixes the label order (labels outside it are dropped); default: sorted labels seen."""
    W = int(round(window_s * fps))
    S = max(1, int(round(stride_s * fps)))
    if W < 2:
        raise DataError(f"window of {window_s} s at {fps} Hz is too short")
    if classes is None:
        classes = sorted({normalize_label(l, label_map) for s in seqs for l in set(s.labels.tolist()) if l})
    cidx = {c: i for i, c in enumerate(classes)}
    xs, ys, subj, sq, syn, txt, poses, pres = [], [], [], [], [], [], [], []
    for k, s in enumerate(seqs):
        s = resample(s, fps)
        if len(s) < W:
            continue
        data, present = extract(s, channels, site_map, fill_missing)
        lab = np.array([cidx.get(normalize_label(l, label_map), -1) if l else -1 for l in s.labels])
        starts = np.arange(0, len(s) - W + 1, S)
        idx = starts[:, None] + np.arange(W)[None, :]
        wl = lab[idx]
        counts = np.stack([(wl == c).sum(axis=1) for c in range(len(classes))], axis=1) if classes else None
        if counts is None:
            continue
        best = counts.argmax(axis=1)
        ok = counts.max(axis=1) >= max(1, min_purity * W)
        if not ok.any():
            continue
        xs.append(data[idx[ok]])
        ys.append(best[ok])
        n = int(ok.sum())
        subj += [s.subject] * n
        sq += [k] * n
        syn += [s.synthetic] * n
        txt += [s.text] * n
        pres.append(np.repeat(present[None], n, axis=0))
        if with_pose:
            poses.append(None if s.pose is None else s.pose[idx[ok]])
    if not xs:
        raise DataError(f"no labelled windows of {window_s} s in {len(seqs)} recordings")
    pose = None
    if with_pose and all(p is not None for p in poses):
        pose = np.concatenate(poses).astype(np.float32)
    return Windows(np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64),
                   np.array(subj, dtype=object), np.array(sq, dtype=np.int64), np.array(syn, dtype=bool),
                   np.array(txt, dtype=object), list(channels), list(classes), float(fps), pose,
                   np.concatenate(pres))
