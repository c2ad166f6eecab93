"""Files from strangers: no code runs, no crafted index reaches C code, no bomb is built.

Every hostile file is generated here (tests/evil_files.py). Bombs are read by the real CLI in
a subprocess under a 2 GiB address-space limit and a 30 s timeout.
"""
from __future__ import annotations

import json
import os
import pickle
import resource
import subprocess
import sys

import numpy as np
import pytest

import evil_files as E
from addon import limits
from addon.body.smpl_body import BodyModelError, load_model_data
from addon.motion import MotionError, load_motion
from addon.motion.safe_pickle import UnsafePickleError, load_npz, loads_pickle
from conftest import ROOT, run_cli
from smpl_fixture import write_fake_smpl

GIB = 1 << 30


def _one_line_refusal(exc_info, path) -> str:
    msg = str(exc_info.value)
    assert "\n" not in msg and str(path) in msg, msg
    return msg


# ------------------------------------------------------------------ no code runs from a file
@pytest.mark.parametrize("kind", ["os_system", "reconstructor", "reconstructor_object", "getattr",
                                  "ndarray_new", "reconstruct_bomb"])
def test_crafted_pickles_are_refused_and_nothing_runs(tmp_path, kind):
    marker = tmp_path / "PWNED"
    data = {"os_system": lambda: E.os_system_pickle(marker),
            "reconstructor": lambda: E.reconstructor_trick(marker),
            "reconstructor_object": E.reconstructor_object_trick,
            "getattr": lambda: E.getattr_trick(marker),
            "ndarray_new": E.ndarray_new_bomb,
            "reconstruct_bomb": E.reconstruct_bomb}[kind]()
    motion_file = tmp_path / f"{kind}.pkl"
    motion_file.write_bytes(data)
    with pytest.raises(MotionError) as e:
        load_motion(motion_file)
    msg = _one_line_refusal(e, motion_file)
    assert "refused" in msg or "limit" in msg, msg
    model_file = tmp_path / f"SMPL_{kind}.pkl"      # the model-file unpickler admits more names
    model_file.write_bytes(data)
    with pytest.raises(BodyModelError) as e:
        load_model_data(model_file)
    msg = _one_line_refusal(e, model_file)
    assert "refused" in msg or "limit" in msg, msg
    assert not marker.exists(), "a pickle executed code"


def test_shadowed_setstate_gives_no_new_capability(tmp_path):
    """BUILD calls an instance's own `__setstate__`: an attacker can plant one, but only from
    the admitted names, which are all data constructors."""
    # OrderedDict(), BUILD ({}, {'__setstate__': <builtins.set>}), BUILD ('x',)  -> set('x'), harmless
    data = (b"\x80\x02ccollections\nOrderedDict\n)R}(X\x0c\x00\x00\x00__setstate__cbuiltins\nset\nu"
            b"}\x86bX\x01\x00\x00\x00x\x85b.")
    obj = loads_pickle(data)
    assert type(obj).__name__ == "OrderedDict"


def test_real_numpy_pickles_of_every_protocol_still_load():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        d = loads_pickle(pickle.dumps({"a": a, "f": np.asfortranarray(a), "n": [1, "x", b"y"],
                                       "s": np.float64(2.5), "o": np.array([{"k": a}], dtype=object)},
                                      protocol=proto))
        np.testing.assert_array_equal(d["a"], a)
        np.testing.assert_array_equal(d["f"], a)
        assert d["s"] == 2.5 and d["n"] == [1, "x", b"y"]
        np.testing.assert_array_equal(d["o"][0]["k"], a)
    assert np.dtype("f8") == np.float64    # BUILD never touched numpy's shared dtypes


@pytest.mark.parametrize("protocol", [0, 2])
def test_smpl_pkl_with_chumpy_and_sparse_regressor_loads_as_plain_arrays(tmp_path, protocol):
    npz = write_fake_smpl(tmp_path / "SMPL_NEUTRAL.npz")
    pkl = E.smpl_pickle(npz, tmp_path / "basicModel_neutral.pkl", protocol=protocol, pose_basis=3)
    d = load_model_data(pkl)
    with np.load(npz) as ref:
        for k in ("v_template", "shapedirs", "J_regressor", "weights", "f"):
            assert isinstance(d[k], np.ndarray), k
            np.testing.assert_allclose(d[k], ref[k], err_msg=k)


def test_smpl_pkl_body_builds_through_real_smplx(tmp_path):
    from addon.body.smpl_body import smpl_asset

    npz = write_fake_smpl(tmp_path / "SMPL_NEUTRAL.npz")
    pkl = E.smpl_pickle(npz, tmp_path / "SMPL_NEUTRAL.pkl")
    a, b = smpl_asset(npz), smpl_asset(pkl)
    np.testing.assert_allclose(a.vertices, b.vertices, atol=1e-6)
    np.testing.assert_allclose(a.bone_heads, b.bone_heads, atol=1e-6)


