"""`weartwin train MODEL --data DIR... --out RUN [options]` (also `python -m ml train ...`).

The options are generated from the typed config of each model (ml/config.py), so `--help`
shows every setting with its default; `--config FILE.json` sets them from a file (for
example a previous run's RUN/config.json) and the command line overrides it.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from .config import CONFIGS, RunConfig
from .data import DataError
from .data.channels import check_sim_axes

EPILOG = """\
datasets (--data, layout detected): WearTwin exports, the generic format of DESIGN.md
(index.csv + CSVs), sp_sw_har, hmp, PAMAP2, MM-Fit, OpenPack, RealWorld in their published
layouts. --sim takes WearTwin export folders (labels from the bake manifest or folder names).

what a run writes: RUN/config.json, RUN/metrics.json (macro-F1 per held-out subject, mean ± sd,
pooled, per-class F1, confusion matrix, seed mean ± sd; per label budget the labelled windows each
fold used for training and validation), RUN/confusion.png, RUN/curves.png, RUN/sweep.png and
RUN/folds/... (per-fold predictions, checkpoints and hashes; --resume reuses a fold only when its
hash of config + data + subjects + seed + budget matches).
label budgets: --labels-per-class K / --label-fractions f cover training AND validation.
--final: train on every subject and write RUN/model.npz (+ model.ts) for `weartwin predict`.
compare two runs: weartwin compare RUN_A RUN_B (paired per-subject Δ, Wilcoxon, bootstrap CI).

multi-GPU: torchrun --nproc_per_node=N -m ml train dcl --data ... --out RUN
examples:
  weartwin train rf  --data ../shared/data/imu/sp_sw_har --out runs/rf
  weartwin train dcl --data ../shared/data/imu/sp_sw_har --out runs/dcl --seeds 0,1,2
  weartwin train simpharnet --inputs imu --data ../shared/data/imu/sp_sw_har --sim exports/ \\
      --out runs/simphar --labels-per-class 10
