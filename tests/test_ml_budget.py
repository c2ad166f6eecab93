"""Label budgets: training and validation both come out of `--labels-per-class K` or
`--label-fractions f`, and every fold records what it used, per class."""
from __future__ import annotations

import json

import numpy as np
import pytest
from ml_layouts import CLASSES, write_generic

from ml import train
from ml.api import load_windows
from ml.config import DCLConfig, RFConfig
from ml.training.protocol import Budget, make_folds, prepare_fold

TINY = dict(progress=False, window=2.0, stride=1.0, fps=25.0)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_generic(tmp_path_factory.mktemp("b") / "real", subjects=5, seconds=20)


@pytest.fixture(scope="module")
def real(data):
    return load_windows(RFConfig(data=[str(data)], **TINY))[0]


@pytest.mark.parametrize("k", [1, 2, 3, 10])
def test_labels_per_class_stay_inside_the_budget(real, k):
    cfg = DCLConfig(**TINY)      # a model with early stopping: the budget is split
    for fold in make_folds(real.subjects, "loso", 0):
        tr, va, te, _, audit = prepare_fold(real, None, fold, cfg, seed=0, budget=Budget(k=k))
        lab = audit["labelled"]
        for c in CLASSES:
            assert lab["train"][c] + lab["val"][c] == k           # every class has more than 10 windows
            assert lab["train"][c] >= 1
        assert len(tr) == sum(lab["train"].values()) and len(va) == sum(lab["val"].values())
        assert not set(fold.test) & (set(tr.subject) | set(va.subject))
        if k <= 2:
            assert audit["validation"] == "none" and len(va) == 0 and "no early stopping" in audit["validation_note"]
        else:
            assert audit["validation"] in ("subjects", "windows") and len(va) > 0
    # deterministic per seed, different across seeds
    fold = make_folds(real.subjects, "loso", 0)[0]
    a = prepare_fold(real, None, fold, cfg, seed=0, budget=Budget(k=k))[0]
    b = prepare_fold(real, None, fold, cfg, seed=0, budget=Budget(k=k))[0]
    c = prepare_fold(real, None, fold, cfg, seed=1, budget=Budget(k=k))[0]
    assert np.array_equal(a.x, b.x)
    if k == 10:
        assert not np.array_equal(a.x, c.x)


def test_validation_by_subject_when_the_budget_allows(real):
    cfg = DCLConfig(**TINY)      # a model with early stopping: the budget is split
    fold = make_folds(real.subjects, "loso", 0)[0]
    tr, va, _, _, audit = prepare_fold(real, None, fold, cfg, seed=0, budget=Budget(k=40))
    assert audit["validation"] == "subjects"
    assert not set(va.subject) & set(tr.subject) and set(va.y) == set(tr.y) == {0, 1, 2}


def test_fraction_budget_includes_validation(real):
    cfg = DCLConfig(**TINY)      # a model with early stopping: the budget is split
    fold = make_folds(real.subjects, "loso", 0)[0]
    pool = real.subset(np.nonzero(real.subject != fold.test[0])[0])
    _, _, _, _, audit = prepare_fold(real, None, fold, cfg, seed=0, budget=Budget(fraction=0.1))
    for i, c in enumerate(real.classes):
        n = int((pool.y == i).sum())
        assert audit["labelled"]["train"][c] + audit["labelled"]["val"][c] == max(1, round(0.1 * n))
    _, va, _, _, full = prepare_fold(real, None, fold, cfg, seed=0, budget=1.0)
    assert full["validation"] == "subjects" and full["labelled"]["total"] == len(pool)


@pytest.mark.parametrize("budget", [Budget(k=10), Budget(k=2), Budget(fraction=0.1)])
def test_rf_trains_on_every_labelled_window(real, budget):
    """A forest has no early stopping: under a label budget no window is withheld for validation."""
    fold = make_folds(real.subjects, "loso", 0)[0]
    _, _, _, _, split = prepare_fold(real, None, fold, DCLConfig(**TINY), seed=0, budget=budget)
    tr, va, _, _, audit = prepare_fold(real, None, fold, RFConfig(**TINY), seed=0, budget=budget)
    assert len(va) == 0 and audit["validation"] == "none" and "none is held back" in audit["validation_note"]
    assert len(tr) == split["labelled"]["total"] == audit["labelled"]["total"]      # the same budget, all of it
    assert prepare_fold(real, None, fold, RFConfig(**TINY), seed=0, budget=1.0)[4]["validation"] == "subjects"


def test_metrics_record_labelled_windows_per_fold(data, tmp_path):
    m = train("rf", out=tmp_path / "rf", data=[str(data)], trees=10, labels_per_class=[1, 5], **TINY)
    assert set(m["sweep"]) == {"k1", "k5"} and m["budget"] == "k5"
    for key, k in (("k1", 1), ("k5", 5)):
        lab = m["sweep"][key]["labelled"]
        assert set(lab) == set(m["folds"])
        for fold in lab.values():
            rec = fold["seed0"]
            assert rec["total"] <= k * len(CLASSES)
            assert all(rec["train"][c] + rec["val"][c] <= k for c in CLASSES)
    saved = json.loads((tmp_path / "rf" / "metrics.json").read_text())
    assert saved["sweep"]["k1"]["labelled"]["p0"]["seed0"]["validation"] == "none"
    assert (tmp_path / "rf" / "sweep.png").is_file()


def test_dcl_with_one_label_per_class_trains_fixed_epochs(data, tmp_path):
    m = train("dcl", out=tmp_path / "d", data=[str(data)], labels_per_class=[1], epochs=3, filters=8,
              lstm_units=8, max_folds=1, **TINY)
    r = json.loads(next((tmp_path / "d" / "folds").rglob("result.json")).read_text())
    ft = r["history"]["finetune"]
    assert len(ft["loss"]) == 3 and ft["score"] == [] and r["validation"] == "none"
    assert sum(r["labelled_train"].values()) == 3 and sum(r["labelled_val"].values()) == 0
    assert 0 <= m["macro_f1_mean"] <= 1
