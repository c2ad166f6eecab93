"""`weartwin compare RUN_A RUN_B [--budget KEY] [--out PLOT.png]`: paired per-subject
comparison of two runs (their metrics.json) on the subjects both held out.

Prints each subject's macro-F1 under A and B and Δ = B − A, then the mean Δ, its bootstrap
95 % CI over subjects, and the Wilcoxon signed-rank p-value; writes a plot (default
RUN_B/compare.png) and, with --json, the numbers.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .stats import paired, smallest_wilcoxon_p


def load_metrics(run: str) -> dict:
    p = Path(run)
    p = p / "metrics.json" if p.is_dir() else p
    if not p.exists():
        raise ValueError(f"{p}: no such file" + (" (a run folder has a metrics.json once training finished)"
                                                 if p.name == "metrics.json" else ""))
    try:
        m = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{p}: cannot read run metrics ({type(e).__name__})") from None
    if not isinstance(m, dict) or "per_subject" not in m:
        raise ValueError(f"{p}: not a WearTwin metrics.json (no per_subject)")
    return m


def per_subject(m: dict, budget: str | None) -> dict:
    if budget is None:
        return m["per_subject"]
    if budget not in m.get("sweep", {}):
        raise ValueError(f"budget '{budget}' not in this run (it has {', '.join(m.get('sweep', {}))})")
    return m["sweep"][budget]["per_subject"]


def run_name(run: str, m: dict, budget: str | None) -> str:
    """A side of the comparison in words: the run folder's name, its model and label budget."""
    from ..training.budget import Budget

    p = Path(run)
    folder = (p.parent if p.suffix == ".json" else p).resolve().name or str(run)
    key = budget if budget is not None else m.get("budget")
    words = Budget.parse(str(key)).words if key not in (None, "") else "all labels"
    return f"{folder} ({m.get('model', '?')}, {words})"


def plot(res: dict, a_scores: dict, b_scores: dict, names: tuple[str, str], path: Path) -> None:
    """Left: each subject's macro-F1 under A and B. Right: Δ per subject (bars), the mean Δ and
    its bootstrap CI; the legend sits below the axes, where it covers no bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    subj = list(res["per_subject_delta"])
    d = np.array([res["per_subject_delta"][s] for s in subj])
    order = np.argsort(d)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 0.3 * len(subj) + 3.6),
                                   gridspec_kw={"width_ratios": [1, 1.3]})
    for s in subj:
        ax1.plot([0, 1], [a_scores[s], b_scores[s]], "-o", color="tab:gray", alpha=0.6, ms=4)
    ax1.set_xticks([0, 1], ["A", "B"], fontsize=11)
    ax1.set_xlim(-0.3, 1.3)
    ax1.set_ylabel("macro-F1 of each held-out subject", fontsize=10)
    ax1.set_title("per subject: A → B", fontsize=11)
    ax1.tick_params(labelsize=9)
    ax2.barh(np.arange(len(subj)), d[order], color=np.where(d[order] >= 0, "tab:green", "tab:red"))
    ax2.set_yticks(np.arange(len(subj)), [subj[i] for i in order], fontsize=9)
    ax2.tick_params(axis="x", labelsize=9)
    ax2.axvline(0, color="k", lw=0.8)
    lo, hi = res["ci95"]
    if lo is not None:
        ax2.axvspan(lo, hi, color="tab:blue", alpha=0.15, label="bootstrap 95% CI of mean Δ")
    ax2.axvline(res["delta_mean"], color="tab:blue", lw=1.2, label=f"mean Δ {res['delta_mean']:+.3f}")
    p = res["wilcoxon_p"]
    title = f"Δ macro-F1 (B − A), n = {res['n']} subjects"
    if p is not None:
        title += f"\nWilcoxon p = {p:.3g} (smallest possible with n = {res['n']}: {smallest_wilcoxon_p(res['n']):.3g})"
    ax2.set_title(title, fontsize=10)
    ax2.set_xlabel("Δ macro-F1 (B − A)", fontsize=10)
    ax2.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    fig.suptitle(f"A = {names[0]}\nB = {names[1]}", fontsize=11, x=0.01, ha="left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="weartwin compare", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_a", metavar="RUN_A", help="run folder (or its metrics.json): the reference")
    ap.add_argument("run_b", metavar="RUN_B", help="run folder (or its metrics.json): compared against A")
    ap.add_argument("--budget", help="label budget to compare (a key of metrics' sweep: 1, 0.1, k10); "
                                     "default: each run's headline")
    ap.add_argument("--out", help="plot to write (PNG; default RUN_B/compare.png)")
    ap.add_argument("--json", help="also write the numbers to this JSON file")
    ap.add_argument("--n-boot", type=int, default=10000, help="bootstrap resamples (%(default)s)")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap seed (%(default)s)")
    a = ap.parse_args(argv)
    try:
        ma, mb = load_metrics(a.run_a), load_metrics(a.run_b)
        sa, sb = per_subject(ma, a.budget), per_subject(mb, a.budget)
    except ValueError as e:
        print(f"weartwin compare: error: {e}", file=sys.stderr)
        return 1
    res = paired(sa, sb, n_boot=a.n_boot, seed=a.seed)
    if res["n"] == 0:
        print(f"weartwin compare: error: {a.run_a} and {a.run_b} share no held-out subject", file=sys.stderr)
        return 1
    na, nb = run_name(a.run_a, ma, a.budget), run_name(a.run_b, mb, a.budget)
    only = sorted(set(sa) ^ set(sb))
    print(f"{'subject':<10} {'A':>7} {'B':>7} {'Δ(B−A)':>8}")
    for s, d in res["per_subject_delta"].items():
        print(f"{s:<10} {sa[s]:>7.3f} {sb[s]:>7.3f} {d:>+8.3f}")
    lo, hi = res["ci95"]
    ci = f"[{lo:+.3f}, {hi:+.3f}]" if lo is not None else "n/a"
    p = f"{res['wilcoxon_p']:.4g}" if res["wilcoxon_p"] is not None else "n/a"
    print(f"A = {a.run_a}: {na}\nB = {a.run_b}: {nb}")
    print(f"paired over {res['n']} subjects: mean Δ {res['delta_mean']:+.3f}, bootstrap 95% CI {ci}, "
          f"Wilcoxon signed-rank p = {p}")
    if res["wilcoxon_p"] is not None:
        print(f"  (with {res['n']} subjects the smallest p this test can give is "
              f"{smallest_wilcoxon_p(res['n']):.3g}: every subject changing the same way)")
    if only:
        print(f"not paired (held out in one run only): {', '.join(only)}")
    out = Path(a.out) if a.out else (Path(a.run_b) if Path(a.run_b).is_dir() else Path(a.run_b).parent) / "compare.png"
    plot(res, sa, sb, (na, nb), out)
    print(f"plot -> {out}")
    if a.json:
        Path(a.json).write_text(json.dumps({"a": str(a.run_a), "b": str(a.run_b), **res}, indent=2))
    return 0
