"""Does the pretrained WearTwin encoder lift few-label recognition on real data? (issue 25)

Targets (`--data`, the shared data folder): sp_sw_har watch (left wrist), sp_sw_har phone (trouser
pocket; `--format sp_sw_har:phone`), HMP (right wrist, acc only: the gyroscope is zeros and the
encoder's gyro_missing flag is on). Protocol, fixed here before any result: per held-out unit
(sp_sw_har: each subject, LOSO; HMP: volunteers with < 150 windows merged into groups), seeds
0-4, budgets 1, 5, 10, 20 labelled windows per class and 100 %, drawn from the training units
(sim_gain.arms.make_plan: validation out of the budget from 5 per class, else the last step);
the encoder's contract fixes rate, window and the physical scaling (no statistic of any unit).
Arms (one architecture: the encoder's SImpHARNet conv encoder, fine-tuned the same steps):
  scratch      random init
  rf           random forest on window statistics
  ssl          control: SimCLR on the target's unlabelled windows of the training units only
  encoder      the pretrained encoder fine-tuned (head alone for the first third, then everything)
  encoder_ssl  the encoder, SimCLR-adapted on those unlabelled windows first, then fine-tuned
  encoder_match  realism matching (added in a later round, fixed before its first result): the encoder
               continued for --match-epochs 10 on its own pretraining corpus (--match-windows), windows
               drawn with weights ml.pretrain.match gives them against the target's unlabelled windows
               of the training units only (one matched encoder per SSL group, as the ssl arm; density
               ratio ^ 0.5, clipped at 20; lr 5e-4), then fine-tuned as `encoder`
  linear       linear probe on the frozen encoder
  zero_shot    no label: nearest class-name text embedding (the same at every budget)
Every arm is compared with scratch and with ssl: paired per-unit Δ macro-F1 (seed mean), Wilcoxon p,
bootstrap 95% CI.

    python benchmarks/bench_transfer.py --encoder ml/pretrained/weartwin-imu --prepare-only --prep P
    python benchmarks/bench_transfer.py --encoder ml/pretrained/weartwin-imu --prep P --device cuda
    python benchmarks/bench_transfer.py --quick --encoder ENC     # 2 CPU cores, < 30 min, one JSON line

The evaluation imports numpy, torch, scikit-learn, scipy, matplotlib only (no bpy, no text model:
the class-name embeddings are computed by --prepare-only), so P (a few MB) can be carried to a GPU machine.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.shared_data import shared_data  # noqa: E402

BASES = ("scratch", "ssl", "encoder")     # the arms every other arm is compared with, paired per unit
ARMS = ("scratch", "rf", "ssl", "encoder", "encoder_ssl", "encoder_match", "linear", "zero_shot")
TARGETS = ("sp_sw_har", "sp_sw_har_phone", "hmp")
QUICK = {"targets": "sp_sw_har,sp_sw_har_phone", "budgets": "1,10", "seeds": "0,1", "steps": 150,
         "ssl_steps": 300, "max_units": 6, "ssl_groups": 3}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def target_configs() -> dict:
    t = json.loads((ROOT / "benchmarks" / "specs" / "targets.json").read_text())
    phone = {**t["sp_sw_har"], "format": "sp_sw_har:phone", "site": "pocket"}
    return {"sp_sw_har": t["sp_sw_har"], "sp_sw_har_phone": phone, "hmp": t["hmp"]}


# ------------------------------------------------------------------------------------------
# preparation (this machine: the real datasets and the text model)

def prepare(a, contract) -> Path:
    from benchmarks.sim_gain.prepare import prepare_target
    from ml.training.recipes import class_text_embeddings

    prep = Path(a.prep)
    prep.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for t in a.targets.split(","):
        tc = target_configs()[t]
        f = prepare_target(t, tc, Path(a.data), prep, contract.fps, contract.window_s, a.stride)
        with np.load(f) as d:
            classes = d["classes"].tolist()
        ct = prep / f"classnames_{t}.npy"
        np.save(ct, class_text_embeddings(classes))
        manifest[t] = {"target": f.name, "class_text": ct.name}
        log(f"[{t}] prepared {f.name}")
    (prep / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return prep


# ------------------------------------------------------------------------------------------
# the encoder as a one-model MultiNet (the sim_gain trainer's network)

def encoder_multinet(enc, contract, gyro: bool):
    """The encoder's SImpHARNet conv encoder and projections as sim_gain's MultiNet with M = 1."""
    import torch

    from benchmarks.sim_gain.multinet import MultiNet

    if contract.arch != "simpharnet" or contract.proj != contract.dim:
        raise SystemExit(f"bench_transfer: the encoder is {contract.arch} (proj {contract.proj}); the bench "
                         "evaluates a simpharnet encoder with proj = dim (weartwin pretrain --arch simpharnet)")
    p = contract.params
    m = MultiNet(1, 6, 2, p["dim"], tuple(p["widths"]))
    src = enc.backbone.state_dict()
    dst = m.state_dict()
    with torch.no_grad():
        for k, v in src.items():
            if k.startswith("net."):
                dst[f"encoder.{k}"].copy_(v.view_as(dst[f"encoder.{k}"]))
        dst["encoder.out.weight"].copy_(src["out.weight"].t()[None])
        bias = src["out.bias"] + (0 if gyro else enc.gyro_missing.detach())
        dst["encoder.out.bias"].copy_(bias[None])
        dst["signal_proj.weight"].copy_(enc.signal_proj[1].weight.t()[None])
        dst["signal_proj.bias"].copy_(enc.signal_proj[1].bias[None])
        dst["text_proj1.weight"].copy_(enc.text_proj[0].weight.t()[None])
        dst["text_proj1.bias"].copy_(enc.text_proj[0].bias[None])
        dst["text_proj2.weight"].copy_(enc.text_proj[2].weight.t()[None])
        dst["text_proj2.bias"].copy_(enc.text_proj[2].bias[None])
    return m


def matched_encoders(a, contract, enc, X: np.ndarray, gyro: bool, pools, tr, log_to: dict):
    """One realism-matched encoder per unlabelled pool, stacked as a MultiNet with one model per pool."""
    import tempfile

    import torch

    from benchmarks.sim_gain.multinet import per_model
    from ml.pretrain.contract import load
    from ml.pretrain.corpus import load_corpus
    from ml.pretrain.match import corpus_weights
    from ml.pretrain.train import Recipe, pretrain

    corpus = load_corpus(Path(a.match_windows))
    r0 = contract.recipe or {}
    recipe = Recipe(arch=contract.arch, epochs=a.match_epochs, batch_size=int(r0.get("batch_size", 512)), lr=5e-4,
                    lambda_text=float(r0.get("lambda_text", 1.0)), gyro_drop=float(r0.get("gyro_drop", 0.3)),
                    amp_scale=float(r0.get("amp_scale", 0.1)), rotation=str(r0.get("rotation", "so3")), seed=0,
                    max_steps_per_epoch=a.match_max_steps)
    state = {k: v.detach().cpu() for k, v in enc.state_dict().items()}
    nets = []
    for g, pool in enumerate(pools):
        w, info = corpus_weights(corpus, X[pool], gyro, contract.fps, clip=20.0, seed=g, power=0.5)
        log(f"  matched encoder {g + 1}/{len(pools)}: AUC {info['auc_sim_vs_target']:.3f}, effective "
            f"{100 * info['effective_share']:.0f} %, top sites {[d['name'] for d in info['top_sites'][:3]]}")
        with tempfile.TemporaryDirectory() as tmp:
            c = pretrain(corpus, Path(tmp), recipe, contract.fps, contract.window_s, a.device, dict(contract.params),
                         "bench_transfer encoder_match", log=lambda m: None, resume=False,
                         init=(contract, state), sample_weights=w, match=info)
            _, net_g = load(tmp)
        log_to[f"pool{g}"] = {**info, "last_epoch": c.recipe["history"][-1]}
        nets.append(encoder_multinet(net_g, contract, gyro))
    dst = tr.net(len(nets))
    dv = per_model(dst.state_dict(), len(nets))
    with torch.no_grad():
        for g, m in enumerate(nets):
            sv = per_model(m.state_dict(), 1)
            for k in dv:
                if k in sv and sv[k].shape[1] == dv[k].shape[1]:
                    dv[k][g].copy_(sv[k][0].to(dv[k].device))
    return dst


def rf_arm(X: np.ndarray, y: np.ndarray, plan: dict, trees: int) -> dict:
    from sklearn.ensemble import RandomForestClassifier

    from ml.training.recipes import window_features

    t0 = time.perf_counter()
    F = window_features(X)
    preds = []
    for (u, s), tr, te in zip(plan["models"], plan["train"], plan["test"]):
        rf = RandomForestClassifier(trees, random_state=s, n_jobs=-1, class_weight="balanced_subsample")
        rf.fit(F[tr], y[tr])
        preds.append(rf.predict(F[te]))
    return {"pred": preds, "seconds": time.perf_counter() - t0}


def evaluate(a, prep: Path, contract, enc) -> dict:
    import torch

    from benchmarks.bench_sim_gain import budgets_of, ssl_pools
    from benchmarks.sim_gain.arms import Setup, Trainer, make_plan, scale_vector
    from benchmarks.sim_gain.stats import unit_scores

    dev = a.device if a.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    if dev == "cpu":
        torch.set_num_threads(max(1, a.threads))
    p = contract.params
    setup = Setup(steps=a.steps, pre_steps=a.ssl_steps, widths=tuple(p["widths"]), dim=p["dim"], device=dev,
                  batch=a.batch, pre_batch=a.pre_batch)
    seeds = [int(s) for s in a.seeds.split(",")]
    arms = a.arms.split(",")
    manifest = json.loads((prep / "manifest.json").read_text())
    results = {"protocol": {"seeds": seeds, "budgets": a.budgets, "arms": arms, "steps": a.steps,
                            "ssl_steps": a.ssl_steps, "ssl_groups": a.ssl_groups, "device": dev,
                            "encoder": str(a.encoder), "contract": {"arch": contract.arch, "params": p,
                                                                     "fps": contract.fps, "window_s": contract.window_s}},
               "targets": {}}
    for t in a.targets.split(","):
        t0 = time.perf_counter()
        with np.load(prep / manifest[t]["target"], allow_pickle=False) as d:
            T = {k: d[k] for k in d.files}
        if a.max_units:
            keep = np.isin(T["group"], sorted(set(T["group"].tolist()))[:a.max_units])
            T = {k: (v[keep] if isinstance(v, np.ndarray) and v.shape[:1] == keep.shape else v) for k, v in T.items()}
        classes = T["classes"].tolist()
        K = len(classes)
        X = T["x"].astype(np.float32)
        gyro = X.shape[-1] == 6
        if not gyro:         # acc-only device: the encoder's 6 inputs with zeros for the gyroscope
            X = np.concatenate([X, np.zeros_like(X)], axis=-1)
        channels = [f"dev.{c}" for c in ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")]
        y, unit = T["y"].astype(np.int64), T["group"]
        tr = Trainer(X, y, channels, K, setup)
        enc_m = encoder_multinet(enc, contract, gyro).to(dev)
        R = {"classes": classes, "n_windows": int(len(y)), "units": sorted(set(unit.tolist())), "gyro": gyro,
             "runs": {}, "pretrain_logs": {}}
        log(f"[{t}] {len(y)} windows, {len(R['units'])} units, {K} classes, gyro {gyro}")
        pre = {}
        zs = None
        if "zero_shot" in arms:
            ct = torch.from_numpy(np.load(prep / manifest[t]["class_text"]))
            xs = torch.from_numpy(X * scale_vector(channels))
            g = torch.full((len(X),), 0.0 if gyro else 1.0)
            with torch.no_grad():
                te = enc.embed_text(ct)
                zs = np.concatenate([(enc.embed_signal(xs[i:i + 1024], g[i:i + 1024]) @ te.t()).argmax(1).numpy()
                                     for i in range(0, len(X), 1024)])
        for budget in budgets_of(a.budgets):
            plan = make_plan(y, unit, K, budget, seeds)
            runs = {}

            def record(name, out):
                sc = unit_scores(plan, out["pred"], y, K)
                sc["seconds"] = out["seconds"]
                runs[name] = sc
                log(f"[{t}] K={budget} {name}: macro-F1 {sc['macro_f1_mean']:.3f} ({out['seconds']:.0f} s)")

            pools, which = ssl_pools(unit, plan["models"], a.ssl_groups)
            for arm in arms:
                if arm == "scratch":
                    record(arm, tr.finetune(plan))
                elif arm == "rf":
                    record(arm, rf_arm(X * scale_vector(channels), y, plan, a.trees))
                elif arm in ("ssl", "encoder_ssl"):
                    if arm not in pre:      # budget-independent: pretrained once per target
                        pre[arm] = tr.pretrain("ssl", seeds, real_pools=pools,
                                               init=enc_m if arm == "encoder_ssl" else None)
                        R["pretrain_logs"][arm] = pre[arm][1]
                    record(arm, tr.finetune(plan, pre[arm][0], which))
                elif arm == "encoder":
                    record(arm, tr.finetune(plan, enc_m, [0] * len(plan["models"])))
                elif arm == "encoder_match":
                    if arm not in pre:      # budget-independent: one matched encoder per unlabelled pool
                        R["pretrain_logs"][arm] = {}
                        pre[arm] = (matched_encoders(a, contract, enc, X, gyro, pools, tr, R["pretrain_logs"][arm]),)
                    record(arm, tr.finetune(plan, pre[arm][0], which))
                elif arm == "linear":
                    tr.s = dataclasses.replace(setup, freeze_share=1.0)
                    record(arm, tr.finetune(plan, enc_m, [0] * len(plan["models"])))
                    tr.s = setup
                elif arm == "zero_shot":
                    record(arm, {"pred": [zs[te] for te in plan["test"]], "seconds": 0.0})
            R["runs"][str(budget)] = {"arms": runs, "vs": compare_arms({"arms": runs})}
            results["targets"][t] = R
            Path(a.out).mkdir(parents=True, exist_ok=True)
            (Path(a.out) / "partial_results.json").write_text(json.dumps(results, default=float))
        R["seconds"] = time.perf_counter() - t0
    return results


# ------------------------------------------------------------------------------------------
# report

def headline(res: dict, budget: str = "10", arms=("encoder", "encoder_ssl")) -> dict:
    """Per target at `budget`: the better of `arms` (by mean macro-F1) vs scratch and ssl. The issue's
    headline is the released encoder with or without SSL adaptation; encoder_match is reported apart."""
    out = {}
    for t, R in res["targets"].items():
        run = R["runs"].get(budget) or R["runs"].get(sorted(R["runs"], key=lambda b: 1e9 if b == "all" else float(b))[-1])
        cands = [k for k in arms if k in run["arms"]]
        if not cands:
            continue
        best = max(cands, key=lambda k: run["arms"][k]["macro_f1_mean"])
        used = next(b for b, r in R["runs"].items() if r is run)
        line = {"labels_per_class": used, "arm": best, "f1": round(run["arms"][best]["macro_f1_mean"], 4),
                "units": len(R["units"])}
        for base in ("scratch", "ssl"):
            c = run["vs"].get(base, {}).get(best)
            if c:
                line[f"vs_{base}"] = {"delta": round(c["delta_mean"], 4), "p": round(c["wilcoxon_p"], 5),
                                      "ci95": [round(x, 4) for x in c["ci95"]]}
        out[t] = line
    return out


def table(res: dict) -> str:
    rows = ["| target | labels/class | arm | macro-F1 | " + " | ".join(f"Δ vs {b} (p)" for b in BASES) + " |",
            "| --- " * (4 + len(BASES)) + "|"]
    for t, R in res["targets"].items():
        for b in sorted(R["runs"], key=lambda b: 1e9 if b == "all" else float(b)):
            run = R["runs"][b]
            for arm, sc in run["arms"].items():
                cells = []
                for base in BASES:
                    c = run["vs"].get(base, {}).get(arm)
                    cells.append(f"{c['delta_mean']:+.3f} ({c['wilcoxon_p']:.3g})" if c else "—")
                rows.append(f"| {t} | {b if b != 'all' else '100%'} | {arm} | {sc['macro_f1_mean']:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def plot(res: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ts = list(res["targets"])
    fig, axes = plt.subplots(1, len(ts), figsize=(5.2 * len(ts), 4.8), squeeze=False)
    styles = {"scratch": "k-o", "rf": "-s", "ssl": "--^", "encoder": "-o", "encoder_ssl": "-D", "encoder_match": "-P",
              "linear": ":v", "zero_shot": ":x"}
    for ax, t in zip(axes[0], ts):
        R = res["targets"][t]
        bs = sorted(R["runs"], key=lambda b: 1e9 if b == "all" else float(b))
        xs = np.arange(len(bs))
        for arm in ARMS:
            ys = [R["runs"][b]["arms"].get(arm, {}).get("macro_f1_mean", np.nan) for b in bs]
            if not np.all(np.isnan(ys)):
                ax.plot(xs, ys, styles[arm], label=arm, lw=2.2 if arm.startswith("encoder") else 1.3, ms=5)
        ax.set_xticks(xs, [b if b != "all" else "100%" for b in bs])
        ax.set_xlabel("labelled windows per class")
        ax.set_ylabel("macro-F1 (held-out units, seed mean)")
        ax.set_title(f"{t} ({len(R['units'])} units)")
        ax.grid(alpha=0.3)
    h, lab = axes[0][0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=len(lab), fontsize=10, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))          # the legend below the panels, over no line
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(res: dict, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=1, default=float))
    (out / "table.md").write_text(table(res))
    plot(res, out / "transfer.png")
    line = {"bench": "transfer", "targets": headline(res), "out": str(out),
            "seconds": round(res.get("seconds_total", 0), 1)}
    match = headline(res, arms=("encoder_match",))
    if match:
        line["encoder_match"] = match
    return line


def compare_arms(run: dict) -> dict:
    """Every arm against each of BASES: paired per-unit Δ (seed mean), Wilcoxon p, bootstrap CI."""
    from benchmarks.sim_gain.stats import paired

    return {base: {k: paired(run["arms"][base]["per_unit"], v["per_unit"]) for k, v in run["arms"].items() if k != base}
            for base in BASES if base in run["arms"]}


# ------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", default=None, help="model folder of `weartwin pretrain --arch simpharnet` (or NAME)")
    ap.add_argument("--quick", action="store_true", help="sp_sw_har watch + phone, 6 units, 2 seeds, budgets 1,10")
    ap.add_argument("--data", "--data-root", dest="data", default=str(shared_data()),
                    help="the shared data folder (only --prepare-only reads it)")
    ap.add_argument("--prep", default=None, help="prepared windows (default ~/.cache/weartwin/transfer/prep[_quick])")
    ap.add_argument("--prepare-only", action="store_true", help="window the targets and embed class names, then stop")
    ap.add_argument("--out", default=None, help="report folder (default benchmarks/results/transfer[_quick])")
    ap.add_argument("--targets", default=",".join(TARGETS))
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--budgets", default="1,5,10,20,all", help="labels per class; all = 100%% of the training windows")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--steps", type=int, default=300, help="fine-tuning steps")
    ap.add_argument("--ssl-steps", type=int, default=1500, help="SimCLR steps (ssl, encoder_ssl)")
    ap.add_argument("--ssl-groups", type=int, default=0, help="one SSL model per group of G held-out units (0 = per fold and seed)")
    ap.add_argument("--match-windows", default=None, metavar="FILE.npz",
                    help="encoder_match: the encoder's pretraining corpus (weartwin pretrain --save-windows)")
    ap.add_argument("--match-epochs", type=int, default=10, help="encoder_match: epochs of matched pretraining")
    ap.add_argument("--match-max-steps", type=int, default=0, help="encoder_match: steps per epoch at most (0 = a pass)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--pre-batch", type=int, default=128)
    ap.add_argument("--trees", type=int, default=200)
    ap.add_argument("--stride", type=float, default=1.0)
    ap.add_argument("--max-units", type=int, default=0, help="the first N units only (quick looks, tests)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--from-results", default=None, metavar="A.json,B.json",
                    help="merge results files of runs split by target (e.g. one process per target on one GPU) into "
                         "one report in --out, then stop")
    a = ap.parse_args(argv)
    if a.from_results:
        parts = [json.loads(Path(f).read_text()) for f in a.from_results.split(",")]
        res = json.loads(json.dumps(parts[0]))
        for p in parts[1:]:           # runs split by target and/or budget: united per target, budget by budget
            for t, R in p["targets"].items():
                if t not in res["targets"]:
                    res["targets"][t] = R
                    continue
                for b, run in R["runs"].items():
                    have = res["targets"][t]["runs"].setdefault(b, run)
                    if have is not run:    # the same budget: arms the first file lacks join it (same plan:
                        new = {k: v for k, v in run["arms"].items() if k not in have["arms"]}   # seeds, units)
                        if new:
                            if run["arms"].get("scratch", {}).get("per_unit", {}).keys() != \
                                    have["arms"].get("scratch", {}).get("per_unit", {}).keys():
                                raise SystemExit(f"--from-results: {t} budget {b}: the files held out different units")
                            have["arms"].update(new)
                res["targets"][t]["pretrain_logs"].update(R.get("pretrain_logs", {}))
        for R in res["targets"].values():
            for run in R["runs"].values():
                run["vs"] = compare_arms(run)
        res["commands"] = [c for p in parts for c in (p.get("commands") or [p.get("command", "")])]
        res["seconds_total"] = max(p.get("seconds_total", 0) for p in parts)
        print(json.dumps(write_report(res, Path(a.out or ROOT / "benchmarks" / "results" / "transfer"))))
        return 0
    if a.arms == ap.get_default("arms") and not a.match_windows:
        a.arms = ",".join(x for x in ARMS if x != "encoder_match")     # it needs the pretraining corpus
    if "encoder_match" in a.arms.split(",") and not a.match_windows:
        print("bench_transfer: error: the encoder_match arm needs --match-windows (the encoder's pretraining corpus, "
              "weartwin pretrain --save-windows)", file=sys.stderr)
        return 2
    if a.quick:
        explicit = {x.split("=")[0].lstrip("-").replace("-", "_") for x in (argv if argv is not None else sys.argv[1:])}
        for k, v in QUICK.items():
            if k not in explicit:
                setattr(a, k, v)
    if not a.encoder:
        print("bench_transfer: error: --encoder MODEL_FOLDER is required (weartwin pretrain --arch simpharnet ...)",
              file=sys.stderr)
        return 2
    from ml.pretrain.contract import EncoderFileError, load

    try:
        contract, enc = load(a.encoder)
    except EncoderFileError as e:
        print(f"bench_transfer: error: {e}", file=sys.stderr)
        return 1
    a.out = Path(a.out or ROOT / "benchmarks" / "results" / ("transfer_quick" if a.quick else "transfer"))
    a.prep = Path(a.prep or Path.home() / ".cache" / "weartwin" / "transfer" / ("prep_quick" if a.quick else "prep"))
    t0 = time.perf_counter()
    man = a.prep / "manifest.json"
    have = json.loads(man.read_text()) if man.is_file() else {}
    if a.prepare_only or not all(t in have and (a.prep / have[t]["target"]).is_file() for t in a.targets.split(",")):
        prepare(a, contract)
    if a.prepare_only:
        return 0
    res = evaluate(a, a.prep, contract, enc)
    res["seconds_total"] = time.perf_counter() - t0
    res["command"] = " ".join(["python", "benchmarks/bench_transfer.py", *(argv if argv is not None else sys.argv[1:])])
    print(json.dumps(write_report(res, a.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
