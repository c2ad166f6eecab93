"""Paired statistics for two methods evaluated on the same held-out subjects.

`paired(a, b)` takes {subject: score} for each method and compares them subject by subject:
Δ = b − a per subject, its mean, a bootstrap 95 % CI over subjects (percentile, resampling
subjects with replacement) and the two-sided Wilcoxon signed-rank p-value (scipy).
"""
from __future__ import annotations

import numpy as np


def paired(per_subject_a: dict, per_subject_b: dict, n_boot: int = 10000, seed: int = 0) -> dict:
    """Δ = B − A on the subjects both have. Returns {"n", "delta_mean", "ci95": [lo, hi],
    "wilcoxon_p", "per_subject_delta": {subject: Δ}}; `wilcoxon_p` is 1.0 when every Δ is 0
    and None with fewer than 2 subjects."""
    common = sorted(set(per_subject_a) & set(per_subject_b))
    delta = np.array([float(per_subject_b[s]) - float(per_subject_a[s]) for s in common])
    if not np.all(np.isfinite(delta)):
        bad = common[int(np.argmax(~np.isfinite(delta)))]
        raise ValueError(f"subject '{bad}': a score is not a finite number (NaN or inf); no statistics from it")
    out = {"n": len(common), "delta_mean": float(delta.mean()) if len(delta) else None,
           "ci95": [None, None], "wilcoxon_p": None,
           "per_subject_delta": {s: float(d) for s, d in zip(common, delta)}}
    if len(delta) < 2:
        return out
    rng = np.random.default_rng(seed)
    # resamples drawn in blocks of at most ~8 M indices: memory stays flat for any subject count
    block = max(1, (1 << 23) // len(delta))
    boot = np.concatenate([delta[rng.integers(0, len(delta), size=(min(block, int(n_boot) - i), len(delta)))]
                           .mean(axis=1) for i in range(0, int(n_boot), block)])
    out["ci95"] = [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))]
    if np.all(delta == 0):
        out["wilcoxon_p"] = 1.0
    else:
        from scipy.stats import wilcoxon

        out["wilcoxon_p"] = float(wilcoxon(delta, zero_method="wilcox", alternative="two-sided").pvalue)
    return out


def smallest_wilcoxon_p(n: int) -> float:
    """The smallest two-sided p the exact signed-rank test can give with n paired subjects:
    every Δ the same sign, 2 / 2**n (0.125 for 4 subjects, 0.0625 for 5): a cap, not a result."""
    return min(1.0, 2.0 * 0.5 ** int(n)) if n >= 1 else 1.0      # 0.5**n underflows to 0, never overflows

