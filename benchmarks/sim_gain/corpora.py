"""Simulated corpora: built with `weartwin synth SPEC` (reused when already baked), windowed
for a target's site, and cut into nested subsets of growing size for the scaling curve."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "benchmarks" / "specs"


def build(spec: Path, out: Path, workers: int = 1, log=print) -> Path:
    """`weartwin synth SPEC --out OUT` (resumes: finished bakes are skipped). Returns OUT/exports."""
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "headless", "synth", str(spec), "--out", str(out), "--workers", str(workers), "--quiet"]
    log(f"building corpus: {' '.join(cmd[1:])}")
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=_env())
    tail = (r.stdout + r.stderr).strip().splitlines()[-3:]
    if r.returncode not in (0, 1) or not (out / "exports").is_dir():
        raise RuntimeError(f"weartwin synth {spec} failed (exit {r.returncode}): {' | '.join(tail)}")
    if r.returncode == 1:
        log(f"  some motions failed (the rest is used): {' | '.join(tail)}")
    return out / "exports"


def spec_for_data(spec: Path, data: Path, tmp: Path) -> Path:
    """The spec itself when its library paths (relative to it) lie under `data`; otherwise a copy
    in `tmp` whose `.../shared/data/...` library paths point into `data` instead."""
    import yaml

    d = yaml.safe_load(spec.read_text())
    acts = [a for a in d.get("activities", []) if isinstance(a, dict) and a.get("source") == "library"]
    changed = False
    for a in acts:
        p = Path(a["path"])
        if not p.is_absolute() and not (spec.parent / p).exists():
            parts = p.as_posix().split("/")
            if "data" in parts:
                rest = parts[parts.index("data") + 1:]
                a["path"] = str(data.resolve().joinpath(*rest))
                changed = True
    if not changed:
        return spec
    tmp.mkdir(parents=True, exist_ok=True)
    out = tmp / spec.name
    out.write_text(yaml.safe_dump(d, sort_keys=False))
    return out


def corpus_info(out: Path) -> dict:
    """What `weartwin synth` says it baked (OUT/corpus.json): hours, exports, bodies."""
    import json

    try:
        c = json.loads((out / "corpus.json").read_text())
    except (OSError, ValueError):
        return {}
    return {"hours": c["total"]["hours"], "exports": c["total"]["exports"], "bodies": len(c.get("bodies", {})),
            "activities": sorted(c.get("activities", {}))}


def _env():
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def load(f: Path) -> dict:
    with np.load(f, allow_pickle=False) as d:
        c = {k: d[k] for k in d.files}
    c["channels"] = c["channels"].tolist()
    c["x"] = c["x"].astype(np.float32)        # prepared files may hold float16
    return c


def nested_subset(c: dict, seconds: float, seed: int = 0) -> dict:
    """Whole clips in a fixed random order until their signal time reaches `seconds`: the
    subsets of one corpus are nested (the 10-min set is inside the 1-h set)."""
    clips = np.unique(c["clip"])
    order = np.random.default_rng(seed).permutation(clips)
    secs = c["clip_seconds"][order]
    n = int(np.searchsorted(np.cumsum(secs), seconds) + 1)
    keep = np.isin(c["clip"], order[:n])
    out = {k: (v[keep] if isinstance(v, np.ndarray) and v.ndim and len(v) == len(c["clip"]) and k not in ("clip_seconds", "texts", "text_emb") else v)
           for k, v in c.items()}
    out["seconds"] = float(secs[:n].sum())
    out["n_clips"] = int(min(n, len(order)))
    return out


def total_seconds(c: dict) -> float:
    return float(c["clip_seconds"][np.unique(c["clip"])].sum())
