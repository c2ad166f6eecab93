"""Cheap probes of how useful simulated data are, without the cost of pretraining + LOSO:

- `sim2real`: a supervised model (rf, dcl, resnet) trained on the simulated windows alone
  (early stopping on held-out simulated body variants), tested on every real subject;
- `zeroshot`: SImpHARNet pretrained (signal↔text) on the simulated windows labels each real
  window with the class whose description embedding is nearest to its signal embedding
  (text → IMU retrieval over the class descriptions).

Neither sees a real label or fits anything on real data: real windows are normalized with the
simulated data's statistics. The result is RUN/metrics.json with per-subject macro-F1 (so
`weartwin compare` pairs it with a LOSO run), per-class F1 and the confusion matrix.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..data import DataError
from ..data.calibration import Standardizer
from ..data.windows import Windows
from ..training.protocol import split_validation, summarize_budget


def _normalized(w: Windows, norm: Standardizer) -> Windows:
    out = w.subset(np.arange(len(w)))
    out.x = norm.transform(w.x)
    out.extra["normalization"] = norm.state()
    return out


def run_probe(cfg, real: Windows, sim: Windows | None, out: Path, log) -> dict:
    import torch

    from ..training.fingerprint import fold_hash, windows_digest
    from ..training.recipes import RECIPES, build_net, class_text_embeddings

    if sim is None or not len(sim):
        raise DataError(f"--probe {cfg.probe} needs --sim exports")
    out = Path(out)
    norm = Standardizer().fit(sim.x)
    s, r = _normalized(sim, norm), _normalized(real, norm)
    seed = cfg.seeds[0]
    fdir = out / "probe" / cfg.probe
    fdir.mkdir(parents=True, exist_ok=True)
    recipe = RECIPES[cfg.model](cfg, real.channels, real.classes, seed, fdir)
    recipe.key = fold_hash(cfg.to_dict(), windows_digest(real), windows_digest(sim), [], seed, "probe")
    if cfg.probe == "sim2real":
        subj = s.subjects
        if len(subj) >= 2:
            tr_s, va_s = split_validation(subj, cfg.val_subjects, seed)
            tr, va = s.subset(np.nonzero(np.isin(s.subject, tr_s))[0]), s.subset(np.nonzero(np.isin(s.subject, va_s))[0])
        else:
            tr, va = s, s.subset(np.zeros(0, np.int64))
        recipe.fit(tr, va, None)
        pred = np.asarray(recipe.predict(r.x))
    else:   # zeroshot: pretrain, then nearest class description
        net = build_net(cfg, real.x.shape[2], len(real.classes), real.x.shape[1])
        recipe.pretrain(net.to(recipe.device), s, fdir / "pretrain.pt")
        net.eval()
        with torch.no_grad():
            t = torch.nn.functional.normalize(
                net.text_proj(torch.from_numpy(class_text_embeddings(real.classes)).to(recipe.device)), dim=-1)
            pred = np.concatenate([(net.embed_signal(torch.from_numpy(r.x[i:i + 512]).to(recipe.device)) @ t.T)
                                   .argmax(1).cpu().numpy() for i in range(0, len(r), 512)])
    res = {"seed": seed, "fold": "probe", "budget": cfg.probe, "subjects": real.subject.tolist(),
           "y_true": real.y.tolist(), "y_pred": pred.tolist()}
    summ = summarize_budget([res], real.classes, [seed])
    summ.pop("labelled")
    metrics = {"model": cfg.model, "protocol": cfg.probe, "macro_f1_mean": summ["macro_f1_mean"],
               "macro_f1_std": summ["macro_f1_std"], "pooled_macro_f1": summ["pooled_macro_f1"],
               "per_subject": summ["per_subject"], "per_class_f1": summ["per_class_f1"],
               "confusion": summ["confusion"], "classes": real.classes, "config": cfg.to_dict(),
               "sweep": {cfg.probe: summ}, "budget": cfg.probe, "seeds": [seed], "folds": ["probe"],
               "windows": len(real), "sim_windows": len(sim), "channels": real.channels, "subjects": real.subjects,
               "real_labels_used": 0, "history": recipe.history}
    tmp = out / ".metrics.json.part"
    tmp.write_text(json.dumps(metrics, indent=2))
    tmp.replace(out / "metrics.json")
    from ..training.report import plot_confusion

    plot_confusion(np.asarray(summ["confusion"]), real.classes, out / "confusion.png",
                   f"{cfg.model} {cfg.probe}: macro-F1 {metrics['macro_f1_mean']:.3f} ± {metrics['macro_f1_std']:.3f}")
    log(f"{cfg.model} {cfg.probe}: macro-F1 {metrics['macro_f1_mean']:.3f} ± {metrics['macro_f1_std']:.3f} over "
        f"{len(real.subjects)} real subjects, no real label used")
    return metrics
