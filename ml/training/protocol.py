"""Subject-wise evaluation: leave-one-subject-out (or K subject groups), an inner validation
split by subject, a low-data sweep and several seeds.

Everything fitted from data — normalization, sim->real calibration, early stopping, the
checkpoint kept — sees training subjects only. `audit` records, per fold, which subjects
each of those steps saw, and the run stops if a held-out subject ever appears there.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from addon.export.atomic import write_text

from ..config import RunConfig
from ..data.calibration import QuantileCalibration, Standardizer
from ..data.windows import Windows
from .budget import Budget
from .fingerprint import fold_hash, windows_digest
from .loop import Dist
from .recipes import RECIPES, macro_f1


class LeakageError(RuntimeError):
    pass


@dataclass
class Fold:
    name: str
    test: list[str]


def parse_shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard: expected I/N, got '{text}'") from None
    if not 0 <= i < n:
        raise ValueError(f"--shard: need 0 <= I < N, got '{text}'")
    return i, n


def make_folds(subjects: list[str], protocol: str, k: int, seed: int = 0) -> list[Fold]:
    subjects = sorted(subjects)
    if len(subjects) < 3:
        raise ValueError(f"subject-wise evaluation needs at least 3 subjects, the data have {len(subjects)}")
    if protocol == "loso":
        return [Fold(s, [s]) for s in subjects]
    if protocol == "kfold":
        if not 2 <= k <= len(subjects):
            raise ValueError(f"--folds must be 2..{len(subjects)} for {len(subjects)} subjects")
        perm = np.random.default_rng(seed).permutation(subjects)
        return [Fold(f"group{g}", sorted(perm[g::k].tolist())) for g in range(k)]
    raise ValueError(f"unknown protocol '{protocol}' (loso or kfold)")


def split_validation(subjects: list[str], share: float, seed: int) -> tuple[list[str], list[str]]:
    subjects = sorted(subjects)
    n_val = min(len(subjects) - 1, max(1, int(round(share * len(subjects)))))
    perm = np.random.default_rng([seed, 3]).permutation(subjects)
    val = sorted(perm[:n_val].tolist())
    return sorted(set(subjects) - set(val)), val


def budgets(cfg: RunConfig) -> list[Budget]:
    ks = [Budget(k=int(k)) for k in getattr(cfg, "labels_per_class", [])]
    fr = list(cfg.label_fractions) or ([] if ks else [1.0])
    return ks + [Budget(fraction=float(f)) for f in fr]


def draw_budget(y: np.ndarray, budget: Budget, seed: int, n_classes: int) -> np.ndarray:
    """Indices of the labelled windows: per class `k` (all when fewer) or round(fraction·n)
    (at least one), drawn at random, the same for the same seed and budget."""
    if budget.full:
        return np.arange(len(y))
    rng = np.random.default_rng([seed, 5, budget.k, int(budget.fraction * 1e6)])
    keep = []
    for c in range(n_classes):
        idx = np.nonzero(y == c)[0]
        if not len(idx):
            continue
        n = min(len(idx), budget.k) if budget.k else max(1, int(round(budget.fraction * len(idx))))
        keep.append(rng.choice(idx, n, replace=False))
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, np.int64)


def draw_count(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Exactly n indices, stratified by class (largest-remainder quotas), random, the same for
    the same seed."""
    classes, counts = np.unique(y, return_counts=True)
    n = min(int(n), len(y))
    exact = counts * n / max(len(y), 1)
    quota = np.floor(exact).astype(int)
    quota[np.argsort(-(exact - quota), kind="stable")[:n - quota.sum()]] += 1
    rng = np.random.default_rng([seed, 9, n])
    keep = [rng.choice(np.nonzero(y == c)[0], q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, np.int64)


MIN_VAL_PER_CLASS = 3   # below this many labelled windows in a class, validation comes from nowhere


def split_budget(y: np.ndarray, subject: np.ndarray, share: float, seed: int, full: bool):
    """Split labelled windows into training and validation, both out of the same budget.

    1. by subject (as with full labels): some labelled subjects validate, the others train;
       tried on up to 50 subject draws, kept when every class has windows on both sides;
    2. else stratified windows: each class with at least MIN_VAL_PER_CLASS windows gives
       round(share·n) (1 or more, leaving 2 or more for training) to validation;
    3. else (e.g. 1 or 2 labels per class) no validation: the caller trains a fixed number of
       epochs without early stopping.
    Returns (train_idx, val_idx, how) with how in {"subjects", "windows", "none"}."""
    subjects = sorted(set(subject.tolist()))
    classes = set(y.tolist())
    for attempt in range(1 if full else 50):
        if len(subjects) < 2:
            break
        tr_s, va_s = split_validation(subjects, share, seed if attempt == 0 else seed * 1000 + attempt)
        va = np.isin(subject, va_s)
        if full or (set(y[~va].tolist()) == classes and set(y[va].tolist()) == classes):
            return np.nonzero(~va)[0], np.nonzero(va)[0], "subjects"
    rng = np.random.default_rng([seed, 7])
    val = []
    for c in sorted(classes):
        idx = np.nonzero(y == c)[0]
        if len(idx) >= MIN_VAL_PER_CLASS:
            n = min(len(idx) - 2, max(1, int(round(share * len(idx)))))
            val.append(rng.choice(idx, n, replace=False))
    if not val:
        return np.arange(len(y)), np.zeros(0, np.int64), "none"
    val = np.sort(np.concatenate(val))
    return np.setdiff1d(np.arange(len(y)), val), val, "windows"


def class_counts(w: Windows) -> dict:
    n = np.bincount(w.y, minlength=len(w.classes))
    return {c: int(k) for c, k in zip(w.classes, n)}


def _mask(w: Windows, subjects) -> np.ndarray:
    return np.isin(w.subject, list(subjects))


def trains_on_every_label(cfg: RunConfig, budget: Budget) -> bool:
    """Under a label budget a model without early stopping (rf; an --init encoder fine-tuned for
    fixed steps, --finetune auto|steps) trains on every labelled window: validation windows would
    only have been reported, handicapping it in low-label comparisons. With full labels the
    subject split stays (its numbers are the published baselines)."""
    fixed = bool(getattr(cfg, "init", "")) and getattr(cfg, "finetune", "") in ("auto", "steps")
    return not budget.full and (fixed or not RECIPES[cfg.model].early_stopping)


def prepare_fold(real: Windows, sim: Windows | None, fold: Fold, cfg: RunConfig, seed: int, budget=1.0):
    """Draw the label budget from the training subjects, split it into training and
    validation, fit normalization and calibration on the training windows; returns
    (train, val, test, sim, audit) with every array normalized."""
    budget = Budget.parse(budget)
    held = set(fold.test)
    pool = real.subset(np.nonzero(~_mask(real, held))[0])
    lab = pool.subset(draw_budget(pool.y, budget, seed, len(pool.classes)))
    if trains_on_every_label(cfg, budget):
        tr_i, va_i, how = np.arange(len(lab)), np.zeros(0, np.int64), "none"
    else:
        tr_i, va_i, how = split_budget(lab.y, lab.subject, cfg.val_subjects, seed, budget.full)
    train, val = lab.subset(tr_i), lab.subset(va_i)
    test = real.subset(np.nonzero(_mask(real, held))[0])
    init = getattr(cfg, "init", "")
    if init:     # the encoder's fixed physical scaling, no statistic of the data
        from ..pretrain.transfer import contract_of

        scale = contract_of(cfg).scale_array()
        norm = Standardizer.fixed(np.zeros_like(scale), 1.0 / scale)
    else:
        norm = Standardizer().fit(train.x)
    audit = {"fold": fold.name, "test": sorted(held), "train": sorted(set(train.subject.tolist())),
             "val": sorted(set(val.subject.tolist())), "normalization": sorted(set(train.subject.tolist())),
             "calibration": [], "windows": {"train": len(train), "val": len(val), "test": len(test)},
             "budget": budget.key, "validation": how,
             "labelled": {"train": class_counts(train), "val": class_counts(val),
                          "total": len(train) + len(val)}}
    if trains_on_every_label(cfg, budget):
        audit["validation_note"] = (f"{cfg.model}{' --init (fixed steps)' if getattr(cfg, 'init', '') else ''} has no "
                                    f"early stopping: all {len(lab)} labelled windows of the budget train it, none is "
                                    "held back for validation")
    elif how == "none":
        audit["validation_note"] = (f"budget too small for validation (< {MIN_VAL_PER_CLASS} labelled windows in "
                                    f"every class): no early stopping, fixed {cfg.epochs} epochs")
    sim_out = None
    if sim is not None and len(sim):
        if cfg.calibrate in ("quantile", "quantile-class"):
            sim_names = np.array(sim.classes, dtype=object)[sim.y]     # classes match by name
            qc = QuantileCalibration(per_class=cfg.calibrate == "quantile-class").fit(
                sim.x, train.x, sim_names, np.array(train.classes, dtype=object)[train.y])
            sim_out = sim.subset(np.arange(len(sim)))
            sim_out.x = norm.transform(qc.transform(sim.x, sim_names))
            audit["calibration"] = sorted(set(train.subject.tolist()))
        else:   # no calibration: simulated data normalized by their own statistics (fold-independent)
            sim_out = sim.subset(np.arange(len(sim)))
            sim_out.x = Standardizer().fit(sim.x).transform(sim.x)
        if cfg.sim_ratio > 0 and cfg.model in ("rf", "dcl", "resnet"):
            n = min(len(sim_out), int(round(cfg.sim_ratio * len(train))))
            sim_out = sim_out.subset(draw_count(sim_out.y, n, seed))
            audit["sim_ratio"] = cfg.sim_ratio
        audit["windows"]["sim"] = len(sim_out)
    if init and getattr(cfg, "adapt", "none") != "none":     # unlabelled windows of training subjects only
        audit["adapt"] = sorted(set(pool.subject.tolist()))
        audit["normalization"] = []
    elif init:
        audit["normalization"] = []
    for step in ("train", "val", "normalization", "calibration", "adapt"):
        if held & set(audit.get(step, [])):
            raise LeakageError(f"fold {fold.name}: held-out subject(s) {sorted(held & set(audit[step]))} in {step}")
    tr, va, te = (w.subset(np.arange(len(w))) for w in (train, val, test))
    tr.x, va.x, te.x = norm.transform(train.x), norm.transform(val.x), norm.transform(test.x)
    tr.extra["normalization"] = norm.state()
    if "adapt" in audit:
        tr.extra["unlabelled"] = norm.transform(pool.x)
        tr.extra["unlabelled_subjects"] = sorted(set(pool.subject.tolist()))
    return tr, va, te, sim_out, audit


def run_protocol(cfg: RunConfig, real: Windows, sim: Windows | None, out: Path, log=print) -> dict:
    """Train and evaluate every (budget, seed, fold); write per-fold results under
    out/folds/ (reused on resume only when the fold's hash matches) and return the metrics
    dict (see `summarize`)."""
    from tqdm import tqdm

    out = Path(out)
    folds = make_folds(real.subjects, cfg.protocol, cfg.folds)
    if cfg.max_folds:
        folds = folds[:cfg.max_folds]
    if cfg.shard:
        i, n = parse_shard(cfg.shard)
        folds = folds[i::n]
    recipe_cls = RECIPES[cfg.model]
    results = []
    data_digest, sim_digest = windows_digest(real), windows_digest(sim)
    if getattr(cfg, "init", ""):      # another encoder in the same folder is another run
        import hashlib

        from ..pretrain.contract import resolve

        sim_digest = hashlib.sha1((resolve(cfg.init) / "encoder.pt").read_bytes()).hexdigest()
    jobs = [(b, seed, fold) for b in budgets(cfg) for seed in cfg.seeds for fold in folds]
    t_start = time.perf_counter()
    bar = tqdm(jobs, desc=f"{cfg.model} {cfg.protocol}", disable=not cfg.show_progress(), unit="fold")
    for budget, seed, fold in bar:
        fdir = out / "folds" / budget.folder / f"seed{seed}" / fold.name
        done = fdir / "result.json"
        key = fold_hash(cfg.to_dict(), data_digest, sim_digest, fold.test, seed, budget.key,
                        split="all-labels-train" if trains_on_every_label(cfg, budget) else "")
        if cfg.resume and done.is_file():
            try:
                old = json.loads(done.read_text())
            except (OSError, json.JSONDecodeError):
                old = {}
            if old.get("hash") == key:
                results.append(old)
                continue
            log(f"{cfg.model} ({budget.words}) seed={seed} fold={fold.name}: configuration or data changed "
                f"since {done} was written; recomputing")
        if Dist().main and fdir.is_dir():
            for stale in ("result.json", "finetune.pt", "pretrain.pt"):
                if (fdir / stale).is_file() and not (cfg.resume and stale.endswith(".pt")):
                    (fdir / stale).unlink()
        Dist().barrier()
        fdir.mkdir(parents=True, exist_ok=True)
        tr, va, te, sm, audit = prepare_fold(real, sim, fold, cfg, seed, budget)
        recipe = recipe_cls(cfg, real.channels, real.classes, seed, fdir)
        recipe.key = key
        if sm is not None and cfg.calibrate == "none" and hasattr(recipe, "shared_pretrain"):
            pkey = fold_hash(cfg.to_dict(), "", sim_digest, [], seed, "pretrain")
            recipe.shared_pretrain = out / "pretrain" / f"seed{seed}.pt"   # same for every fold
            recipe.pretrain_key = pkey
        t0 = time.perf_counter()
        recipe.fit(tr, va, sm)
        pred = recipe.predict(te.x)
        res = {"fraction": budget.fraction, "budget": budget.key, "seed": seed, "fold": fold.name, "hash": key,
               "audit": audit, "labelled_train": audit["labelled"]["train"],
               "labelled_val": audit["labelled"]["val"], "validation": audit["validation"],
               "subjects": te.subject.tolist(), "y_true": te.y.tolist(), "y_pred": np.asarray(pred).tolist(),
               "macro_f1": macro_f1(te.y, pred), "seconds": time.perf_counter() - t0, "history": recipe.history}
        if Dist().main:
            write_text(done, json.dumps(res))
        Dist().barrier()
        results.append(res)
        bar.set_postfix(f1=f"{res['macro_f1']:.3f}")
        log(f"{cfg.model} ({budget.words}) seed={seed} fold={fold.name}: macro-F1 {res['macro_f1']:.3f} "
            f"({len(te)} windows; labelled {len(tr)} train + {len(va)} val, {audit['validation']}; "
            f"{res['seconds']:.1f} s)")
    return summarize(cfg, real, results, folds, time.perf_counter() - t_start)


def _per_subject(results) -> dict:
    """Macro-F1 of each held-out subject (over its own windows), per seed."""
    out: dict = {}
    for r in results:
        subj = np.array(r["subjects"])
        yt, yp = np.array(r["y_true"]), np.array(r["y_pred"])
        for s in np.unique(subj):
            m = subj == s
            out.setdefault(s, []).append(macro_f1(yt[m], yp[m]))
    return out


def class_scores(y_true, y_pred, n: int) -> dict:
    """Per-class F1 (None for a class neither true nor predicted) and the confusion matrix
    (rows: true, columns: predicted, counts)."""
    yt, yp = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    cm = np.zeros((n, n), dtype=np.int64)
    np.add.at(cm, (yt, yp), 1)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(0) + cm.sum(1)
    f1 = [None if d == 0 else float(2 * t / d) for t, d in zip(tp, denom)]
    return {"per_class_f1": f1, "confusion": cm.tolist()}


def _mean_sd(values) -> dict:
    v = np.asarray([x for x in values if x is not None], dtype=float)
    if not len(v):
        return {"mean": None, "sd": None, "n": 0}
    return {"mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": int(len(v))}


def _labelled(rs) -> dict:
    """Per fold (first seed's numbers, seeds draw alike-sized budgets): labelled windows used."""
    out = {}
    for r in rs:
        out.setdefault(r["fold"], {})[f"seed{r['seed']}"] = {
            "train": r.get("labelled_train"), "val": r.get("labelled_val"),
            "total": sum((r.get("labelled_train") or {}).values()) + sum((r.get("labelled_val") or {}).values()),
            "validation": r.get("validation"), "hash": r.get("hash")}
    return out


def summarize_budget(results: list[dict], classes: list[str], seeds: list[int]) -> dict:
    n = len(classes)
    per_seed_subject: dict = {}
    pooled_seed, per_class_seed = [], []
    for seed in seeds:
        sr = [r for r in results if r["seed"] == seed]
        if not sr:
            continue
        yt = np.concatenate([r["y_true"] for r in sr]).astype(int)
        yp = np.concatenate([r["y_pred"] for r in sr]).astype(int)
        pooled_seed.append(macro_f1(yt, yp))
        per_class_seed.append(class_scores(yt, yp, n)["per_class_f1"])
        for s, v in _per_subject(sr).items():
            per_seed_subject.setdefault(s, {})[seed] = v[0]
    per = {s: float(np.mean(list(v.values()))) for s, v in sorted(per_seed_subject.items())}
    vals = np.array(list(per.values()))
    seed_means = [float(np.mean([per_seed_subject[s][sd] for s in per_seed_subject if sd in per_seed_subject[s]]))
                  for sd in seeds if any(sd in v for v in per_seed_subject.values())]
    yt_all = np.concatenate([r["y_true"] for r in results]).astype(int)
    yp_all = np.concatenate([r["y_pred"] for r in results]).astype(int)
    pooled = class_scores(yt_all, yp_all, n)       # counts summed over seeds
    subj_detail = {}
    for s in per:
        yt = np.concatenate([np.array(r["y_true"])[np.array(r["subjects"]) == s] for r in results]).astype(int)
        yp = np.concatenate([np.array(r["y_pred"])[np.array(r["subjects"]) == s] for r in results]).astype(int)
        subj_detail[s] = {"macro_f1": per[s], "macro_f1_per_seed": {str(k): v for k, v in per_seed_subject[s].items()},
                          **class_scores(yt, yp, n)}
    per_class = {c: _mean_sd([pcs[i] for pcs in per_class_seed]) for i, c in enumerate(classes)}
    return {"macro_f1_mean": float(vals.mean()), "macro_f1_std": float(vals.std(ddof=0)),
            "pooled_macro_f1": float(np.mean(pooled_seed)), "pooled_per_seed": pooled_seed,
            "per_subject": per,
            "seed_macro_f1": {"per_seed": seed_means, **_mean_sd(seed_means)},
            "seed_pooled_macro_f1": _mean_sd(pooled_seed),
            "per_class_f1": per_class, "confusion": pooled["confusion"],
            "per_subject_detail": subj_detail, "labelled": _labelled(results)}


def summarize(cfg: RunConfig, real: Windows, results: list[dict], folds, seconds: float) -> dict:
    """metrics.json (DESIGN.md "Training results"): headline figures of the largest budget,
    and for every budget the same figures under `sweep`."""
    by_budget: dict = {}
    for r in results:
        by_budget.setdefault(r.get("budget", f"{r['fraction']:g}"), []).append(r)
    order = [b.key for b in budgets(cfg) if b.key in by_budget]
    sweep = {key: summarize_budget(by_budget[key], real.classes, list(cfg.seeds)) for key in order}
    full = [b for b in budgets(cfg) if b.full and b.key in sweep]
    frac = sorted((b for b in budgets(cfg) if not b.k and b.key in sweep), key=lambda b: b.fraction)
    ks = sorted((b for b in budgets(cfg) if b.k and b.key in sweep), key=lambda b: b.k)
    main = full[0] if full else (frac[-1] if frac else ks[-1])
    head = sweep[main.key]
    return {"model": cfg.model, "protocol": cfg.protocol, "macro_f1_mean": head["macro_f1_mean"],
            "macro_f1_std": head["macro_f1_std"], "pooled_macro_f1": head["pooled_macro_f1"],
            "per_subject": head["per_subject"], "per_class_f1": head["per_class_f1"],
            "confusion": head["confusion"], "seed_macro_f1": head["seed_macro_f1"],
            "seed_pooled_macro_f1": head["seed_pooled_macro_f1"], "per_subject_detail": head["per_subject_detail"],
            "labelled": head["labelled"],
            "classes": real.classes, "config": cfg.to_dict(),
            "label_fraction": main.fraction, "budget": main.key, "sweep": sweep, "seeds": list(cfg.seeds),
            "folds": [f.name for f in folds], "windows": len(real), "channels": real.channels,
            "subjects": real.subjects, "seconds": seconds,
            "threads": __import__("torch").get_num_threads()}
