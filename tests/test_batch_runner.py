"""Batch runner: real worker processes, shards, SLURM variables, resume after kill -9,
SIGTERM with no partial files, determinism, and the blender_scripts entry point."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from addon.export.recording import read_export
from bad_inputs import good_amass
from conftest import ROOT, run_cli
from headless.items import expand_inputs, parse_shard, shard


def _corpus(d: Path, n: int = 6, T: int = 240) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        sub = d / ("a" if k % 2 else "b")
        sub.mkdir(exist_ok=True)
        good_amass(sub / f"clip{k}.npz", T=T + 10 * k)
    return d


def _arrays(out: Path) -> dict:
    return {str(p.relative_to(out)): read_export(p)[0] for p in sorted(out.rglob("*.npz"))}


def test_shards_partition_the_items(tmp_path):
    items = expand_inputs([str(_corpus(tmp_path / "in", n=7, T=20))])
    parts = [shard(items, i, 3) for i in range(3)]
    flat = [it for p in parts for it in p]
    assert sorted(map(str, (i.rel for i in flat))) == sorted(map(str, (i.rel for i in items)))
    assert len(flat) == len(set(i.rel for i in flat)) == 7
    env = {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MAX": "2"}
    assert parse_shard(None, env) == (0, 1)         # no --shard: every input given, also in an array
    assert parse_shard("slurm", env) == (2, 3) and parse_shard("slurm/8", env) == (2, 8)
    assert parse_shard("1/4", env) == (1, 4)
    assert parse_shard(None, {}) == (0, 1)


def test_manifests(tmp_path):
    src = _corpus(tmp_path / "in", n=2, T=20)
    (tmp_path / "list.txt").write_text("# two clips\nin/a/clip1.npz\n\nin/b/clip0.npz\n")
    items = expand_inputs([str(tmp_path / "list.txt")])
    assert [str(i.rel) for i in items] == ["in/a/clip1", "in/b/clip0"]
    (tmp_path / "list.jsonl").write_text(json.dumps({"input": str(src / "a" / "clip1.npz"), "label": "wave",
                                                     "seed": 4, "vary_body": 0}) + "\n")
    (item,) = expand_inputs([str(tmp_path / "list.jsonl")])
    assert item.opts == {"label": "wave", "seed": 4, "vary_body": 0}
    r = run_cli("bake", tmp_path / "list.jsonl", "--out", tmp_path / "o", "--sensors", "imu", "--quiet")
    assert r.returncode == 0, r.stderr
    (p,) = list((tmp_path / "o").rglob("*.npz"))
    assert read_export(p)[1]["label"] == "wave"


def test_two_workers_match_one_and_shards_cover_everything(tmp_path):
    src = _corpus(tmp_path / "in")
    r1 = run_cli("bake", src, "--out", tmp_path / "w1", "--sensors", "imu", "--quiet")
    r2 = run_cli("bake", src, "--out", tmp_path / "w2", "--sensors", "imu", "--workers", "2", "--quiet")
    assert r1.returncode == 0 and r2.returncode == 0, r2.stderr
    a1, a2 = _arrays(tmp_path / "w1"), _arrays(tmp_path / "w2")
    assert a1.keys() == a2.keys() and len(a1) == 6
    for k in a1:
        for name in a1[k]:
            np.testing.assert_array_equal(a1[k][name], a2[k][name])  # deterministic
    for i in range(3):  # SLURM array tasks into one folder (--shard slurm: task id = shard index)
        r = run_cli("bake", src, "--out", tmp_path / "sh", "--sensors", "imu", "--quiet", "--shard", "slurm",
                    env={"SLURM_ARRAY_TASK_ID": str(i), "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MAX": "2"})
        assert r.returncode == 0
        assert "baked 2 inputs (2 exports)," in r.stdout
    assert _arrays(tmp_path / "sh").keys() == a1.keys()


def _start(args, out):
    return subprocess.Popen([sys.executable, "-m", "headless", "bake", *map(str, args), "--out", str(out),
                             "--sensors", "imu", "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for_outputs(out: Path, n: int, timeout: float = 240) -> None:
    t0 = time.time()
    while len(list(out.rglob("*.npz"))) < n:
        assert time.time() - t0 < timeout, "no progress"
        time.sleep(0.05)


def _no_partials(out: Path) -> None:
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")], list(out.rglob("*"))


@pytest.mark.slow
def test_kill_9_then_resume_finishes_only_the_rest(tmp_path):
    src = _corpus(tmp_path / "in", n=8, T=1200)
    ref = tmp_path / "ref"
    assert run_cli("bake", src, "--out", ref, "--sensors", "imu", "--quiet").returncode == 0
    out = tmp_path / "out"
    p = _start([src, "--workers", "2"], out)
    _wait_for_outputs(out, 2)
    os.killpg(p.pid, signal.SIGKILL)  # the runner and its workers, mid-batch
    p.wait()
    time.sleep(0.5)
    done_before = len(list(out.rglob("*.npz")))
    assert 2 <= done_before < 8
    r = run_cli("bake", src, "--out", out, "--sensors", "imu", "--quiet")
    assert r.returncode == 0, r.stderr
    _no_partials(out)  # temp files a kill -9 left behind are cleared on resume
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["skipped"]) == done_before and len(summary["done"]) == 8 - done_before
    a, b = _arrays(ref), _arrays(out)
    assert a.keys() == b.keys()
    for k in a:
        for name in a[k]:
            np.testing.assert_array_equal(a[k][name], b[k][name])


@pytest.mark.slow
def test_sigterm_stops_cleanly_without_partial_files(tmp_path):
    src = _corpus(tmp_path / "in", n=8, T=1200)
    out = tmp_path / "out"
    p = _start([src, "--workers", "2"], out)
    _wait_for_outputs(out, 1)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode != 0
    time.sleep(0.5)
    _no_partials(out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True
    for f in out.rglob("*.npz"):  # every file that exists is complete
        read_export(f)


def test_blender_script_runs_under_plain_python(tmp_path):
    src = _corpus(tmp_path / "in", n=1, T=60)
    r = subprocess.run([sys.executable, str(ROOT / "blender_scripts" / "bake.py"), str(src), "--out",
                        str(tmp_path / "o"), "--sensors", "imu", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o" / "b" / "clip0.npz").exists()
    # the `blender --background --python bake.py -- ARGS` form
    r = subprocess.run([sys.executable, str(ROOT / "blender_scripts" / "bake.py"), "--", str(src), "--out",
                        str(tmp_path / "o2"), "--sensors", "imu", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0 and (tmp_path / "o2" / "b" / "clip0.npz").exists()
