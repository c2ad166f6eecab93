"""What determines a fold's result, as one hash: resume reuses a fold only when it matches.

A fold's hash covers the configuration fields that change results (not `progress`, `resume`,
`max_folds`, `device` or the list of other budgets/seeds), the exact windows it was built from
(sha256 of the real and simulated arrays, so a data file changed in place or a new file counts),
its test subjects, the seed and the label budget.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np

# fields that do not change what a single fold computes
NEUTRAL = {"progress", "resume", "max_folds", "device", "seeds", "label_fractions", "labels_per_class",
           "final", "data", "sim", "shard"}


def array_digest(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
            continue
        a = np.asarray(a)
        if a.dtype == object:
            a = np.array([str(v) for v in a.ravel()], dtype=str)
        h.update(str((a.dtype.str, a.shape)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def windows_digest(w) -> str:
    if w is None:
        return "none"
    return array_digest(w.x, w.y, w.subject, w.seq, w.text, np.array(w.classes), np.array(w.channels),
                        w.pose)


def config_digest(cfg_dict: dict) -> dict:
    return {k: v for k, v in sorted(cfg_dict.items()) if k not in NEUTRAL}


def fold_hash(cfg_dict: dict, data_digest: str, sim_digest: str, test: list[str], seed: int, budget: str,
              split: str = "") -> str:
    """`split`: a change in how the budget is split (folds of older splits are not resumed)."""
    payload = {"config": config_digest(cfg_dict), "data": data_digest, "sim": sim_digest,
               "test": sorted(test), "seed": int(seed), "budget": budget, "version": 2}
    if split:
        payload["split"] = split
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
