"""Hardening, round 2 (issue 23): zip members, BVH, libraries, models, run folders.

Every hostile file is generated here; commands run as real processes on real files with real
links, FIFOs and devices. Per class: nothing read or written outside what was given, no hang,
peak memory under 2 GiB, no traceback, nothing silently wrong.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from addon.export.atomic import OutsideFolderError, atomic_write, links_out, write_inside
from addon.motion import MotionError, load_motion
from addon.motion.archive import list_members, read_member
from addon.safe_paths import PathError, member_name, open_regular, read_text, resolve_named
from conftest import ROOT, run_cli
from ml_layouts import write_generic, write_sim_exports
from test_bvh import CMU, write_bvh

GIB = 1 << 30
TINY = dict(progress=False, window=2.0, stride=1.0, fps=25.0)


def _no_traceback(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr, r.stderr[-2000:]


def _capped(code: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """Python `code` in a fresh interpreter under RLIMIT_AS = 2 GiB; prints peak RSS last."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 * GIB, 2 * GIB))

    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child forked from a big pytest
    # process would report the parent's size (the whole suite: ~570 MB before the child did anything)
    code = code + ("\nprint('PEAK_MB', int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]"
                   ".split()[1]) / 1024)")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limit, env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"})


def _good_bvh(path: Path, n: int = 12, first_rest: bool = False) -> Path:
    rng = np.random.default_rng(1)
    t = np.linspace(0, 2 * np.pi, n)
    ang = {name: np.stack([20 * np.sin(t + k), 10 * np.cos(t), 5 * np.sin(2 * t)], 1) + rng.normal(0, 0.5, (n, 3))
           for k, (name, _, _) in enumerate(CMU)}
    ang["LeftArm"][:, 0] += 70.0                              # arms down, as captured (the rest pose is a T)
    ang["RightArm"][:, 0] -= 70.0
    if first_rest:
        for a in ang.values():
            a[0] = 0.0
    return write_bvh(path, CMU, n_frames=n, angles=ang)


# ------------------------------------------------ 1. one path rule: nothing read outside the root
def test_member_names_are_canonical_and_never_leave_the_archive(tmp_path):
    assert member_name("a/../b.bvh") == "b.bvh" and member_name("./x/y.bvh") == "x/y.bvh"
    for bad in ("../x.bvh", "/etc/x.bvh", "a/../../x.bvh", "C:/x.bvh", "..\\x.bvh"):
        with pytest.raises(PathError):
            member_name(bad)
    secret = _good_bvh(tmp_path / "secret.bvh")          # beside the zip: must never be read through it
    good = _good_bvh(tmp_path / "g.bvh").read_bytes()
    z = tmp_path / "lib.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("data/ok.bvh", good)
        zf.writestr("../secret.bvh", b"not read")
        zf.writestr(str(secret), b"not read")             # an absolute member name
        zf.writestr("a/../b.bvh", good)
    assert list_members(z, (".bvh",)) == ["b.bvh", "data/ok.bvh"]
    assert read_member(z, "a/../b.bvh") == good           # one canonical name, one member
    for m in ("../secret.bvh", str(secret)):
        with pytest.raises(MotionError) as e:
            load_motion(f"{z}/{m}")
        assert "\n" not in str(e.value)
    r = run_cli("info", f"{z}/../secret.bvh")
    _no_traceback(r)
    assert "climbs out" in (r.stdout + r.stderr)
    out = tmp_path / "out"
    r = run_cli("bake", z, "--out", out, "--sensors", "imu", "--fps", "30", "--quiet", timeout=600)
    _no_traceback(r)
    baked = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.npz"))
    assert baked == ["lib/b.npz", "lib/data/ok.npz"], baked
    for p in out.rglob("*.npz"):
        assert "secret" not in json.loads(str(np.load(p)["meta"]))["source"]["path"]


