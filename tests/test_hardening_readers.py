"""Hardening (issue 23): the published-layout dataset readers against a received, hostile folder.

Every file a reader opens goes through `addon/safe_paths.py`'s rule (via
`ml/data/readers/generic.open_inside`): a link named like a data file that leads out of the
dataset, one to /dev/zero, a FIFO, a zip member that climbs out, a zip bomb, a table longer
than the row cap: each is one warning line naming the file, and the dataset goes on. Real links,
real FIFOs, real devices; nothing mocked.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from ml_layouts import (_rw_csv, write_hmp, write_mmfit, write_openpack, write_pamap2, write_realworld,
                        write_sp_sw_har)

from ml.data import load_dataset


def _load(path, **kw):
    warnings: list[str] = []
    seqs = load_dataset(path, warn=warnings.append, **kw)
    return seqs, warnings


def _plant(root: Path, outside: Path, good: Path, bad: dict[str, Path]) -> None:
    """Beside the good file `good`: `bad['out']` a link to a copy of it outside the dataset,
    `bad['zero']` a link to /dev/zero, `bad['fifo']` a FIFO, each named like a data file."""
    outside.mkdir(exist_ok=True)
    copy = outside / good.name
    shutil.copy(good, copy)
    for kind, p in bad.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        if kind == "out":
            p.symlink_to(copy)
        elif kind == "zero":
            p.symlink_to("/dev/zero")
        else:
            os.mkfifo(p)


def _check(root: Path, bad: dict[str, Path], subjects: set[str], **kw) -> list[str]:
    seqs, warns = _load(root, **kw)
    assert {s.subject for s in seqs} == subjects, warns
    assert all("\n" not in w for w in warns), warns
    for kind, p in bad.items():          # one line per bad file, naming it
        hits = [w for w in warns if str(p) in w]
        assert len(hits) == 1, (kind, p, warns)
        assert ("outside" in hits[0]) if kind in ("out", "zero") else ("FIFO" in hits[0]), hits
    return warns


def test_sp_sw_har_refuses_links_out_devices_and_fifos(tmp_path):
    root = tmp_path / "d"
    write_sp_sw_har(root)
    bad = {"out": root / "s03" / "s03_01_sw.csv", "zero": root / "s04" / "s04_01_sw.csv",
           "fifo": root / "s05" / "s05_01_sw.csv"}
    _plant(root, tmp_path / "outside", root / "s01" / "s01_01_sw.csv", bad)
    _check(root, bad, {"s01", "s02"})
    # a folder that is a link out: every file found through it is refused, one line each
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(root / "s01" / "s01_01_sw.csv", tmp_path / "elsewhere" / "s09_01_sw.csv")
    (root / "s09").symlink_to(tmp_path / "elsewhere")
    seqs, warns = _load(root)
    assert "s09" not in {s.subject for s in seqs}
    assert sum("s09_01_sw.csv" in w and "outside" in w for w in warns) == 1, warns


def test_hmp_refuses_links_out_devices_and_fifos(tmp_path):
    root = tmp_path / "d"
    write_hmp(root)
    name = "Accelerometer-2011-03-24-10-24-39-walk-{}.txt"
    bad = {k: root / "Walk" / name.format(v) for k, v in (("out", "x7"), ("zero", "x8"), ("fifo", "x9"))}
    _plant(root, tmp_path / "outside", root / "Walk" / name.format("f1"), bad)
    _check(root, bad, {"f1", "m2"})


def test_pamap2_refuses_links_out_devices_and_fifos(tmp_path):
    root = tmp_path / "d"
    write_pamap2(root)
    bad = {k: root / "Protocol" / f"subject{n}.dat" for k, n in (("out", 107), ("zero", 108), ("fifo", 109))}
    _plant(root, tmp_path / "outside", root / "Protocol" / "subject101.dat", bad)
    _check(root, bad, {"subject101", "subject102"})


def test_mmfit_refuses_links_out_devices_and_fifos(tmp_path):
    root = tmp_path / "d"
    write_mmfit(root, workouts=("w00", "w01", "w02", "w03", "w04"))
    bad = {"out": root / "w02" / "w02_labels.csv", "zero": root / "w03" / "w03_sw_l_acc.npy",
           "fifo": root / "w04" / "w04_sw_l_gyr.npy"}
    for p in bad.values():
        p.unlink()
    _plant(root, tmp_path / "outside", root / "w00" / "w00_labels.csv", bad)
    _check(root, bad, {"w00", "w01"})


def test_openpack_refuses_links_out_devices_and_fifos(tmp_path):
    root = tmp_path / "d"
    write_openpack(root, users=("U0101", "U0102", "U0103", "U0104", "U0105"))
    bad = {"out": root / "U0103" / "atr" / "atr02" / "S0100.csv",
           "zero": root / "U0104" / "annotation" / "openpack-operations" / "S0100.csv",
           "fifo": root / "U0105" / "atr" / "atr02" / "S0100.csv"}
    for p in bad.values():
        p.unlink()
    _plant(root, tmp_path / "outside", root / "U0101" / "atr" / "atr02" / "S0100.csv", bad)
    _check(root, bad, {"U0101", "U0102"})


def test_realworld_refuses_links_out_devices_fifos_and_members_that_climb_out(tmp_path):
    root = tmp_path / "d"
    write_realworld(root, probands=(1, 2, 3, 4, 5))
    bad = {"out": root / "proband3" / "data" / "acc_walking_csv.zip",
           "zero": root / "proband4" / "data" / "acc_sitting_csv.zip",
           "fifo": root / "proband5" / "data" / "acc_running_forearm.csv"}
    for k in ("out", "zero"):
        bad[k].unlink()
    for n in (3, 4, 5):                      # the bad file is all they would have had
        for z in (root / f"proband{n}" / "data").glob("*.zip"):
            if z not in bad.values():
                z.unlink()
    _plant(root, tmp_path / "outside", root / "proband1" / "data" / "acc_walking_csv.zip", bad)
    z = root / "proband2" / "data" / "acc_jumping_csv.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../acc_jumping_forearm.csv", _rw_csv(np.arange(50) * 20.0, np.ones((50, 3))))
    warns = _check(root, bad, {"proband1", "proband2"})
    assert sum("climbs out" in w and "acc_jumping_csv.zip" in w for w in warns) == 1, warns


def test_realworld_bombs_deep_nesting_and_case_collisions_are_one_line_each(tmp_path, monkeypatch):
    root = tmp_path / "d"
    write_realworld(root, probands=(1, 2))
    data = root / "proband1" / "data"
    with zipfile.ZipFile(data / "acc_jumping_csv.zip", "w", zipfile.ZIP_DEFLATED) as zf:   # 40 MB of blanks
        with zf.open("acc_jumping_forearm.csv", "w", force_zip64=True) as f:
            for _ in range(40):
                f.write(b" " * (1 << 20))
    level3 = io.BytesIO()
    with zipfile.ZipFile(level3, "w") as zf:
        zf.writestr("acc_lying_forearm.csv", _rw_csv(np.arange(50) * 20.0, np.ones((50, 3))))
    level2 = io.BytesIO()
    with zipfile.ZipFile(level2, "w") as zf:
        zf.writestr("acc_lying_2_csv.zip", level3.getvalue())
    with zipfile.ZipFile(data / "acc_lying_csv.zip", "w") as zf:
        zf.writestr("sessions.zip", level2.getvalue())
    with zipfile.ZipFile(data / "acc_standing_csv.zip", "w") as zf:
        for name in ("acc_standing_forearm.csv", "ACC_Standing_Forearm.csv"):
            zf.writestr(name, _rw_csv(1.43e12 + np.arange(60) * 20.0, np.ones((60, 3))))
    monkeypatch.setenv("WEARTWIN_MAX_TEXT_BYTES", str(8 << 20))
    seqs, warns = _load(root)
    assert {s.subject for s in seqs} == {"proband1", "proband2"}
    assert all("\n" not in w for w in warns), warns
    assert [w for w in warns if "acc_jumping_forearm.csv" in w and "limit" in w], warns
    assert [w for w in warns if "acc_lying_2_csv.zip" in w and "nested" in w], warns
    assert [w for w in warns if "ACC_Standing_Forearm.csv" in w and "same recording" in w], warns
    assert {s.session for s in seqs if s.subject == "proband1"} >= {"standing_1", "walking_1"}


def test_tables_longer_than_the_row_cap_and_odd_values_are_one_line(tmp_path, monkeypatch):
    root = tmp_path / "d"
    write_sp_sw_har(root, n=300)
    write_sp_sw_har(tmp_path / "long", subjects=("s03",), n=2000)
    shutil.move(tmp_path / "long" / "s03", root / "s03")
    monkeypatch.setenv("WEARTWIN_MAX_FRAMES", "1000")
    seqs, warns = _load(root)
    assert {s.subject for s in seqs} == {"s01", "s02"}
    assert len(warns) == 1 and "s03_01_sw.csv" in warns[0] and "WEARTWIN_MAX_FRAMES" in warns[0], warns
    monkeypatch.delenv("WEARTWIN_MAX_FRAMES")
    # PAMAP2 activity ids that are NaN or inf; OpenPack operations that are inf; MM-Fit object arrays
    # and overlapping sets: no traceback, one line or an unlabelled sample
    p = tmp_path / "pamap2"
    write_pamap2(p)
    x = np.loadtxt(p / "Protocol" / "subject101.dat")
    x[:5, 1], x[5:10, 1] = np.nan, np.inf
    np.savetxt(p / "Protocol" / "subject101.dat", x, fmt="%.6f")
    seqs, warns = _load(p)
    assert len(seqs) == 2 and not warns and seqs[0].labels[0] == ""
    o = tmp_path / "openpack"
    write_openpack(o)
    ann = o / "U0101" / "annotation" / "openpack-operations" / "S0100.csv"
    ann.write_text(ann.read_text().replace(",300,", ",inf,"))
    seqs, warns = _load(o)
    assert len(seqs) == 2 and not warns
    m = tmp_path / "mmfit"
    write_mmfit(m, workouts=("w00", "w01", "w02"))
    np.save(m / "w01" / "w01_sw_l_acc.npy", np.array([[1, 2, 3, 4, "x"]] * 4, dtype=object), allow_pickle=True)
    (m / "w02" / "w02_labels.csv").write_text("100,250,5,squats\n200,450,5,bicep_curls\n")
    seqs, warns = _load(m)
    assert {s.subject for s in seqs} == {"w00"}, warns
    assert len(warns) == 2 and all("\n" not in w for w in warns), warns
    assert any("w01_sw_l_acc.npy" in w and "object" in w for w in warns), warns
    assert any("w02_labels.csv" in w and "overlap" in w for w in warns), warns


# ------------------------------------------------------ Bandai side files: never skipped silently
def _bandai_lib(root: Path) -> Path:
    from test_hardening_round2 import _good_bvh

    lib = root / "dataset-1"
    lib.mkdir(parents=True)
    cfg = root / "cfg-1"
    cfg.mkdir()
    (cfg / "content_label.txt").write_text("dataset-1_walk\ndataset-1_run\n")
    (cfg / "style_label.txt").write_text("dataset-1_normal\ndataset-1_tired\n")
    for stem, side in (("dataset-1_walk_normal_001", {"content": 1, "style": 1}),
                       ("dataset-1_walk_normal_002", {"content": 0, "style": 0, "pad": "x" * 4000}),
                       ("dataset-1_walk_normal_003", {"content": 7, "style": 0}),
                       ("dataset-1_walk_normal_004", None)):
        _good_bvh(lib / f"{stem}.bvh")
        if side is not None:
            (lib / f"{stem}.json").write_text(json.dumps(side))
    (lib / "dataset-1_walk_normal_004.json").write_text("{not json")
    return lib


def test_bandai_side_json_over_its_cap_or_bad_is_one_warning_naming_it(tmp_path, monkeypatch):
    from addon.motion.library import list_library

    lib = _bandai_lib(tmp_path)
    monkeypatch.setenv("WEARTWIN_MAX_SIDE_BYTES", "1000")
    warns: list[str] = []
    clips = list_library(lib, "bandai", warn=warns.append)
    assert [(c.content, c.style) for c in clips] == [("run", "tired"), ("walk", "normal"), ("walk", "normal"),
                                                     ("walk", "normal")]
    assert len(warns) == 3 and all("\n" not in w for w in warns), warns
    assert "dataset-1_walk_normal_002.json" in warns[0] and "limit" in warns[0], warns
    assert "dataset-1_walk_normal_003.json" in warns[1] and "content" in warns[1], warns
    assert "dataset-1_walk_normal_004.json" in warns[2] and "not JSON" in warns[2], warns
    r = run_cli("library", lib, env={"WEARTWIN_MAX_SIDE_BYTES": "1000"}, timeout=300)
    assert "Traceback" not in r.stderr and r.returncode == 0, r.stderr[-1500:]
    assert sum("dataset-1_walk_normal_002.json" in line for line in r.stderr.splitlines()) == 1, r.stderr


def test_bandai_side_json_over_its_cap_in_a_zip_is_named(tmp_path, monkeypatch):
    from addon.motion.library import list_library

    lib = _bandai_lib(tmp_path)
    z = tmp_path / "dataset-1.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(lib.iterdir()):
            zf.write(p, p.name)
    shutil.rmtree(lib)
    monkeypatch.setenv("WEARTWIN_MAX_SIDE_BYTES", "1000")
    warns: list[str] = []
    clips = list_library(z, "bandai", warn=warns.append)
    assert len(clips) == 4 and clips[0].content == "run"
    assert any("dataset-1.zip/dataset-1_walk_normal_002.json" in w and "limit" in w for w in warns), warns


@pytest.mark.parametrize("kind", ["out", "fifo"])
def test_bandai_side_json_link_out_or_fifo_is_named(tmp_path, kind):
    from addon.motion.library import list_library

    lib = _bandai_lib(tmp_path)
    side = lib / "dataset-1_walk_normal_001.json"
    secret = tmp_path / "secret.json"
    secret.write_text(side.read_text())
    side.unlink()
    side.symlink_to(secret) if kind == "out" else os.mkfifo(side)
    warns: list[str] = []
    clips = list_library(lib, "bandai", warn=warns.append)
    assert clips[0].content == "walk"                    # the name's labels, not the file outside
    assert any(side.name in w and ("outside" in w or "FIFO" in w) for w in warns), warns


def test_weartwin_exports_folder_names_each_file_it_leaves_out(tmp_path):
    from ml_layouts import write_sim_exports

    root = write_sim_exports(tmp_path / "d", bodies=2, seconds=4.0)
    bad = {"out": root / "circle__b09.npz", "zero": root / "shake__b09.npz", "fifo": root / "still__b09.npz"}
    _plant(root, tmp_path / "outside", root / "circle__b01.npz", bad)
    seqs, warns = _load(root)
    assert {s.subject for s in seqs} == {"b01", "b02"} and len(seqs) == 6
    assert len(warns) == 3 and all("\n" not in w for w in warns), warns
    for kind, p in bad.items():
        assert sum(str(p) in w for w in warns) == 1, (kind, warns)


def test_time_stamps_that_span_years_or_are_nan_are_one_line_naming_the_file(tmp_path):
    root = tmp_path / "d"
    write_sp_sw_har(root, subjects=("s01", "s02", "s03"))
    for s, extra in (("s01", "1657533977810000"), ("s02", "nan")):
        f = root / s / f"{s}_01_sw.csv"
        f.write_text(f.read_text() + f"0.1,0.2,9.8,0.01,0.02,0.03,{extra},WALKING\n")
    seqs, warns = _load(root)              # the resampling grid is capped before it is allocated
    assert {s.subject for s in seqs} == {"s03"}
    assert len(warns) == 2 and all("\n" not in w for w in warns), warns
    assert "s01_01_sw.csv" in warns[0] and "WEARTWIN_MAX_FRAMES" in warns[0], warns
    assert "s02_01_sw.csv" in warns[1] and "time stamps" in warns[1], warns
