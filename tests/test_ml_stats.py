"""Paired statistics on known inputs, per-class scores, and `weartwin compare`."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from conftest import run_cli

from ml.evaluation.stats import paired
from ml.training.protocol import class_scores


def exact_wilcoxon_p(d):
    """Two-sided exact signed-rank p by enumerating every sign pattern (no ties, no zeros)."""
    d = np.asarray(d, float)
    ranks = np.argsort(np.argsort(np.abs(d))) + 1
    w = ranks[d > 0].sum()
    ws = np.array([sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product([0, 1], repeat=len(d))])
    mu = ranks.sum() / 2
    return float(np.mean(np.abs(ws - mu) >= abs(w - mu) - 1e-9))


def test_all_positive_differences():
    a = {f"s{i:02d}": 0.5 for i in range(10)}
    b = {s: 0.5 + 0.01 * (i + 1) for i, s in enumerate(a)}
    r = paired(a, b)
    assert r["n"] == 10 and r["delta_mean"] == pytest.approx(0.055)
    assert r["wilcoxon_p"] == pytest.approx(2 / 2 ** 10)
    lo, hi = r["ci95"]
    assert 0.01 <= lo < 0.055 < hi <= 0.10
    assert r["per_subject_delta"]["s00"] == pytest.approx(0.01)


@pytest.mark.parametrize("d", [[1, 2, 3, -4], [0.3, -0.1, 0.2, -0.05, 0.4, 0.25, -0.35]])
def test_wilcoxon_matches_enumeration(d):
    a = {f"s{i}": 0.0 for i in range(len(d))}
    b = {f"s{i}": x for i, x in enumerate(d)}
    assert paired(a, b)["wilcoxon_p"] == pytest.approx(exact_wilcoxon_p(d))


def test_bootstrap_ci_and_pairing():
    a = {"s1": 0.0, "s2": 0.0, "only_a": 0.3}
    b = {"s1": 0.0, "s2": 1.0, "only_b": 0.9}
    r = paired(a, b, n_boot=20000, seed=1)
    assert r["n"] == 2 and r["delta_mean"] == 0.5 and set(r["per_subject_delta"]) == {"s1", "s2"}
    assert r["ci95"] == [0.0, 1.0]               # resamples of {0, 1}: means 0, 0.5, 1
    assert paired(a, b, n_boot=500, seed=3) == paired(a, b, n_boot=500, seed=3)
    same = paired(a, a)
    assert same["delta_mean"] == 0 and same["wilcoxon_p"] == 1.0 and same["ci95"] == [0.0, 0.0]
    assert paired({"x": 1}, {"x": 0.5})["wilcoxon_p"] is None


def test_class_scores_known_confusion():
    yt = [0, 0, 0, 1, 1, 2]
    yp = [0, 0, 1, 1, 2, 2]
    s = class_scores(yt, yp, 4)
    assert s["confusion"] == [[2, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    assert s["per_class_f1"][:3] == pytest.approx([0.8, 0.5, 2 / 3]) and s["per_class_f1"][3] is None


def _metrics(path, model, per):
    path.mkdir()
    (path / "metrics.json").write_text(json.dumps({"model": model, "per_subject": per, "sweep": {"1": {"per_subject": per}}}))
    return path


def test_compare_command(tmp_path):
    a = _metrics(tmp_path / "a", "rf", {"s1": 0.6, "s2": 0.7, "s3": 0.8, "s4": 0.5, "s5": 0.65})
    b = _metrics(tmp_path / "b", "resnet", {"s1": 0.7, "s2": 0.72, "s3": 0.79, "s4": 0.6, "s5": 0.70})
    r = run_cli("compare", a, b, "--out", tmp_path / "cmp.png", "--json", tmp_path / "cmp.json")
    assert r.returncode == 0, r.stderr
    assert "Wilcoxon" in r.stdout and "95% CI" in r.stdout and "s4" in r.stdout and "+0.100" in r.stdout
    assert (tmp_path / "cmp.png").stat().st_size > 1000
    res = json.loads((tmp_path / "cmp.json").read_text())
    assert res["n"] == 5 and res["delta_mean"] == pytest.approx(0.052)
    bad = run_cli("compare", a, tmp_path / "missing")
    assert bad.returncode == 1 and "missing" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
