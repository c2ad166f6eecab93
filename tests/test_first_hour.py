"""What a new user meets in the first hour (issue 27): help that can be copied, outputs that
name things, messages that say what a corpus is for. Each test is one of the newcomer's stumbles."""
from __future__ import annotations

import json
import os

import pytest
import yaml
from conftest import need_shared, run_cli
from ml_layouts import write_generic, write_sim_exports

TINY = dict(progress=False, window=2.0, stride=1.0, fps=25.0)


def test_synth_help_yaml_example_copies_at_80_columns():
    r = run_cli("synth", "--help", env={"COLUMNS": "80"})
    assert r.returncode == 0
    example = r.stdout[r.stdout.index("# study.yaml"):]
    assert all(len(line) <= 80 for line in example.splitlines()), example
    spec = yaml.safe_load(example)            # the text as printed is the spec
    assert [a["name"] for a in spec["activities"]][:3] == ["bicep_curl", "waving", "squats"]
    assert spec["vary_body"] == 3 and spec["imu_placement_jitter"] == 1.0 and spec["imu_noise"] is True
    assert spec["activities"][1]["descriptions"][1] == "someone waves quickly with the left hand"


def test_info_names_the_unmapped_joint_and_no_betas_none():
    clip = need_shared("bvh/bandai_namco/dataset-1/dataset-1_bye_feminine_001.bvh")
    r = run_cli("info", clip)
    assert r.returncode == 0, r.stderr
    assert "betas None" not in r.stdout and "no body shape (betas)" in r.stdout
    assert "21/22 SMPL joints mapped (not mapped: spine2" in r.stdout


def test_library_prints_member_paths_to_type():
    lib = need_shared("bvh/bandai_namco/dataset-2.zip")
    r = run_cli("library", lib, "--content", "walk", "--max-clips", "3", "--files")
    assert r.returncode == 0, r.stderr
    rows = [l.split("\t") for l in r.stdout.splitlines() if "\t" in l]
    assert len(rows) == 3 and all(p.startswith(f"{lib}/") and p.endswith(".bvh") and c == "walk" for p, c, _ in rows)
    info = run_cli("info", rows[0][0])                 # the path as printed is one a user can type
    assert info.returncode == 0 and "motion (bvh" in info.stdout, info.stderr
    r = run_cli("library", lib, "--content", "walk")
    assert f"clip paths to type (bake, info): {lib}/" in r.stdout and "--files lists all" in r.stdout


def _metrics(path, model, per, budget="k10"):
    path.mkdir()
    (path / "metrics.json").write_text(json.dumps({"model": model, "per_subject": per, "budget": budget,
                                                   "sweep": {budget: {"per_subject": per}}}))
    return path


def test_compare_names_both_sides_and_the_smallest_p(tmp_path):
    a = _metrics(tmp_path / "scratch_rf", "rf", {"s1": 0.6, "s2": 0.7, "s3": 0.8, "s4": 0.5})
    b = _metrics(tmp_path / "with_sim_rf", "rf", {"s1": 0.7, "s2": 0.72, "s3": 0.85, "s4": 0.6})
    r = run_cli("compare", a, b, "--out", tmp_path / "cmp.png")
    assert r.returncode == 0, r.stderr
    assert "scratch_rf (rf, 10 labels per class)" in r.stdout and "with_sim_rf (rf, 10 labels per class)" in r.stdout
    assert "p = 0.125" in r.stdout and "smallest p this test can give is 0.125" in r.stdout
    assert (tmp_path / "cmp.png").stat().st_size > 1000


def test_sim_only_corpus_of_two_bodies_is_meant_for_sim(tmp_path):
    sim = write_sim_exports(tmp_path / "sim", bodies=2)
    r = run_cli("train", "rf", "--data", sim, "--out", tmp_path / "run", "--trees", "5")
    assert r.returncode == 1
    assert "simulated data of 2 bodies" in r.stderr and "meant for --sim" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "run").exists()                     # no config.json left behind


def test_train_says_what_its_windows_are_and_budgets_in_words(tmp_path):
    from ml import train

    sim = write_sim_exports(tmp_path / "sim", bodies=3)
    logs = []
    train("rf", out=tmp_path / "s", data=[str(sim)], trees=5, log=logs.append, **TINY)
    assert "simulated windows" in logs[0] and "real windows" not in logs[0]
    real = write_generic(tmp_path / "real", subjects=3, seconds=16)
    logs = []
    train("rf", out=tmp_path / "r", data=[str(real)], trees=5, labels_per_class=[2], log=logs.append, **TINY)
    assert "real windows" in logs[0]
    folds = [l for l in logs if "macro-F1" in l]
    assert folds and all("(2 labels per class)" in l and "budget=" not in l for l in folds), folds
    r = run_cli("train", "rf", "--data", real, "--out", tmp_path / "r2", "--trees", "5", "--window", "2",
                "--stride", "1", "--fps", "25")
    assert r.returncode == 0 and "budget=1" not in r.stderr + r.stdout and "(all labels)" in r.stderr, r.stderr


def test_demo_motion_has_no_join_artefacts():
    """The demo's wave raises and lowers the arm smoothly: no velocity jump (a 45-70 m/s² spike
    in the accelerometer at 3.0, 3.8 and 5.2 s came from a linear ramp)."""
    import numpy as np

    from addon.motion.procedural import J, demo_motion

    m = demo_motion(fps=60.0)
    for joint in ("right_shoulder", "right_elbow", "left_elbow"):
        angle = m.rotations[:, J[joint]].sum(axis=1)      # one axis per joint here: the signed angle
        accel = np.abs(np.diff(angle, 2)) * m.fps ** 2          # rad/s²
        assert accel.max() < 80, (joint, float(accel.max()), float(np.argmax(accel) / m.fps))
