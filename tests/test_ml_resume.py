"""Resume is safe: checkpoints load weights-only (a planted pickle payload never runs), and a
fold is reused only when the hash of everything that determines it matches."""
from __future__ import annotations

import json
import os
import shutil

import pytest
import torch
from ml_layouts import write_generic

from ml import train
from ml.training.loop import load_checkpoint

TINY = dict(progress=False, window=2.0, stride=1.0, fps=25.0)


class Payload:
    """Unpickling this calls os.system — what an attacker would plant as finetune.pt."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return write_generic(tmp_path_factory.mktemp("tiny") / "real", subjects=3, seconds=16)


def test_planted_pickle_checkpoint_is_refused(tiny_data, tmp_path, capsys):
    marker = tmp_path / "pwned"
    evil = tmp_path / "finetune.pt"
    torch.save({"model": Payload(marker)}, evil)
    assert load_checkpoint(evil) is None
    assert not marker.exists()
    assert "not a weights-only checkpoint" in capsys.readouterr().err
    # in a run folder, where resume would pick it up
    kw = dict(data=[str(tiny_data)], filters=8, lstm_units=8, epochs=2, max_folds=1, **TINY)
    train("dcl", out=tmp_path / "run", **kw)
    fold = next((tmp_path / "run" / "folds").rglob("result.json")).parent
    (fold / "result.json").unlink()
    shutil.copy(evil, fold / "finetune.pt")
    m = train("dcl", out=tmp_path / "run", **kw)
    assert not marker.exists() and list(m["per_subject"]) == ["p0"]
    st = torch.load(fold / "finetune.pt", weights_only=True)     # replaced by a clean checkpoint
    assert st["done"] and st["key"]


def test_changed_config_or_data_never_reports_old_numbers(tiny_data, tmp_path):
    base = dict(data=[str(tiny_data)], **TINY)
    old = train("rf", out=tmp_path / "r", trees=30, **base)
    hashes = {p: json.loads(p.read_text())["hash"] for p in (tmp_path / "r" / "folds").rglob("result.json")}
    changed = dict(trees=3, inputs="acc_mag")
    before = {f: (tmp_path / "r" / f).read_bytes() for f in ("config.json", "metrics.json")}
    with pytest.raises(Exception):     # a re-run whose data fail to load touches nothing: the folder stays
        train("rf", out=tmp_path / "r", **changed, **{**base, "data": [str(tmp_path / "missing")]})
    assert {f: (tmp_path / "r" / f).read_bytes() for f in before} == before    # the old run, figures = config
    again = train("rf", out=tmp_path / "r", **changed, **base)
    fresh = train("rf", out=tmp_path / "fresh", **changed, **base)
    assert again["per_subject"] == pytest.approx(fresh["per_subject"])
    assert again["config"]["trees"] == 3
    for p, h in hashes.items():
        assert json.loads(p.read_text())["hash"] != h
    # same config again: every fold reused, same numbers
    stamp = {p: p.stat().st_mtime_ns for p in hashes}
    same = train("rf", out=tmp_path / "r", **changed, **base)
    assert same["per_subject"] == again["per_subject"]
    assert all(p.stat().st_mtime_ns == stamp[p] for p in hashes)
    # a data file changed in place: its folds are recomputed
    data2 = tmp_path / "data2"
    shutil.copytree(tiny_data, data2)
    d2 = dict(base, data=[str(data2)])
    a = train("rf", out=tmp_path / "d", trees=10, **{k: v for k, v in d2.items()})
    before = {p: json.loads(p.read_text())["hash"] for p in (tmp_path / "d" / "folds").rglob("result.json")}
    f = data2 / "p1_circle.csv"
    lines = f.read_text().splitlines()
    f.write_text("\n".join(lines[:1] + [ln.replace("0", "1", 3) for ln in lines[1:]]) + "\n")
    b = train("rf", out=tmp_path / "d", trees=10, **d2)
    c = train("rf", out=tmp_path / "d_fresh", trees=10, **d2)
    assert b["per_subject"] == pytest.approx(c["per_subject"])
    assert a["config"] == b["config"]
    assert all(json.loads(p.read_text())["hash"] != h for p, h in before.items())


def test_max_folds_and_progress_do_not_invalidate(tiny_data, tmp_path):
    base = dict(data=[str(tiny_data)], trees=10, **TINY)
    train("rf", out=tmp_path / "r", max_folds=1, **base)
    p = next((tmp_path / "r" / "folds").rglob("result.json"))
    t = p.stat().st_mtime_ns
    train("rf", out=tmp_path / "r", **{**base, "progress": False})
    assert p.stat().st_mtime_ns == t


def test_shards_share_a_run_folder(tiny_data, tmp_path):
    base = dict(data=[str(tiny_data)], trees=10, **TINY)
    a = train("rf", out=tmp_path / "r", shard="0/2", **base)
    b = train("rf", out=tmp_path / "r", shard="1/2", **base)
    assert a["folds"] == ["p0", "p2"] and b["folds"] == ["p1"]
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "r" / "folds").rglob("result.json")}
    full = train("rf", out=tmp_path / "r", **base)
    assert full["folds"] == ["p0", "p1", "p2"]
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())
    assert full["per_subject"] == {**a["per_subject"], **b["per_subject"]}
