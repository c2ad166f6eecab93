"""Python API: `train("dcl", data=["../shared/data/imu/sp_sw_har"], out="runs/dcl", epochs=5)`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .config import CONFIGS, RunConfig
import numpy as np

from .data import DataError, channel_names, load_dataset, make_windows
from .data.readers import device_of
from .data.channels import axes_matrix, is_mounting, mounting_matrix, reframe
from .data.windows import Windows


def remount(seq, spec: str):
    """A simulated sequence with the site `spec` names turned into the real device's mounting
    (its export records how it was baked: `meta.sites[site].preset`)."""
    import dataclasses

    site = spec.split(":", 1)[0]
    baked = seq.meta.get("sites", {}).get(site, {}).get("preset")
    if not baked or f"{site}.acc_x" not in seq.channels:
        return seq
    R = mounting_matrix(spec, baked)
    return dataclasses.replace(seq, data=reframe(seq.data, list(seq.channels), R).astype(seq.data.dtype))


def check_classes(real: Windows, cfg: RunConfig) -> None:
    """Training needs two classes or more, each with windows: refuse a degenerate dataset."""
    counts = np.bincount(np.asarray(real.y, dtype=np.int64), minlength=len(real.classes))
    if len(real.classes) < 2:
        raise DataError(f"the data have one class only ({', '.join(map(repr, real.classes)) or 'none'}): "
                        "a classifier needs at least 2 (check the labels, or --label-map)")
    empty = [c for c, n in zip(real.classes, counts) if n == 0]
    if empty:
        raise DataError(f"class(es) {', '.join(map(repr, empty))} have no window of {cfg.window:g} s "
                        "(recordings too short, or the label never covers half a window)")
    if len(np.nonzero(counts)[0]) < 2:
        raise DataError("the windows hold one class only: a classifier needs at least 2")


def load_windows(cfg: RunConfig, warn=None) -> tuple[Windows, Windows | None]:
    """Real windows (every class seen) and simulated windows (the same classes and channels)."""
    if not cfg.data:
        raise DataError("no --data given: training needs real labelled data (see `weartwin train --help`)")
    seqs = [s for d in cfg.data for s in load_dataset(d, cfg.format, warn=warn, **device_of(cfg.to_dict()))]
    if getattr(cfg, "init", ""):
        return encoder_windows(cfg, seqs, warn), None
    names = channel_names(cfg.inputs, cfg.sites, cfg.pairs)
    multi_wrist = cfg.model == "multi3net"
    common = dict(fps=cfg.fps, window_s=cfg.window, stride_s=cfg.stride, site_map=cfg.site_map,
                  label_map=cfg.label_map, fill_missing=multi_wrist)
    real = make_windows(seqs, names, **common)
    if multi_wrist:      # one IMU branch per wrist the real data have: none is fed zeros
        have = real.present.any(axis=0)
        keep = [site for site in cfg.sites if any(have[i] for i, n in enumerate(names) if n.startswith(site + "."))]
        if not keep:
            raise DataError(f"the data have none of the sites {cfg.sites}")
        if keep != list(cfg.sites):
            if warn:
                warn(f"multi3net: the data have no {', '.join(s for s in cfg.sites if s not in keep)}; "
                     f"one IMU branch per wrist they have: {', '.join(keep)}")
            cfg.sites = keep
            names = channel_names(cfg.inputs, cfg.sites, cfg.pairs)
            real = make_windows(seqs, names, **{**common, "fill_missing": False})
    check_classes(real, cfg)
    sim = None
    if cfg.sim:
        sseqs = [s for d in cfg.sim for s in load_dataset(d, "weartwin", warn=warn)]
        shared = {str(Path(s.source).resolve()) for s in seqs} & {str(Path(s.source).resolve()) for s in sseqs}
        if shared:
            raise DataError(f"{sorted(shared)[0]}: in both --data and --sim ({len(shared)} files); pretraining "
                            "on held-out recordings would leak into the evaluation")
        # pretraining pairs windows with texts, so simulated activities may differ from the real
        # classes; data that join supervised training (dcl, rf) must use the real classes
        pretraining = cfg.model in ("simpharnet", "multi3net")
        if is_mounting(cfg.sim_axes):     # per recording: each export says how its device was baked
            sseqs = [remount(s, cfg.sim_axes) for s in sseqs]
        try:
            sim = make_windows(sseqs, names, classes=None if pretraining else real.classes,
                               with_pose=multi_wrist, **{**common, "stride_s": cfg.sim_stride})
        except DataError as e:
            raise DataError(f"simulated data ({', '.join(map(str, cfg.sim))}): {e}; their labels must "
                            f"match the real classes {real.classes} (use --label-map)") from None
        if not is_mounting(cfg.sim_axes):
            R = axes_matrix(cfg.sim_axes)
            if not np.array_equal(R, np.eye(3)):
                sim.x = reframe(sim.x, sim.channels, R)
    return real, sim


def encoder_windows(cfg: RunConfig, seqs, warn=None) -> Windows:
    """--init: the device named by --site as the encoder's 6 inputs, at its rate and window (cfg.fps and
    cfg.window are set from the contract); an acc-only device gets zeros for the gyroscope."""
    from .pretrain.transfer import check_units, contract_of, device_channels

    contract = contract_of(cfg)
    if (cfg.fps, cfg.window) != (contract.fps, contract.window_s) and warn:
        warn(f"--init: the encoder reads {contract.window_s:g} s windows at {contract.fps:g} Hz; using those")
    cfg.fps, cfg.window = contract.fps, contract.window_s
    arch_fields = {"resnet": {"widths": "widths"}, "simpharnet": {"dim": "dim"},
                   "dcl": {"filters": "filters", "kernel": "kernel", "lstm_units": "lstm_units",
                           "lstm_layers": "lstm_layers"}}.get(cfg.model, {})
    if contract.arch != cfg.model:
        raise DataError(f"--init {cfg.init}: the encoder is a {contract.arch} backbone, not {cfg.model}; fine-tune it "
                        f"with `weartwin train {contract.arch} --init ...`")
    if cfg.model == "simpharnet" and (contract.params["widths"] != [64, 128, 128] or contract.params["kernel"] != 5):
        raise DataError(f"--init {cfg.init}: SImpHARNet's encoder has widths 64,128,128 and kernel 5; this encoder "
                        f"has {contract.params['widths']}, {contract.params['kernel']}")
    for field, key in arch_fields.items():       # the network's sizes are the encoder's
        setattr(cfg, field, contract.params[key])
    site, names = device_channels(seqs, cfg.site)
    cfg.site, cfg.site_map = site, {**cfg.site_map, site: site}      # the device keeps its own name
    w = make_windows(seqs, names, cfg.fps, cfg.window, cfg.stride, site_map=cfg.site_map,
                     label_map=cfg.label_map, fill_missing=True)
    if not w.present[:, :3].all():
        raise DataError(f"--site {site}: some recordings have no accelerometer there")
    check_units(w.x, w.present.all(axis=0), ", ".join(map(str, cfg.data)))
    return w


def data_kind(w: Windows) -> str:
    """What --data windows are, in words: real, simulated (a WearTwin corpus), or both."""
    syn = np.asarray(w.synthetic, dtype=bool)
    return "simulated" if syn.all() else ("real" if not syn.any() else "real and simulated")


def train(model: str, out, log=None, **overrides) -> dict:
    """Run `weartwin train MODEL` from Python; returns the metrics dict (also in out/metrics.json)."""
    if model not in CONFIGS:
        raise ValueError(f"unknown model '{model}' (choose from {', '.join(CONFIGS)})")
    cfg = CONFIGS[model](**overrides)
    return run(cfg, Path(out), log=log)


def run(cfg: RunConfig, out: Path, log=None) -> dict:
    from .training.loop import Dist
    from .training.protocol import run_protocol
    from .training.report import write_report

    from tqdm import tqdm

    log = log or (lambda m: tqdm.write(m, file=sys.stderr))
    from .training.loop import set_threads

    dist = Dist().init()
    set_threads()
    out = Path(out)
    # the data first: a typo in --data must not leave an empty or half-made run folder behind
    real, sim = load_windows(cfg, warn=lambda m: log(f"warning: {m}"))
    kind = data_kind(real)
    if not cfg.final and not cfg.probe:       # folds before anything is written: no config.json
        from .training.protocol import make_folds

        try:
            make_folds(real.subjects, cfg.protocol, cfg.folds)
        except ValueError as e:
            if kind != "simulated" or len(real.subjects) >= 3:
                raise
            raise ValueError(f"{', '.join(map(str, cfg.data))}: simulated data of {len(real.subjects)} "
                             f"bod{'y' if len(real.subjects) == 1 else 'ies'} ({', '.join(real.subjects)}); a "
                             "subject-wise evaluation needs at least 3. A small synthetic corpus is meant for "
                             "--sim beside real --data (or synth it with vary_body: 3 or more)") from None
    out.mkdir(parents=True, exist_ok=True)
    from addon.export.atomic import links_out

    planted = links_out(out)
    if planted:    # a received run folder: never write through a link that leads out of it
        raise DataError(f"{planted[0]}: a link in the run folder leads outside {out}; remove it (or use a new --out)")
    if dist.main:
        # metrics are derived from the folds at the end: never leave the last run's figures
        # beside this run's config.json while it trains (or if it fails)
        for stale in ("metrics.json", "confusion.png", "curves.png", "sweep.png", "final.json"):
            (out / stale).unlink(missing_ok=True)
        cfg.save(out / "config.json")      # as used (e.g. multi3net's sites reduced to the data's)
    log(f"{cfg.model}: {len(real)} {kind} windows of {cfg.window:g} s, {len(real.subjects)} subjects, "
        f"{len(real.classes)} classes {real.classes}, channels {real.channels}"
        + (f"; {len(sim)} simulated windows" if sim is not None else ""))
    if cfg.final:
        return train_final(cfg, real, sim, out, log)
    if cfg.probe:
        from .evaluation.probes import run_probe

        return run_probe(cfg, real, sim, out, log)
    metrics = run_protocol(cfg, real, sim, out, log=log if dist.main else (lambda m: None))
    if dist.main:
        results = [json.loads(p.read_text()) for p in sorted((out / "folds").rglob("result.json"))]
        wanted = set(metrics["sweep"])
        results = [r for r in results if r.get("budget") in wanted and r["seed"] in cfg.seeds
                   and r["fold"] in metrics["folds"]]
        write_report(out, metrics, results)
    dist.barrier()
    return metrics


def train_final(cfg: RunConfig, real: Windows, sim: Windows | None, out: Path, log) -> dict:
    """Train on every subject and export RUN/model.npz (+ .ts); label the training recordings
    with the in-memory model into RUN/final_predictions.csv (what `weartwin predict` must reproduce)."""
    import numpy as np

    from .inference import model_file
    from .inference.predict import label_rows, write_csv
    from .training.fingerprint import fold_hash, windows_digest
    from .training.protocol import Fold, budgets, prepare_fold
    from .training.recipes import RECIPES

    budget = budgets(cfg)[0]
    seed = cfg.seeds[0]
    fold = Fold("final", [])
    tr, va, _, sm, audit = prepare_fold(real, sim, fold, cfg, seed, budget)
    fdir = out / "final"
    fdir.mkdir(parents=True, exist_ok=True)
    recipe = RECIPES[cfg.model](cfg, real.channels, real.classes, seed, fdir)
    recipe.key = fold_hash(cfg.to_dict(), windows_digest(real), windows_digest(sim), [], seed, budget.key + "final")
    recipe.fit(tr, va, sm)
    written = model_file.save(out / "model.npz", recipe, cfg, real.channels, real.classes,
                              tr.extra["normalization"], real.x.shape[1])
    seqs = [s for d in cfg.data for s in load_dataset(d, cfg.format, require_labels=False,
                                                      **device_of(cfg.to_dict()))]
    loaded = model_file.load(out / "model.npz")
    if cfg.model == "rf":
        model = loaded            # trees walked in numpy; checked against sklearn here
        from .inference.predict import windows_for_prediction
        from .training.recipes import window_features

        x, _ = windows_for_prediction(seqs, real.channels, cfg.fps, cfg.window, cfg.stride, cfg.site_map, cfg.label_map)
        ours = loaded.proba(x).argmax(1)
        theirs = recipe.rf.predict(window_features(((x - loaded.mean) / loaded.std).astype(np.float32)))
        if not np.array_equal(np.asarray(loaded.classes)[ours], np.asarray(real.classes)[theirs]):
            raise RuntimeError("exported forest disagrees with scikit-learn")
    else:
        model = loaded
        model.net = recipe.net.cpu().eval()      # predictions of the trained network itself
    rows = label_rows(model, seqs)
    write_csv(rows, out / "final_predictions.csv")
    info = {"model": cfg.model, "final": True, "files": [str(p) for p in written],
            "predictions": str(out / "final_predictions.csv"), "classes": real.classes, "channels": real.channels,
            "labelled": audit["labelled"], "validation": audit["validation"], "history": recipe.history,
            "config": cfg.to_dict(), "windows": len(real), "subjects": real.subjects}
    from addon.export.atomic import write_text

    write_text(out / "final.json", json.dumps(info, indent=2))
    log(f"{cfg.model}: final model on {len(real.subjects)} subjects -> {', '.join(map(str, written))}")
    return info
