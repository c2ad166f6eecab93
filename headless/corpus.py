"""What a `weartwin synth` run made: OUT/corpus.json (hours, exports and 2 s windows per
activity and source; the bodies) and OUT/corpus.png (a bar chart of the hours)."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

WINDOW_S = 2.0


def _meta(path: Path) -> dict | None:
    try:
        with np.load(path, allow_pickle=False) as d:
            return json.loads(str(d["meta"]))
    except Exception:  # noqa: BLE001 - a missing or foreign file is simply not counted
        return None


def corpus_summary(out: Path, jobs: list[dict], window_s: float = WINDOW_S) -> dict:
    acts: dict = defaultdict(lambda: defaultdict(lambda: {"hours": 0.0, "exports": 0, "windows": 0}))
    bodies: dict = {}
    for j in jobs:
        folder = out / "exports" / j["label"]
        for p in sorted(folder.glob(f"{j['stem']}.npz")) + sorted(folder.glob(f"{j['stem']}__b*.npz")):
            meta = _meta(p)
            if meta is None:
                continue
            seconds = meta["n_frames"] / meta["fps"]
            cell = acts[j["label"]][j.get("source", "procedural")]
            cell["hours"] += seconds / 3600
            cell["exports"] += 1
            cell["windows"] += int(seconds // window_s)
            body = meta.get("body", {})
            bodies[body.get("variant") or "default"] = {"height": body.get("height"),
                                                        "params": body.get("params", {}).get("phenotype")}
    table = {a: {s: {**v, "hours": round(v["hours"], 4)} for s, v in srcs.items()} for a, srcs in sorted(acts.items())}
    return {"activities": table,
            "total": {"hours": round(sum(v["hours"] for s in table.values() for v in s.values()), 4),
                      "exports": sum(v["exports"] for s in table.values() for v in s.values()),
                      "windows": sum(v["windows"] for s in table.values() for v in s.values()),
                      "window_s": window_s},
            "bodies": dict(sorted(bodies.items()))}


def write_corpus(out: Path, jobs: list[dict]) -> tuple[Path, Path]:
    from addon.export.recording import atomic_write

    s = corpus_summary(out, jobs)
    js = out / "corpus.json"
    atomic_write(js, lambda f: f.write(json.dumps(s, indent=1).encode()))
    png = out / "corpus.png"
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(s["activities"])
    sources = sorted({src for a in s["activities"].values() for src in a})
    fig, ax = plt.subplots(figsize=(max(6.5, 0.45 * len(names) + 3.5), 4.5))
    bottom = np.zeros(len(names))
    for src in sources:
        h = np.array([s["activities"][a].get(src, {}).get("hours", 0.0) * 60 for a in names])
        ax.bar(names, h, bottom=bottom, label=src)
        bottom += h
    ax.set_ylabel("minutes of signal")
    ax.set_title(f"{s['total']['exports']} exports, {s['total']['hours'] * 60:.1f} min, "
                 f"{s['total']['windows']} windows of {s['total']['window_s']:g} s, {len(s['bodies'])} bodies")
    ax.legend(title="source", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)   # covers no bar
    ax.set_ylim(0, max(float(bottom.max()) * 1.08, 1e-3))
    plt.setp(ax.get_xticklabels(), rotation=60, ha="right")
    fig.tight_layout()
    atomic_write(png, lambda f: fig.savefig(f, format="png", dpi=90))
    plt.close(fig)
    return js, png
