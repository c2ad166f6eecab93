"""Hardening of `weartwin bake` (issue 12): one owner per bake option, nothing written outside
--out, malformed manifests, dead workers, resume that never reuses stale results, silent skips,
atomic writes that respect the umask. Real files, real processes, small IMU-only bakes."""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from addon.config import BakeConfig, ConfigError, flag_of, item_fields, option
from addon.export.atomic import atomic_write, current_umask, temp_files_of
from addon.export.names import disambiguated
from addon.export.recording import read_export
from bad_inputs import good_amass
from conftest import ROOT, run_cli
from headless.cli import build_parser, config_from_args, main

FAST = ("--sensors", "imu", "--fps", "30", "--quiet")


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def _reasons(summary: dict) -> list[str]:
    return [f["reason"] for f in summary["failed"]]


# --- one owner per bake option ------------------------------------------------------------------
def test_every_bake_option_has_one_generated_flag_and_defaults_match(capsys):
    a = build_parser().parse_args(["bake", "x.npz", "--out", "o"])
    assert config_from_args(a) == BakeConfig()
    with pytest.raises(SystemExit) as e:
        main(["bake", "--help"])
    assert e.value.code == 0
    help_text = capsys.readouterr().out
    for f in dataclasses.fields(BakeConfig):
        flag = flag_of(f)
        assert flag is None or flag in help_text, f.name
        assert option(f)["help"], f.name
    # the README's flag names keep working
    a = build_parser().parse_args(["bake", "x", "--out", "o", "--vary-body", "2", "--imu-site-def",
                                   "s=vertices:1,2,3", "--imu-sites", "s", "--electrode-def",
                                   "c=bone:spine02:0.05", "--electrodes", "left_wrist:c", "--no-softbody",
                                   "--frequencies", "5000,50000", "--contact-distance", "0", "--seed", "3"])
    cfg = config_from_args(a)
    assert cfg.vary_body == 2 and cfg.imu_site_defs == {"s": "vertices:1,2,3"} and cfg.frequencies == (5e3, 5e4)
    assert cfg.electrode_defs == {"c": "bone:spine02:0.05"} and cfg.contact_distance == 0 and cfg.seed == 3
    assert set(item_fields()) >= {"seed", "vary_body", "body", "height", "fps", "source_fps"}
    # signal_hash: what changes the arrays, nothing else
    assert BakeConfig(csv=True, preview=True, extra={"label": "x"}).signal_hash() == BakeConfig().signal_hash()
    assert BakeConfig(fps=30).signal_hash() == BakeConfig(fps=30.0).signal_hash() != BakeConfig().signal_hash()


@pytest.mark.parametrize("args", [
    ("--fps", "nan"), ("--fps", "inf"), ("--fps", "0"), ("--height", "nan"), ("--height", "-1"),
    ("--seed", "-1"), ("--frequencies", "nan"), ("--frequencies", "0"), ("--contact-distance", "-1"),
    ("--imu-smoothing", "nan"), ("--softbody-stiffness", "2"), ("--vary-body", "-1"), ("--source-fps", "0"),
    ("--sensors", "sonar"), ("--sensors", ","), ("--imu-sites", "nowhere"), ("--electrodes", "x"),
    ("--electrode-def", "x=y"), ("--calibration", "/no/such.npz"), ("--workers", "0")])
