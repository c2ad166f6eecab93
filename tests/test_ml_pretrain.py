"""Issue 25: `weartwin pretrain`, model folders as hostile input, `weartwin train --init`, zero-shot."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.pretrain_fixture import write_exports, write_generic

ROOT = Path(__file__).resolve().parents[1]


def weartwin(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "headless.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pre")
    exports = write_exports(tmp / "exports")
    out = tmp / "enc"
    r = weartwin("pretrain", "--corpus", exports, "--out", out, "--epochs", "1", "--batch-size", "16",
                 "--arch", "resnet", "--widths", "8,8,8", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    return out


def test_pretrain_writes_loadable_model_folder(encoder):
    from ml.pretrain.contract import load

    assert {p.name for p in encoder.iterdir()} >= {"encoder.pt", "contract.json", "MODEL_CARD.md"}
    state = torch.load(encoder / "encoder.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    c = json.loads((encoder / "contract.json").read_text())
    assert c["fps"] == 50.0 and c["window_s"] == 2.0 and c["arch"] == "resnet"
    assert sorted(c["corpus"]["sites"]) == ["chest", "joint.right_ankle", "left_wrist"]   # every site, dotted too
    assert c["classes"] == ["sitting", "walking", "waving"] and len(c["class_text_emb"][0]) == 384
    card = (encoder / "MODEL_CARD.md").read_text()
    assert "weartwin pretrain --corpus" in card and "joint.right_ankle" in card
    contract, net = load(encoder)
    x = torch.zeros(2, contract.window, 6)
    assert net(x, torch.tensor([0.0, 1.0])).shape == (2, 3)


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    return dst


@pytest.mark.parametrize("case", ["widths_vs_weights", "huge", "unknown_arch", "pickle", "missing", "recipe_list"])
def test_hostile_model_folder_refused_in_one_line(encoder, tmp_path, case):
    bad = _copy(encoder, tmp_path / "bad")
    c = json.loads((bad / "contract.json").read_text())
    if case == "widths_vs_weights":
        c["params"]["widths"] = [8, 8, 16]
        c["dim"] = 16
    elif case == "huge":
        c["params"]["widths"] = [10 ** 9]
        c["dim"] = 10 ** 9
    elif case == "unknown_arch":
        c["arch"] = "os.system"
    elif case == "pickle":
        import pickle

        (bad / "encoder.pt").write_bytes(pickle.dumps({"x": print}))
    elif case == "missing":
        (bad / "encoder.pt").unlink()
    elif case == "recipe_list":
        c["recipe"], c["command"] = ["x"], 5
    (bad / "contract.json").write_text(json.dumps(c))
    data = write_generic(tmp_path / "real", subjects=3, seconds=6)
    r = weartwin("predict", "--zero-shot", "walking,sitting", bad, data, "--out", tmp_path / "z.csv")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr and str(bad) in lines[0], r.stderr
    assert not (tmp_path / "z.csv").exists()


def test_rotation_augmentation_preserves_norms():
    from ml.pretrain.train import Recipe, augment_batch, random_so3

    g = torch.Generator().manual_seed(0)
    R = random_so3(500, g, "cpu")
    assert torch.allclose(R @ R.transpose(1, 2), torch.eye(3).expand(500, 3, 3), atol=1e-5)
    assert torch.allclose(torch.linalg.det(R), torch.ones(500), atol=1e-5)
    x = torch.randn(64, 100, 6)
    y, missing = augment_batch(x, torch.ones(64, dtype=torch.bool), Recipe(amp_scale=0.0, gyro_drop=0.0), g)
    assert torch.allclose(y[..., :3].norm(dim=-1), x[..., :3].norm(dim=-1), atol=1e-4)
    assert torch.allclose(y[..., 3:].norm(dim=-1), x[..., 3:].norm(dim=-1), atol=1e-4)
    assert not torch.allclose(y, x) and not missing.any()
    _, missing = augment_batch(x, torch.zeros(64, dtype=torch.bool), Recipe(), g)     # acc-only: flagged
    assert missing.all()


def test_train_init_runs_one_fold_and_ssl_never_sees_held_out(encoder, tmp_path):
    data = write_generic(tmp_path / "real", subjects=4, seconds=10)
    out = tmp_path / "run"
    r = weartwin("train", "resnet", "--init", encoder, "--data", data, "--out", out, "--epochs", "2",
                 "--max-folds", "1", "--adapt", "ssl", "--adapt-epochs", "1", "--labels-per-class", "5")
    assert r.returncode == 0, r.stderr
    res = json.loads(next((out / "folds").rglob("result.json")).read_text())
    held = set(res["audit"]["test"])
    assert res["history"]["init"]["arch"] == "resnet" and res["history"]["init"]["weights"] > 0
    # under a label budget: fixed steps (no validation to stop on), every labelled window trains
    assert res["history"]["finetune_mode"] == "steps" and res["audit"]["windows"]["val"] == 0
    assert "fixed steps" in res["audit"]["validation_note"]
    assert res["history"]["adapt"]["subjects"] and not held & set(res["history"]["adapt"]["subjects"])
    assert not held & set(res["audit"]["adapt"])
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["widths"] == [8, 8, 8] and cfg["site"] == "wrist"      # sizes from the encoder's contract


def test_train_dcl_init_with_resnet_encoder_refused(encoder, tmp_path):
    data = write_generic(tmp_path / "real", subjects=3, seconds=6)
    r = weartwin("train", "dcl", "--init", encoder, "--data", data, "--out", tmp_path / "run", "--epochs", "1")
    assert r.returncode == 1 and "the encoder is a resnet backbone" in r.stderr and "Traceback" not in r.stderr


def test_zero_shot_predict_writes_csv(encoder, tmp_path):
    data = write_generic(tmp_path / "real", subjects=3, seconds=6, gyro=False)     # acc-only device
    out = tmp_path / "z.csv"
    r = weartwin("predict", "--zero-shot", "walking,waving,sitting", encoder, data, "--out", out)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open()))
    assert rows and {r["label"] for r in rows} <= {"walking", "waving", "sitting"}
    assert all(0 < float(r["probability"]) <= 1 for r in rows)


def test_units_checked(encoder, tmp_path):
    from ml.data.sequence import DataError
    from ml.pretrain.transfer import check_units

    x = np.zeros((4, 100, 6), np.float32)
    x[..., 2] = 1.0                      # data in g
    with pytest.raises(DataError, match="m/s"):
        check_units(x, np.ones(6, bool), "here")


def test_saved_windows_round_trip_and_train_without_exports(tmp_path):
    """--save-windows then --windows: the same windows (int8 + per-window scales: error <= half a step),
    the texts' embeddings carried along; a corrupted file is refused in one line."""
    from ml.pretrain.corpus import build_corpus, load_corpus

    corpus_dir = write_exports(tmp_path / "corpus")
    saved = tmp_path / "w.npz"
    r = weartwin("pretrain", "--corpus", str(corpus_dir), "--save-windows", str(saved))
    assert r.returncode == 0, r.stderr
    c = build_corpus([corpus_dir], 50.0, 2.0)
    back = load_corpus(saved)
    assert len(back) == len(c) and back.classes == c.classes and back.sites == c.sites
    step = np.abs(c.x.astype(np.float32)).max(axis=1, keepdims=True) / 127
    assert np.all(np.abs(back.x.astype(np.float32) - c.x.astype(np.float32)) <= step * 0.51 + 1e-2)
    assert back.text_emb.shape == (len(c.texts), 384)
    r = weartwin("pretrain", "--windows", str(saved), "--out", str(tmp_path / "enc"), "--epochs", "1",
                 "--device", "cpu")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "enc" / "encoder.pt").is_file()
    with np.load(saved) as d:
        arrays = {k: d[k] for k in d.files}
    arrays["y"] = arrays["y"] + 1000            # labels outside the classes
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    r = weartwin("pretrain", "--windows", str(bad), "--out", str(tmp_path / "enc2"))
    assert r.returncode == 1 and "not a saved WearTwin pretraining corpus" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "enc2" / "encoder.pt").exists()


