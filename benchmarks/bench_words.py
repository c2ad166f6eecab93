"""A corpus from words alone: does it recognise a real dataset's activities?

For each target (HMP's 14 activities of daily living, sp_sw_har's 5 classes), the class names and
one sentence per class written BEFORE looking at the signals (benchmarks/words/sentences.yaml,
committed first) become a `weartwin synth` spec (the sentence as the class's only description,
COUNT seeded motions, BODIES body shapes), baked at the target's wrist and windowed like the real
recordings (benchmarks/sim_gain/prepare.py), after cutting the still start pose at each end and passing
them through the target device's documented chain (targets.json `device`; HMP: 32 Hz, ±1.5 g, 6 bits).
Then, with a random forest on window statistics
(ml.training.recipes.window_features):
- sim-only probe: trained on the simulated windows alone, tested on every real window
  (macro-F1 over all classes; chance = 1/K);
- few-label gain: K real labels per class from the other subjects (benchmarks/sim_gain/arms.py
  make_plan: leave one subject/group out, seeds) with and without the simulated windows, paired
  per held-out unit (benchmarks/sim_gain/stats.py: mean Δ, Wilcoxon p, bootstrap CI).

    python benchmarks/bench_words.py --quick       # 2-core CPU, ~10 min: writes benchmarks/results/words/
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

SENTENCES = ROOT / "benchmarks" / "words" / "sentences.yaml"
# s of still start pose before and after every simulated performance (procedural: Ctx.start; programs:
# program.keyframes); real recordings of one primitive (HMP) or labelled segments hold none of it
from addon.text2motion.body import Ctx  # noqa: E402

LEAD_S = Ctx.start
QUICK = {"count": 4, "bodies": 2, "seeds": "0,1", "trees": 60, "max_sim": 1500}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def words_spec(target: str, sentences: dict, tc: dict, count: int, bodies: int, out: Path) -> Path:
    """The synth spec of one target: each class's sentence, `count` motions, `bodies` bodies."""
    import yaml

    spec = {"activities": [{"name": c, "descriptions": [sentences[c]], "count": count} for c in tc["classes"]],
            "vary_body": bodies, "fps": 50, "imu_sites": [tc["site"]], "seed": 0}
    out.mkdir(parents=True, exist_ok=True)
    f = out / f"words_{target}.yaml"
    f.write_text(yaml.safe_dump(spec, sort_keys=False, width=200))
    return f


def label_map(classes: list[str]) -> dict:
    """synth canonicalises activity names (walk -> walking): map them back onto the classes."""
    from addon.text2motion.describe import canonical
    from ml.data.channels import normalize_label

    return {**{normalize_label(canonical(c)): c for c in classes}, **{c: c for c in classes}}


def _stats(w) -> dict | None:
    """Class-level sanity of windows (N, W, 3+): mean specific force per device axis (the gravity
    direction), mean |acc| and its within-window sd (m/s²)."""
    if not len(w):
        return None
    w = np.asarray(w[..., :3], np.float32)
    a = np.linalg.norm(w, axis=-1)
    return {"n": int(len(w)), "acc_mean_xyz": w.mean((0, 1)).round(2).tolist(), "acc_mag": round(float(a.mean()), 2),
            "acc_mag_sd": round(float(a.std(1).mean()), 2)}


