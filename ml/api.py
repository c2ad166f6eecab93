"""Python API: `train("dcl", data=["../shared/data/imu/sp_sw_har"], out="runs/dcl", epochs=5)`."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .config import CONFIGS, RunConfig
from .data import DataError, channel_names, load_dataset, make_windows
from .data.windows import Windows


def load_windows(cfg: RunConfig, warn=None) -> tuple[Windows, Windows | None]:
    """Real windows (every class seen) and simulated windows (the same classes and channels)."""
    if not cfg.data:
        raise DataError("no --data given: training needs real labelled data (see `weartwin train --help`)")
    names = channel_names(cfg.inputs, cfg.sites, cfg.pairs)
    multi_wrist = cfg.model == "multi3net"
    seqs = [s for d in cfg.data for s in load_dataset(d, cfg.format, warn=warn)]
    common = dict(fps=cfg.fps, window_s=cfg.window, stride_s=cfg.stride, site_map=cfg.site_map,
                  label_map=cfg.label_map, fill_missing=multi_wrist)
    real = make_windows(seqs, names, **common)
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
        try:
            sim = make_windows(sseqs, names, classes=None if pretraining else real.classes,
                               with_pose=multi_wrist, **{**common, "stride_s": cfg.sim_stride})
        except DataError as e:
            raise DataError(f"simulated data ({', '.join(map(str, cfg.sim))}): {e}; their labels must "
                            f"match the real classes {real.classes} (use --label-map)") from None
    return real, sim


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
    out.mkdir(parents=True, exist_ok=True)
    if dist.main:
        cfg.save(out / "config.json")
    real, sim = load_windows(cfg, warn=lambda m: log(f"warning: {m}"))
    log(f"{cfg.model}: {len(real)} real windows of {cfg.window:g} s, {len(real.subjects)} subjects, "
        f"{len(real.classes)} classes {real.classes}, channels {real.channels}"
        + (f"; {len(sim)} simulated windows" if sim is not None else ""))
    metrics = run_protocol(cfg, real, sim, out, log=log if dist.main else (lambda m: None))
    if dist.main:
        results = [json.loads(p.read_text()) for p in sorted((out / "folds").rglob("result.json"))]
        wanted = set(metrics["sweep"])
        results = [r for r in results if r.get("budget") in wanted and r["seed"] in cfg.seeds
                   and r["fold"] in metrics["folds"]]
        write_report(out, metrics, results)
    dist.barrier()
    return metrics
