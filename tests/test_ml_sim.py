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


def test_sim_axes_turn_simulated_imu_into_the_real_devices_frame(real, sim, tmp_path):
    """--sim-axes=-x,-y,z (a watch worn with x towards the hand): simulated acc and gyro x, y change
    sign, z stays; the real windows are untouched; a repeated axis is a usage error (exit 2)."""
    import numpy as np

    from ml.api import load_windows
    from ml.config import CONFIGS
    from ml.data.channels import axes_matrix, reframe

    base = dict(data=[str(real)], sim=[str(sim)], window=2.0, stride=1.0, fps=25.0)
    r0, s0 = load_windows(CONFIGS["dcl"](**base))
    r1, s1 = load_windows(CONFIGS["dcl"](**base, sim_axes="-x,-y,z"))
    assert np.array_equal(r0.x, r1.x)
    ch = s0.channels
    for i, c in enumerate(ch):
        sign = -1 if c.endswith(("_x", "_y")) else 1
        assert np.array_equal(s1.x[..., i], sign * s0.x[..., i]), c
    # a cyclic relabelling y,z,x: real x = sim y, ...; gravity along sim z lands on real y
    g = np.zeros((1, 6), np.float32)
    g[0, 2] = 9.81
    out = reframe(g, ["w.acc_x", "w.acc_y", "w.acc_z", "w.gyro_x", "w.gyro_y", "w.gyro_z"], axes_matrix("y,z,x"))
    assert np.allclose(out[0], [0, 9.81, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="mirror"):
        axes_matrix("-x,y,z")                  # det -1: the gyro would turn the wrong way
    r = run_cli("train", "dcl", "--data", str(real), "--out", tmp_path / "run", "--sim-axes", "x,x,z")
    assert r.returncode == 2 and "--sim-axes" in r.stderr and not (tmp_path / "run").exists()