def test_index_csv_names_stay_inside_the_dataset(tmp_path):
    data = write_generic(tmp_path / "d", subjects=2, seconds=6)
    outside = tmp_path / "outside.csv"
    outside.write_text((data / "p0_still.csv").read_text())
    fifo = data / "fifo.csv"
    os.mkfifo(fifo)
    (data / "zero.csv").symlink_to("/dev/zero")
    (data / "link_out.csv").symlink_to(outside)
    (data / "inner.csv").symlink_to(data / "p1_still.csv")        # a link inside the root is fine
    rows = (data / "index.csv").read_text().splitlines()
    rows += ["../outside.csv,p9,still", f"{outside},p9,still", "fifo.csv,p9,still", "zero.csv,p9,still",
             "link_out.csv,p9,still", "inner.csv,p8,still"]
    (data / "index.csv").write_text("\n".join(rows) + "\n")
    from ml.data import load_dataset

    warnings: list[str] = []
    seqs = load_dataset(data, warn=warnings.append)
    assert {s.subject for s in seqs} == {"p0", "p1", "p8"}
    assert len(warnings) == 5 and all("\n" not in w for w in warnings), warnings
    for what in ("absolute", "FIFO"):
        assert any(what in w for w in warnings), (what, warnings)
    assert sum("leads outside" in w for w in warnings) == 3, warnings     # ../, a link out, a link to /dev/zero
    # the rule itself: relative to the naming file, inside the root, regular files only
    assert resolve_named("p0_still.csv", data, data / "index.csv") == (data / "p0_still.csv").resolve()
    with pytest.raises(PathError):
        open_regular(data / "zero.csv")


