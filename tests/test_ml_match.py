"""Issue 25, realism matching: features that ignore how a device is mounted, importance weights that move a
simulated corpus towards a target's unlabelled windows, and `weartwin pretrain --init --match-data`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.pretrain_fixture import write_exports, write_generic

ROOT = Path(__file__).resolve().parents[1]
FPS = 50.0


def weartwin(*args):
    return subprocess.run([sys.executable, "-m", "headless.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def windows(n: int, amp: float, freq: float, seed: int) -> np.ndarray:
    """(n, 100, 6) windows of a device swinging at `freq` Hz with `amp` m/s² on top of gravity."""
    rng = np.random.default_rng(seed)
    t = np.arange(100) / FPS
    ph = rng.uniform(0, 2 * np.pi, (n, 1))
    x = np.zeros((n, 100, 6), np.float32)
    x[..., 0] = amp * np.sin(2 * np.pi * freq * t + ph)
    x[..., 2] = 9.81
    x[..., 3] = 0.3 * amp * np.cos(2 * np.pi * freq * t + ph)
    return x + 0.05 * rng.standard_normal(x.shape).astype(np.float32)


def test_still_device_features_are_derivable():
    """A still device: |acc| = g, no spread, no jerk, no tilt, no rotation."""
    from ml.pretrain.match import FEATURES_ACC, FEATURES_GYRO, realism_features

    x = np.zeros((3, 100, 6), np.float32)
    x[..., 2] = 9.81
    f = dict(zip(FEATURES_ACC + FEATURES_GYRO, realism_features(x, FPS, gyro=True)[0]))
    assert f["log |acc| mean"] == pytest.approx(np.log1p(9.81), abs=1e-5)
    assert f["log |acc| sd"] == pytest.approx(0, abs=1e-5) and f["log jerk"] == pytest.approx(0, abs=1e-5)
    assert f["tilt deg"] == pytest.approx(0, abs=0.1) and f["log |gyro| mean"] == pytest.approx(0, abs=1e-6)


def test_features_do_not_depend_on_mounting():
    """The same motion read by a device rotated any way gives the same features (the target's axes are unknown)."""
    from scipy.spatial.transform import Rotation

    from ml.pretrain.match import realism_features

    x = windows(8, 4.0, 1.5, 0)
    R = Rotation.random(random_state=3).as_matrix().astype(np.float32)
    xr = np.concatenate([x[..., :3] @ R.T, x[..., 3:] @ R.T], axis=-1)
    np.testing.assert_allclose(realism_features(xr, FPS, True), realism_features(x, FPS, True), rtol=1e-3, atol=1e-3)


def test_weights_move_a_shifted_corpus_towards_the_target():
    """Simulated = gentle (1 m/s²) + vigorous (6 m/s²) windows; target = vigorous only: the weights put more
    mass on the vigorous half, and the weighted feature means move towards the target's."""
    from ml.pretrain.match import importance_weights, realism_features

    sim = np.concatenate([windows(200, 1.0, 1.0, 1), windows(200, 6.0, 2.0, 2)])
    real = windows(150, 6.0, 2.0, 3)
    fs, fr = realism_features(sim, FPS, True), realism_features(real, FPS, True)
    w, info = importance_weights(fs, fr, seed=0)
    assert w.shape == (400,) and np.all(w > 0) and w.mean() == pytest.approx(1.0)
    assert w[200:].mean() > 3 * w[:200].mean()
    assert info["auc_sim_vs_target"] > 0.7 and 0 < info["effective_share"] < 1
    before, after = fs[:, 0].mean(), np.average(fs[:, 0], weights=w)
    assert abs(after - fr[:, 0].mean()) < 0.5 * abs(before - fr[:, 0].mean())


def test_identical_distributions_are_not_separable():
    from ml.pretrain.match import importance_weights, realism_features

    fs = realism_features(windows(300, 3.0, 1.5, 4), FPS, True)
    fr = realism_features(windows(300, 3.0, 1.5, 5), FPS, True)
    w, info = importance_weights(fs, fr, seed=0)
    assert info["auc_sim_vs_target"] < 0.65 and info["effective_share"] > 0.6


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A saved tiny corpus and an encoder pretrained on it."""
    tmp = tmp_path_factory.mktemp("match")
    corpus = write_exports(tmp / "corpus")
    w = tmp / "w.npz"
    assert weartwin("pretrain", "--corpus", corpus, "--save-windows", w).returncode == 0
    enc = tmp / "enc"
    r = weartwin("pretrain", "--windows", w, "--out", enc, "--epochs", "1", "--batch-size", "16", "--arch", "resnet",
                 "--widths", "8,8,8", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    return w, enc, tmp


def test_pretrain_init_match_data_continues_on_training_subjects_only(saved, tmp_path):
    w, enc, _ = saved
    data = write_generic(tmp_path / "real", subjects=4, seconds=10)
    out = tmp_path / "matched"
    r = weartwin("pretrain", "--init", enc, "--windows", w, "--match-data", data, "--match-subjects", "s0,s1",
                 "--epochs", "1", "--batch-size", "16", "--device", "cpu", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "realism matching on" in r.stderr and "AUC" in r.stderr
    c = json.loads((out / "contract.json").read_text())
    assert c["arch"] == "resnet" and c["params"]["widths"] == [8, 8, 8]       # the init encoder's, not the defaults
    m = c["recipe"]["realism_matching"]
    assert m["subjects"] == ["s0", "s1"] and "continued_from" in c["recipe"]
    card = (out / "MODEL_CARD.md").read_text()
    assert "## Realism matching" in card and "s0, s1" in card


def test_checkpoint_continues_only_the_run_of_the_same_init(saved, tmp_path):
    """An interrupted from-scratch run's checkpoint is not resumed by `--init ENC --out` the same folder."""
    from ml.pretrain.contract import load
    from ml.pretrain.train import Recipe, _key, _weights_id

    _, enc, _ = saved
    c, net = load(enc)
    r = Recipe(arch="resnet")
    assert _key(r, c, 10, None, "") != _key(r, c, 10, None, _weights_id(net.state_dict()))
    assert _weights_id(net.state_dict()) == _weights_id({k: v.clone() for k, v in net.state_dict().items()})


def test_match_subjects_not_in_the_data_refused_in_one_line(saved, tmp_path):
    w, enc, _ = saved
    data = write_generic(tmp_path / "real", subjects=3, seconds=6)
    r = weartwin("pretrain", "--init", enc, "--windows", w, "--match-data", data, "--match-subjects", "s9",
                 "--epochs", "1", "--device", "cpu", "--out", tmp_path / "m")
    assert r.returncode == 1 and "--match-subjects: s9 not in --match-data" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "m" / "encoder.pt").exists()


def test_init_from_another_corpus_refused_in_one_line(saved, tmp_path):
    """Continuing needs the encoder's own corpus: another corpus's activities are refused, not half-loaded."""
    w, enc, _ = saved
    other = write_exports(tmp_path / "other", n_per=1)
    import shutil

    shutil.rmtree(other / "sitting")                   # two of the encoder's three activities
    r = weartwin("pretrain", "--init", enc, "--corpus", other, "--epochs", "1", "--device", "cpu",
                 "--out", tmp_path / "m")
    assert r.returncode == 1 and "not pretrained on this corpus" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_released_name_resolves_to_its_backbone_sibling(tmp_path):
    """`weartwin train resnet --init weartwin-imu-v1` finds the released resnet sibling."""
    from ml.pretrain.contract import read_contract, released_for

    for arch in ("simpharnet", "resnet", "dcl"):
        c = read_contract(released_for("weartwin-imu-v1", arch))
        assert c.arch == arch
    assert released_for(str(tmp_path), "resnet") == str(tmp_path)      # a path is taken as given
