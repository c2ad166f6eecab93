"""Arms trained by the product itself: `weartwin train MODEL` (python -m ml train), once from scratch
and once pretrained on the simulated corpus' exports, with the same label budget, seeds and
folds. Multi3Net+ needs poses, text and its own mixture-of-experts classifier, which the batched
networks of arms.py do not have, so its arm runs the user's command instead of a copy of it.

The two runs of one model are compared with each other (per held-out subject, seed-averaged),
not with arms.py's scratch: the product's protocol (validation by subject where the budget
allows, epochs with early stopping) differs from the bench's, so only runs of one protocol pair.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

# per model: the flags that make the CPU run affordable and match the bench's windows
MODEL_ARGS = {"multi3net": ["--dim", "64", "--layers", "1", "--heads", "4", "--experts", "4"]}


def label_map_arg(label_map: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(label_map.items()) if k != v)


def run_product(model: str, data: Path, fmt: str, out: Path, budget, seeds: list[int], *, sim: list[Path] | None,
                site: str, axes: str, inputs: str, label_map: dict, fps: float, window: float, stride: float,
                sim_stride: float, epochs: int, pretrain_epochs: int, threads: int, device: str, max_folds: int,
                log) -> dict:
    """One `weartwin train` run (resumed when its folder holds a finished metrics.json) -> metrics."""
    args = [sys.executable, "-m", "ml", "train", model, "--data", str(data), "--format", fmt, "--out", str(out),
            "--sites", site, "--site-map", f"wrist={site},hand={site},forearm={site}", "--inputs", inputs,
            "--fps", f"{fps:g}", "--window", f"{window:g}", "--stride", f"{stride:g}",
            "--seeds", ",".join(map(str, seeds)), "--epochs", str(epochs), "--device", device,
            "--calibrate", "none", "--no-progress", "--max-folds", str(max_folds), *MODEL_ARGS.get(model, [])]
    args += ["--label-fractions", "1"] if budget == "all" else ["--labels-per-class", str(budget)]
    if axes:
        args += [f"--sim-axes={axes}"]          # "=": a value starting with "-" is no flag
    if label_map:
        args += ["--label-map", label_map_arg(label_map)]
    if sim:
        args += ["--sim", *map(str, sim), "--sim-stride", f"{sim_stride:g}", "--pretrain-epochs", str(pretrain_epochs)]
    metrics = out / "metrics.json"
    # always run: the product resumes a fold (and the pretraining) only when its hash of config,
    # data, seed and budget matches, so a changed setting recomputes and an unchanged one is cheap
    log(f"  $ {' '.join(args[1:])}")
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    r = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode != 0 or not metrics.is_file():
        raise RuntimeError(f"weartwin train {model} failed ({r.returncode}): {r.stderr.strip()[-800:]}")
    return json.loads(metrics.read_text())


def scores_of(metrics: dict, budget, classes: list[str]) -> dict:
    """metrics.json of one budget -> the bench's score record (per_unit = per held-out subject;
    per_class_f1 in the bench's class order, which is not the product's sorted one)."""
    key = "1" if budget == "all" else f"k{budget}"
    b = metrics["sweep"][key]
    per = {s: float(v) for s, v in b["per_subject"].items()}
    pc = b["per_class_f1"]
    return {"per_unit": per, "macro_f1_mean": float(np.mean(list(per.values()))),
            "pooled_macro_f1": float(b["pooled_macro_f1"]), "pooled_per_seed": b["pooled_per_seed"],
            "per_class_f1": [round(float(pc[c]["mean"]), 4) if pc.get(c, {}).get("mean") is not None else float("nan")
                             for c in classes],
            "seconds": float(metrics.get("seconds", 0.0)), "protocol": "weartwin train"}


def product_arm(model: str, tcfg: dict, data_root: Path, exports: list[Path], corpus_name: str, budget,
                seeds: list[int], out: Path, classes: list[str], a, log) -> dict:
    """{arm name: scores} for MODEL from scratch and pretrained on `exports`, plus the pairing."""
    from .stats import paired

    signs = tcfg.get("sim_axis_signs")
    axes = ",".join(("-" if v < 0 else "") + "xyz"[i] for i, v in enumerate(signs)) if signs else ""
    common = dict(site=tcfg["site"], axes=axes, inputs=tcfg["inputs"], label_map=tcfg.get("label_map", {}), fps=a.fps,
                  window=a.window, stride=a.stride, sim_stride=a.sim_stride, epochs=a.product_epochs,
                  pretrain_epochs=a.product_pretrain_epochs, threads=a.threads, device=a.device_resolved,
                  max_folds=a.max_units, log=log)
    data, fmt = data_root / tcfg["path"], tcfg.get("format", "auto")
    tag = "all" if budget == "all" else f"k{budget}"
    scratch = scores_of(run_product(model, data, fmt, out / f"{model}_scratch_{tag}", budget, seeds, sim=None,
                                    **common), budget, classes)
    pre = scores_of(run_product(model, data, fmt, out / f"{model}_pre_{corpus_name}_{tag}", budget, seeds,
                                sim=exports, **common), budget, classes)
    name = f"{model}_pre[{corpus_name}]"
    return {"arms": {f"{model}_scratch": scratch, name: pre},
            "vs": {name: {**paired(scratch["per_unit"], pre["per_unit"]), "baseline": f"{model}_scratch"}}}
