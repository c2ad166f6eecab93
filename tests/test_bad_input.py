"""Bad input: one line naming the file and the problem, the batch goes on, nothing partial."""
from __future__ import annotations

import json
import os

import pytest

from addon.motion import MotionError, load_motion
from addon.motion.safe_pickle import UnsafePickleError, load_pickle
from bad_inputs import CodeCarrier, good_amass, write_bad_corpus
from conftest import run_cli


def test_each_bad_file_gives_a_one_line_reason(tmp_path):
    marker = tmp_path / "PWNED"
    expect = write_bad_corpus(tmp_path / "in", marker)
    for name, fragment in expect.items():
        path = tmp_path / "in" / name
        with pytest.raises(MotionError) as e:
            load_motion(path)
        msg = str(e.value)
        assert "\n" not in msg and msg.startswith(str(path)), msg
        assert fragment in msg, (name, msg)
    assert not marker.exists(), "a pickle executed code"


def test_restricted_unpickler_refuses_code(tmp_path):
    import pickle

    marker = tmp_path / "PWNED"
    with open(tmp_path / "x.pkl", "wb") as f:
        pickle.dump(CodeCarrier(marker), f)
    with pytest.raises(UnsafePickleError):
        load_pickle(tmp_path / "x.pkl")
    assert not marker.exists()


def test_batch_with_bad_and_good_files(tmp_path):
    marker = tmp_path / "PWNED"
    inp = tmp_path / "in"
    expect = write_bad_corpus(inp, marker)
    good_amass(inp / "good one.npz")          # a space in the name
    (inp / "sub").mkdir()
    good_amass(inp / "sub" / "bewegung_ü.npz")    # non-ASCII
    out = tmp_path / "out"
    r = run_cli("bake", inp, "--out", out, "--sensors", "imu", "--quiet")
    assert r.returncode == 1, r.stderr
    summary = json.loads((out / "summary.json").read_text())
    done = {os.path.basename(d["input"]) for d in summary["done"]}
    assert done == {"good one.npz", "bewegung_ü.npz"}
    assert (out / "good one.npz").exists() and (out / "sub" / "bewegung_ü.npz").exists()
    failed = {os.path.basename(f["input"]): f["reason"] for f in summary["failed"]}
    for name, fragment in expect.items():
        assert name in failed, name
        assert fragment in failed[name] and name in failed[name], failed[name]
        assert f"FAILED {failed[name]}" in r.stderr
    # nothing partial: only the good outputs and the summary
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()
                   and not p.relative_to(out).parts[0] == ".weartwin")   # the run folder (task summaries)
    assert files == ["good one.npz", "sub/bewegung_ü.npz", "summary.json"]
    assert not marker.exists()


def test_usage_errors_exit_2(tmp_path):
    assert run_cli("bake", "--out", tmp_path).returncode == 2
    assert run_cli("bake", tmp_path / "x.npz", "--out", tmp_path, "--shard", "5/2").returncode == 2
    assert run_cli("bake", tmp_path / "x.npz", "--out", tmp_path, "--sensors", "sonar").returncode == 2
    r = run_cli("bake", tmp_path / "missing.npz", "--out", tmp_path / "o", "--quiet")
    assert r.returncode == 1 and "missing.npz: no such file" in r.stderr
