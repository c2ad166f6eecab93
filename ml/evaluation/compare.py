"""`weartwin compare RUN_A RUN_B [--budget KEY] [--out PLOT.png]`: paired per-subject
comparison of two runs (their metrics.json) on the subjects both held out.

Prints each subject's macro-F1 under A and B and Δ = B − A, then the mean Δ, its bootstrap
95 % CI over subjects, and the Wilcoxon signed-rank p-value; writes a plot (default
RUN_B/compare.png) and, with --json, the numbers.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from .stats import paired, smallest_wilcoxon_p


def load_metrics(run: str) -> dict:
    """RUN/metrics.json (or the file named): a regular file inside the run folder (no link out, no
    device), size-capped, a JSON object with `per_subject`; ValueError (one line) otherwise."""
    from addon.safe_paths import PathError, read_text

    p = Path(run)
    root = p if p.is_dir() else None
    p = p / "metrics.json" if p.is_dir() else p
    if not p.exists() and not p.is_symlink():
        raise ValueError(f"{p}: no such file" + (" (a run folder has a metrics.json once training finished)"
                                                 if p.name == "metrics.json" else ""))
    try:
        m = json.loads(read_text(p, root=root))
    except PathError as e:
        raise ValueError(str(e)) from None
    except (json.JSONDecodeError, RecursionError) as e:
        raise ValueError(f"{p}: cannot read run metrics ({type(e).__name__})") from None
    if not isinstance(m, dict) or "per_subject" not in m:
        raise ValueError(f"{p}: not a WearTwin metrics.json (no per_subject)")
    m["_path"] = str(p)
    return m


def _scores(d, where: str) -> dict:
    """{subject: macro-F1} checked: a JSON object of finite numbers in [0, 1], at most the
    `subjects` cap of them."""
    from addon import limits

    if not isinstance(d, dict):
        raise ValueError(f"{where}: per_subject is a {type(d).__name__}, expected {{subject: macro-F1}}")
    try:
        limits.check("subjects", len(d), "the number of subjects")
    except limits.LimitError as e:
        raise ValueError(f"{where}: {e}") from None
    out = {}
    for s, v in d.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{where}: subject '{s}' has a score of type {type(v).__name__}, expected a number")
        if not (math.isfinite(v) and 0.0 <= v <= 1.0):
            raise ValueError(f"{where}: subject '{s}' has the score {v}; a macro-F1 is a finite number in [0, 1]")
        out[str(s)] = float(v)
    return out


def per_subject(m: dict, budget: str | None) -> dict:
    where = m.get("_path", "metrics.json")
    if budget is None:
        return _scores(m["per_subject"], where)
    sweep = m.get("sweep", {})
    if not isinstance(sweep, dict) or budget not in sweep:
        have = ", ".join(map(str, sweep)) if isinstance(sweep, dict) else "none"
        raise ValueError(f"budget '{budget}' not in this run (it has {have})")
    entry = sweep[budget]
    if not isinstance(entry, dict) or "per_subject" not in entry:
        raise ValueError(f"{where}: sweep '{budget}' has no per_subject")
    return _scores(entry["per_subject"], f"{where} (budget {budget})")


def run_name(run: str, m: dict, budget: str | None) -> str:
    """A side of the comparison in words: the run folder's name, its model and label budget."""
    from ..training.budget import Budget

    p = Path(run)
    folder = (p.parent if p.suffix == ".json" else p).resolve().name or str(run)
    key = budget if budget is not None else m.get("budget")
    try:
        words = Budget.parse(str(key)).words if key not in (None, "") else "all labels"
    except ValueError:          # not a label budget (e.g. a sim2real probe's metrics)
        words = str(m.get("protocol") or key)
    return f"{folder} ({m.get('model', '?')}, {words})"


MAX_FIG_INCHES = 40          # a plot of 100,000 subjects stays a plot
MAX_LABELLED = 150           # subjects named on the axis (more: the bars alone)
MAX_DRAWN = 2000             # subjects drawn one by one (more: distributions)


def write(path: Path, write_fn, root: Path | None = None) -> Path:
    """The one way compare writes: atomically, never through a link; inside `root` when the
    file goes into a run folder (RUN_B/compare.png)."""
    from addon.export.atomic import atomic_write, write_inside

    return write_inside(root, path, write_fn) if root is not None else atomic_write(path, write_fn)


def plot(res: dict, a_scores: dict, b_scores: dict, names: tuple[str, str], path: Path,
         root: Path | None = None) -> None:
    """Left: each subject's macro-F1 under A and B. Right: Δ per subject (bars), the mean Δ and
    its bootstrap CI; the legend sits below the axes, where it covers no bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    subj = list(res["per_subject_delta"])
    d = np.array([res["per_subject_delta"][s] for s in subj])
    order = np.argsort(d)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, min(0.3 * len(subj) + 3.6, MAX_FIG_INCHES)),
                                   gridspec_kw={"width_ratios": [1, 1.3]})
    if len(subj) <= MAX_DRAWN:
        for s in subj:
            ax1.plot([0, 1], [a_scores[s], b_scores[s]], "-o", color="tab:gray", alpha=0.6, ms=4)
    else:          # thousands of subjects: the two score distributions, drawn once each
        ax1.boxplot([[a_scores[s] for s in subj], [b_scores[s] for s in subj]], positions=[0, 1], widths=0.4)
    ax1.set_xticks([0, 1], ["A", "B"], fontsize=11)
    ax1.set_xlim(-0.3, 1.3)
    ax1.set_ylabel("macro-F1 of each held-out subject", fontsize=10)
    ax1.set_title("per subject: A → B", fontsize=11)
    ax1.tick_params(labelsize=9)
    if len(subj) <= MAX_DRAWN:
        ax2.barh(np.arange(len(subj)), d[order], color=np.where(d[order] >= 0, "tab:green", "tab:red"))
    else:
        ax2.hist(d, bins=100, orientation="vertical", color="tab:gray")
    if len(subj) <= MAX_LABELLED:
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
    try:
        write(path, lambda f: fig.savefig(f, dpi=100, format="png"), root)
    finally:
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
    if not 0 < a.n_boot <= 1_000_000:
        ap.error(f"--n-boot is {a.n_boot}; expected 1..1000000")
    res = paired(sa, sb, n_boot=a.n_boot, seed=a.seed)
    if res["n"] == 0:
        print(f"weartwin compare: error: {a.run_a} and {a.run_b} share no held-out subject", file=sys.stderr)
        return 1
    ma["model"], mb["model"] = str(ma.get("model", "?")), str(mb.get("model", "?"))
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
    run_b = Path(a.run_b) if Path(a.run_b).is_dir() else Path(a.run_b).parent
    out = Path(a.out) if a.out else run_b / "compare.png"
    from addon.export.atomic import OutsideFolderError

    try:
        plot(res, sa, sb, (na, nb), out, root=None if a.out else run_b)
        print(f"plot -> {out}")
        if a.json:
            text = json.dumps({"a": str(a.run_a), "b": str(a.run_b), **res}, indent=2)
            write(Path(a.json), lambda f: f.write(text.encode()))
    except (OSError, OutsideFolderError) as e:
        print(f"weartwin compare: error: cannot write {getattr(e, 'filename', None) or out}: "
              f"{getattr(e, 'strerror', None) or e}", file=sys.stderr)
        return 1
    return 0
