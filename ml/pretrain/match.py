"""Realism matching: re-weight simulated windows by how much they look like the target's own
unlabelled windows, then continue pretraining on the re-weighted corpus.

1. `realism_features`: per window, statistics that do not depend on how the device is mounted
   (so the target's axes need not be known): |acc| level, spread, range and jerk, the share of
   |acc| variation above ~3 Hz, how far the device tilts within the window (angle of the
   gravity-dominated acc direction around its mean), and — when both sides have a gyroscope —
   |gyro| level, spread and peak. Amplitudes enter as log1p.
2. `importance_weights`: a domain classifier (logistic regression on the standardised features
   and their pairwise products) tells simulated (0) from target (1) windows; each simulated
   window gets w = (p / (1 − p))^power (classes balanced; power 0.5 tempers a near-perfect
   separation), clipped to [1/clip, clip] and scaled to mean 1.
   Its cross-validated AUC says how separable the two still are (0.5 = indistinguishable), the
   effective sample size (Σw)² / Σw² how much of the corpus the weights still use.
3. `pretrain(..., init=ENCODER, sample_weights=w)` (train.py) draws each epoch's windows with
   these weights, starting from a released encoder.

No target label is used: only unlabelled windows of the subjects the caller passes (for an honest
evaluation, never a held-out subject's — `weartwin pretrain --match-subjects`, and the bench
matches on the other subjects only).
"""
from __future__ import annotations

import numpy as np

FEATURES_ACC = ("log |acc| mean", "log |acc| sd", "log |acc| p90-p10", "log jerk", "share > 3 Hz", "tilt deg")
FEATURES_GYRO = ("log |gyro| mean", "log |gyro| sd", "log |gyro| p95")


def realism_features(x: np.ndarray, fps: float, gyro: bool, chunk: int = 8192) -> np.ndarray:
    """(N, W, 6) windows in m/s² and rad/s -> (N, 6 or 9) mounting-independent features."""
    from scipy.ndimage import uniform_filter1d

    out = []
    k = max(1, int(round(fps / 6.0)))          # moving average ~ a 3 Hz low-pass
    for i in range(0, len(x), chunk):
        xb = np.asarray(x[i:i + chunk], np.float32)
        acc = xb[..., :3]
        a = np.linalg.norm(acc, axis=-1)                                      # (n, W)
        low = uniform_filter1d(a, k, axis=1, mode="nearest") if k > 1 else a
        var = a.var(axis=1) + 1e-6
        hf = ((a - low) ** 2).mean(axis=1) / var
        d = acc / np.maximum(np.linalg.norm(acc, axis=-1, keepdims=True), 1e-6)
        m = d.mean(axis=1)
        m = m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-6)
        tilt = np.degrees(np.arccos(np.clip((d * m[:, None, :]).sum(-1), -1, 1))).mean(axis=1)
        f = [np.log1p(a.mean(1)), np.log1p(a.std(1)), np.log1p(np.percentile(a, 90, axis=1) - np.percentile(a, 10, axis=1)),
             np.log1p(np.abs(np.diff(a, axis=1)).mean(1) * fps), hf, tilt]
        if gyro:
            g = np.linalg.norm(xb[..., 3:], axis=-1)
            f += [np.log1p(g.mean(1)), np.log1p(g.std(1)), np.log1p(np.percentile(g, 95, axis=1))]
        out.append(np.stack(f, axis=1))
    return np.concatenate(out).astype(np.float64) if out else np.zeros((0, 9 if gyro else 6))


def importance_weights(sim_f: np.ndarray, real_f: np.ndarray, clip: float = 20.0, seed: int = 0,
                       power: float = 0.5) -> tuple[np.ndarray, dict]:
    """(weights of the simulated windows, mean 1; what the matching found). The density ratio is
    tempered (raised to `power`, 0.5 by default: when the classifier separates the two almost
    perfectly the plain ratio puts the whole corpus on a few windows), then clipped."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    if len(sim_f) < 2 or len(real_f) < 2:
        raise ValueError("realism matching needs at least 2 simulated and 2 target windows")
    X = np.concatenate([sim_f, real_f])
    y = np.r_[np.zeros(len(sim_f)), np.ones(len(real_f))]

    def model():
        return make_pipeline(StandardScaler(), PolynomialFeatures(2, include_bias=False), StandardScaler(),
                             LogisticRegression(C=1.0, class_weight="balanced", max_iter=500))

    oof = np.zeros(len(y))
    for tr, te in StratifiedKFold(3, shuffle=True, random_state=seed).split(X, y):
        oof[te] = model().fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
    auc = float(roc_auc_score(y, oof))
    p = model().fit(X, y).predict_proba(sim_f)[:, 1]
    w = np.clip((p / np.maximum(1 - p, 1e-9)) ** power, 1 / clip, clip)
    w = w / w.mean()
    ess = float(w.sum() ** 2 / (w ** 2).sum())
    return w, {"auc_sim_vs_target": round(auc, 4), "effective_share": round(ess / len(w), 4),
               "sim_windows": int(len(sim_f)), "target_windows": int(len(real_f)), "clip": clip, "power": power,
               "weight_p1_p50_p99": [round(float(v), 4) for v in np.percentile(w, [1, 50, 99])]}


def corpus_weights(corpus, target_x: np.ndarray, target_gyro: bool, fps: float, clip: float = 20.0,
                   seed: int = 0, power: float = 0.5) -> tuple[np.ndarray, dict]:
    """Weights of every corpus window against the target's windows (physical units), and a summary
    with the weight share per site and per activity (where the matching moved the corpus)."""
    gyro = bool(target_gyro) and bool(np.asarray(corpus.gyro).any())
    sf = realism_features(corpus.x, fps, gyro)
    rf = realism_features(target_x, fps, gyro)
    w, info = importance_weights(sf, rf, clip, seed, power)
    names = FEATURES_ACC + (FEATURES_GYRO if gyro else ())
    info["feature_means"] = {n: {"sim": round(float(sf[:, i].mean()), 3), "target": round(float(rf[:, i].mean()), 3),
                                 "sim_weighted": round(float(np.average(sf[:, i], weights=w)), 3)}
                             for i, n in enumerate(names)}

    def share(ids, names):
        s = np.bincount(ids, weights=w, minlength=len(names)) / w.sum()
        base = np.bincount(ids, minlength=len(names)) / len(ids)
        order = np.argsort(-s)[:8]
        return [{"name": names[i], "share": round(float(s[i]), 4), "unweighted": round(float(base[i]), 4)}
                for i in order]

    info.update({"features": list(names),
                 "top_sites": share(corpus.site_id, corpus.sites), "top_activities": share(corpus.y, corpus.classes)})
    return w, info
