"""Real training runs on tiny data (CPU): learning, leakage, resume, the command line, and
pretraining on real WearTwin exports (baked here with Blender)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_cli
from ml_layouts import CLASSES, write_generic

from ml import train
from ml.api import load_windows
from ml.config import DCLConfig, RFConfig
from ml.training.protocol import make_folds, prepare_fold

TINY = dict(epochs=6, batch_size=32, patience=6, progress=False, window=2.0, stride=1.0, fps=25.0)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    return write_generic(tmp_path_factory.mktemp("tiny") / "real", subjects=4, seconds=24)


def test_dcl_learns_and_writes_report(tiny_data, tmp_path):
    m = train("dcl", out=tmp_path / "run", data=[str(tiny_data)], filters=16, lstm_units=32,
              **{**TINY, "epochs": 20, "lr": 3e-3})
    assert m["model"] == "dcl" and m["protocol"] == "loso" and m["classes"] == sorted(CLASSES)
    assert set(m["per_subject"]) == {"p0", "p1", "p2", "p3"}
    assert m["macro_f1_mean"] > 0.6 and m["pooled_macro_f1"] > 0.6       # chance is 1/3
    for f in ("metrics.json", "confusion.png", "curves.png", "config.json"):
        assert (tmp_path / "run" / f).stat().st_size > 0
    r = json.loads(next((tmp_path / "run" / "folds").rglob("result.json")).read_text())
    loss = r["history"]["finetune"]["loss"]
    assert loss[-1] < loss[0]
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert 0 <= saved["macro_f1_std"] and saved["config"]["filters"] == 16


def test_folds_never_touch_held_out_subjects(tiny_data):
    cfg = DCLConfig(data=[str(tiny_data)], calibrate="quantile", **TINY)
    real, _ = load_windows(cfg)
    sim = real.subset(np.arange(20))      # stand-in simulated windows, to exercise calibration
    for fold in make_folds(real.subjects, "loso", 0):
        tr, va, te, sm, audit = prepare_fold(real, sim, fold, cfg, seed=0, budget=1.0)
        held = set(fold.test)
        assert set(te.subject) == held
        for step in ("train", "val", "normalization", "calibration"):
            assert not held & set(audit[step]), step
        assert not held & set(tr.subject) and not held & set(va.subject)
        assert set(va.subject) and not set(va.subject) & set(tr.subject)   # inner split is by subject
        assert audit["calibration"] == audit["train"]


def test_leave_one_subject_out_is_honest(tmp_path):
    """Every subject uses its own class->movement mapping, so nothing transfers between
    subjects: honest LOSO must stay near chance, while training on all subjects (leaking the
    held-out one) scores high. A protocol that leaked would show up here."""
    data = write_generic(tmp_path / "perm", subjects=6, seconds=20, permute_per_subject=True, seed=3)
    m = train("rf", out=tmp_path / "loso", data=[str(data)], trees=100, progress=False, window=2.0, stride=1.0)
    cfg = RFConfig(data=[str(data)], window=2.0, stride=1.0)
    real, _ = load_windows(cfg)
    from sklearn.ensemble import RandomForestClassifier

    from ml.training.recipes import macro_f1, window_features

    leaky = RandomForestClassifier(100, random_state=0).fit(window_features(real.x), real.y)
    pred = leaky.predict(window_features(real.x))
    assert macro_f1(real.y, pred) > 0.9
    assert m["macro_f1_mean"] < 0.6


def test_resume_reuses_finished_folds(tiny_data, tmp_path):
    kw = dict(data=[str(tiny_data)], trees=20, progress=False, window=2.0, stride=1.0, seeds=[0, 1])
    m1 = train("rf", out=tmp_path / "r", **kw)
    results = sorted((tmp_path / "r" / "folds").rglob("result.json"))
    assert len(results) == 8                                    # 4 folds x 2 seeds
    stamp = {p: p.stat().st_mtime_ns for p in results}
    results[0].unlink()
    m2 = train("rf", out=tmp_path / "r", **kw)
    assert m2["per_subject"] == pytest.approx(m1["per_subject"])
    assert all(p.stat().st_mtime_ns == stamp[p] for p in results[1:])
    assert results[0].is_file()


def test_low_data_sweep(tiny_data, tmp_path):
    m = train("rf", out=tmp_path / "s", data=[str(tiny_data)], trees=20, progress=False,
              label_fractions=[0.1, 1.0])
    assert set(m["sweep"]) == {"0.1", "1"} and m["label_fraction"] == 1.0
    assert (tmp_path / "s" / "sweep.png").is_file()


def test_cli_train_and_errors(tiny_data, tmp_path):
    r = run_cli("train", "rf", "--data", tiny_data, "--out", tmp_path / "cli", "--trees", "20",
                "--protocol", "kfold", "--folds", "2", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "macro-F1" in r.stdout and (tmp_path / "cli" / "metrics.json").is_file()
    m = json.loads((tmp_path / "cli" / "metrics.json").read_text())
    assert m["protocol"] == "kfold" and len(m["folds"]) == 2
    bad = run_cli("train", "dcl", "--data", tmp_path / "nothing", "--out", tmp_path / "x")
    assert bad.returncode == 1 and "nothing: no such file or folder" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    usage = run_cli("train", "dcl", "--data", tiny_data, "--out", tmp_path / "y", "--calibrate", "magic")
    assert usage.returncode == 2 and "--calibrate" in usage.stderr
    top = run_cli("train", "--help")
    assert top.returncode == 0 and "simpharnet" in top.stdout and "torchrun" in top.stdout
    h = run_cli("train", "multi3net", "--help")
    assert h.returncode == 0 and "--experts" in h.stdout and "mixture-of-experts" in h.stdout


# -- pretraining on real WearTwin exports --------------------------------------------------------
@pytest.fixture(scope="module")
def sim_exports(tmp_path_factory):
    """Bake three procedural activities on three body shapes (IMU + impedance, 6 s each)."""
    from addon.bake import Baker
    from addon.body.variants import variants_for
    from addon.config import BakeConfig
    from addon.export.recording import write_npz
    from addon.motion.motion import Motion
    from addon.motion.procedural import BODY_JOINTS, bicep_curl, standing, wave

    out = tmp_path_factory.mktemp("sim")
    fps, dur = 25.0, 6.0
    t = np.arange(int(dur * fps)) / fps
    motions = {}
    rot = standing(len(t))
    bicep_curl(rot, t, "left", reps=6, duration=dur)
    motions["circle"] = rot
    rot = standing(len(t))
    wave(rot, t, "left", waves=12, duration=dur)
    motions["shake"] = rot
    motions["still"] = standing(len(t))
    baker = Baker(BakeConfig(fps=fps, sensors=("imu", "impedance"), imu_sites=("left_wrist", "right_wrist")))
    for label, rot in motions.items():
        m = Motion(rotations=rot, trans=np.zeros((len(t), 3)), fps=fps, joint_names=BODY_JOINTS,
                   source={"format": "builtin", "path": f"builtin:{label}"})
        for v in variants_for(label, "anny", 1.7, 3, 0):
            rec = baker.bake(m, v)
            rec.meta["label"] = label
            rec.meta["text"] = f"a person does {label} movements with the left arm"
            write_npz(rec, out / f"{label}__{v.label}.npz")
    return out


def test_weartwin_exports_read_with_pose(sim_exports):
    from ml.data import load_dataset

    seqs = load_dataset(sim_exports)
    assert len(seqs) == 9 and {s.subject for s in seqs} == {"b01", "b02", "b03"}
    s = seqs[0]
    assert s.synthetic and s.pose.shape == (len(s), 22, 6) and s.text.startswith("a person")
    assert "left_wrist.acc_x" in s.channels and "right_wrist.gyro_z" in s.channels
    assert "wrist_wrist.mag" in s.channels and "wrist_wrist.phase" in s.channels


def test_impedance_and_fused_inputs_on_exports(sim_exports, tmp_path):
    """Simulated data as the labelled data set: LOSO over body shapes, impedance-only and
    IMU+impedance inputs (no --sim here: pretraining on the held-out body's texts would leak)."""
    for inputs, n_ch in (("imp", 2), ("fused", 8)):
        m = train("simpharnet", out=tmp_path / inputs, data=[str(sim_exports)], inputs=inputs, dim=16,
                  max_folds=1, **TINY)
        assert len(m["channels"]) == n_ch and m["subjects"] == ["b01", "b02", "b03"]
        assert 0.0 <= m["macro_f1_mean"] <= 1.0


def test_simpharnet_pretrains_on_exports_and_finetunes(tiny_data, sim_exports, tmp_path):
    m = train("simpharnet", out=tmp_path / "sh", data=[str(tiny_data)], sim=[str(sim_exports)], inputs="imu",
              dim=32, pretrain_epochs=3, unfreeze_after=2, max_folds=2, calibrate="quantile", **TINY)
    r = json.loads(next((tmp_path / "sh" / "folds").rglob("result.json")).read_text())
    pre = r["history"]["pretrain"]["loss"]
    assert len(pre) == 3 and all(np.isfinite(pre)) and r["audit"]["windows"]["sim"] > 0
    assert m["macro_f1_mean"] > 0.34


def test_multi3net_pretrains_on_exports_and_finetunes(tiny_data, sim_exports, tmp_path):
    m = train("multi3net", out=tmp_path / "m3", data=[str(tiny_data)], sim=[str(sim_exports)], dim=32,
              layers=1, heads=2, experts=2, pretrain_epochs=2, max_folds=1, calibrate="none", **TINY)
    r = json.loads(next((tmp_path / "m3" / "folds").rglob("result.json")).read_text())
    assert len(r["history"]["pretrain"]["loss"]) == 2
    assert (tmp_path / "m3" / "pretrain" / "seed0.pt").is_file()     # no calibration: shared by folds
    assert 0.0 <= m["macro_f1_mean"] <= 1.0 and m["classes"] == sorted(CLASSES)


def test_torchrun_ddp_on_cpu(tiny_data, tmp_path):
    """Two processes through torchrun (gloo on CPU; NCCL on GPUs): one report, same format."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "-m", "ml", "train",
                        "dcl", "--data", str(tiny_data), "--out", str(tmp_path / "ddp"), "--max-folds", "1",
                        "--epochs", "2", "--filters", "8", "--lstm-units", "16", "--no-progress"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("macro-F1") == 1
    m = json.loads((tmp_path / "ddp" / "metrics.json").read_text())
    assert list(m["per_subject"]) == ["p0"]
