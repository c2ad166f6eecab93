"""The released encoders as a user fine-tunes them: `weartwin train ARCH --init weartwin-imu-v1` against the
same `weartwin train ARCH` from scratch, paired per held-out subject (run folders of
`benchmarks/finetune_gpu.sh`, named TARGET_ARCH_scratch / TARGET_ARCH_init).

    python benchmarks/finetune_report.py RUNS... --out benchmarks/results/finetune

Runs split by seed (one folder per seed, same names) are averaged per subject. Writes OUT/table.md and OUT/results.json (per pair: both macro-F1 means, the paired Δ, its bootstrap
95 % CI and the Wilcoxon p over subjects; the commands from each run's config) and prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NAME = re.compile(r"^(?P<target>[a-z0-9_]+?)_(?P<arch>simpharnet|resnet|dcl)_(?P<arm>scratch|init)$")


def per_subject(runs: list[Path]) -> tuple[dict, float, dict]:
    """Per-subject macro-F1 averaged over the runs (their seeds), the mean over subjects, and the
    config (seeds: every run's)."""
    import numpy as np

    scores: dict = {}
    seeds: list = []
    cfg: dict = {}
    for run in runs:
        m = json.loads((run / "metrics.json").read_text())
        cfg = json.loads((run / "config.json").read_text()) if (run / "config.json").is_file() else {}
        seeds += [x for x in cfg.get("seeds", []) if x not in seeds]
        for k, v in m["per_subject"].items():
            scores.setdefault(str(k), []).append(float(v))
    if len({len(v) for v in scores.values()}) > 1:
        raise SystemExit(f"finetune_report: {runs[0].name}: the runs held out different subjects")
    per = {k: float(np.mean(v)) for k, v in scores.items()}
    return per, float(np.mean(list(per.values()))), {**cfg, "seeds": sorted(seeds)}


def main(argv=None) -> int:
    from ml.evaluation.stats import paired

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="run folders (or folders holding them); the same TARGET_ARCH_ARM in "
                                           "several folders = several seeds, averaged per subject")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "finetune"))
    a = ap.parse_args(argv)
    found: dict = {}       # (target, arch, arm) -> run folders (one per seed when runs were split by seed)
    for r in a.runs:
        for p in ([Path(r)] if (Path(r) / "metrics.json").is_file() else sorted(Path(r).iterdir())):
            m = NAME.match(p.name)
            if m and (p / "metrics.json").is_file():
                found.setdefault((m["target"], m["arch"], m["arm"]), []).append(p)
    rows, res = [], {}
    order = {"watch": 0, "phone": 1, "hmp": 2}
    for (t, arch) in sorted({k[:2] for k in found}, key=lambda k: (order.get(k[0], 9), k[1])):
        if (t, arch, "scratch") not in found or (t, arch, "init") not in found:
            continue
        a_s, f_s, cfg_s = per_subject(found[(t, arch, "scratch")])
        b_s, f_i, cfg_i = per_subject(found[(t, arch, "init")])
        c = paired(a_s, b_s)
        seeds = cfg_i.get("seeds", [])
        res[f"{t}/{arch}"] = {"scratch": f_s, "init": f_i, "subjects": c["n"], "delta": c["delta_mean"],
                              "ci95": c["ci95"], "wilcoxon_p": c["wilcoxon_p"], "seeds": seeds,
                              "per_subject_delta": c["per_subject_delta"],
                              "labels_per_class": cfg_i.get("labels_per_class"), "finetune": cfg_i.get("finetune")}
        rows.append(f"| {t} | {arch} | {f_s:.3f} | {f_i:.3f} | {c['delta_mean']:+.3f} "
                    f"[{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}] | {c['wilcoxon_p']:.2g} | {c['n']} | "
                    f"{','.join(map(str, seeds))} |")
    if not rows:
        print("finetune_report: no TARGET_ARCH_scratch / TARGET_ARCH_init pair of run folders", file=sys.stderr)
        return 1
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    head = ("| target | model | scratch | --init weartwin-imu-v1 | Δ [95 % CI] | Wilcoxon p | subjects | seeds |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- |\n")
    (out / "table.md").write_text(head + "\n".join(rows) + "\n")
    (out / "results.json").write_text(json.dumps(res, indent=1))
    print(json.dumps({"bench": "finetune", "out": str(out),
                      **{k: {"delta": round(v["delta"], 4), "p": float(f"{v['wilcoxon_p']:.3g}")} for k, v in res.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