def run_target(target: str, a, sentences: dict) -> dict:
    import yaml  # noqa: F401
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import f1_score

    from benchmarks.sim_gain.arms import make_plan
    from benchmarks.sim_gain.prepare import prepare_corpus, prepare_target
    from benchmarks.sim_gain.stats import paired, unit_scores
    from ml.training.recipes import window_features

    tc = json.loads((corp.SPECS / "targets.json").read_text())[target]
    cdir = Path(a.corpus_dir)
    spec = words_spec(target, sentences, tc, a.count, a.bodies, cdir / "specs")
    out = cdir / f"words_{target}_c{a.count}_b{a.bodies}"
    t0 = time.perf_counter()
    if not (out / "corpus.json").is_file():
        corp.build(spec, out, a.workers, log)
    bake_s = time.perf_counter() - t0
    prep = cdir / "prep"
    tf = prepare_target(target, tc, Path(a.data), prep, a.fps, a.window, a.stride)
    cf = prepare_corpus([out / "exports"], tc["site"], tc["inputs"], prep, f"words_{target}", a.fps, a.window,
                        a.stride, axis_signs=tc.get("sim_axis_signs"), device=tc.get("device") if a.device else None,
                        trim_s=LEAD_S if a.trim else 0.0)
    with np.load(tf, allow_pickle=False) as d:
        T = {k: d[k] for k in d.files}
    classes = T["classes"].tolist()
    K = len(classes)
    c = corp.load(cf)
    lm = label_map(classes)
    ys = np.array([classes.index(lm[l]) if lm.get(l) in classes else -1 for l in c["label"]])
    keep = ys >= 0
    rng = np.random.default_rng(0)
    idx = np.nonzero(keep)[0]
    if len(idx) > a.max_sim:
        idx = np.sort(rng.choice(idx, a.max_sim, replace=False))
    Xs, Ys = window_features(c["x"][idx]), ys[idx]
    per_class = {cl: {"real": _stats(T["x"][T["y"] == k]), "sim": _stats(c["x"][ys == k])} for k, cl in enumerate(classes)}
    Xr, yr, unit = window_features(T["x"].astype(np.float32)), T["y"], T["group"]
    log(f"[{target}] real {len(yr)} windows ({len(set(unit.tolist()))} units), simulated {len(Ys)} windows "
        f"of {sorted(set(c['label'].tolist()))}")

    def forest(seed):
        return RandomForestClassifier(a.trees, n_jobs=a.threads, random_state=seed, class_weight="balanced_subsample")

    seeds = [int(s) for s in a.seeds.split(",")]
    sim_only = []
    for s in seeds:
        p = forest(s).fit(Xs, Ys).predict(Xr)
        sim_only.append(float(f1_score(yr, p, labels=np.arange(K), average="macro", zero_division=0)))
    R = {"classes": classes, "sentences": {k: sentences[k] for k in classes}, "n_real_windows": int(len(yr)),
         "n_sim_windows": int(len(Ys)), "sim_classes": sorted(set(c["label"].tolist())), "bake_seconds": bake_s,
         "sim_only_macro_f1": float(np.mean(sim_only)), "chance": 1.0 / K, "budgets": {}, "per_class": per_class}
    log(f"[{target}] sim-only macro-F1 {R['sim_only_macro_f1']:.3f} (chance {1 / K:.3f})")
    for budget in [int(b) for b in a.budgets.split(",")]:
        plan = make_plan(yr, unit, K, budget, seeds)
        preds = {"real": [], "real+sim": []}
        for (u, s), tr, va, te in zip(plan["models"], plan["train"], plan["val"], plan["test"]):
            tr = np.concatenate([tr, va])                 # a forest needs no validation split
            preds["real"].append(forest(s).fit(Xr[tr], yr[tr]).predict(Xr[te]))
            preds["real+sim"].append(forest(s).fit(np.concatenate([Xr[tr], Xs]), np.concatenate([yr[tr], Ys]))
                                     .predict(Xr[te]))
        sc = {k: unit_scores(plan, v, yr, K) for k, v in preds.items()}
        cmp = paired(sc["real"]["per_unit"], sc["real+sim"]["per_unit"])
        R["budgets"][str(budget)] = {"real": sc["real"]["macro_f1_mean"], "real+sim": sc["real+sim"]["macro_f1_mean"],
                                     "delta": cmp["delta_mean"], "wilcoxon_p": cmp["wilcoxon_p"], "ci95": cmp["ci95"],
                                     "wins": cmp["wins"], "losses": cmp["losses"], "units": len(plan["units"])}
        b = R["budgets"][str(budget)]
        log(f"[{target}] K={budget}: real {b['real']:.3f}, real+sim {b['real+sim']:.3f}, Δ {b['delta']:+.3f} "
            f"(p {b['wilcoxon_p']:.3g}, {b['wins']} wins / {b['losses']} losses)")
    return R