def test_bad_option_values_are_usage_errors(args, tmp_path, capsys):
    good_amass(tmp_path / "a.npz")
    code = main(["bake", str(tmp_path / "a.npz"), "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and err.startswith("weartwin: error: --"), err
    assert not (tmp_path / "o" / "a.npz").exists()


def test_usage_error_in_a_real_process():
    r = run_cli("bake", "x.npz", "--out", "/tmp/unused", "--fps", "nan")
    assert r.returncode == 2 and r.stderr.strip() == "weartwin: error: --fps: must be a finite number, got nan"


def test_one_validator_for_items_and_gui_values():
    base = BakeConfig(sensors=("imu",))
    for opts, fragment in [({"height": -1}, "height: must be within 0.5..2.5"), ({"vary_body": "3"}, "integer"),
                           ({"seed": True}, "integer"), ({"fps": float("nan")}, "finite"),
                           ({"frequencies": (1.0,)}, "not an item option")]:
        with pytest.raises(ConfigError) as e:
            base.with_options(opts)
        assert fragment in str(e.value) and "\n" not in str(e.value)
    assert base.with_options({"height": 1.8, "seed": 4}).height == 1.8
    with pytest.raises(ConfigError):
        BakeConfig(frequencies=(float("nan"),)).validated()


# --- atomic writes --------------------------------------------------------------------------------
def test_atomic_write_respects_the_umask_and_leaves_nothing_half_written(tmp_path):
    old = os.umask(0o022)
    try:
        p = atomic_write(tmp_path / "a.bin", lambda f: f.write(b"x"))
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
        os.umask(0o077)
        assert current_umask() == 0o077
        p = atomic_write(tmp_path / "b.bin", lambda f: f.write(b"x"))
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    finally:
        os.umask(old)

    def boom(f):
        f.write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "a.bin", boom)
    assert (tmp_path / "a.bin").read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.bin"]
    assert temp_files_of(tmp_path / "a.bin") == []


# --- writes outside --out, malformed manifests ----------------------------------------------------
def test_manifest_outputs_outside_out_are_refused(tmp_path):
    good_amass(tmp_path / "a.npz", T=60)
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "link").symlink_to(outside, target_is_directory=True)
    bad = [str(outside / "abs"), "../outside/up", "a/../../outside/up2", "/", "", ".", 5, None, [], "link/x"]
    lines = [{"input": "a.npz", "output": o} for o in bad] + [{"input": "a.npz", "output": "ok/x"}]
    (tmp_path / "m.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    r = run_cli("bake", tmp_path / "m.jsonl", "--out", out, "--csv", "--preview", *FAST)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    s = _summary(out)
    assert [d["outputs"][0] for d in s["done"]] == [str(out / "ok" / "x.npz")]
    assert len(s["failed"]) == len(bad)
    for reason in _reasons(s):
        assert "\n" not in reason and "m.jsonl:" in reason and ("output" in reason), reason
    assert list(outside.rglob("*")) == []        # nothing written outside, not even through the link
    assert not (tmp_path / "up.npz").exists()


def test_malformed_manifests_fail_one_line_each_and_summary_is_written(tmp_path):
    good_amass(tmp_path / "a.npz", T=60)
    lines = ['{"input": 5}', '{"input": null}', '{"output": "x"}', '{"input": "a.npz", "vary_body": "3"}',
             '{"input": "a.npz", "height": -1, "output": "h"}', '{"input": "a.npz", "colour": "red"}',
             '{"input": "a.npz", "label": 7, "output": "l"}', "[1, 2]", "{not json", '"a.npz"',
             '{"input": "a.npz", "seed": [1, 2], "output": "s"}', '{"input": "a.npz", "fps": 1e999, "output": "f"}']
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "junk.jsonl").write_bytes(bytes(range(256)) * 4)
    out = tmp_path / "out"
    r = run_cli("bake", tmp_path / "m.jsonl", tmp_path / "junk.jsonl", "--out", out, *FAST)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    s = _summary(out)
    reasons = _reasons(s)
    assert len(reasons) == len(lines) + 1 and not s["done"]
    expect = ["'input' must be a path", "'input' must be a path", "'input' must be a path",
              "vary_body: expected an integer, got '3'", "height: must be within 0.5..2.5, got -1",
              "unknown key(s) colour", "'label' must be a string", "must be a JSON object", "not valid JSON",
              "must be a JSON object", "seed: expected an integer", "fps: must be a finite number"]
    for n, fragment in enumerate(expect, 1):
        (reason,) = [x for x in reasons if f"m.jsonl:{n}:" in x]
        assert fragment in reason and "\n" not in reason, (n, reason)
        assert f"FAILED {reason}" in r.stderr
    assert any("junk.jsonl: not a text manifest" in x for x in reasons)
    assert sorted(p.name for p in out.iterdir()) == [".weartwin", "summary.json"]   # run folder + merged summary


