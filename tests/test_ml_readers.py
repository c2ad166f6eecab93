"""Readers against files in each published layout, and the shared real datasets."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import need_shared
from ml_layouts import (write_generic, write_hmp, write_mmfit, write_openpack, write_pamap2, write_realworld,
                        write_sp_sw_har)

from ml.data import DataError, detect, load_dataset


def _load(path, **kw):
    warnings = []
    seqs = load_dataset(path, warn=warnings.append, **kw)
    return seqs, warnings


def test_pamap2_layout(tmp_path):
    write_pamap2(tmp_path)
    assert detect(tmp_path) == "pamap2"
    seqs, warns = _load(tmp_path)
    assert not warns and len(seqs) == 2
    s = seqs[0]
    assert s.subject == "subject101" and s.fps == pytest.approx(100.0)
    assert s.channels == ("hand.acc_x", "hand.acc_y", "hand.acc_z", "hand.gyro_x", "hand.gyro_y", "hand.gyro_z")
    assert np.isfinite(s.data).all()                           # dropped packets interpolated
    assert set(s.labels) == {"", "walking", "ironing"}         # activity 0 is unlabelled
    assert np.allclose(s.data[:, 3:], [0.1, 0.2, 0.3], atol=1e-5)


def test_mmfit_layout(tmp_path):
    write_mmfit(tmp_path)
    assert detect(tmp_path) == "mmfit"
    seqs, warns = _load(tmp_path)
    assert not warns and [s.subject for s in seqs] == ["w00", "w01"]
    s = seqs[0]
    assert s.channels[0] == "left_wrist.acc_x" and s.fps == pytest.approx(100.0)
    assert {"squats", "bicep_curls", "non_activity"} == set(s.labels)
    # frames 100..250 at 0.3 frame/sample -> samples 334..833 are squats
    assert s.labels[400] == "squats" and s.labels[50] == "non_activity"
    assert np.allclose(s.data[:, 3], 0.5)


def test_openpack_layout_units(tmp_path):
    write_openpack(tmp_path)
    assert detect(tmp_path) == "openpack"
    seqs, warns = _load(tmp_path)
    assert not warns and {s.subject for s in seqs} == {"U0101", "U0102"}
    s = seqs[0]
    assert s.channels[0] == "left_wrist.acc_x"                 # atr02 = left wrist
    assert np.allclose(s.data[:, 2], 9.80665, atol=1e-4)       # G -> m/s²
    assert np.allclose(s.data[:, 3], np.pi / 2, atol=1e-4)     # 90 deg/s -> rad/s
    assert s.labels[0] == "picking" and s.labels[-1] == "null" and "assemble_box" in set(s.labels)


def test_realworld_layout_zip_and_nested(tmp_path):
    write_realworld(tmp_path)
    assert detect(tmp_path) == "realworld"
    seqs, warns = _load(tmp_path)
    assert not warns
    acts = sorted({(s.subject, s.labels[0]) for s in seqs})
    assert ("proband1", "climbingup") in acts and ("proband2", "walking") in acts
    walk = next(s for s in seqs if s.labels[0] == "walking")
    assert walk.channels[3] == "forearm.gyro_x" and np.allclose(walk.data[:, 5], 1.0)
    climb = next(s for s in seqs if s.labels[0] == "climbingup")
    assert len(climb.channels) == 3                            # accelerometer only in that session


def test_sp_sw_har_and_hmp_layouts(tmp_path):
    write_sp_sw_har(tmp_path / "sp")
    seqs, _ = _load(tmp_path / "sp")
    assert detect(tmp_path / "sp") == "sp_sw_har" and len(seqs) == 2     # watch files only
    assert seqs[0].fps == pytest.approx(100.0, rel=0.05) and set(seqs[0].labels) == {"SEATED", "WALKING"}
    write_hmp(tmp_path / "hmp")
    seqs, _ = _load(tmp_path / "hmp")
    assert detect(tmp_path / "hmp") == "hmp" and {s.subject for s in seqs} == {"f1", "m2"}
    # code 52 on z: -1.5 g + 52/63*3 g
    assert seqs[0].data[0, 2] == pytest.approx((-1.5 + 52 / 63 * 3) * 9.80665, rel=1e-5)


def test_generic_layout_and_bad_file(tmp_path):
    write_generic(tmp_path, subjects=2, seconds=4)
    (tmp_path / "p1_shake.csv").write_text("t,acc_x\n0,1\n")          # broken: missing columns
    seqs, warns = _load(tmp_path)
    assert len(seqs) == 5 and len(warns) == 1
    assert "p1_shake.csv" in warns[0] and "acc_y" in warns[0] and "\n" not in warns[0]


def test_unknown_folder_is_one_line_error(tmp_path):
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(DataError, match="not a dataset layout"):
        load_dataset(tmp_path)
    with pytest.raises(DataError, match="no such file"):
        load_dataset(tmp_path / "missing")


def test_shared_sp_sw_har():
    root = need_shared("imu/sp_sw_har")
    seqs = load_dataset(root)
    assert len({s.subject for s in seqs}) == 23
    s = seqs[0]
    assert s.fps == pytest.approx(100.0, rel=0.05)
    g = np.linalg.norm(s.data[:, :3], axis=1)
    assert 8.5 < np.median(g) < 11.0                            # gravity in m/s²
    assert set().union(*(set(x.labels) for x in seqs)) == {"WALKING", "TURNING", "SITTING_DOWN", "SEATED",
                                                             "STANDING_UP"}


def test_shared_hmp():
    root = need_shared("imu/hmp")
    seqs = load_dataset(root)
    assert len({s.subject for s in seqs}) >= 14 and len({s.labels[0] for s in seqs}) == 14
    g = np.median(np.concatenate([np.linalg.norm(s.data, axis=1) for s in seqs[:50]]))
    assert 8.0 < g < 12.0


def test_multi_device_layouts_read_the_device_asked_for(tmp_path):
    """FORMAT:DEVICE (or --site DEVICE for train --init / predict --zero-shot) reads that device; a device the
    layout does not have is one line naming the ones it has."""
    from ml.data.readers import device_variants

    write_pamap2(tmp_path / "p")
    write_realworld(tmp_path / "rw")
    write_sp_sw_har(tmp_path / "sp")
    for fmt, site in (("pamap2:ankle", "ankle"), ("pamap2:chest", "chest"), ("realworld:chest", "chest")):
        seqs, warns = _load(tmp_path / ("p" if "pamap2" in fmt else "rw"), fmt=fmt)
        assert not warns and seqs and all(s.channels[0] == f"{site}.acc_x" for s in seqs)
    seqs, _ = _load(tmp_path / "p", site="chest")                   # --site alone picks the device
    assert {s.channels[0] for s in seqs} == {"chest.acc_x"}
    seqs, _ = _load(tmp_path / "sp", site="pocket")
    assert {s.channels[0] for s in seqs} == {"pocket.acc_x"}
    assert device_variants("pamap2") == ["ankle", "chest", "hand"] and device_variants("hmp") == []
    with pytest.raises(DataError, match=r"--site knee: .* has devices at ankle, chest, hand"):
        _load(tmp_path / "p", site="knee")
    with pytest.raises(DataError, match=r"--format pamap2:foot: pamap2 has devices at ankle, chest, hand"):
        _load(tmp_path / "p", fmt="pamap2:foot")
    with pytest.raises(DataError, match=r"realworld recordings of the thigh device"):
        _load(tmp_path / "rw", fmt="realworld:thigh")              # a position this copy does not hold
    with pytest.raises(DataError, match="one device"):
        _load(tmp_path / "p", fmt="hmp:x")
