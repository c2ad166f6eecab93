"""Does pretraining on WearTwin-simulated data beat training from scratch at 10 labels per class?

Targets (real wrist IMU, `../shared/data/imu`, or `$WEARTWIN_SHARED/data/imu`): sp_sw_har (23 subjects, leave-one-subject-out)
and HMP (16 very unbalanced volunteers: those with < 150 windows are merged into groups of
≥ 150 windows, smallest first; leave-one-group-out). Corpora: `weartwin synth` specs under
benchmarks/specs/ (relevant to each target, and off-target motion as a control), windowed at
the target's wrist, cut into nested sizes. Every arm (see benchmarks/sim_gain/arms.py) is
fine-tuned on the same label budgets (K per class from the training units, validation from the
budget) and compared with scratch by paired per-unit Δ macro-F1 (seed-averaged), Wilcoxon p
and a bootstrap 95% CI. Probes first: simulated-only training tested on real, zero-shot text
retrieval, and signal statistics of simulated vs real windows per class.

    python benchmarks/bench_sim_gain.py --quick                      # 2-core CPU, < 30 min
    python benchmarks/bench_sim_gain.py --out benchmarks/results/sim_gain   # full sweep (GPU)
    python benchmarks/bench_sim_gain.py --prepare-only --prep DIR   # bake + window here, then
    python benchmarks/bench_sim_gain.py --prep DIR --device cuda     # train elsewhere (no bpy)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.shared_data import shared_data  # noqa: E402
from benchmarks.sim_gain import corpora as corp  # noqa: E402

QUICK = {"targets": "sp_sw_har", "budgets": "10", "seeds": "0,1,2", "arms": "scratch,pre_sup", "sizes": "",
         "corpora": "quick", "sim_stride": 0.5, "steps": 200, "pre_steps": 600, "widths": "32,64,64", "probes": False}


PRODUCT_MODELS = ("multi3net", "simpharnet")   # arms run through `weartwin train` (product_arms.py)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------
# preparation (this machine: bpy for the bakes, the text model for embeddings)

def prepare(a) -> Path:
    from benchmarks.sim_gain.prepare import class_text_emb, prepare_corpus, prepare_target

    targets = json.loads((corp.SPECS / "targets.json").read_text())
    prep = Path(a.prep)
    prep.mkdir(parents=True, exist_ok=True)
    manifest = {}
    bakes = {}
    for t in a.targets.split(","):
        tc = targets[t]
        tf = prepare_target(t, tc, Path(a.data), prep, a.fps, a.window, a.stride)
        entry = {"target": tf.name, "label_map": tc["label_map"], "corpora": {}}
        for role in a.corpora.split(","):
            sources = tc["corpora"].get(role)
            if not sources:
                log(f"{t}: no corpus '{role}' in targets.json, skipped")
                continue
            exports = [e for src in ([sources] if isinstance(sources, str) else sources)
                       for e in corpus_exports(src, a, bakes)]
            f = prepare_corpus(exports, tc["site"], tc["inputs"], prep, f"{t}_{role}", a.fps, a.window,
                               a.sim_stride, dtype=a.prep_dtype, axis_signs=tc.get("sim_axis_signs"))
            entry["corpora"][role] = f.name
        with np.load(tf) as d:
            classes = d["classes"].tolist()
        ct = prep / f"classtext_{t}.npy"
        if not ct.is_file():
            np.save(ct, class_text_emb(classes))
        entry["class_text"] = ct.name
        entry["bakes"] = {k: v for k, v in bakes.items()}
        manifest[t] = entry
    (prep / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return prep


def corpus_exports(src: str, a, bakes: dict | None = None) -> list[Path]:
    """A corpus source of targets.json (`NAME.yaml` under benchmarks/specs) -> its export folder,
    baked with `weartwin synth` (reused when already baked; the bake's wall time is recorded in
    `bakes`). Library paths in the specs are relative to the spec, i.e. to a checkout beside
    ../shared; with another --data they are rewritten onto it (a copy of the spec in CORPUS_DIR)."""
    spec = corp.SPECS / src
    if not spec.is_file():
        raise FileNotFoundError(f"{spec}: no such corpus spec")
    spec = corp.spec_for_data(spec, Path(a.data), Path(a.corpus_dir) / "specs")
    out = Path(a.corpus_dir) / spec.stem
    exports = out / "exports"
    if not a.reuse_corpora or not (out / "corpus.json").is_file():
        t0 = time.perf_counter()
        exports = corp.build(spec, out, a.workers, log)
        if bakes is not None:
            bakes[spec.stem] = {"bake_seconds_here": round(time.perf_counter() - t0, 1)}
    if bakes is not None:
        info = bakes.setdefault(spec.stem, {})
        info.update(corp.corpus_info(out))
    return [exports]


def sanity(prep: Path, targets: list[str]) -> dict:
    """Before any training: per target class, real windows vs each simulated activity mapped onto
    it (mean specific force per axis, within-window sd of |acc|, mean |gyro|)."""
    manifest = json.loads((prep / "manifest.json").read_text())
    out = {}
    for t in targets:
        entry = manifest[t]
        with np.load(prep / entry["target"], allow_pickle=False) as d:
            T = {k: d[k] for k in d.files}
        T["classes"], T["channels"] = T["classes"].tolist(), T["channels"].tolist()
        T["x"] = T["x"].astype(np.float32)
        res = {}
        for role, f in entry["corpora"].items():
            c = corp.load(prep / f)
            per = {}
            for lab in np.unique(c["label"]):
                sub = {"x": c["x"][c["label"] == lab], "label": c["label"][c["label"] == lab]}
                st = probe_stats(T, sub, entry["label_map"])
                per.update({f"{cls} <- {lab}": v for cls, v in st.items() if v["sim"]})
            res[role] = per
        res["real"] = {cls: v["real"] for cls, v in probe_stats(T, {"x": T["x"][:0], "label": np.array([])},
                                                                entry["label_map"]).items()}
        out[t] = res
    return out


# ------------------------------------------------------------------------------------------
# evaluation (numpy + torch + sklearn + scipy)

def is_control(role: str) -> bool:
    return "off" in role


def budgets_of(s: str) -> list:
    return ["all" if b in ("all", "100%") else int(b) for b in s.split(",") if b]


def sizes_of(s: str) -> list[float]:
    return [float(x) for x in s.split(",") if x]


def probe_stats(T: dict, sim: dict, label_map: dict) -> dict:
    """Per target class: mean |acc| (m/s²), its within-window sd, mean |gyro| — real vs the
    simulated windows mapped onto that class. The cheapest view of the sim→real gap."""
    out = {}
    x, y = T["x"], T["y"]
    ch = T["channels"]
    acc = [i for i, c in enumerate(ch) if ".acc" in c]
    gyr = [i for i, c in enumerate(ch) if ".gyro" in c]

    def stats(w):
        if not len(w):
            return None
        a = np.linalg.norm(w[..., acc], axis=-1)
        r = {"n": int(len(w)), "acc_mag_mean": float(a.mean()), "acc_mag_sd_in_window": float(a.std(1).mean()),
             "acc_mean_xyz": w[..., acc].mean((0, 1)).round(2).tolist()}
        if gyr:
            r["gyro_mag_mean"] = float(np.linalg.norm(w[..., gyr], axis=-1).mean())
        return r

    for k, c in enumerate(T["classes"]):
        sims = [l for l in np.unique(sim["label"]) if label_map.get(l) == c]
        out[c] = {"real": stats(x[y == k]), "sim_labels": sims,
                  "sim": stats(sim["x"][np.isin(sim["label"], sims)]) if sims else None}
    return out


def evaluate(a, prep: Path) -> dict:
    import torch

    from benchmarks.sim_gain.arms import Setup, Trainer, make_plan, sim_tensors
    from benchmarks.sim_gain.stats import paired, unit_scores

    dev = a.device if a.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    if dev == "cpu":
        torch.set_num_threads(max(1, a.threads))
    setup = Setup(steps=a.steps, pre_steps=a.pre_steps, widths=tuple(int(w) for w in a.widths.split(",")),
                  rot_deg=a.rot_deg, amp_aug=a.amp_aug, device=dev, batch=a.batch, pre_batch=a.pre_batch)
    manifest = json.loads((prep / "manifest.json").read_text())
    targets_cfg = json.loads((corp.SPECS / "targets.json").read_text())
    a.device_resolved = dev
    seeds = [int(s) for s in a.seeds.split(",")]
    arms = a.arms.split(",")
    # pretraining augmentations name their arms (runs with and without them merge side by side)
    aug = "".join(f"+{k}{v:g}" for k, v in (("amp", a.amp_aug), ("rot", a.rot_deg)) if v)
    results = {"setup": {**vars(setup), "seeds": seeds, "device": dev, "arms": arms}, "targets": {}}
    for t in a.targets.split(","):
        t0 = time.perf_counter()
        entry = manifest[t]
        with np.load(prep / entry["target"], allow_pickle=False) as d:
            T = {k: d[k] for k in d.files}
        T["classes"], T["channels"] = T["classes"].tolist(), T["channels"].tolist()
        if a.max_units:    # a smaller study (tests): the first N units only
            keep = np.isin(T["group"], sorted(set(T["group"].tolist()))[:a.max_units])
            T = {k: (v[keep] if isinstance(v, np.ndarray) and v.shape[:1] == keep.shape else v) for k, v in T.items()}
        unit = T["group"]
        K = len(T["classes"])
        tr = Trainer(T["x"], T["y"], T["channels"], K, setup)
        roles = a.corpora.split(",")
        corpora = {r: corp.load(prep / f) for r, f in entry["corpora"].items() if r in roles}
        R = {"classes": T["classes"], "n_windows": int(len(T["y"])), "units": sorted(set(unit.tolist())),
             "unit_of_subject": {s: g for s, g in sorted(set(zip(T["subject"].tolist(), unit.tolist())))},
             "class_counts": np.bincount(T["y"], minlength=K).tolist(), "corpora": {}, "runs": {}, "probes": {}}
        for r, c in corpora.items():
            R["corpora"][r] = {"seconds": corp.total_seconds(c), "windows": int(len(c["label"])),
                               "labels": {l: int((c["label"] == l).sum()) for l in np.unique(c["label"])},
                               "texts": int(len(c["texts"]))}
        # nested sizes of the main (first non-control) corpus: the requested sizes below its
        # total, and its total; every other corpus is cut at the same sizes (controls of the
        # same size), never above its own total
        sizes = sizes_of(a.sizes)
        main_role = next((r for r in a.corpora.split(",") if r in corpora and not is_control(r)), None)
        variants = {}      # name -> (role, subset)
        main_sizes = None
        for r in ([main_role] if main_role else []) + [r for r in corpora if r != main_role]:
            c = corpora[r]
            full = corp.total_seconds(c)
            use = main_sizes if main_sizes is not None else [s for s in sizes if s < full * 0.98] + [full]
            use = sorted({min(s, full) for s in use})
            for s in use:
                sub = corp.nested_subset(c, s)
                variants[f"{r}@{int(round(sub['seconds']))}s"] = (r, sub)
            if r == main_role:
                main_sizes = use
        log(f"[{t}] {len(T['y'])} windows, {len(R['units'])} units, corpora "
            f"{ {k: round(v['seconds']) for k, v in R['corpora'].items()} } s, variants {list(variants)}")
        largest_rel = max((n for n, (r, _) in variants.items() if r == main_role),
                          key=lambda n: variants[n][1]["seconds"], default=None)
        # no budget of this run is the controls budget: only the main corpus is used (a run split
        # by budgets over several processes pretrains the controls once)
        any_full = a.controls_budget is None or str(a.controls_budget) in map(str, budgets_of(a.budgets))
        if not any_full:
            variants = {n: v for n, v in variants.items() if n == largest_rel}
        # pretraining (budget-independent, once per variant and kind)
        pre = {}
        want_text = any(x.startswith("pre_text") for x in arms)   # the zero-shot probe needs it too
        want_sup = any(x.startswith("pre_sup") for x in arms)
        for name, (role, sub) in variants.items():
            kinds = (["text"] if want_text else []) + (["sup"] if want_sup else [])
            if is_control(role) and not a.controls:
                continue
            for kind in kinds:
                st = sim_tensors(sub, entry["label_map"], T["classes"], dev)
                pre[(kind, name)] = tr.pretrain(kind, seeds, st)
                log(f"[{t}] pretrained {kind} on {name}: {pre[(kind, name)][1]['seconds']:.0f} s, "
                    f"loss {pre[(kind, name)][1]['loss'][0]:.3f} -> {pre[(kind, name)][1]['loss'][-1]:.3f}")
            if want_text and role == main_role and a.controls:
                st = sim_tensors(sub, entry["label_map"], T["classes"], dev, shuffle_texts_seed=0)
                pre[("text_shuf", name)] = tr.pretrain("text", seeds, st)
        R["main_corpus"] = largest_rel
        R["primary_arm"] = f"{a.primary}{aug if a.primary.startswith('pre_') else ''}[{largest_rel}]" if a.primary.startswith("pre_") or a.primary.startswith("mix") \
            else a.primary
        # probes
        if a.probes and largest_rel:
            R["probes"] = probes(tr, T, variants[largest_rel][1], entry, prep, pre.get(("text", largest_rel)), seeds, dev)
            log(f"[{t}] probes: {json.dumps({k: v for k, v in R['probes'].items() if k != 'signal_stats'})}")
        for budget in budgets_of(a.budgets):
            plan = make_plan(T["y"], unit, K, budget, seeds)
            which_seed = [seeds.index(s) for _, s in plan["models"]]
            runs = {}
            product_vs = {}

            def record(arm_name, out):
                sc = unit_scores(plan, out["pred"], T["y"], K)
                sc["seconds"] = out["seconds"]
                runs[arm_name] = sc
                log(f"[{t}] K={budget} {arm_name}: macro-F1 {sc['macro_f1_mean']:.3f} "
                    f"(pooled {sc['pooled_macro_f1']:.3f}, {out['seconds']:.0f} s)")

            full_sweep = a.controls_budget is None or str(budget) == str(a.controls_budget)

            def wanted(name):     # away from the headline budget: the main corpus only, no controls
                return full_sweep or name == largest_rel

            for arm in arms:
                if arm == "scratch":
                    record("scratch", tr.finetune(plan))
                elif arm in ("pre_text", "pre_sup"):
                    kind = arm.split("_")[1]
                    for name in filter(wanted, variants):
                        if (kind, name) in pre:
                            record(f"{arm}{aug}[{name}]", tr.finetune(plan, pre[(kind, name)][0], which_seed))
                        if kind == "text" and ("text_shuf", name) in pre and full_sweep:
                            record(f"pre_text_shuf{aug}[{name}]", tr.finetune(plan, pre[("text_shuf", name)][0], which_seed))
                elif arm == "pre_ssl":
                    # one SimCLR model per fold x seed (its pool: every training unit), or with
                    # --ssl-groups G one per group of held-out units (its pool: the other groups)
                    pools, which = ssl_pools(unit, plan["models"], a.ssl_groups)
                    if ("ssl", t) not in pre:
                        pre[("ssl", t)] = tr.pretrain("ssl", seeds, real_pools=pools)
                        log(f"[{t}] pretrained ssl ({len(pools)} models): {pre[('ssl', t)][1]['seconds']:.0f} s")
                    record("pre_ssl", tr.finetune(plan, pre[("ssl", t)][0], which))
                elif arm.startswith("mix"):
                    cal = arm.endswith("_cal")
                    ratio = float(arm[3:].replace("_cal", "") or 1)
                    if largest_rel is None:
                        continue
                    st = sim_tensors(variants[largest_rel][1], entry["label_map"], T["classes"], dev)
                    if "mix" not in st:
                        log(f"[{t}] {arm}: no simulated activity maps onto a target class, skipped")
                        continue
                    record(f"{arm}[{largest_rel}]", tr.finetune(plan, mix={**st["mix"], "ratio": ratio, "calibrate": cal}))
                elif arm in PRODUCT_MODELS:
                    if largest_rel is None:
                        continue
                    from benchmarks.sim_gain.product_arms import product_arm

                    tc = targets_cfg[t]
                    srcs = tc["corpora"][main_role]
                    exports = [e for src in ([srcs] if isinstance(srcs, str) else srcs) for e in corpus_exports(src, a)]
                    pa = product_arm(arm, tc, Path(a.data), exports, largest_rel, budget, seeds,
                                     a.out / "product_runs" / t, T["classes"], a, log)
                    for k, v in pa["arms"].items():
                        runs[k] = v
                        log(f"[{t}] K={budget} {k} (weartwin train): macro-F1 {v['macro_f1_mean']:.3f} "
                            f"(pooled {v['pooled_macro_f1']:.3f}, {v['seconds']:.0f} s)")
                    product_vs.update(pa["vs"])
            base = runs.get("scratch")
            comp = dict(product_vs)     # product arms pair with their own scratch run
            if base:
                for k, v in runs.items():
                    if k != "scratch" and v.get("protocol") is None:
                        comp[k] = paired(base["per_unit"], v["per_unit"])
            R["runs"][str(budget)] = {"arms": runs, "vs_scratch": comp}
            results["targets"][t] = R       # partial results survive an interrupted sweep
            a.out.mkdir(parents=True, exist_ok=True)
            (a.out / "partial_results.json").write_text(json.dumps(results, default=float))
        R["pretrain_logs"] = {f"{k[0]}:{k[1]}": v[1] for k, v in pre.items()}
        R["seconds"] = time.perf_counter() - t0
        results["targets"][t] = R
    return results


def ssl_pools(unit: np.ndarray, models: list, groups: int = 0) -> tuple[list[np.ndarray], list[int]]:
    """Unlabelled real windows for the SSL control: (one index pool per pretrained model, which
    pretrained model each fine-tuned model (unit, seed) starts from). groups = 0: one per model,
    every unit but its own; G > 0: the sorted units dealt into G groups, one model per group
    pretrained on the other groups' windows. A held-out unit's windows are never in its pool."""
    if not groups:
        return [np.nonzero(unit != u)[0] for u, _ in models], list(range(len(models)))
    units = sorted({u for u, _ in models})
    G = min(groups, len(units))
    group_of = {u: i % G for i, u in enumerate(units)}
    pools = [np.nonzero(~np.isin(unit, [u for u in units if group_of[u] == g]))[0] for g in range(G)]
    return pools, [group_of[u] for u, _ in models]


def probes(tr, T, sim: dict, entry: dict, prep: Path, text_net, seeds, dev) -> dict:
    """Cheap probes: signal statistics; train on simulated windows only (mapped classes), test on
    every real window; zero-shot retrieval of target-class texts with the text-pretrained encoder."""
    import torch
    from sklearn.metrics import f1_score

    from benchmarks.sim_gain.arms import Trainer, sim_tensors

    out = {"signal_stats": probe_stats(T, sim, entry["label_map"])}
    st = sim_tensors(sim, entry["label_map"], T["classes"], dev)
    K = len(T["classes"])
    out["sim_classes_covered"] = [c for c, n in st["mapped"].items() if n]
    if "mix" in st:
        m = st["mix"]
        x_sim = (m["X"] / tr.scale).cpu().numpy()
        y_sim = m["y"].cpu().numpy()
        t2 = Trainer(x_sim, y_sim, T["channels"], K, tr.s)
        plan = {"train": [np.arange(len(y_sim))] * len(seeds), "val": [np.array([], int)] * len(seeds),
                "test": [np.arange(0)] * len(seeds), "models": [("sim", s) for s in seeds], "seeds": seeds}
        t2.finetune(plan)   # trains; predictions on the real windows below
        net = t2.last_net if hasattr(t2, "last_net") else None
        if net is not None:
            P = tr.predict(net, [np.arange(len(T["y"]))] * len(seeds))
            covered = [T["classes"].index(c) for c in out["sim_classes_covered"]]
            m_cov = np.isin(T["y"], covered)
            out["sim_only_macro_f1_all_classes"] = float(np.mean([f1_score(T["y"], p, average="macro", labels=np.arange(K), zero_division=0) for p in P]))
            out["sim_only_macro_f1_covered"] = float(np.mean([f1_score(T["y"][m_cov], p[m_cov], average="macro", labels=covered, zero_division=0) for p in P]))
            out["sim_only_chance_covered"] = 1.0 / max(1, len(covered))
    if text_net is not None:
        ct = torch.from_numpy(np.load(prep / entry["class_text"])).to(dev)      # (K, 5, 384)
        net, _ = text_net
        net.eval()
        with torch.no_grad():
            M = net.M
            X = tr.X
            f1s = []
            te = net.embed_text(ct.mean(1)[None].expand(M, -1, -1))           # (M, K, D)
            te = torch.nn.functional.normalize(te, dim=-1)
            preds = []
            for a0 in range(0, len(X), 1024):
                xs = X[a0:a0 + 1024][None].expand(M, -1, -1, -1)
                se = torch.nn.functional.normalize(net.embed_signal(xs), dim=-1)
                preds.append(torch.bmm(se, te.transpose(1, 2)).argmax(-1))
            P = torch.cat(preds, 1).cpu().numpy()
            for p in P:
                f1s.append(f1_score(T["y"], p, average="macro", labels=np.arange(K), zero_division=0))
        out["zero_shot_macro_f1"] = float(np.mean(f1s))
        out["zero_shot_chance"] = 1.0 / K
    return out


# ------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="sp_sw_har, 10 labels/class, 3 seeds, best arm vs scratch")
    ap.add_argument("--data", default=str(shared_data()),
                    help="the shared data folder (default: $WEARTWIN_SHARED/data, else ../shared/data)")
    ap.add_argument("--out", default=None, help="report folder (default benchmarks/results/sim_gain[_quick])")
    ap.add_argument("--prep", default=None, help="folder of prepared window files (made here, reused; default "
                                                  "CORPUS_DIR/prep)")
    ap.add_argument("--from-results", default=None, help="write the report from a results JSON and stop")
    ap.add_argument("--prepare-only", action="store_true", help="bake and window the corpora, then stop")
    ap.add_argument("--corpus-dir", default=str(Path.home() / ".cache" / "weartwin" / "sim_gain"))
    ap.add_argument("--reuse-corpora", action="store_true", default=True)
    ap.add_argument("--rebuild-corpora", dest="reuse_corpora", action="store_false")
    ap.add_argument("--targets", default="sp_sw_har,hmp")
    ap.add_argument("--corpora", default="relevant,off_target", help="corpus roles of targets.json (specs)")
    ap.add_argument("--sizes", default="600,3600,18000", help="nested corpus sizes, seconds of simulated signal")
    ap.add_argument("--budgets", default="1,5,10,20,all", help="labels per class; 'all' = 100%% of training windows")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--arms", default="scratch,pre_text,pre_sup,pre_ssl,mix1,mix1_cal,mix4,mix4_cal,multi3net",
                    help="arms (benchmarks/sim_gain/arms.py); multi3net / simpharnet run `weartwin train` from "
                         "scratch and pretrained on the main corpus' exports and pair with each other")
    ap.add_argument("--primary", default="pre_sup",
                    help="the pre-specified arm of the headline line, on the whole main corpus (others are exploratory)")
    ap.add_argument("--controls-budget", default="10",
                    help="run controls and smaller corpus sizes at this budget only ('' = at every budget)")
    ap.add_argument("--amp-aug", type=float, default=0.0,
                    help="pretraining: scale the dynamic part of simulated windows by U(AMP, 1) (0 = off)")
    ap.add_argument("--no-controls", dest="controls", action="store_false", help="skip off-target / shuffled-text pretraining")
    ap.add_argument("--no-probes", dest="probes", action="store_false")
    ap.add_argument("--ssl-groups", type=int, default=0,
                    help="pre_ssl: pretrain one SimCLR model per group of G held-out units on the other groups' "
                         "unlabelled windows (0 = one per fold and seed; G = 5 makes it CPU-affordable)")
    ap.add_argument("--product-epochs", type=int, default=30,
                    help="product arms (multi3net, simpharnet through `weartwin train`): fine-tuning epochs")
    ap.add_argument("--product-pretrain-epochs", type=int, default=5,
                    help="product arms: pretraining epochs on the main corpus' exports")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--pre-steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--pre-batch", type=int, default=128)
    ap.add_argument("--widths", default="64,128,128")
    ap.add_argument("--rot-deg", type=float, default=0.0, help="rotation augmentation of simulated windows in pretraining")
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--window", type=float, default=2.0)
    ap.add_argument("--stride", type=float, default=1.0)
    ap.add_argument("--sim-stride", type=float, default=1.0, help="stride of simulated windows, s")
    ap.add_argument("--prep-dtype", default="float16", choices=("float16", "float32"),
                    help="simulated windows in the prepared files (float16: half the size to carry)")
    ap.add_argument("--sanity-only", action="store_true",
                    help="after preparing: write OUT/sanity.json (simulated vs real signal statistics) and stop")
    ap.add_argument("--workers", type=int, default=1, help="bake workers for weartwin synth")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--max-units", type=int, default=0, help="evaluate on the first N subjects/groups only (tests)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    a.controls_budget = a.controls_budget or None
    if a.quick:
        explicit = {x.split("=")[0].lstrip("-").replace("-", "_") for x in (argv or sys.argv[1:])}
        for k, v in QUICK.items():
            if k not in explicit:
                setattr(a, k, v)
    a.out = Path(a.out or ROOT / "benchmarks" / "results" / ("sim_gain_quick" if a.quick else "sim_gain"))
    a.prep = Path(a.prep or Path(a.corpus_dir) / ("prep_quick" if a.quick else "prep"))
    if a.from_results:     # rebuild the report from a (partial) results file
        from benchmarks.sim_gain.report import write_report

        res = merge_results([json.loads(Path(f).read_text()) for f in a.from_results.split(",")])
        print(json.dumps(write_report(res, a.out, labels_per_class=10)))
        return 0
    t0 = time.perf_counter()
    if not (a.prep / "manifest.json").is_file() or a.prepare_only or not _has_targets(a):
        prepare(a)
        log(f"prepared in {time.perf_counter() - t0:.0f} s -> {a.prep}")
    if a.prepare_only:
        return 0
    san = sanity(a.prep, a.targets.split(","))
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "sanity.json").write_text(json.dumps(san, indent=1))
    if a.sanity_only:
        print(json.dumps({t: {k: v for k, v in r.items()} for t, r in san.items()}))
        return 0
    res = evaluate(a, a.prep)
    res["sanity"] = san
    res["corpus_bakes"] = {t: e.get("bakes", {}) for t, e in json.loads((a.prep / "manifest.json").read_text()).items()}
    res["seconds_total"] = time.perf_counter() - t0
    res["command"] = " ".join(["python", "benchmarks/bench_sim_gain.py", *(argv if argv is not None else sys.argv[1:])])
    from benchmarks.sim_gain.report import write_report

    line = write_report(res, a.out, labels_per_class=10)
    print(json.dumps(line))
    return 0


def merge_results(parts: list[dict]) -> dict:
    """Results of one sweep split over processes (by target, budget or arm) -> one results dict:
    runs are united per target and budget (arms of one budget from several parts side by side;
    an arm in several parts, e.g. scratch, is taken from the first: list the part with the
    headline setup first), probes and pretraining logs united; the rest comes from the first part."""
    out = json.loads(json.dumps(parts[0]))
    for p in parts[1:]:
        for t, R in p["targets"].items():
            if t not in out["targets"]:
                out["targets"][t] = json.loads(json.dumps(R))
                continue
            base = out["targets"][t]
            runs = base.setdefault("runs", {})
            for budget, run in R.get("runs", {}).items():
                if budget not in runs:
                    runs[budget] = json.loads(json.dumps(run))
                    continue
                for k, v in run.items():      # an arm already there (scratch) stays: the first part's wins
                    if isinstance(v, dict):
                        have = runs[budget].setdefault(k, {})
                        for arm, val in v.items():
                            have.setdefault(arm, val)
            for k in ("probes", "pretrain_logs"):
                if isinstance(R.get(k), dict):
                    base.setdefault(k, {}).update({x: y for x, y in R[k].items() if x not in base[k]})
        for k in ("sanity", "corpus_bakes"):
            if k in p:
                out.setdefault(k, {}).update(p[k])
        out["seconds_total"] = max(out.get("seconds_total", 0), p.get("seconds_total", 0))
    # every Δ against the scratch that is kept (parts' own scratch runs are the same seeded run;
    # recomputing makes that an outcome, not an assumption); product arms keep their own baseline
    from benchmarks.sim_gain.stats import paired

    for R in out["targets"].values():
        for run in R.get("runs", {}).values():
            base = run.get("arms", {}).get("scratch")
            for arm, sc in run.get("arms", {}).items():
                c = run.get("vs_scratch", {}).get(arm)
                if base and arm != "scratch" and sc.get("protocol") is None and not (c or {}).get("baseline"):
                    run["vs_scratch"][arm] = paired(base["per_unit"], sc["per_unit"])
    return out


def _has_targets(a) -> bool:
    try:
        m = json.loads((a.prep / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return all(t in m and (a.prep / m[t]["target"]).is_file() for t in a.targets.split(","))


if __name__ == "__main__":
    sys.exit(main())
