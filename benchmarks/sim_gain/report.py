"""The report folder: results.json, table.md, and the plots people look for."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

CONTROL = re.compile(r"(shuf|off|pre_ssl)")


def _budget_key(b: str) -> float:
    return 1e9 if b == "all" else float(b)


def best_arm(R: dict, budget: str) -> str | None:
    comp = R["runs"].get(budget, {}).get("vs_scratch", {})
    cands = {k: v for k, v in comp.items() if not CONTROL.search(k)}
    return max(cands, key=lambda k: cands[k]["delta_mean"]) if cands else None


def headline(target: str, R: dict, budget: str, seeds: list[int]) -> dict:
    run = R["runs"][budget]
    arm = R.get("primary_arm") if R.get("primary_arm") in run["vs_scratch"] else best_arm(R, budget)
    line = {"target": target, "labels_per_class": int(budget) if budget != "all" else "all",
            "n_subjects": len(R["units"]), "seeds": len(seeds), "arm": arm,
            "scratch_f1": round(run["arms"]["scratch"]["macro_f1_mean"], 4) if "scratch" in run["arms"] else None}
    if arm:
        c = run["vs_scratch"][arm]
        if c.get("baseline"):     # a product arm: its Δ is against its own scratch run
            line.update({"baseline": c["baseline"], "n_subjects": c["n"],     # paired per volunteer
                         "scratch_f1": round(run["arms"][c["baseline"]]["macro_f1_mean"], 4)})
        line.update({"arm_f1": round(run["arms"][arm]["macro_f1_mean"], 4), "delta_mean": round(c["delta_mean"], 4),
                     "ci95": [round(x, 4) for x in c["ci95"]], "wilcoxon_p": round(c["wilcoxon_p"], 5)})
    return line


def table(res: dict) -> str:
    rows = ["| target | labels/class | arm | macro-F1 (per unit, seed-mean) | pooled | Δ vs scratch | 95% CI | Wilcoxon p | wins/losses |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for t, R in res["targets"].items():
        for b in sorted(R["runs"], key=_budget_key):
            run = R["runs"][b]
            for arm, sc in run["arms"].items():
                c = run["vs_scratch"].get(arm)
                d = (f"{c['delta_mean']:+.3f} | [{c['ci95'][0]:+.3f}, {c['ci95'][1]:+.3f}] | {c['wilcoxon_p']:.3g} | "
                     f"{c['wins']}/{c['losses']}") if c else "— | — | — | —"
                name = f"{arm} (Δ vs {c['baseline']})" if c and c.get("baseline") else arm
                rows.append(f"| {t} | {b} | {name} | {sc['macro_f1_mean']:.3f} | {sc['pooled_macro_f1']:.3f} | {d} |")
    return "\n".join(rows) + "\n"


def plots(res: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    for t, R in res["targets"].items():
        budgets = sorted(R["runs"], key=_budget_key)
        if not budgets:
            continue
        # arms run at several budgets (the size and control variants at the headline budget are in the right panel)
        arms = sorted(a for a in {a for b in budgets for a in R["runs"][b]["arms"]}
                      if sum(a in R["runs"][b]["arms"] for b in budgets) > 1 or len(budgets) == 1)
        fig, ax = plt.subplots(1, 2, figsize=(13, 4.8))
        xs = np.arange(len(budgets))
        for arm in arms:
            ys = [R["runs"][b]["arms"].get(arm, {}).get("macro_f1_mean", np.nan) for b in budgets]
            style = "k-o" if arm == "scratch" else ("--" if CONTROL.search(arm) else "-")
            ax[0].plot(xs, ys, style, label=arm, lw=2 if arm == "scratch" else 1, ms=4)
        ax[0].set_xticks(xs, [b if b != "all" else "100%" for b in budgets])
        ax[0].set_xlabel("labelled windows per class")
        ax[0].set_ylabel("macro-F1 (held-out units, seed mean)")
        ax[0].set_title(f"{t}: with and without pretraining")
        ax[0].legend(fontsize=7, loc="lower right")
        ax[0].grid(alpha=0.3)
        # Δ vs corpus size at 10 labels/class (or the budget closest to it)
        b10 = "10" if "10" in R["runs"] else budgets[0]
        comp = R["runs"][b10]["vs_scratch"]
        series: dict = {}
        for arm, c in comp.items():
            m = re.match(r"(.+)\[(.+)@(\d+)s\]$", arm)
            if m:
                series.setdefault(f"{m.group(1)} · {m.group(2)}", []).append((int(m.group(3)), c))
        for name, pts in sorted(series.items()):
            pts.sort()
            x = [p[0] / 60 for p in pts]
            y = [p[1]["delta_mean"] for p in pts]
            lo = [p[1]["delta_mean"] - p[1]["ci95"][0] for p in pts]
            hi = [p[1]["ci95"][1] - p[1]["delta_mean"] for p in pts]
            ax[1].errorbar(x, y, yerr=[lo, hi], marker="o", capsize=3, label=name,
                           ls="--" if CONTROL.search(name) else "-")
        ax[1].axhline(0, color="k", lw=0.8)
        ax[1].axhline(0.05, color="g", lw=0.8, ls=":")
        ax[1].set_xscale("log")
        ax[1].set_xlabel("simulated corpus (minutes of signal)")
        ax[1].set_ylabel(f"Δ macro-F1 vs scratch at {b10}/class (95% CI)")
        ax[1].set_title(f"{t}: gain vs corpus size")
        if series:
            ax[1].legend(fontsize=6)
        else:
            ax[1].text(0.5, 0.5, "one corpus size only", ha="center", transform=ax[1].transAxes, color="0.5")
        ax[1].grid(alpha=0.3)
        fig.tight_layout()
        f = out / f"sim_gain_{t}.png"
        fig.savefig(f, dpi=110)
        plt.close(fig)
        files.append(f.name)
    return files


def write_report(res: dict, out: Path, labels_per_class: int = 10) -> dict:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seeds = res["setup"]["seeds"]
    lines = {t: headline(t, R, str(labels_per_class), seeds) for t, R in res["targets"].items()
             if str(labels_per_class) in R["runs"]}
    res["headline"] = lines
    res["best_arm_exploratory"] = {t: best_arm(R, str(labels_per_class)) for t, R in res["targets"].items()}
    (out / "results.json").write_text(json.dumps(res, indent=1, default=float))
    (out / "table.md").write_text(table(res))
    try:
        res["plots"] = plots(res, out)
    except ImportError:
        res["plots"] = []
    first = "sp_sw_har" if "sp_sw_har" in lines else next(iter(lines), None)
    return lines[first] if first else {}
