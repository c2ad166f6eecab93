"""Models that leave a run: `train --final` writes RUN/model.npz (+ .ts), and `weartwin
predict` on the same recordings gives the trained model's own predictions."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
from conftest import run_cli
from ml_layouts import write_generic

from ml import train

TINY = dict(progress=False, window=2.0, stride=1.0, fps=25.0)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_generic(tmp_path_factory.mktemp("p") / "real", subjects=3, seconds=16)


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("model,kw", [("rf", dict(trees=15)),
                                      ("resnet", dict(widths=[8, 8, 8], epochs=3)),
                                      ("dcl", dict(filters=8, lstm_units=8, epochs=2))])
def test_final_export_predict_round_trip(data, tmp_path, model, kw):
    run = tmp_path / model
    info = train(model, out=run, data=[str(data)], final=True, **kw, **TINY)
    assert (run / "model.npz").is_file() and info["final"]
    with np.load(run / "model.npz", allow_pickle=False) as z:      # numpy arrays only, no pickle
        meta = json.loads(str(z["meta"]))
    assert meta["classes"] == ["circle", "shake", "still"] and len(meta["normalization"]["mean"]) == 6
    assert meta["channels"][0] == "left_wrist.acc_x"
    own = _rows(run / "final_predictions.csv")
    r = run_cli("predict", run / "model.npz", data, "--out", tmp_path / "labels.csv")
    assert r.returncode == 0, r.stderr
    got = _rows(tmp_path / "labels.csv")
    assert [g["label"] for g in got] == [o["label"] for o in own] and len(got) > 20
    assert np.allclose([float(g["probability"]) for g in got], [float(o["probability"]) for o in own], atol=1e-4)
    assert "agreement with recorded labels" in r.stdout
    if model != "rf":     # TorchScript copy gives the same scores
        ts = torch.jit.load(str(run / "model.ts"))
        x = torch.randn(2, meta["window"], 6)
        from ml.inference.model_file import load

        m = load(run / "model.npz")
        assert torch.allclose(ts(x), m.net(x), atol=1e-5)


def test_predict_refuses_bad_model_files(data, tmp_path):
    bad = tmp_path / "model.npz"
    np.savez(bad, meta=np.array([{"x": 1}], dtype=object))          # needs pickle to read
    r = run_cli("predict", bad, data, "--out", tmp_path / "o.csv")
    assert r.returncode == 1 and "not a WearTwin model file" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "o.csv").exists()
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 not a zip")
    r = run_cli("predict", junk, data, "--out", tmp_path / "o.csv")
    assert r.returncode == 1 and "junk.npz" in r.stderr


def test_predict_unlabelled_recordings(data, tmp_path):
    train("rf", out=tmp_path / "rf", data=[str(data)], final=True, trees=10, **TINY)
    unl = tmp_path / "unl"
    unl.mkdir()
    lines = (data / "index.csv").read_text().splitlines()
    (unl / "index.csv").write_text("file,subject\n" + "\n".join(",".join(l.split(",")[:2]) for l in lines[1:3]) + "\n")
    for l in lines[1:3]:
        (unl / l.split(",")[0]).write_text((data / l.split(",")[0]).read_text())
    r = run_cli("predict", tmp_path / "rf" / "model.npz", unl, "--out", tmp_path / "u.csv")
    assert r.returncode == 0, r.stderr
    rows = _rows(tmp_path / "u.csv")
    assert rows and all(x["recorded_label"] == "" and x["label"] in ("circle", "shake", "still") for x in rows)


def test_predict_a_plain_bake_export(data, tmp_path):
    """A fresh, unlabelled `weartwin bake` export (no manifest, at the root of DATA) is what
    predict is for: every window gets a label, the recorded label is empty."""
    from conftest import need_shared

    clip = need_shared("motion/amass/amass_sample.npz")
    train("rf", out=tmp_path / "rf", data=[str(data)], final=True, trees=10, **TINY)
    r = run_cli("bake", clip, "--out", tmp_path / "bake", "--sensors", "imu")
    assert r.returncode == 0, r.stderr
    r = run_cli("predict", tmp_path / "rf" / "model.npz", tmp_path / "bake", "--out", tmp_path / "p.csv")
    assert r.returncode == 0 and "no label" not in r.stderr, r.stderr
    rows = _rows(tmp_path / "p.csv")
    assert rows and all(x["recorded_label"] == "" and x["label"] in ("circle", "shake", "still") for x in rows)
    assert {x["file"] for x in rows} == {str(tmp_path / "bake" / "amass_sample.npz")}


def test_predict_reads_the_device_the_model_was_trained_on(tmp_path):
    """A model trained on sp_sw_har's phone (--format sp_sw_har:phone) labels the phone files of a folder given
    without --format (the watch is the layout's default), and says so in its CSV's file column."""
    from ml_layouts import write_sp_sw_har

    data = tmp_path / "sp"
    write_sp_sw_har(data, subjects=("s01", "s02", "s03"), n=3000)
    out = tmp_path / "run"
    r = run_cli("train", "rf", "--data", str(data), "--format", "sp_sw_har:phone", "--sites", "pocket", "--final",
                "--out", str(out))
    assert r.returncode == 0, r.stderr
    r = run_cli("predict", str(out / "model.npz"), str(data), "--out", str(tmp_path / "p.csv"))
    assert r.returncode == 0, r.stderr
    files = {row["file"] for row in _rows(tmp_path / "p.csv")}
    assert files and all(f.endswith("_sp.csv") for f in files)
