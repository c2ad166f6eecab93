"""End to end: shared motion files -> `weartwin bake` -> exports that follow DESIGN.md."""
from __future__ import annotations

import json

import numpy as np
import pytest

from addon.export.recording import read_export
from conftest import need_shared, run_cli


def check_export(path, sites=("left_wrist", "right_wrist")):
    arrays, meta = read_export(path)
    t = arrays["t"]
    assert t.dtype == np.float64 and t[0] == 0 and np.all(np.diff(t) > 0)
    for s in sites:
        for k in ("acc", "gyro"):
            a = arrays[f"imu.{s}.{k}"]
            assert a.shape == (len(t), 3) and a.dtype == np.float32 and np.all(np.isfinite(a))
    for key in ("schema", "units", "fps", "sites", "pairs", "body", "source", "config", "weartwin_version"):
        assert key in meta, key
    assert meta["source"]["sha256"] and meta["schema"] == 1
    for s in sites:
        assert len(meta["sites"][s]["vertices"]) == 3 and "frame" in meta["sites"][s]
    return arrays, meta


@pytest.fixture(scope="module")
def baked(tmp_path_factory):
    src = need_shared("motion")
    out = tmp_path_factory.mktemp("baked")
    r = run_cli("bake", src, "--out", out, "--sensors", "imu", "--preview", "--csv", "--quiet")
    assert r.returncode == 0, r.stderr + r.stdout
    return src, out


def test_every_shared_motion_bakes(baked):
    src, out = baked
    inputs = sorted(p for p in src.rglob("*") if p.is_file())
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["done"]) == len(inputs) and not summary["failed"]
    for p in inputs:
        stem = out / p.relative_to(src).with_suffix("")
        arrays, meta = check_export(stem.with_suffix(".npz"))
        assert stem.with_suffix(".png").stat().st_size > 10_000
        header = stem.with_suffix(".csv").read_text().splitlines()[0].split(",")
        assert header[0] == "t" and "imu.left_wrist.acc.x" in header
        # the output keeps the source's duration
        from addon.motion import load_motion

        m = load_motion(p)
        assert abs(arrays["t"][-1] - m.duration) <= 1 / 60 + 1e-9


def test_quiet_clip_reads_gravity_and_dynamic_clips_stay_bounded(baked):
    _, out = baked
    arrays, _ = check_export(out / "amass" / "amass_sample.npz")  # a seated subject, barely moving
    for s in ("left_wrist", "right_wrist"):
        assert abs(np.median(np.linalg.norm(arrays[f"imu.{s}.acc"], axis=1)) - 9.81) < 0.3
        assert np.median(np.linalg.norm(arrays[f"imu.{s}.gyro"], axis=1)) < 0.5
    for name in ("hbp_amass_sample", "dmpl_sample"):  # vigorous clips with mocap jitter
        arrays, _ = check_export(out / "amass" / f"{name}.npz")
        for s in ("left_wrist", "right_wrist"):
            assert np.linalg.norm(arrays[f"imu.{s}.acc"], axis=1).max() < 600
            assert np.linalg.norm(arrays[f"imu.{s}.gyro"], axis=1).max() < 60


def test_rerun_skips_up_to_date_and_force_rebakes(baked, tmp_path):
    src, out = baked
    one = src / "amass" / "dmpl_sample.npz"
    r = run_cli("bake", one, "--out", tmp_path, "--sensors", "imu", "--quiet")
    assert r.returncode == 0
    before = (tmp_path / "dmpl_sample.npz").stat().st_mtime_ns
    r = run_cli("bake", one, "--out", tmp_path, "--sensors", "imu", "--quiet")
    assert "1 up to date" in r.stdout and (tmp_path / "dmpl_sample.npz").stat().st_mtime_ns == before
    r = run_cli("bake", one, "--out", tmp_path, "--sensors", "imu", "--fps", "50", "--quiet")
    assert "baked 1" in r.stdout  # a changed config is not up to date


def test_demo_and_info(tmp_path):
    r = run_cli("demo", "--out", tmp_path / "d")
    assert r.returncode == 0, r.stderr
    for name in ("demo.npz", "demo.csv", "demo.png"):
        assert (tmp_path / "d" / name).exists()
    arrays, meta = check_export(tmp_path / "d" / "demo.npz")
    assert meta["body"]["model"] == "anny"
    r = run_cli("info", tmp_path / "d" / "demo.npz")
    assert r.returncode == 0 and "WearTwin export" in r.stdout and "imu.left_wrist.acc" in r.stdout
    r = run_cli("--help")
    assert r.returncode == 0 and "demo" in r.stdout and "bake" in r.stdout