def report(res: dict, out: Path) -> str:
    lines = ["| target | classes | sim-only macro-F1 (chance) | K | real only | real + sim | Δ (paired, p) |",
             "|---|---|---|---|---|---|---|"]
    for t, R in res["targets"].items():
        for k, (budget, b) in enumerate(R["budgets"].items()):
            head = (f"| {t} | {len(R['classes'])} | {R['sim_only_macro_f1']:.3f} ({R['chance']:.3f}) |" if k == 0
                    else "| | | |")
            lines.append(f"{head} {budget} | {b['real']:.3f} | {b['real+sim']:.3f} | {b['delta']:+.3f} "
                         f"({b['wins']}/{b['units']} units better, p {b['wilcoxon_p']:.2g}) |")
    table = "\n".join(lines)
    for t, R in res["targets"].items():
        table += (f"\n\n{t}, per class, real vs simulated windows: mean specific force per device axis (m/s², gravity "
                  "direction), ‖acc‖ and its sd within a window\n\n| class | real x, y, z | real ‖acc‖ (sd) | "
                  "sim x, y, z | sim ‖acc‖ (sd) |\n|---|---|---|---|---|")
        for cl, v in R["per_class"].items():
            cells = [f"{', '.join(f'{x:+.1f}' for x in d['acc_mean_xyz'])} | {d['acc_mag']:.2f} ({d['acc_mag_sd']:.2f})"
                     if d else "– | –" for d in (v["real"], v["sim"])]
            table += f"\n| {cl} | {cells[0]} | {cells[1]} |"
    md = (f"# A corpus from words alone\n\n`{res['command']}` ({res['seconds']:.0f} s; {res['setup']})\n\n{table}\n\n"
          "Sentences: benchmarks/words/sentences.yaml (written before looking at any signal). Forest on window "
          "statistics; Δ = (real + simulated) − real only, paired per held-out subject/group, seed-averaged.\n")
    out.mkdir(parents=True, exist_ok=True)
    (out / "README.md").write_text(md)
    (out / "results.json").write_text(json.dumps(res, indent=1, default=float))
    return table


def main(argv=None) -> int:
    import yaml

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="4 motions per class on 2 bodies, 2 seeds, 60 trees")
    ap.add_argument("--data", default=str(shared_data()))
    ap.add_argument("--targets", default="sp_sw_har,hmp")
    ap.add_argument("--sentences", default=str(SENTENCES))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "words"))
    ap.add_argument("--corpus-dir", default=str(Path.home() / ".cache" / "weartwin" / "words"))
    ap.add_argument("--count", type=int, default=12, help="motions per class (seeded variants of the sentence)")
    ap.add_argument("--bodies", type=int, default=3, help="body shapes per motion")
    ap.add_argument("--budgets", default="1,5", help="real labels per class")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--max-sim", type=int, default=4000, help="at most this many simulated windows (seeded choice)")
    ap.add_argument("--fps", type=float, default=25.0)
    ap.add_argument("--window", type=float, default=2.0)
    ap.add_argument("--stride", type=float, default=1.0)
    ap.add_argument("--no-device", dest="device", action="store_false",
                    help="skip the target device's rate, range and resolution (targets.json device; HMP: 6 bits, ±1.5 g)")
    ap.add_argument("--no-trim", dest="trim", action="store_false",
                    help=f"keep the {LEAD_S:g} s of still start pose at each end of every simulated performance")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    if a.quick:
        given = {x.split("=")[0].lstrip("-").replace("-", "_") for x in (argv if argv is not None else sys.argv[1:])}
        for k, v in QUICK.items():
            if k not in given:
                setattr(a, k, v)
    sentences = yaml.safe_load(Path(a.sentences).read_text())
    t0 = time.perf_counter()
    res = {"targets": {}, "setup": {k: getattr(a, k) for k in ("count", "bodies", "seeds", "trees", "max_sim", "budgets",
                                                              "fps", "window", "stride", "device", "trim")}}
    for t in a.targets.split(","):
        missing = [c for c in json.loads((corp.SPECS / "targets.json").read_text())[t]["classes"]
                   if c not in sentences.get(t, {})]
        if missing:
            print(f"bench_words: {a.sentences}: no sentence for {t} class(es) {', '.join(missing)}", file=sys.stderr)
            return 2
        res["targets"][t] = run_target(t, a, sentences[t])
    res["seconds"] = time.perf_counter() - t0
    res["command"] = " ".join(["python", "benchmarks/bench_words.py", *(argv if argv is not None else sys.argv[1:])])
    print(report(res, Path(a.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
