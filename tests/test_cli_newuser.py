"""What a new user meets first: every --help shows its defaults, bad input is one line naming
the file with DESIGN.md's exit codes (2 usage, 1 an input failed), nothing half-made is left
behind, summaries count clearly, and logs get no progress-bar spam. Real files, real processes."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

import numpy as np
import pytest

from addon.config import BakeConfig, flag_of
from bad_inputs import good_amass
from conftest import ROOT, run_cli
from headless.cli import build_parser, config_from_args, main
from ml_layouts import write_generic


def _commands() -> dict[str, argparse.ArgumentParser]:
    p = build_parser()
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return {name: sp for name, sp in sub.choices.items() if sp.add_help}   # train/compare/predict: ml's parser


def _help_of(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    return parser._get_formatter()._get_help_string(action)


# --- 1, 2, 10: --help -------------------------------------------------------------------------
def test_every_option_of_every_command_shows_its_default():
    for name, sp in _commands().items():
        for action in sp._actions:
            if (not action.option_strings or action.required or action.default is argparse.SUPPRESS
                    or isinstance(action, argparse._HelpAction)):
                continue
            h = _help_of(sp, action)
            assert "default:" in h or "%(default)" in h, f"weartwin {name} {action.option_strings[0]}: {h!r}"


def test_zero_defaults_and_floats_are_shown_plainly():
    bake = _commands()["bake"]
    helps = {a.option_strings[0]: _help_of(bake, a) for a in bake._actions if a.option_strings}
    for flag in ("--vary-body", "--seed", "--imu-smoothing", "--imu-bandwidth", "--imu-placement-jitter"):
        assert "(default: 0;" in helps[flag], helps[flag]          # 0 used to be left out
    assert "(default: 60;" in helps["--fps"] and "60.0" not in helps["--fps"]
    assert "(default: 0.002;" in helps["--contact-distance"] and "(default: 50000;" in helps["--frequencies"]
    assert "(default: imu,impedance)" in helps["--sensors"]
    for flag in ("--csv", "--softbody", "--force", "--quiet"):
        assert "(default: off" in helps[flag], helps[flag]
    assert helps["--workers"].endswith("(default: 1)")
    # BakeConfig owns the defaults: what --help says is what a bare command line gives, every field has a flag
    assert config_from_args(build_parser().parse_args(["bake", "x.npz", "--out", "o"])) == BakeConfig()
    assert not [f.name for f in dataclasses.fields(BakeConfig) if flag_of(f) and flag_of(f) not in helps]


def test_train_help_shows_defaults_readably():
    r = run_cli("train", "dcl", "--help", env={"COLUMNS": "400"})
    assert r.returncode == 0, r.stderr
    for junk in ("(default: [", "(default: {", "(default: )", "(default: False)", "(default: True)", "60.0)"):
        assert junk not in r.stdout, junk
    assert "--seeds SEEDS" in r.stdout and "(default: 0)" in r.stdout
    assert "(default: left_wrist)" in r.stdout and "(default: on)" in r.stdout
    assert "only when stderr is a terminal" in r.stdout


@pytest.mark.parametrize("command,sensors", [("text2imu", ("imu",)), ("text2imp", ("impedance",))])
def test_text2imu_and_text2imp_state_and_use_their_own_sensor_default(command, sensors, capsys, monkeypatch):
    a = build_parser().parse_args([command, "someone claps", "--out", "o"])
    assert config_from_args(a).sensors == sensors
    both = build_parser().parse_args([command, "someone claps", "--out", "o", "--sensors", "imu,impedance"])
    assert config_from_args(both).sensors == ("imu", "impedance")    # asked for both: both
    monkeypatch.setenv("COLUMNS", "400")
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    sensor_line = next(x for x in out.splitlines() if x.strip().startswith("--sensors SENSORS"))
    assert f"(default: {','.join(sensors)})" in sensor_line, sensor_line
    assert f"Writes {sensors[0]} only" in out


def test_top_level_help_has_typical_commands():
    r = run_cli("--help")
    assert r.returncode == 0
    examples = r.stdout.split("examples")[1]
    for cmd in ("weartwin demo", "weartwin bake", "weartwin synth", "weartwin train"):
        assert cmd in examples, cmd
    assert "exit codes" in r.stdout
    bare = run_cli()                      # no command: the help, one line saying why, usage exit
    assert bare.returncode == 2 and "weartwin demo" in bare.stdout
    assert bare.stderr.strip().splitlines() == ["weartwin: no command given (try: weartwin demo)"]


# --- 3: synth with a missing spec -------------------------------------------------------------
@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_synth_spec_that_is_missing_or_a_folder_is_one_line_exit_2(kind, tmp_path):
    spec = tmp_path / "study.yaml"
    if kind == "folder":
        spec.mkdir()
    r = run_cli("synth", spec, "--out", tmp_path / "out")
    err = r.stderr.strip()
    assert r.returncode == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "Errno" not in err, err
    assert f"{spec}: {'no such file' if kind == 'missing' else 'not a file'}" in err
    assert not (tmp_path / "out").exists()


# --- 4, 9: train ------------------------------------------------------------------------------
def test_train_with_a_data_typo_leaves_no_run_folder(tmp_path):
    r = run_cli("train", "rf", "--data", tmp_path / "typo", "--out", tmp_path / "run")
    assert r.returncode == 1 and f"{tmp_path / 'typo'}: no such file or folder" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
    (tmp_path / "afile").write_text("x")
    r = run_cli("train", "rf", "--data", tmp_path / "typo", "--out", tmp_path / "afile")
    assert r.returncode == 2 and "exists and is not a folder" in r.stderr


def test_train_into_a_log_has_no_progress_bars_but_one_line_per_fold(tmp_path):
    data = write_generic(tmp_path / "real", subjects=3, seconds=12)
    r = run_cli("train", "rf", "--data", data, "--out", tmp_path / "run", "--trees", "10")
    assert r.returncode == 0, r.stderr
    assert "%|" not in r.stderr and "it/s" not in r.stderr and "fold/s" not in r.stderr, r.stderr[-500:]
    assert sum("macro-F1" in x for x in r.stderr.splitlines()) == 3      # one line per held-out subject
    assert json.loads((tmp_path / "run" / "config.json").read_text())["progress"] is None
    forced = run_cli("train", "rf", "--data", data, "--out", tmp_path / "run2", "--trees", "10", "--max-folds", "1",
                     "--progress")
    assert forced.returncode == 0 and "fold/s" in forced.stderr     # asked for: drawn even into a pipe


# --- 5: benchmarks find the shared data through WEARTWIN_SHARED --------------------------------
@pytest.mark.parametrize("script,flag,sub", [("bench_har.py", "--data", "data/imu/sp_sw_har"),
                                             ("bench_walk_realism.py", "--real", "data/imu/sp_sw_har"),
                                             ("bench_bandai.py", "--root", "data/bvh/bandai_namco")])
def test_benchmarks_honour_weartwin_shared(script, flag, sub, tmp_path):
    import subprocess

    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--help"], capture_output=True,
                       text=True, env={**os.environ, "WEARTWIN_SHARED": str(tmp_path), "COLUMNS": "400"})
    assert r.returncode == 0, r.stderr
    assert f"{tmp_path}/{sub}" in r.stdout, r.stdout


# --- 6: bake's summary line -------------------------------------------------------------------
def test_bake_summary_counts_inputs_and_exports_apart(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    good_amass(src / "a.npz")
    good_amass(src / "b.npz")
    (src / "notes.txt").write_text("not a motion")
    args = ("bake", src, "--out", tmp_path / "out", "--sensors", "imu", "--vary-body", "2", "--fps", "30", "--quiet")
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == (f"baked 2 inputs (4 exports), 0 up to date, 1 other file skipped "
                                                 f"(not motion files), 0 failed -> {tmp_path / 'out'}/summary.json")
    again = run_cli(*args)
    assert again.stdout.strip().startswith("baked 0 inputs (0 exports), 2 up to date,"), again.stdout


# --- 7: calibrate -----------------------------------------------------------------------------
def test_calibrate_without_phase_says_so_once_and_explains_r2(tmp_path):
    from tests.test_calibration import synthetic_pair

    files = [synthetic_pair(tmp_path, k, T=300) for k in range(3)]
    csvs = []
    for k, (_, csv) in enumerate(files):     # the device measured |Z| only
        table = np.genfromtxt(csv, delimiter=",", names=True)
        csvs.append(tmp_path / f"mag_only{k}.csv")
        np.savetxt(csvs[-1], np.c_[table["t"], table["mag"]], delimiter=",", header="t,mag", comments="")
    r = run_cli("calibrate", "--sim", *[f[0] for f in files], "--measured", *csvs, "--epochs", "5",
                "--out", tmp_path / "cal.npz")
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().splitlines() == ["weartwin calibrate: note: no measured CSV has a phase column: only "
                                             "|Z| is fitted; calibrated exports keep the simulated phase"], r.stderr
    assert "nan" not in r.stdout and "no phase" in r.stdout and "R2 = 1 - MSE / variance" in r.stdout
    h = run_cli("calibrate", "--help").stdout
    assert "inputs:" in h and "output:" in h and "R2" in h and "--calibration" in h
    r = run_cli("calibrate", "--sim", tmp_path / "nope.npz", "--measured", csvs[0], "--out", tmp_path / "x.npz")
    assert r.returncode == 1 and r.stderr.strip() == f"weartwin calibrate: {tmp_path / 'nope.npz'}: no such file"
    r = run_cli("calibrate", "--sim", files[0][0], "--measured", tmp_path / "nope.csv", "--out", tmp_path / "x.npz")
    assert r.returncode == 1 and r.stderr.strip() == f"weartwin calibrate: {tmp_path / 'nope.csv'}: no such file"


# --- 8: library's exit codes ------------------------------------------------------------------
def test_library_exit_codes_follow_design(tmp_path):
    r = run_cli("library", tmp_path / "nope")               # the input is missing: it failed
    assert r.returncode == 1 and r.stderr.strip() == f"weartwin library: {tmp_path / 'nope'}: no such folder or zip"
    (tmp_path / "afile.txt").write_text("x")
    r = run_cli("library", tmp_path / "afile.txt")
    assert r.returncode == 1 and "not a folder or a zip" in r.stderr
    lib = tmp_path / "lib"
    lib.mkdir()
    good_amass(lib / "walk_01.npz")
    r = run_cli("library", lib, "--rule", "nonsense")       # a bad option: usage error
    assert r.returncode == 2 and "unknown label rule" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("library", lib, "--rule", "regex:(?P<content>[a-z]+)_", "--max-clips", "0")
    assert r.returncode == 2 and "--max-clips" in r.stderr
    r = run_cli("library", lib, "--rule", "regex:(?P<content>[a-z]+)_")
    assert r.returncode == 0 and "1 clips" in r.stdout, r.stderr


# --- found on the way: predict/compare with a missing file ------------------------------------
def test_predict_and_compare_name_a_missing_file_plainly(tmp_path):
    r = run_cli("predict", tmp_path / "model.npz", tmp_path, "--out", tmp_path / "p.csv")
    assert r.returncode == 1 and r.stderr.strip() == f"weartwin predict: error: {tmp_path / 'model.npz'}: no such file"
    r = run_cli("predict", tmp_path, tmp_path, "--out", tmp_path / "p.csv")     # a run folder, not its model
    assert r.returncode == 1 and "not a file (the model is RUN/model.npz" in r.stderr
    (tmp_path / "run").mkdir()
    r = run_cli("compare", tmp_path / "run", tmp_path / "nope")
    assert r.returncode == 1 and "Error" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert f"{tmp_path / 'run' / 'metrics.json'}: no such file" in r.stderr
