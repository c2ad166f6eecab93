"""Simulated data in training: a real:sim ratio, and the cheap probes (sim2real, zeroshot)."""
from __future__ import annotations

import json

import pytest
from conftest import run_cli
from ml_layouts import write_generic, write_sim_exports

from ml import train

TINY = dict(progress=False, window=2.0, stride=1.0, fps=25.0)


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    return write_generic(tmp_path_factory.mktemp("r") / "real", subjects=3, seconds=16)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return write_sim_exports(tmp_path_factory.mktemp("s") / "sim")


def test_sim_ratio_sets_how_many_simulated_windows_join(real, sim, tmp_path):
    for ratio in (0.5, 2.0):
        train("rf", out=tmp_path / f"r{ratio}", data=[str(real)], sim=[str(sim)], sim_ratio=ratio, trees=10,
              labels_per_class=[4], calibrate="none", **TINY)
        for p in (tmp_path / f"r{ratio}" / "folds").rglob("result.json"):
            a = json.loads(p.read_text())["audit"]
            assert a["windows"]["sim"] == round(ratio * a["windows"]["train"]) and a["sim_ratio"] == ratio


def test_sim2real_probe(real, sim, tmp_path):
    m = train("rf", out=tmp_path / "p", data=[str(real)], sim=[str(sim)], probe="sim2real", trees=30, **TINY)
    assert m["protocol"] == "sim2real" and m["real_labels_used"] == 0 and set(m["per_subject"]) == {"p0", "p1", "p2"}
    assert m["macro_f1_mean"] > 0.6          # the stand-in exports carry the same patterns
    assert (tmp_path / "p" / "metrics.json").is_file() and (tmp_path / "p" / "confusion.png").is_file()
    loso = train("rf", out=tmp_path / "loso", data=[str(real)], trees=10, **TINY)
    r = run_cli("compare", tmp_path / "p", tmp_path / "loso", "--out", tmp_path / "c.png")
    assert r.returncode == 0 and "Wilcoxon" in r.stdout


def test_zeroshot_probe_and_usage_errors(real, sim, tmp_path):
    m = train("simpharnet", out=tmp_path / "z", data=[str(real)], sim=[str(sim)], inputs="imu", probe="zeroshot",
              pretrain_epochs=3, dim=16, **TINY)
    assert m["protocol"] == "zeroshot" and 0 <= m["macro_f1_mean"] <= 1 and len(m["history"]["pretrain"]["loss"]) == 3
    bad = run_cli("train", "rf", "--data", real, "--out", tmp_path / "x", "--probe", "zeroshot", "--sim", sim)
    assert bad.returncode == 2 and "simpharnet" in bad.stderr
    bad = run_cli("train", "rf", "--data", real, "--out", tmp_path / "x", "--probe", "sim2real")
    assert bad.returncode == 2 and "--sim" in bad.stderr