def test_out_of_range_sparse_indices_are_refused_before_any_build(tmp_path):
    npz = write_fake_smpl(tmp_path / "SMPL_NEUTRAL.npz")
    pkl = E.smpl_pickle(npz, tmp_path / "evil.pkl", protocol=4, bad_csr=True)
    with pytest.raises(BodyModelError) as e:
        load_model_data(pkl)
    msg = _one_line_refusal(e, pkl)
    assert "J_regressor" in msg and "outside" in msg, msg


def test_model_with_bad_face_indices_is_refused(tmp_path):
    npz = write_fake_smpl(tmp_path / "SMPL_NEUTRAL.npz")
    with np.load(npz) as d:
        data = {k: d[k] for k in d.files}
    data["f"][5, 1] = 10**7
    np.savez(tmp_path / "bad_f.npz", **data)
    with pytest.raises(BodyModelError, match="'f' must be"):
        load_model_data(tmp_path / "bad_f.npz")


def test_bake_with_evil_body_fails_cleanly_with_two_workers(tmp_path):
    """The crafted sparse matrix used to segfault the worker (rc 139, or a hang with --workers 2)."""
    npz = write_fake_smpl(tmp_path / "SMPL_NEUTRAL.npz")
    evil = E.smpl_pickle(npz, tmp_path / "evil.pkl", protocol=4, bad_csr=True)   # segfaulted main (rc 139)
    clips = [E_clip(tmp_path / f"clip{i}.npz") for i in range(2)]
    out = tmp_path / "out"
    r = run_cli("bake", *clips, "--out", out, "--body", evil, "--sensors", "imu", "--workers", 2, "--quiet",
                timeout=300)
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["failed"]) == 2 and not summary["done"]
    assert all("evil.pkl" in f["reason"] and "outside" in f["reason"] for f in summary["failed"])


def E_clip(path):
    from bad_inputs import good_amass

    return good_amass(path, T=30)