def test_tilt_rotations_are_rotations_within_their_angle():
    """--rotation DEG: proper rotations (det +1, orthonormal) by at most DEG about random axes."""
    from ml.pretrain.train import random_tilt

    g = torch.Generator().manual_seed(0)
    R = random_tilt(2000, 45.0, g, "cpu").double()
    eye = torch.eye(3, dtype=torch.float64).expand_as(R)
    assert torch.allclose(R @ R.transpose(1, 2), eye, atol=1e-5)
    assert torch.allclose(torch.linalg.det(R), torch.ones(2000, dtype=torch.float64), atol=1e-5)
    angle = torch.rad2deg(torch.arccos(((R.diagonal(dim1=1, dim2=2).sum(-1) - 1) / 2).clamp(-1, 1)))
    assert angle.max() <= 45.0 + 1e-3 and angle.max() > 40.0


def test_init_reads_the_site_of_a_multi_device_dataset_through_final_and_predict(encoder, tmp_path):
    """PAMAP2 has IMUs at hand, chest and ankle: --site ankle trains on the ankle, --final labels the ankle,
    and `predict` with that model reads the ankle again (the model remembers its device)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from ml_layouts import write_pamap2

    data = tmp_path / "pamap2"
    write_pamap2(data, subjects=(101, 102, 103), n=3000)
    out = tmp_path / "run"
    r = weartwin("train", "resnet", "--init", encoder, "--data", data, "--site", "ankle", "--labels-per-class", "5",
                 "--epochs", "2", "--min-steps", "4", "--final", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "ankle.acc_x" in r.stdout + r.stderr
    labels = tmp_path / "labels.csv"
    r = weartwin("predict", out / "model.npz", data, "--out", labels)
    assert r.returncode == 0, r.stderr
    assert len(list(csv.DictReader(labels.open()))) > 10
    r = weartwin("train", "resnet", "--init", encoder, "--data", data, "--site", "knee", "--out", tmp_path / "r2")
    assert r.returncode == 1 and "--site knee" in r.stderr and "ankle, chest, hand" in r.stderr