# --- silent skips ---------------------------------------------------------------------------------
def test_folder_lists_files_it_does_not_bake_as_skipped(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    good_amass(src / "a.npz", T=60)
    (src / "notes.txt").write_text("hello")
    (src / "sub" / "data.csv").write_text("1,2\n")
    (src / ".hidden").write_text("x")
    out = src / "out"      # an output folder inside the input folder is not read back as input
    r = run_cli("bake", src, "--out", out, *FAST)
    assert r.returncode == 0, r.stderr
    s = _summary(out)
    skipped = {Path(x["input"]).name: x["reason"] for x in s["skipped"]}
    assert set(skipped) == {"notes.txt", "data.csv"}
    assert all(v.startswith("not a motion file") for v in skipped.values())
    assert "0 up to date" in r.stdout and "2 other files skipped (not motion files)" in r.stdout, r.stdout
    r = run_cli("bake", src, "--out", out, *FAST)   # again: its own outputs are not inputs
    assert r.returncode == 0 and "baked 0 inputs (0 exports), 1 up to date, 2 other files skipped" in r.stdout, r.stdout
    r = run_cli("bake", src / "sub", "--out", tmp_path / "o2", *FAST)   # only junk: usage error, summary written
    assert r.returncode == 2 and "no motion files" in r.stderr
    assert len(_summary(tmp_path / "o2")["skipped"]) == 1


# --- resume ---------------------------------------------------------------------------------------
def test_resume_rebakes_changed_inputs_missing_derived_files_and_foreign_outputs(tmp_path):
    (tmp_path / "in1").mkdir()
    a = good_amass(tmp_path / "in1" / "clip.npz", T=60)
    out = tmp_path / "out"

    def bake(*inputs, extra=()):
        r = run_cli("bake", *inputs, "--out", out, *FAST, *extra)
        assert r.returncode == 0, r.stderr
        return _summary(out)

    s = bake(a)
    assert len(s["done"]) == 1
    mode = stat.S_IMODE((out / "clip.npz").stat().st_mode)
    assert mode == 0o666 & ~current_umask()          # not 0600
    assert [x["reason"] for x in bake(a)["skipped"]] == ["up to date"]
    good_amass(a, T=70)                              # changed in place
    s = bake(a)
    assert len(s["done"]) == 1 and read_export(out / "clip.npz")[0]["t"].shape == (35,)
    s = bake(a, extra=("--csv",))                     # a derived file asked for later
    assert len(s["done"]) == 1 and (out / "clip.csv").is_file()
    (out / "clip.csv").unlink()
    assert len(bake(a, extra=("--csv",))["done"]) == 1 and (out / "clip.csv").is_file()
    assert len(bake(a, extra=("--csv",))["skipped"]) == 1
    # a second input with the same stem, added later: the existing output keeps its input
    (tmp_path / "in2").mkdir()
    b = good_amass(tmp_path / "in2" / "clip.npz", T=50)
    s = bake(b, a)
    assert [x["input"] for x in s["skipped"]] == [str(a)]
    new = out / (disambiguated(Path("clip"), b).name + ".npz")
    assert [d["outputs"] for d in s["done"]] == [[str(new)]]
    assert read_export(out / "clip.npz")[1]["source"]["path"] == str(a.absolute())
    assert read_export(new)[1]["source"]["path"] == str(b.absolute())
    assert len(bake(a, b)["skipped"]) == 2               # stable in any order
    # an output that records another input is never up to date
    (tmp_path / "m.jsonl").write_text(json.dumps({"input": str(b), "output": "clip"}) + "\n")
    s = bake(tmp_path / "m.jsonl")
    assert len(s["done"]) == 1 and read_export(out / "clip.npz")[1]["source"]["path"] == str(b.absolute())


# --- dead workers ---------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    kids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (d / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"multiprocessing" in cmd and b"resource_tracker" not in cmd:
            kids.append(int(d.name))
    return kids


def _kill_a_worker(args: list, out: Path, sig: int) -> tuple[subprocess.CompletedProcess, int]:
    p = subprocess.Popen([sys.executable, "-m", "headless", "bake", *map(str, args), "--out", str(out), *FAST],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while not (kids := _children(p.pid)):
        assert p.poll() is None and time.time() - t0 < 120, "no worker started"
        time.sleep(0.02)
    os.kill(kids[0], sig)
    stdout, stderr = p.communicate(timeout=300)     # must not hang
    return subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr), kids[0]


def test_a_worker_killed_with_kill_9_fails_its_item_and_the_batch_goes_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for k in range(4):
        good_amass(src / f"c{k}.npz", T=600)
    out = tmp_path / "out"
    r, _ = _kill_a_worker([src, "--workers", "2"], out, signal.SIGKILL)
    assert r.returncode == 1, r.stderr
    s = _summary(out)
    assert len(s["done"]) == 3 and len(s["failed"]) == 1, s
    (reason,) = _reasons(s)
    assert "worker died (signal 9: SIGKILL" in reason and "\n" not in reason
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    r = run_cli("bake", src, "--out", out, *FAST)    # the failed one is baked on the next run
    assert r.returncode == 0 and "baked 1 input (1 export), 3 up to date" in r.stdout, r.stdout


def test_a_segfaulting_single_worker_is_replaced(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for k in range(2):
        good_amass(src / f"c{k}.npz", T=300)
    out = tmp_path / "out"
    r, _ = _kill_a_worker([src, "--engine", "blender"], out, signal.SIGSEGV)   # fast + 1 worker: in-process
    assert r.returncode == 1, r.stderr
    s = _summary(out)
    assert len(s["done"]) == 1 and "worker died (signal 11: SIGSEGV)" in _reasons(s)[0]
    assert len(read_export(Path(s["done"][0]["outputs"][0]))[0]["t"]) == 150


def test_out_that_is_a_file_or_an_input_folder_is_a_usage_error(tmp_path, capsys):
    good_amass(tmp_path / "a.npz")
    (tmp_path / "file").write_text("x")
    assert main(["bake", str(tmp_path / "a.npz"), "--out", str(tmp_path / "file"), "--quiet"]) == 2
    assert main(["bake", str(tmp_path), "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cannot create the folder" in err and "is also an input folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "file"]


def test_to_args_rebuilds_the_same_config():
    """`config.to_args` (how the add-on hands its settings to a batch) and the generated flags
    are inverse: every kind of option survives the round trip, defaults give no flags."""
    import argparse

    from addon.config import BakeConfig, to_args
    from headless.cli import add_bake_options, config_from_args

    cfg = BakeConfig(fps=50.0, sensors=("imu",), imu_noise="phone", imu_axes="anatomical",
                     frequencies=(5e3, 1234567.0), imu_site_defs={"chest": "vertices:1,2,3"}, vary_body=2,
                     imu_placement_jitter=0.5, csv=True, seed=3, contact_distance=0.0025, engine="fast",
                     softbody=False).validated()
    p = argparse.ArgumentParser()
    add_bake_options(p)
    assert config_from_args(p.parse_args(to_args(cfg))).to_dict() == cfg.to_dict()
    assert to_args(BakeConfig()) == []
    soft = BakeConfig(softbody=True, electrode_type="dry", electrode_defs={"c": "bone:spine:0.1"})
    assert config_from_args(p.parse_args(to_args(soft))).to_dict() == soft.to_dict()
