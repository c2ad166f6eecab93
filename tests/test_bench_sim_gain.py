"""benchmarks/bench_sim_gain.py end to end on tiny data, and the pieces its honesty rests on:
models that train together stay independent, label budgets never touch the held-out unit,
corpus subsets are nested."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from benchmarks.sim_gain import corpora
from benchmarks.sim_gain.arms import make_plan
from benchmarks.sim_gain.multinet import MultiNet
from benchmarks.sim_gain.prepare import group_subjects
from benchmarks.sim_gain.stats import paired

from conftest import ROOT, need_shared


def test_models_trained_together_stay_independent():
    torch.manual_seed(0)
    net = MultiNet(3, 6, 4, dim=16, widths=(8, 8, 8))
    x = torch.randn(3, 5, 20, 6)
    out = net(x)
    out[1].sum().backward()            # only model 1's output
    for name, p in net.named_parameters():
        if p.grad is None:
            continue
        g = p.grad.view(3, -1)
        assert torch.all(g[0] == 0) and torch.all(g[2] == 0), name
    # changing model 0's input leaves model 1's output unchanged
    net.eval()
    a = net(x)
    x2 = x.clone()
    x2[0] += 5
    b = net(x2)
    assert torch.allclose(a[1], b[1]) and not torch.allclose(a[0], b[0])


def test_budget_never_touches_the_held_out_unit_and_validation_comes_from_it():
    rng = np.random.default_rng(0)
    unit = np.repeat(["a", "b", "c", "d"], 60)
    y = rng.integers(0, 3, len(unit))
    for budget in (1, 5, 10, "all"):
        plan = make_plan(y, unit, 3, budget, [0, 1])
        assert len(plan["models"]) == 8
        for (u, s), tr, va, te in zip(plan["models"], plan["train"], plan["val"], plan["test"]):
            assert set(unit[te]) == {u}
            assert u not in set(unit[tr]) | set(unit[va])
            assert not set(tr) & set(va)
            if budget != "all":
                counts = np.bincount(y[np.concatenate([tr, va])], minlength=3)
                assert counts.tolist() == [budget] * 3          # K labels per class in all, val included
                assert len(va) == (0 if budget < 5 else 3 * int(np.ceil(budget / 5)))


def test_ssl_pools_never_hold_the_held_out_unit():
    from benchmarks.bench_sim_gain import ssl_pools

    unit = np.repeat(["a", "b", "c", "d", "e"], 7)
    models = [(u, s) for u in "abcde" for s in (0, 1)]
    for G in (0, 2, 5):
        pools, which = ssl_pools(unit, models, G)
        assert len(pools) == (len(models) if G == 0 else G) and len(which) == len(models)
        for (u, _), w in zip(models, which):
            assert u not in set(unit[pools[w]])
        if G:     # each group's pool is every other group's windows
            assert sum(len(p) for p in pools) == (G - 1) * len(unit)


def test_corpus_subsets_are_nested():
    c = {"clip": np.repeat(np.arange(30), 4), "clip_seconds": np.full(30, 10.0), "x": np.zeros((120, 5, 3)),
         "label": np.array(["w"] * 120), "text_id": np.zeros(120, int), "texts": np.array(["t"]),
         "text_emb": np.zeros((1, 384))}
    small, big = corpora.nested_subset(c, 60), corpora.nested_subset(c, 200)
    assert set(small["clip"]) < set(big["clip"]) and small["seconds"] >= 60 and big["seconds"] >= 200


def test_small_subjects_are_grouped():
    g = group_subjects({"a": 500, "b": 40, "c": 30, "d": 100, "e": 10}, 150)
    assert g["a"] == "a" and len({g["b"], g["c"], g["d"], g["e"]}) == 1


def test_paired_statistics_on_a_known_shift():
    a = {f"s{i}": 0.5 + 0.01 * i for i in range(12)}
    b = {k: v + 0.1 + 0.02 * (i % 3 - 1) for i, (k, v) in enumerate(a.items())}
    r = paired(a, b)
    assert abs(r["delta_mean"] - 0.1) < 1e-9 and r["ci95"][0] < 0.1 < r["ci95"][1]
    assert r["wilcoxon_p"] < 0.01 and r["wins"] == 12


def test_bench_end_to_end_on_tiny_data(tmp_path):
    """Bakes the tiny spec with `weartwin synth`, windows it, trains every arm on 4 subjects of
    sp_sw_har for a few steps, and writes the report; the last stdout line is the JSON line."""
    need_shared("imu/sp_sw_har")
    out = tmp_path / "report"
    cmd = [sys.executable, "benchmarks/bench_sim_gain.py", "--targets", "sp_sw_har", "--corpora", "tiny",
           "--sizes", "20", "--budgets", "1,10", "--seeds", "0,1", "--max-units", "4",
           "--arms", "scratch,pre_text,pre_sup,pre_ssl,mix1,mix1_cal,multi3net", "--steps", "6", "--pre-steps", "4",
           "--product-epochs", "1", "--product-pretrain-epochs", "1",
           "--widths", "4,4,4", "--out", str(out), "--corpus-dir", str(tmp_path / "corpora"), "--device", "cpu"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900,
                       env={**__import__("os").environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})
    assert r.returncode == 0, r.stderr[-2000:]
    line = json.loads(r.stdout.strip().splitlines()[-1])
    assert line["target"] == "sp_sw_har" and line["labels_per_class"] == 10
    assert line["n_subjects"] == 4 and line["seeds"] == 2
    for k in ("arm", "scratch_f1", "arm_f1", "delta_mean", "ci95", "wilcoxon_p"):
        assert k in line
    res = json.loads((out / "results.json").read_text())
    runs = res["targets"]["sp_sw_har"]["runs"]
    assert set(runs) == {"1", "10"}
    arms = set(runs["10"]["arms"])
    assert {"scratch", "pre_ssl"} <= arms
    assert any(a.startswith("pre_text[") for a in arms) and any(a.startswith("pre_text_shuf[") for a in arms)
    assert any(a.startswith("mix1_cal[") for a in arms)
    # Multi3Net+ through `weartwin train`, paired with its own scratch run on the same 4 subjects
    m3 = [a for a in arms if a.startswith("multi3net_pre[")]
    assert "multi3net_scratch" in arms and len(m3) == 1
    vs = runs["10"]["vs_scratch"][m3[0]]
    assert vs["baseline"] == "multi3net_scratch" and vs["n"] == 4
    assert "multi3net_scratch" not in runs["10"]["vs_scratch"]
    probes = res["targets"]["sp_sw_har"]["probes"]
    assert "zero_shot_macro_f1" in probes and probes["signal_stats"]["walking"]["real"]["n"] > 0
    assert (out / "sim_gain_sp_sw_har.png").is_file() and (out / "table.md").read_text().count("|") > 20


def test_corpus_specs_are_synth_specs_and_library_paths_follow_data(tmp_path):
    """Every corpus of targets.json is a `weartwin synth` spec (no stand-in corpora); the Bandai
    specs' library paths are relative to the spec and are rewritten onto another --data."""
    import yaml

    from headless.synth_spec import load_spec

    targets = json.loads((corpora.SPECS / "targets.json").read_text())
    names = {s for t in targets.values() for v in t["corpora"].values() for s in ([v] if isinstance(v, str) else v)}
    libs = 0
    for n in sorted(names):
        assert n.endswith(".yaml"), n
        spec = load_spec(corpora.SPECS / n)
        for a in spec["activities"]:
            if a.get("source") == "library":
                libs += 1
                assert not a["path"].startswith("/") and "bandai_namco" in a["path"]
                moved = corpora.spec_for_data(corpora.SPECS / n, tmp_path / "data", tmp_path / "specs")
                if moved != corpora.SPECS / n:
                    d = yaml.safe_load(moved.read_text())
                    assert all(x["path"].startswith(str((tmp_path / "data").resolve()))
                               for x in d["activities"] if x.get("source") == "library")
    assert libs >= 4


