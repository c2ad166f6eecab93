"""Scores and paired comparisons of arms.

Per-unit macro-F1 is taken over the classes present in that unit's test windows (a held-out
HMP group that never brushed its teeth is not scored on brushing), then averaged over seeds;
an arm is compared with scratch by the per-unit differences: mean Δ, Wilcoxon signed-rank p
(two-sided, scipy) and a percentile bootstrap 95% CI of the mean Δ over units (10,000 resamples).
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score


def unit_scores(plan: dict, preds: list[np.ndarray], y: np.ndarray, n_classes: int) -> dict:
    """{'per_unit': {unit: seed-mean macro-F1}, 'per_seed_pooled': [...], 'per_class': [...]}"""
    per: dict = {}
    pooled_true: dict = {}
    pooled_pred: dict = {}
    for (u, s), te, p in zip(plan["models"], plan["test"], preds):
        yt = y[te]
        per.setdefault(u, []).append(float(f1_score(yt, p, labels=np.unique(yt), average="macro", zero_division=0)))
        pooled_true.setdefault(s, []).append(yt)
        pooled_pred.setdefault(s, []).append(p)
    labels = np.arange(n_classes)
    pooled, per_class = [], []
    for s in sorted(pooled_true):
        yt, yp = np.concatenate(pooled_true[s]), np.concatenate(pooled_pred[s])
        pooled.append(float(f1_score(yt, yp, labels=labels, average="macro", zero_division=0)))
        per_class.append(f1_score(yt, yp, labels=labels, average=None, zero_division=0))
    return {"per_unit": {u: float(np.mean(v)) for u, v in per.items()},
            "per_unit_seeds": per, "macro_f1_mean": float(np.mean([np.mean(v) for v in per.values()])),
            "pooled_macro_f1": float(np.mean(pooled)), "pooled_per_seed": pooled,
            "per_class_f1": np.mean(per_class, 0).round(4).tolist()}


def paired(a: dict, b: dict, n_boot: int = 10000, seed: int = 0) -> dict:
    """Arm `b` against arm `a` ({unit: score}): Δ = b − a per unit (ml.evaluation.stats, the one
    owner of the statistic), with wins/losses and the median Δ beside it."""
    from ml.evaluation.stats import paired as shared

    units = sorted(set(a) & set(b))
    d = np.array([b[u] - a[u] for u in units])
    r = shared(a, b, n_boot=n_boot, seed=seed)
    r.pop("per_subject_delta", None)
    if r["wilcoxon_p"] is None:
        r["wilcoxon_p"] = 1.0
    if r["ci95"][0] is None:
        r["ci95"] = [0.0, 0.0]
    if r["delta_mean"] is None:
        r["delta_mean"] = 0.0
    return {**r, "wins": int((d > 0).sum()), "losses": int((d < 0).sum()),
            "delta_median": float(np.median(d)) if len(d) else 0.0}