# ------------------------------------------------------------------------- resource bombs
def _limited_cli(*args, mem=2 * GIB, timeout=30, env=None):
    """The real CLI in a fresh interpreter with RLIMIT_AS = `mem`; must finish within `timeout`."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))

    e = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "headless", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=e, preexec_fn=cap)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    d = tmp_path_factory.mktemp("bombs")
    return {"zip.npz": E.zip_bomb_npz(d / "zip.npz"),
            "rows.pkl": E.shared_rows_pickle(d / "rows.pkl"),
            "nested.pkl": E.nested_share_pickle(d / "nested.pkl"),
            "huge_new_joint_vecs.npy": E.huge_npy(d / "huge_new_joint_vecs.npy"),
            "reconstruct.pkl": _write(d / "reconstruct.pkl", E.reconstruct_bomb()),
            "objects.pkl": _write(d / "objects.pkl", E.many_objects_pickle())}


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name,fragment", [("zip.npz", "5,760,000,128 bytes"),
                                           ("rows.pkl", "shared parts"),
                                           ("nested.pkl", "shared parts"),
                                           ("huge_new_joint_vecs.npy", "1000000000, 263"),
                                           ("reconstruct.pkl", "limit"),
                                           ("objects.pkl", "WEARTWIN_MAX_PICKLE_OBJECTS")])
def test_bombs_are_refused_by_the_cli_within_30s_under_2gib(bombs, name, fragment):
    path = bombs[name]
    assert path.stat().st_size < 6_000_000
    r = _limited_cli("info", path)
    assert r.returncode == 1, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].count(str(path)) == 1 and fragment in lines[0], r.stderr


def test_bombs_in_a_bake_are_failed_items_and_the_rest_is_baked(bombs, tmp_path):
    """The real bake under the same 2 GiB address-space cap: each bomb is one failed item."""
    from bad_inputs import good_amass

    good = good_amass(tmp_path / "good.npz", T=30)
    out = tmp_path / "out"
    r = _limited_cli("bake", bombs["zip.npz"], bombs["rows.pkl"], good, "--out", out, "--sensors", "imu",
                     "--quiet", timeout=120)
    assert r.returncode == 1, r.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert [os.path.basename(d["input"]) for d in summary["done"]] == ["good.npz"]
    reasons = {os.path.basename(f["input"]): f["reason"] for f in summary["failed"]}
    assert set(reasons) == {"zip.npz", "rows.pkl"}
    assert all("WEARTWIN_MAX_INPUT_BYTES" in v for v in reasons.values()), reasons


def test_caps_can_be_raised_or_lowered_by_environment(tmp_path, monkeypatch):
    from bad_inputs import good_amass

    clip = good_amass(tmp_path / "clip.npz", T=40)
    assert load_motion(clip).n_frames == 40
    monkeypatch.setenv("WEARTWIN_MAX_FRAMES", "39")
    with pytest.raises(MotionError, match="WEARTWIN_MAX_FRAMES"):
        load_motion(clip)
    monkeypatch.setenv("WEARTWIN_MAX_FRAMES", "1_000")
    assert load_motion(clip).n_frames == 40
    monkeypatch.setenv("WEARTWIN_MAX_INPUT_BYTES", "1000")
    with pytest.raises(MotionError, match="WEARTWIN_MAX_INPUT_BYTES"):
        load_motion(clip)
    monkeypatch.setenv("WEARTWIN_MAX_INPUT_BYTES", "nonsense")      # ignored: the default applies
    assert limits.limit("input_bytes") == limits.LIMITS["input_bytes"][1]


def test_npz_members_are_checked_before_decompression(tmp_path, monkeypatch):
    np.savez_compressed(tmp_path / "z.npz", a=np.zeros((1000, 100)))   # 800 kB inflated, ~1 kB on disk
    assert load_npz(tmp_path / "z.npz")["a"].shape == (1000, 100)
    monkeypatch.setenv("WEARTWIN_MAX_INPUT_BYTES", "100000")
    with pytest.raises(limits.LimitError, match="declared uncompressed size"):
        load_npz(tmp_path / "z.npz")


def test_pickle_operation_cap(tmp_path, monkeypatch):
    (tmp_path / "many.pkl").write_bytes(pickle.dumps({"smpl_poses": [0.5] * 10_000}))
    monkeypatch.setenv("WEARTWIN_MAX_PICKLE_OBJECTS", "1000")
    with pytest.raises(MotionError, match="WEARTWIN_MAX_PICKLE_OBJECTS"):
        load_motion(tmp_path / "many.pkl")


def test_cycles_are_refused():
    data = b"\x80\x02]q\x00h\x00a."   # a list that contains itself
    with pytest.raises(UnsafePickleError, match="cycle"):
        loads_pickle(data)


# ---------------------------------------------------------------------------- housekeeping
def test_info_into_a_closed_pipe_prints_no_traceback(tmp_path):
    """`weartwin info FILE | head -1`: the reader leaves early; no BrokenPipe traceback."""
    from bad_inputs import good_amass

    clip = good_amass(tmp_path / "clip.npz", T=30)
    e = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "headless", "info", *[clip] * 3000], cwd=ROOT, env=e,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()
    p.stdout.close()                                  # what `head -1` does after one line
    err = p.stderr.read().decode()
    rc = p.wait(timeout=120)
    assert first.startswith(str(clip).encode())
    assert "Traceback" not in err and "BrokenPipe" not in err and "Broken pipe" not in err, err
    assert rc == 141


def test_one_cache_folder_variable(tmp_path, monkeypatch):
    from addon.body.anny_body import cache_dir as anny_cache
    from addon.cache import cache_dir

    monkeypatch.setenv("WEARTWIN_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("WEARTWIN_CACHE", str(tmp_path / "ignored"))
    assert cache_dir() == anny_cache() == tmp_path / "c" and (tmp_path / "c").is_dir()
    import addon.text2motion.retrieval as retrieval
    import ml.data.text as text

    assert retrieval._cache_dir() == tmp_path / "c"
    assert text._cache_file().parent == tmp_path / "c"
    for f in [*ROOT.joinpath("addon").rglob("*.py"), *ROOT.joinpath("ml").rglob("*.py"),
              *ROOT.joinpath("headless").rglob("*.py")]:
        src = f.read_text()
        assert "WEARTWIN_CACHE\"" not in src and "WEARTWIN_CACHE'" not in src, f


# ------------------------------------------------- fresh machine: one triangulation of Anny
def _flip_diagonals(faces: np.ndarray, quads_to_flip) -> np.ndarray:
    """Split the given quads along their other diagonal, as another machine's rounding would."""
    from addon.body.triangulation import diagonal_choice, quads_of

    q, ac = quads_of(faces), diagonal_choice(faces)
    out = faces.copy()
    for k in quads_to_flip:
        a, b, c, d = q[k]
        tri = ([a, b, d], [d, b, c]) if ac[k] else ([a, b, c], [c, d, a])
        out[2 * k], out[2 * k + 1] = tri
    return out