def test_bandai_specs_select_the_walks(tmp_path):
    data = need_shared("bvh/bandai_namco").parents[1]     # ../shared/data or $WEARTWIN_SHARED/data
    from pathlib import Path

    from headless.synth_spec import load_spec
    from headless.text_commands import synth_jobs

    p = corpora.spec_for_data(corpora.SPECS / "bandai_walks.yaml", data, tmp_path)
    jobs = synth_jobs(load_spec(p), spec_dir=p.parent)
    assert len(jobs) == 675 and {j["label"] for j in jobs} == {"walk", "walk-turn-left", "walk-turn-right"}
    assert all(Path(j["input"].split(".zip")[0]).is_absolute() for j in jobs)


def test_merge_results_keeps_every_arm_of_a_budget_run_in_parts():
    from benchmarks.bench_sim_gain import merge_results

    def sc(v):
        return {"per_unit": {"u1": v, "u2": v + 0.01, "u3": v - 0.01}}

    def part(budget, arm, probes):
        return {"targets": {"t": {"runs": {budget: {"arms": {"scratch": sc(0.5), arm: sc(0.6)},
                                                     "vs_scratch": {arm: {"delta_mean": 0.1}}}},
                                  "probes": probes, "primary_arm": "pre_sup"}}}

    a = part("10", "pre_sup", {"sim_only": 0.3})
    b = part("10", "pre_text", {"sim_only": 0.9, "zero_shot": 0.23})
    c = part("1", "pre_sup", {})
    m = merge_results([a, b, c])["targets"]["t"]
    assert set(m["runs"]["10"]["arms"]) == {"scratch", "pre_sup", "pre_text"}
    assert set(m["runs"]["10"]["vs_scratch"]) == {"pre_sup", "pre_text"}
    assert set(m["runs"]) == {"10", "1"}
    assert m["probes"] == {"sim_only": 0.3, "zero_shot": 0.23}     # the first part's value kept, new ones added
    assert a["targets"]["t"]["runs"]["10"]["arms"].keys() == {"scratch", "pre_sup"}   # inputs untouched
    # Δ recomputed against the scratch that is kept: a part with another scratch cannot skew it
    d = part("10", "mix1", {})
    d["targets"]["t"]["runs"]["10"]["arms"]["scratch"] = sc(0.3)
    d["targets"]["t"]["runs"]["10"]["vs_scratch"]["mix1"] = {"delta_mean": 0.3}
    m = merge_results([a, d])["targets"]["t"]["runs"]["10"]
    assert abs(m["vs_scratch"]["mix1"]["delta_mean"] - 0.1) < 1e-9 and m["vs_scratch"]["mix1"]["n"] == 3