def test_metrics_json_link_to_a_device_or_outside_is_refused(tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    a.mkdir(), b.mkdir()
    (a / "metrics.json").symlink_to("/dev/zero")
    (b / "metrics.json").write_text(json.dumps({"model": "rf", "per_subject": {"s1": 0.5, "s2": 0.6}}))
    r = run_cli("compare", a, b, timeout=120)                 # RUN/metrics.json: a link out of RUN
    _no_traceback(r)
    assert r.returncode == 1 and "outside" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("compare", a / "metrics.json", b, timeout=120)   # named directly: still no device
    assert r.returncode == 1 and "device" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    (a / "metrics.json").unlink()
    secret = tmp_path / "elsewhere.json"
    secret.write_text((b / "metrics.json").read_text())
    (a / "metrics.json").symlink_to(secret)
    r = run_cli("compare", a, b, timeout=120)
    assert r.returncode == 1 and "outside" in r.stderr


# --------------------------------------------- 2. one way to write into a received folder
def test_compare_never_writes_through_a_planted_link(tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    for run, scores in ((a, [0.5, 0.6, 0.7]), (b, [0.6, 0.65, 0.9])):
        run.mkdir()
        (run / "metrics.json").write_text(json.dumps({"model": "rf", "per_subject": dict(zip("xyz", scores))}))
    victim = tmp_path / "victim.png"
    victim.write_text("keep me")
    (b / "compare.png").symlink_to(victim)
    r = run_cli("compare", a, b, timeout=300)
    _no_traceback(r)
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "keep me"
    assert not (b / "compare.png").is_symlink() and (b / "compare.png").read_bytes()[:4] == b"\x89PNG"
    # --out into a folder that does not exist yet: made, no traceback
    r = run_cli("compare", a, b, "--out", tmp_path / "new" / "deep" / "c.png", "--json", tmp_path / "n2" / "c.json")
    _no_traceback(r)
    assert r.returncode == 0 and (tmp_path / "new" / "deep" / "c.png").is_file() and (tmp_path / "n2" / "c.json").is_file()


def test_write_inside_refuses_links_out_and_replaces_a_planted_file_link(tmp_path):
    root, elsewhere = tmp_path / "run", tmp_path / "elsewhere"
    root.mkdir(), elsewhere.mkdir()
    (root / "folds").symlink_to(elsewhere)
    with pytest.raises(OutsideFolderError):
        write_inside(root, "folds/x/result.json", lambda f: f.write(b"{}"))
    assert not any(elsewhere.iterdir())
    assert links_out(root) == [root / "folds"]
    target = tmp_path / "victim.json"
    target.write_text("keep")
    (root / "config.json").symlink_to(target)
    write_inside(root, "config.json", lambda f: f.write(b"{}"))
    assert target.read_text() == "keep" and (root / "config.json").read_text() == "{}"


def test_train_never_writes_through_links_in_a_received_run_folder(tmp_path):
    data = write_generic(tmp_path / "d", subjects=3, seconds=8)
    run, victim = tmp_path / "run", tmp_path / "victim.json"
    run.mkdir()
    victim.write_text("keep")
    (run / "config.json").symlink_to(victim)
    (run / "final").symlink_to(tmp_path / "elsewhere_dir", target_is_directory=True)
    r = run_cli("train", "rf", "--data", data, "--out", run, "--final", "--trees", "5", "--fps", "25", timeout=600)
    _no_traceback(r)
    assert r.returncode == 1 and "leads outside" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert victim.read_text() == "keep" and not (tmp_path / "elsewhere_dir").exists()
    (run / "final").unlink()
    (run / "config.json").unlink()
    (run / "config.json").symlink_to(run / "elsewhere.json")      # a link that stays inside is no threat
    r = run_cli("train", "rf", "--data", data, "--out", run, "--final", "--trees", "5", "--fps", "25", timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not (run / "config.json").is_symlink() and victim.read_text() == "keep"   # replaced, not followed


# ---------------------------------------------------------------- 3. memory bounds, no hangs
def test_bvh_memory_is_a_small_multiple_of_the_file(tmp_path):
    n = 12_000                                               # ~8 MB of text
    big = _good_bvh(tmp_path / "big.bvh", n=n)
    r = _capped(f"from addon.motion import load_motion; m = load_motion({str(big)!r}); print(m.n_frames)")
    assert r.returncode == 0, r.stderr[-1500:]
    peak = float(r.stdout.split("PEAK_MB")[1])
    size_mb = big.stat().st_size / 2**20
    assert peak < 2048
    # the interpreter with numpy is ~100 MB; the file's own cost stays a small multiple of its size
    assert peak - 150 < 15 * size_mb, (peak, size_mb)


def _rf_model(tmp_path: Path) -> Path:
    from ml import train

    data = write_generic(tmp_path / "rfd", subjects=3, seconds=8)
    train("rf", out=tmp_path / "rf", data=[str(data)], final=True, trees=3, **TINY)
    return tmp_path / "rf" / "model.npz"


def _rewrite(src: Path, dst: Path, change) -> Path:
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    change(arrays, meta)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(dst, **arrays)
    return dst


def test_models_with_cycles_bombs_or_odd_numbers_are_refused(tmp_path):
    good = _rf_model(tmp_path)
    data = write_generic(tmp_path / "u", subjects=1, seconds=6)

    def cycle(a, m):
        left = a["t0/left"].copy()
        left[left > 0] = 0                                   # every left child is the root again
        a["t0/left"] = left

    def odd_fps(a, m):
        m["fps"] = 1e300

    def nan_norm(a, m):
        m["normalization"]["std"][0] = float("nan")

    def bad_feature(a, m):
        f = a["t0/feature"].copy()
        f[a["t0/left"] != -1] = 10**9
        a["t0/feature"] = f

    def classes_str(a, m):
        m["classes"] = "abc"

    cases = {"cycle": cycle, "fps": odd_fps, "norm": nan_norm, "feature": bad_feature, "classes": classes_str}
    for name, change in cases.items():
        bad = _rewrite(good, tmp_path / f"{name}.npz", change)
        r = run_cli("predict", bad, data, "--out", tmp_path / f"{name}.csv", timeout=120)
        _no_traceback(r)
        assert r.returncode == 1 and str(bad) in r.stderr and len(r.stderr.strip().splitlines()) == 1, (name, r.stderr)
        assert not (tmp_path / f"{name}.csv").exists()


def test_deep_model_config_bomb_is_refused_before_building(tmp_path):
    """A few-KB model file whose config asks for a huge network: checked on the meta device."""
    meta = {"format": "weartwin-model/1", "model": "resnet", "channels": ["a.acc_x", "a.acc_y", "a.acc_z"],
            "classes": ["x", "y"], "fps": 25.0, "window_s": 2.0, "stride_s": 1.0, "window": 50,
            "normalization": {"mean": [0, 0, 0], "std": [1, 1, 1]},
            "config": {"widths": [60000, 60000, 60000], "fps": 25.0}}
    bomb = tmp_path / "bomb.npz"
    np.savez(bomb, meta=np.array(json.dumps(meta)), **{"w/x": np.zeros(3, np.float32)})
    assert bomb.stat().st_size < 10_000
    r = _capped(f"from ml.inference.model_file import load, ModelFileError\n"
                f"try:\n    load({str(bomb)!r})\nexcept ModelFileError as e:\n    print('REFUSED', e)")
    assert "REFUSED" in r.stdout and "missing weights" in r.stdout, r.stdout + r.stderr[-1500:]
    assert float(r.stdout.split("PEAK_MB")[1]) < 2048


def test_backtracking_regex_rule_is_stopped_with_one_line(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    _good_bvh(lib / ("a" * 60 + "!.bvh"))
    r = run_cli("library", lib, "--rule", "regex:(?P<content>(a+)+$)",
                env={"WEARTWIN_REGEX_TIMEOUT": "2"}, timeout=120)
    _no_traceback(r)
    assert r.returncode == 2 and "took more than 2 s" in r.stderr, r.stderr


def test_bandai_side_json_bomb_is_not_inflated(tmp_path):
    z = tmp_path / "dataset-1.zip"
    good = _good_bvh(tmp_path / "g.bvh").read_bytes()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/dataset-1_walk_normal_001.bvh", good)
        with zf.open("data/dataset-1_walk_normal_001.json", "w", force_zip64=True) as f:
            chunk = b" " * (1 << 20)
            for _ in range(300):                              # 300 MB of blanks, ~300 KB zipped
                f.write(chunk)
    assert z.stat().st_size < 2_000_000
    r = _capped(f"from addon.motion.library import list_library\n"
                f"print([(c.content, c.style) for c in list_library({str(z)!r})])")
    assert "('walk', 'normal')" in r.stdout, r.stderr[-1500:]
    assert float(r.stdout.split("PEAK_MB")[1]) < 300


def test_compare_with_100000_subjects_stays_bounded(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("A", "B"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps(
            {"model": "rf", "per_subject": {f"s{i}": float(v) for i, v in enumerate(rng.uniform(0, 1, 100_000))}}))
    r = run_cli("compare", tmp_path / "A", tmp_path / "B", timeout=300)
    _no_traceback(r)
    assert r.returncode == 1 and "WEARTWIN_MAX_SUBJECTS" in r.stderr
    r = _capped(f"from ml.evaluation.compare import main; import sys; sys.exit(main([{str(tmp_path / 'A')!r}, "
                f"{str(tmp_path / 'B')!r}, '--out', {str(tmp_path / 'c.png')!r}]))".replace(
                    "from ml", "import os; os.environ['WEARTWIN_MAX_SUBJECTS'] = '200000'\nfrom ml"), timeout=600)
    assert r.returncode == 0, r.stderr[-1500:]


# ---------------------------------------------------------------------- 4. data validity
@pytest.mark.parametrize("kind", ["inf_offset", "huge_offset", "subnormal_time", "nan_row"])
def test_absurd_bvh_values_are_refused_naming_the_file(tmp_path, kind):
    p = _good_bvh(tmp_path / f"{kind}.bvh")
    text = p.read_text()
    if kind == "inf_offset":
        text = text.replace("OFFSET 0.000000 -0.420000 0.000000", "OFFSET 0 inf 0", 1)
    elif kind == "huge_offset":
        text = text.replace("OFFSET 0.000000 -0.420000 0.000000", "OFFSET 0 1e308 0", 1)
    elif kind == "subnormal_time":
        text = text.replace("Frame Time: 0.03333333", "Frame Time: 5e-324")
    else:
        lines = text.splitlines()
        lines[-1] = " ".join(["nan"] + lines[-1].split()[1:])
        text = "\n".join(lines) + "\n"
    p.write_text(text)
    r = run_cli("info", p, timeout=120)
    _no_traceback(r)
    assert r.returncode == 1 and str(p) in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_nan_exports_and_one_class_datasets_are_refused(tmp_path):
    sim = write_sim_exports(tmp_path / "sim", bodies=2, seconds=6)
    victim = sorted(sim.glob("*.npz"))[0]
    with np.load(victim) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["imu.left_wrist.acc"][3, 0] = np.nan
    np.savez(victim, **arrays)
    listed = sorted(sim.glob("*.npz"))[1]
    with np.load(listed) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["meta"] = np.array(json.dumps([1, 2, 3]))                 # meta is a list
    np.savez(listed, **arrays)
    from ml.data import load_dataset

    warnings: list[str] = []
    seqs = load_dataset(sim, warn=warnings.append)
    assert str(victim) not in {s.source for s in seqs} and str(listed) not in {s.source for s in seqs}
    assert any("NaN" in w and str(victim) in w for w in warnings)
    assert any("meta is a JSON list" in w for w in warnings), warnings
    one = write_generic(tmp_path / "one", subjects=3, seconds=6, classes=("still",))
    r = run_cli("train", "rf", "--data", one, "--out", tmp_path / "run1", "--fps", "25", timeout=300)
    _no_traceback(r)
    assert r.returncode == 1 and "one class" in r.stderr
    assert not (tmp_path / "run1" / "metrics.json").exists()


def test_compare_refuses_non_finite_or_malformed_scores(tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"
    a.mkdir(), b.mkdir()
    (b / "metrics.json").write_text(json.dumps({"model": "x", "per_subject": {"s1": 0.5, "s2": 0.4, "s3": 0.6}}))
    for bad in ('{"model": "x", "per_subject": {"s1": Infinity, "s2": 0.5, "s3": 0.7}}',
                '{"model": "x", "per_subject": [1, 2]}', '{"per_subject": {"s1": "high"}}', '[1, 2]',
                '{"model": "x", "per_subject": {"s1": 0.5}, "sweep": 7}'):
        (a / "metrics.json").write_text(bad)
        r = run_cli("compare", a, b, *(["--budget", "1"] if "sweep" in bad else []), timeout=120)
        _no_traceback(r)
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, (bad, r.stderr)
        assert not (b / "compare.png").exists()


# -------------------------------------------------------------- 5. a rest-pose first frame
def test_rest_pose_first_frame_is_detected_skipped_and_said(tmp_path):
    p = _good_bvh(tmp_path / "cmu.bvh", n=40, first_rest=True)
    lines: list[str] = []
    from addon.motion.formats.bvh import from_bytes

    m = from_bytes(p.read_bytes(), notice=lines.append)
    assert m.n_frames == 39 and m.source["bvh"]["skipped_frames"] == 1 and len(lines) == 1
    kept = from_bytes(p.read_bytes(), skip_frames=0, notice=lines.append)
    assert kept.n_frames == 40 and len(lines) == 1
    assert load_motion(p, bvh_skip_frames=5).n_frames == 35
    plain = from_bytes(_good_bvh(tmp_path / "plain.bvh", n=40).read_bytes(), notice=lines.append)
    assert plain.n_frames == 40 and plain.source["bvh"]["rest_pose_first_frame"] is False and len(lines) == 1
    r = run_cli("bake", p, "--out", tmp_path / "o", "--sensors", "imu", "--fps", "30", "--quiet", timeout=600)
    _no_traceback(r)
    assert r.returncode == 0 and "rest pose" in r.stderr and "--bvh-skip-frames 0" in r.stderr


# ------------------------------------------------------ 6. bad input: one line, no traceback
def test_bad_inputs_give_one_line(tmp_path):
    nz = tmp_path / "notzip.zip"
    nz.write_bytes(b"PK but not really a zip")
    r = run_cli("bake", nz, "--out", tmp_path / "o", "--quiet", timeout=300)
    _no_traceback(r)
    assert r.returncode == 1 and "not a valid zip" in json.dumps(json.loads((tmp_path / "o" / "summary.json").read_text()))
    labels = tmp_path / "labels.csv"
    labels.write_bytes(b"file,label\n\xff\xfe.bvh,walk\n")
    (tmp_path / "lib").mkdir()
    _good_bvh(tmp_path / "lib" / "x.bvh")
    r = run_cli("library", tmp_path / "lib", "--rule", f"csv:{labels}", timeout=120)
    _no_traceback(r)
    assert r.returncode == 2 and "not UTF-8" in r.stderr
    for spec in ({"activities": [{"name": 5}]}, {"activities": [{"name": "w", "source": ["library"]}]},
                 {"activities": [{"name": "w", "path": "x.zip", "filter": {"content": [1]}}]}):
        f = tmp_path / "spec.json"
        f.write_text(json.dumps(spec))
        r = run_cli("synth", f, "--out", tmp_path / "s", timeout=120)
        _no_traceback(r)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, (spec, r.stderr)


def test_disk_full_fails_once_without_zipfile_noise(tmp_path):
    code = ("import resource, signal, numpy as np\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
            "from addon.export.atomic import atomic_write\n"
            "try:\n"
            f"    atomic_write({str(tmp_path / 'x.npz')!r}, lambda f: np.savez_compressed(f, a=np.random.rand(10**6)))\n"
            "except OSError as e:\n    print('FAILED', e.errno)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "FAILED" in r.stdout and r.stderr == "", r.stderr
    assert list(tmp_path.iterdir()) == []
    atomic_write(tmp_path / "ok.txt", lambda f: f.write(b"x" * 3_000_000))
    assert (tmp_path / "ok.txt").stat().st_size == 3_000_000
