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
from .loop import Dist
from .recipes import RECIPES, macro_f1


class LeakageError(RuntimeError):
    pass


@dataclass
class Fold:
    name: str
    test: list[str]


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


def subsample(w: Windows, fraction: float, seed: int) -> Windows:
    """A stratified share of labelled windows (at least one per class present)."""
    if fraction >= 1.0:
        return w
    rng = np.random.default_rng([seed, 5, int(fraction * 1e6)])
    keep = []
    for c in np.unique(w.y):
        idx = np.nonzero(w.y == c)[0]
        n = max(1, int(round(fraction * len(idx))))
        keep.append(rng.choice(idx, n, replace=False))
    return w.subset(np.sort(np.concatenate(keep)))


def _mask(w: Windows, subjects) -> np.ndarray:
    return np.isin(w.subject, list(subjects))


def prepare_fold(real: Windows, sim: Windows | None, fold: Fold, cfg: RunConfig, seed: int, fraction: float):
    """Split, subsample, fit normalization and calibration on training subjects; returns
    (train, val, test, sim, audit) with every array normalized."""
    held = set(fold.test)
    trainval_subj = [s for s in real.subjects if s not in held]
    train_subj, val_subj = split_validation(trainval_subj, cfg.val_subjects, seed)
    train = subsample(real.subset(np.nonzero(_mask(real, train_subj))[0]), fraction, seed)
    val = real.subset(np.nonzero(_mask(real, val_subj))[0])
    test = real.subset(np.nonzero(_mask(real, held))[0])
    norm = Standardizer().fit(train.x)
    audit = {"fold": fold.name, "test": sorted(held), "train": sorted(set(train.subject.tolist())),
             "val": val_subj, "normalization": sorted(set(train.subject.tolist())), "calibration": [],
             "windows": {"train": len(train), "val": len(val), "test": len(test)}}
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
        audit["windows"]["sim"] = len(sim_out)
    for step in ("train", "val", "normalization", "calibration"):
        if held & set(audit[step]):
            raise LeakageError(f"fold {fold.name}: held-out subject(s) {sorted(held & set(audit[step]))} in {step}")
    tr, va, te = (w.subset(np.arange(len(w))) for w in (train, val, test))
    tr.x, va.x, te.x = norm.transform(train.x), norm.transform(val.x), norm.transform(test.x)
    return tr, va, te, sim_out, audit


def run_protocol(cfg: RunConfig, real: Windows, sim: Windows | None, out: Path, log=print) -> dict:
    """Train and evaluate every (fraction, seed, fold); write per-fold results under
    out/folds/ (reused on resume) and return the metrics dict (see `summarize`)."""
    from tqdm import tqdm

    out = Path(out)
    folds = make_folds(real.subjects, cfg.protocol, cfg.folds)
    if cfg.max_folds:
        folds = folds[:cfg.max_folds]
    recipe_cls = RECIPES[cfg.model]
    results = []
    jobs = [(fr, seed, fold) for fr in cfg.label_fractions for seed in cfg.seeds for fold in folds]
    t_start = time.perf_counter()
    bar = tqdm(jobs, desc=f"{cfg.model} {cfg.protocol}", disable=not cfg.progress, unit="fold")
    for fraction, seed, fold in bar:
        fdir = out / "folds" / f"frac{fraction:g}" / f"seed{seed}" / fold.name
        done = fdir / "result.json"
        if cfg.resume and done.is_file():
            results.append(json.loads(done.read_text()))
            continue
        fdir.mkdir(parents=True, exist_ok=True)
        tr, va, te, sm, audit = prepare_fold(real, sim, fold, cfg, seed, fraction)
        recipe = recipe_cls(cfg, real.channels, real.classes, seed, fdir)
        if sm is not None and cfg.calibrate == "none" and hasattr(recipe, "shared_pretrain"):
            recipe.shared_pretrain = out / "pretrain" / f"seed{seed}.pt"   # same for every fold
        t0 = time.perf_counter()
        recipe.fit(tr, va, sm)
        pred = recipe.predict(te.x)
        res = {"fraction": fraction, "seed": seed, "fold": fold.name, "audit": audit,
               "subjects": te.subject.tolist(), "y_true": te.y.tolist(), "y_pred": np.asarray(pred).tolist(),
               "macro_f1": macro_f1(te.y, pred), "seconds": time.perf_counter() - t0, "history": recipe.history}
        if Dist().main:
            write_text(done, json.dumps(res))
        Dist().barrier()
        results.append(res)
        bar.set_postfix(f1=f"{res['macro_f1']:.3f}")
        log(f"{cfg.model} frac={fraction:g} seed={seed} fold={fold.name}: macro-F1 {res['macro_f1']:.3f} "
            f"({len(te)} windows, {res['seconds']:.1f} s)")
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


def summarize(cfg: RunConfig, real: Windows, results: list[dict], folds, seconds: float) -> dict:
    by_frac: dict = {}
    for r in results:
        by_frac.setdefault(r["fraction"], []).append(r)
    sweep = {}
    for fr, rs in sorted(by_frac.items()):
        per = {s: float(np.mean(v)) for s, v in sorted(_per_subject(rs).items())}
        pooled = []
        for seed in cfg.seeds:
            sr = [r for r in rs if r["seed"] == seed]
            if sr:
                pooled.append(macro_f1(np.concatenate([r["y_true"] for r in sr]),
                                       np.concatenate([r["y_pred"] for r in sr])))
        vals = np.array(list(per.values()))
        sweep[f"{fr:g}"] = {"macro_f1_mean": float(vals.mean()), "macro_f1_std": float(vals.std(ddof=0)),
                            "pooled_macro_f1": float(np.mean(pooled)), "pooled_per_seed": pooled,
                            "per_subject": per}
    main = max(by_frac)     # the headline figures: the largest labelled share
    head = sweep[f"{main:g}"]
    return {"model": cfg.model, "protocol": cfg.protocol, "macro_f1_mean": head["macro_f1_mean"],
            "macro_f1_std": head["macro_f1_std"], "pooled_macro_f1": head["pooled_macro_f1"],
            "per_subject": head["per_subject"], "classes": real.classes, "config": cfg.to_dict(),
            "label_fraction": main, "sweep": sweep, "seeds": list(cfg.seeds),
            "folds": [f.name for f in folds], "windows": len(real), "channels": real.channels,
            "subjects": real.subjects, "seconds": seconds}