def test_flipped_tie_diagonals_map_to_the_packaged_triangulation(tmp_path, monkeypatch):
    """A fresh machine split 6 tied quads the other way (24 of 82,260 face indices): bodies,
    cached assets and interior chords must not depend on that."""
    from addon.body.anny_body import PACKAGED_DEFAULT, anny_asset, phenotype_key
    from addon.body.asset import BodyAsset
    from addon.body.triangulation import canonical_faces, same_quads
    from addon.sensors.impedance.simulate import _chord_source

    packaged = BodyAsset.load(PACKAGED_DEFAULT)
    flipped = _flip_diagonals(packaged.faces, [10, 500, 4000, 7000, 9000, 13000])
    assert (flipped != packaged.faces).sum() == 24
    assert same_quads(flipped, packaged.faces)
    np.testing.assert_array_equal(canonical_faces(flipped, packaged.faces), packaged.faces)
    # another body variant with the other split still shares the default body's chords
    variant = BodyAsset(**{**packaged.__dict__, "faces": flipped,
                           "vertices": packaged.vertices * np.float32(1.05)})
    assert _chord_source(variant) is not variant and np.array_equal(_chord_source(variant).faces, packaged.faces)
    # an asset cached (e.g. by an older WearTwin) with the other split is read back canonical
    monkeypatch.setenv("WEARTWIN_CACHE_DIR", str(tmp_path))
    pheno = {"gender": 0.3, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.5, "proportions": 0.5}
    variant.save(tmp_path / f"anny-{phenotype_key(pheno)}.npz")
    np.testing.assert_array_equal(anny_asset(pheno).faces, packaged.faces)
    # a different topology is left alone
    other = packaged.faces[:-2]
    np.testing.assert_array_equal(canonical_faces(other, packaged.faces), other)


def test_calibration_training_lives_in_ml():
    """addon/ keeps numpy-only loading and prediction; the torch training loop is in ml/."""
    code = ("import sys, addon.sensors.impedance.calibration as c; "
            "assert not hasattr(c, 'fit'); assert 'torch' not in sys.modules and 'ml' not in sys.modules")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    src = (ROOT / "addon" / "sensors" / "impedance" / "calibration.py").read_text()
    assert "import torch" not in src


def test_info_on_a_zip_bomb_posing_as_an_export_is_refused(tmp_path):
    """An "export" (meta.npy + t.npy) with a bomb member: `info` reads exports too."""
    import zipfile

    bomb = E.zip_bomb_npz(tmp_path / "b.npz", frames=2_000_000, width=72)  # 1.15 GB inflated
    with zipfile.ZipFile(bomb, "a") as z:
        z.writestr("meta.npy", _npy_bytes(np.array("{}")))
        z.writestr("t.npy", _npy_bytes(np.zeros(3)))
    r = _limited_cli("info", bomb)
    assert r.returncode == 1 and "WEARTWIN_MAX_INPUT_BYTES" in r.stderr and "Traceback" not in r.stderr, r.stderr


def _npy_bytes(a) -> bytes:
    import io

    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


def test_text_inputs_are_size_checked_before_reading(tmp_path, monkeypatch):
    f = tmp_path / "clip.bvh"
    f.write_text("HIERARCHY\n" + "x" * 5000)
    assert limits.read_text(f).startswith("HIERARCHY")
    monkeypatch.setenv("WEARTWIN_MAX_TEXT_BYTES", "1000")
    with pytest.raises(limits.LimitError, match="WEARTWIN_MAX_TEXT_BYTES"):
        limits.read_text(f)


def test_a_hostile_calibration_file_is_refused_before_use(tmp_path):
    """`--calibration` files travel too: a huge dilation would pad the signal by terabytes."""
    import json as _json

    from addon.sensors.impedance.calibration import FEATURES, Calibration, CalibrationError

    F = len(FEATURES)
    cal = Calibration("cnn", "wrist_wrist", np.zeros(F), np.ones(F), np.zeros(2), np.ones(2), np.zeros((F, 2)),
                      np.zeros(2), [(np.zeros((4, F, 3)), np.zeros(4), 1), (np.zeros((2, 4, 1)), np.zeros(2), 1)])
    good = cal.save(tmp_path / "good.npz")
    assert Calibration.load(good).predict(np.ones((5, F))).shape == (5, 2)
    with np.load(good) as d:
        arrays = {k: d[k] for k in d.files}
    meta = _json.loads(str(arrays["meta"]))
    meta["dilations"] = [10**12, 1]
    np.savez(tmp_path / "evil.npz", **{**arrays, "meta": np.array(_json.dumps(meta))})
    with pytest.raises(CalibrationError, match="evil.npz: damaged calibration file"):
        Calibration.load(tmp_path / "evil.npz")


def test_every_cap_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for var, default, unit in limits.LIMITS.values():
        assert f"`{var}`" in readme, var