"""


def _parse_list(kind):
    def parse(text: str):
        items = [t.strip() for t in text.split(",") if t.strip()]
        try:
            return [kind(t) for t in items]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {kind.__name__}, got '{text}'")
    return parse


def _parse_map(text: str) -> dict:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise argparse.ArgumentTypeError(f"expected key=value[,key=value], got '{text}'")
        k, v = part.split("=", 1)
        out[k.strip().lower()] = v.strip()
    return out


def _help(f, default) -> str:
    from addon.config import default_text, states_default     # one way to show a default, for every command

    h = f.metadata.get("help", "")
    if not states_default(h):
        h += f" (default: {default_text(default)})"
    return h.replace("%", "%%")


def _add_fields(p: argparse.ArgumentParser, cls) -> None:
    for f in dataclasses.fields(cls):
        if f.name in ("model", "data"):
            continue
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        help_ = _help(f, default)
        if f.name == "sim":
            p.add_argument(flag, nargs="+", default=argparse.SUPPRESS, help=help_)
        elif isinstance(default, bool) or f.metadata.get("kind") is bool:
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=help_)
        elif isinstance(default, list):
            kind = f.metadata.get("kind") or (type(default[0]) if default else str)
            p.add_argument(flag, type=_parse_list(kind), default=argparse.SUPPRESS, help=help_)
        elif isinstance(default, dict):
            p.add_argument(flag, type=_parse_map, default=argparse.SUPPRESS, help=help_)
        else:
            p.add_argument(flag, type=type(default), default=argparse.SUPPRESS, help=help_)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="weartwin train", description="Train and evaluate activity recognition "
                                "with subject-wise cross-validation.", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="model", required=True, metavar="MODEL")
    names = {"rf": "random forest on window statistics (scikit-learn baseline)",
             "dcl": "DeepConvLSTM (Ordóñez & Roggen 2016; per-channel convolutions, pooled LSTM readout)",
             "resnet": "ResNet-1D (Wang et al. 2017): batch norm, residual blocks, global average pooling",
             "simpharnet": "SImpHARNet: signal↔text contrastive pretraining on --sim, then fine-tuning",
             "multi3net": "Multi3Net+: text/pose/IMU pretraining on --sim, mixture-of-experts classifier"}
    for name, cls in CONFIGS.items():
        sp = sub.add_parser(name, help=names[name], description=names[name], epilog=EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        sp.add_argument("--data", nargs="+", default=argparse.SUPPRESS, help="real labelled dataset folder(s)")
        sp.add_argument("--out", required=True, help="run folder (created; resumable)")
        sp.add_argument("--config", help="JSON file with settings (e.g. a previous RUN/config.json)")
        _add_fields(sp, cls)
    return p


def config_from_args(args: argparse.Namespace) -> RunConfig:
    cls = CONFIGS[args.model]
    values: dict = {}
    if args.config:
        try:
            values = json.loads(Path(args.config).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"{args.config}: cannot read config ({e})") from None
        values.pop("model", None)
    for f in dataclasses.fields(cls):
        if f.name in vars(args) and f.name != "model":
            values[f.name] = getattr(args, f.name)
    if values.get("init") and "inputs" not in values:
        values["inputs"] = "imu"      # a pretrained encoder reads one device's acc (+ gyro), whatever the model's default
    cfg = cls.from_dict(values)
    if cfg.inputs not in ("imu", "acc", "imu_mag", "acc_mag", "imp", "fused"):
        raise ValueError(f"--inputs: unknown '{cfg.inputs}'")
    check_sim_axes(cfg.sim_axes)       # ValueError -> usage error
    if cfg.calibrate not in ("none", "quantile", "quantile-class"):
        raise ValueError(f"--calibrate: unknown '{cfg.calibrate}' (none, quantile, quantile-class)")
    if any(not 0 < f <= 1 for f in cfg.label_fractions):
        raise ValueError("--label-fractions must be in (0, 1]")
    if any(k < 1 for k in cfg.labels_per_class):
        raise ValueError("--labels-per-class must be 1 or more")
    if cfg.probe not in ("", "sim2real", "zeroshot"):
        raise ValueError(f"--probe: unknown '{cfg.probe}' (sim2real, zeroshot)")
    if cfg.probe and not cfg.sim:
        raise ValueError(f"--probe {cfg.probe} needs --sim exports")
    if cfg.probe == "zeroshot" and cfg.model != "simpharnet":
        raise ValueError("--probe zeroshot needs a text-aligned model: weartwin train simpharnet ...")
    if cfg.probe == "sim2real" and cfg.model not in ("rf", "dcl", "resnet"):
        raise ValueError("--probe sim2real trains rf, dcl or resnet on the simulated data")
    if cfg.sim_ratio < 0:
        raise ValueError("--sim-ratio must be 0 (all) or more")
    if cfg.shard:
        from .training.protocol import parse_shard

        parse_shard(cfg.shard)
    if cfg.lr_schedule not in ("constant", "cosine", "onecycle"):
        raise ValueError(f"--lr-schedule: unknown '{cfg.lr_schedule}' (constant, cosine, onecycle)")
    if cfg.model == "dcl" and cfg.readout not in ("mean", "last"):
        raise ValueError(f"--readout: unknown '{cfg.readout}' (mean, last)")
    if getattr(cfg, "init", ""):
        if cfg.model not in ("resnet", "simpharnet", "dcl"):
            raise ValueError(f"--init: {cfg.model} has no pretrained encoder (resnet, simpharnet, dcl have)")
        if cfg.sim:
            raise ValueError("--init and --sim: the encoder is already pretrained on simulated data; give one of them")
        if cfg.inputs not in ("imu", "acc"):
            raise ValueError(f"--init: the encoder reads one device's acc (+ gyro), not --inputs {cfg.inputs}: "
                             "leave --inputs out (imu) or give --inputs imu")
    if getattr(cfg, "adapt", "none") not in ("none", "ssl"):
        raise ValueError(f"--adapt: unknown '{cfg.adapt}' (none, ssl)")
    if getattr(cfg, "adapt", "none") == "ssl" and not cfg.init:
        raise ValueError("--adapt ssl adapts a pretrained encoder: give --init NAME|PATH")
    if cfg.model == "multi3net" and not 1 <= cfg.experts <= 16:
        raise ValueError("--experts must be 1..16")
    return cfg


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        cfg = config_from_args(args)
    except ValueError as e:
        print(f"weartwin train: error: {e}", file=sys.stderr)
        return 2
    from .api import run

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"weartwin train: error: --out {out}: exists and is not a folder", file=sys.stderr)
        return 2
    try:
        metrics = run(cfg, out)
    except DataError as e:
        print(f"weartwin train: error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"weartwin train: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        where = e.filename or out
        print(f"weartwin train: error: {where}: {e.strerror or e}", file=sys.stderr)
        return 1
    from .training.loop import Dist

    if not Dist().main:
        return 0
    if cfg.final:
        print(f"{cfg.model}: final model -> {', '.join(metrics['files'])}; "
              f"label recordings with: weartwin predict {metrics['files'][0]} DATA --out labels.csv")
        return 0
    from .training.budget import Budget

    budget = f" ({Budget.parse(metrics['budget']).words})" if metrics.get("budget") not in (None, "1") else ""
    print(f"{cfg.model} {cfg.protocol}{budget}: macro-F1 {metrics['macro_f1_mean']:.3f} ± {metrics['macro_f1_std']:.3f} "
          f"over {len(metrics['per_subject'])} held-out subjects, pooled {metrics['pooled_macro_f1']:.3f} "
          f"-> {Path(args.out) / 'metrics.json'}")
    for key, m in metrics["sweep"].items():
        if len(metrics["sweep"]) > 1:
            what = f"{key[1:]} labels per class" if key.startswith("k") else f"{float(key) * 100:g}% labels"
            print(f"  {what}: {m['macro_f1_mean']:.3f} ± {m['macro_f1_std']:.3f}")
    return 0
