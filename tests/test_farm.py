"""Farm runs that tell the truth: per-task summaries merged by `weartwin status`, explicit
sharding, resume keyed on everything that decides an output, two processes on one --out, and the
real parts: a one-node SLURM (Debian slurm-wlm + munge), Debian's Blender binary running
blender_scripts/bake.py, and the Flamenco job type compiled by node and its tasks run.
The SLURM/Blender/node tests skip with the reason when those binaries are absent (.ci/run
installs them)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from addon.export.recording import read_export
from bad_inputs import good_amass
from conftest import ROOT, run_cli

FAST = ("--sensors", "imu", "--fps", "30", "--quiet")
SITE = sysconfig.get_paths()["purelib"]       # this venv's packages, for Debian's Blender


def _corpus(d: Path, n: int = 6, T: int = 120) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        good_amass(d / f"c{k}.npz", T=T + 10 * k)
    return d


def _status(out: Path, *extra) -> tuple[int, str, dict]:
    r = run_cli("status", out, *extra)
    j = run_cli("status", out, "--json")
    return r.returncode, r.stdout + r.stderr, json.loads(j.stdout) if j.stdout.strip() else {}


# --- status, shards, per-file arrays (plain processes) ----------------------------------------
def test_status_merges_shards_failures_and_gaps_then_completes(tmp_path):
    src = _corpus(tmp_path / "in", n=5)
    (src / "broken.npz").write_bytes(b"not a motion")
    out = tmp_path / "out"
    for i in (0, 2):                      # shard 1/3 never runs
        r = run_cli("bake", src, "--out", out, "--shard", f"{i}/3", *FAST)
        assert r.returncode in (0, 1), r.stderr
    rc, text, s = _status(out)
    assert rc == 1 and "INCOMPLETE" in text
    assert [g["shard"] for g in s["missing_shards"]] == ["1/3"] and s["missing_shards"][0]["items"] == 2
    assert "missing      shard 1/3 (2 items)" in text and "--shard 1/3" in text
    assert [f["output"] for f in s["failed"]] == ["broken"] and "broken.npz" in s["failed"][0]["reason"]
    assert "failed       broken: " in text
    merged = json.loads((out / "summary.json").read_text())   # the merged view, not the last task's
    assert merged["missing_shards"] and merged["failed"] and len(merged["done"]) == 3
    r = run_cli("bake", src, "--out", out, "--shard", "1/3", *FAST)    # the missing shard
    assert r.returncode == 0, r.stderr
    rc, text, s = _status(out)
    assert not s["missing_shards"] and [f["output"] for f in s["failed"]] == ["broken"] and rc == 1
    good_amass(src / "broken.npz", T=80)                                   # fixed, re-run: the newest records win
    r = run_cli("bake", src, "--out", out, *FAST)
    assert r.returncode == 0 and "baked 1 input (1 export), 5 up to date" in r.stdout, r.stdout
    rc, text, s = _status(out)
    assert rc == 0 and not s["failed"] and len(s["done"]) + len(s["up_to_date"]) == 6, text
    # an output deleted or replaced by a bake with other options is stale
    (out / "c0.npz").unlink()
    r = run_cli("bake", src / "c1.npz", "--out", out, "--sensors", "imu", "--fps", "25", "--quiet")
    assert r.returncode == 0
    rc, text, s = _status(out)
    assert rc == 1 and [d["output"] for d in s["stale"]] == ["c0"], text
    assert "stale        c0: " in text and "no longer exists" in text
    assert run_cli("status", tmp_path / "nowhere").returncode == 2
    assert run_cli("status", src).returncode == 2             # no run folder


def test_array_task_without_shard_bakes_what_it_was_given(tmp_path):
    src = _corpus(tmp_path / "in", n=3)
    out = tmp_path / "out"
    for k in range(3):                    # a per-file array: task k bakes file k
        env = {"SLURM_ARRAY_JOB_ID": "77", "SLURM_ARRAY_TASK_ID": str(k), "SLURM_ARRAY_TASK_MIN": "0",
               "SLURM_ARRAY_TASK_MAX": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_JOB_ID": str(100 + k)}
        r = run_cli("bake", src / f"c{k}.npz", "--out", out, *FAST, env=env)
        assert r.returncode == 0 and "baked 1 input (1 export)" in r.stdout, r.stdout + r.stderr
        assert "no --shard, so this task bakes every input it was given" in r.stderr
    rc, text, s = _status(out)            # task 3 of 0-3 never ran: reported
    assert rc == 1 and s["missing_array_tasks"] == [{"array_job": "77", "task": 3}], s
    assert "array job 77 task 3: left no summary" in text
    # --shard slurm: task id = shard index, N = highest id + 1 (or slurm/N)
    env = {"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MAX": "2", "SLURM_ARRAY_TASK_COUNT": "2"}
    r = run_cli("bake", src, "--out", tmp_path / "o2", "--shard", "slurm", *FAST, env=env)
    assert r.returncode == 0 and "baked 1 input" in r.stdout, r.stderr
    r = run_cli("bake", src, "--out", tmp_path / "o2", "--shard", "slurm/3", *FAST, env=env)
    assert r.returncode == 0 and "1 up to date" in r.stdout
    r = run_cli("bake", src, "--out", tmp_path / "o3", "--shard", "slurm", *FAST)
    assert r.returncode == 2 and "SLURM_ARRAY_TASK_ID is not set" in r.stderr


# --- resume keyed on everything that decides an output ------------------------------------------
def test_resume_sees_zip_members_map_files_labels_and_engine(tmp_path):
    from test_bvh import CMU, write_bvh

    bvh = write_bvh(tmp_path / "take.bvh", CMU, n_frames=40)
    z = tmp_path / "takes.zip"
    with zipfile.ZipFile(z, "w") as f:
        for name in ("s1/walk.bvh", "s1/../b.bvh", "b.bvh"):   # s1/../b.bvh is b.bvh (canonical member names)
            f.writestr(zipfile.ZipInfo(name), bvh.read_bytes())
    out = tmp_path / "out"
    r = run_cli("bake", z, "--out", out, *FAST)
    assert r.returncode == 0 and "baked 2 inputs (2 exports)" in r.stdout, r.stdout + r.stderr
    assert len(list(out.rglob("*.npz"))) == 2            # one name, one member, one file: counted once
    r = run_cli("bake", z, "--out", out, *FAST)
    assert r.returncode == 0 and "baked 0 inputs (0 exports), 2 up to date" in r.stdout, r.stdout
    # a --bvh-map file whose content changes re-bakes
    names = dict(pelvis="Hips", left_hip="LeftUpLeg", right_hip="RightUpLeg", spine1="Spine", left_knee="LeftLeg",
                 right_knee="RightLeg", spine2="Spine1", left_ankle="LeftFoot", right_ankle="RightFoot",
                 spine3="Spine2", neck="Neck", left_collar="LeftShoulder", right_collar="RightShoulder",
                 head="Head", left_shoulder="LeftArm", right_shoulder="RightArm", left_elbow="LeftForeArm",
                 right_elbow="RightForeArm", left_wrist="LeftHand", right_wrist="RightHand")
    m = tmp_path / "map.json"
    m.write_text(json.dumps(names))
    args = [bvh, "--out", tmp_path / "o2", "--bvh-map", m, *FAST]
    assert "baked 1 input" in run_cli("bake", *args).stdout
    assert "1 up to date" in run_cli("bake", *args).stdout
    m.write_text(json.dumps({**names, "left_collar": "LeftArm", "left_shoulder": "LeftShoulder"}))
    r = run_cli("bake", *args)
    assert "baked 1 input" in r.stdout, r.stdout + r.stderr
    # a changed label/description (manifest, synth spec) re-bakes; the engine is part of the hash
    good_amass(tmp_path / "clip.npz", T=60)
    man = tmp_path / "m.jsonl"
    for text, expect in (("waving", "baked 1"), ("waving", "1 up to date"), ("waving slowly", "baked 1")):
        man.write_text(json.dumps({"input": str(tmp_path / "clip.npz"), "label": "wave", "text": text}) + "\n")
        r = run_cli("bake", man, "--out", tmp_path / "o3", *FAST)
        assert expect in r.stdout, (text, r.stdout)
    assert read_export(tmp_path / "o3" / "clip.npz")[1]["text"] == "waving slowly"
    r = run_cli("bake", man, "--out", tmp_path / "o3", *FAST, "--engine", "blender")
    assert "baked 1" in r.stdout, r.stdout
    meta = read_export(tmp_path / "o3" / "clip.npz")[1]
    assert meta["engine"] == "blender" and meta["blender"]["version"] and meta["blender"]["build"]


# --- two processes, one --out ---------------------------------------------------------------------
def test_two_processes_on_one_out_share_the_work_and_never_fail_each_other(tmp_path):
    src = _corpus(tmp_path / "in", n=8, T=300)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "headless", "bake", str(src), "--out", str(out), *FAST]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ps = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
          for _ in range(2)]
    res = [p.communicate(timeout=300) for p in ps]
    assert [p.returncode for p in ps] == [0, 0], res
    baked = sum(int(o.split("baked ")[1].split()[0]) for o, _ in res)
    assert baked == 8, res                       # each item baked once, by one of them
    assert not [p for p in out.rglob("*.part")]
    rc, text, s = _status(out)
    assert rc == 0 and len(s["tasks"]) == 2 and not s["failed"], text


def test_temp_files_of_a_live_writer_are_left_alone(tmp_path):
    from addon.export.atomic import temp_files_of

    target = tmp_path / "a.npz"
    mine = tmp_path / f".a.npz.{os.uname().nodename.replace('.', '_')}-{os.getpid()}.abcd.part"
    dead = tmp_path / ".a.npz.somehost-1.abcd.part"
    old = tmp_path / ".a.npz.abcd1234.part"       # written by a version without writer names
    for p in (mine, dead, old):
        p.write_bytes(b"x")
    os.utime(dead, (0, 0))
    assert set(temp_files_of(target)) == {mine, dead, old}
    assert set(temp_files_of(target, dead_only=True)) == {dead, old}


# --- start-up: the fast engine with one worker bakes in the command's own process -------------------
def test_fast_single_worker_bakes_in_process_and_blender_engine_in_a_worker():
    from addon.config import BakeConfig
    from headless.runner import in_process

    assert in_process(BakeConfig(sensors=("imu",)), 1)
    assert not in_process(BakeConfig(sensors=("imu",)), 2)
    assert not in_process(BakeConfig(sensors=("imu",), engine="blender"), 1) or "bpy" in sys.modules


# --- a real SLURM ------------------------------------------------------------------------------------
def _need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (.ci/run installs Debian's slurm-wlm, munge, blender)")


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    _need("sbatch", "slurmctld", "slurmd", "munged", "scontrol")
    if os.geteuid() != 0:
        pytest.skip("the one-node SLURM of tests/farm/slurm_local.sh runs slurmd as root")
    d = tmp_path_factory.mktemp("slurm")
    r = subprocess.run(["bash", str(ROOT / "tests" / "farm" / "slurm_local.sh"), "start", str(d)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    env = {**os.environ, "SLURM_CONF": str(d / "slurm.conf"), "PYTHONPATH": str(ROOT),
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    yield env
    subprocess.run(["bash", str(ROOT / "tests" / "farm" / "slurm_local.sh"), "stop", str(d)], timeout=60)


def _sbatch(env, cwd, *args) -> str:
    r = subprocess.run(["sbatch", "--parsable", *map(str, args)], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().split(";")[0]


def _wait(env, job: str, timeout: float = 200) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        q = subprocess.run(["squeue", "-h", "-j", job], env=env, capture_output=True, text=True).stdout
        if not q.strip():
            return
        time.sleep(0.5)
    raise AssertionError(f"job {job} still queued after {timeout} s")


def _workers_of_weartwin() -> list[int]:
    """Worker processes (multiprocessing spawn children) of `weartwin bake` processes."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes()
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            parent = Path(f"/proc/{ppid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if b"multiprocessing" in cmd and b"resource_tracker" not in cmd and b"bake" in parent:
            found.append(int(d.name))
    return found


def test_real_slurm_array_cancelled_task_killed_worker_resubmit_status(slurm, tmp_path):
    src = _corpus(tmp_path / "in", n=8, T=400)
    (tmp_path / "list.txt").write_text("".join(f"{p}\n" for p in sorted(src.glob("*.npz"))))
    out = tmp_path / "out"
    sb = ROOT / "headless" / "farm" / "slurm" / "bake_array.sbatch"
    elsewhere = tmp_path / "elsewhere"        # submitted from outside the checkout
    elsewhere.mkdir()
    opts = ["list.txt", "--out", out, "--sensors", "imu", "--fps", "30", "--engine", "blender"]
    logs = ["-o", str(tmp_path / "log-%A_%a.txt")]
    job = _sbatch(slurm, tmp_path, "--hold", "--array=0-3", "--cpus-per-task=1", *logs, sb, *opts)
    subprocess.run(["scancel", f"{job}_2"], env=slurm, check=True)        # cancelled before it ran
    subprocess.run(["scontrol", "release", job], env=slurm, check=True)
    killed, t0 = None, time.time()
    while killed is None and time.time() - t0 < 120:                       # kill -9 one Blender worker
        kids = _workers_of_weartwin()
        if kids:
            time.sleep(0.5)
            os.kill(kids[0], signal.SIGKILL)
            killed = kids[0]
        time.sleep(0.1)
    _wait(slurm, job)
    assert killed, "no worker process seen"
    logtext = "".join(p.read_text() for p in tmp_path.glob("log-*.txt"))
    rc, text, s = _status(out)
    assert rc == 1, text
    assert [g["shard"] for g in s["missing_shards"]] == ["2/4"], text
    assert s["missing_array_tasks"] == [{"array_job": job, "task": 2}], text
    assert any("worker died (signal 9: SIGKILL" in f["reason"] for f in s["failed"]), text + logtext
    # the array's options went through: 30 Hz, IMU only, Blender engine
    some = next(out.rglob("*.npz"))
    meta = read_export(some)[1]
    assert meta["fps"] == 30 and meta["engine"] == "blender" and set(meta["config"]["sensors"]) == {"imu"}
    job2 = _sbatch(slurm, elsewhere, "--array=0-3", "--cpus-per-task=1", *logs, sb, *[
        str(tmp_path / "list.txt") if o == "list.txt" else o for o in opts])
    _wait(slurm, job2)
    rc, text, s = _status(out)
    assert rc == 0 and "complete" in text, text + "".join(p.read_text() for p in tmp_path.glob("log-*.txt"))
    assert len(list(out.rglob("*.npz"))) == 8


# --- Debian's Blender binary ---------------------------------------------------------------------------
def _blender(args, env=None, timeout=300):
    return subprocess.run(["blender", "--background", "--factory-startup", "--python",
                           str(ROOT / "blender_scripts" / "bake.py"), "--", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def _blender_has_numpy() -> bool:
    r = subprocess.run(["blender", "--background", "--factory-startup", "--python-expr",
                        "import importlib.util,sys; sys.stdout.write('NUMPY=%s\\n' % bool(importlib.util.find_spec('numpy')))"],
                       capture_output=True, text=True, timeout=120, env={k: v for k, v in os.environ.items()
                                                                          if k != "PYTHONPATH"})
    return "NUMPY=True" in r.stdout


def test_blender_binary_route_exit_codes_with_and_without_packages(tmp_path):
    _need("blender")
    src = _corpus(tmp_path / "in", n=2, T=90)
    bare = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if not _blender_has_numpy():
        r = _blender([src, "--out", tmp_path / "o0", *FAST], env=bare)
        assert r.returncode == 2, r.stdout + r.stderr
        (line,) = [x for x in r.stderr.splitlines() if "bake.py:" in x]
        assert "lacks numpy" in line and "pip install" in line and "PYTHONPATH" in line
    env = {**os.environ, "PYTHONPATH": SITE}
    r = _blender([src, "--out", tmp_path / "o1", "--engine", "blender", *FAST], env=env)
    assert r.returncode == 0 and "baked 2 inputs" in r.stdout, r.stdout + r.stderr
    meta = read_export(tmp_path / "o1" / "c0.npz")[1]
    assert meta["blender"]["build"] == "blender binary" and meta["engine"] == "blender"
    # pip bpy (this interpreter) and the binary are different Blenders: not "up to date" across them
    r = run_cli("bake", src, "--out", tmp_path / "o1", "--engine", "blender", *FAST)
    import bpy  # noqa: F401 - the pip module's version
    same = ".".join(map(str, bpy.app.version[:3])) == meta["blender"]["version"]
    assert same or "baked 2 inputs" in r.stdout, r.stdout
    (src / "bad.npz").write_bytes(b"junk")
    r = _blender([src, "--out", tmp_path / "o2", *FAST], env=env)
    assert r.returncode == 1 and "bad.npz" in r.stderr, r.stdout + r.stderr
    r = _blender([src, "--out", tmp_path / "o3", "--workers", "2", *FAST], env=env)
    assert r.returncode == 2 and "--workers 2 is not available inside a Blender binary" in r.stderr
    r = _blender(["--out", tmp_path / "o4"], env=env)
    assert r.returncode == 2


# --- Flamenco job type -----------------------------------------------------------------------------------
def _compile(tmp_path, settings) -> dict:
    _need("node")
    f = tmp_path / "settings.json"
    f.write_text(json.dumps(settings))
    r = subprocess.run(["node", str(ROOT / "tests" / "farm" / "flamenco_compile.js"),
                        str(ROOT / "headless" / "farm" / "flamenco" / "weartwin_bake.js"), str(f)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_flamenco_job_type_quotes_and_tasks_run_in_blender(tmp_path):
    _need("node", "blender")
    src = tmp_path / "in dir"
    _corpus(src, n=3, T=90)
    (tmp_path / "list.txt").write_text("".join(f"{p}\n" for p in sorted(src.glob("*.npz"))))
    out = tmp_path / "out"
    job = _compile(tmp_path, {"weartwin_root": str(ROOT), "inputs": f"'{tmp_path / 'list.txt'}'",
                              "output_dir": str(out), "shards": 2,
                              "extra_args": "--sensors imu --fps 30 --imu-site-def 'my wrist=vertices:1,2,3'"})
    assert len(job["tasks"]) == 2
    for task in job["tasks"]:
        (cmd,) = task["commands"]
        assert cmd["name"] == "exec" and cmd["parameters"]["exe"] == "{blender}"
        args = cmd["parameters"]["args"]
        assert "my wrist=vertices:1,2,3" in args           # quoting kept: one argument
        r = subprocess.run(["blender", *args], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "PYTHONPATH": SITE})
        assert r.returncode == 0, r.stdout + r.stderr
    rc, text, s = _status(out)
    assert rc == 0 and len(s["done"]) == 3, text
    old = _compile(tmp_path, {"weartwin_root": str(ROOT), "inputs": "a.txt", "output_dir": "/o", "shards": 1,
                              "worker_command": "blender-render"})
    params = old["tasks"][0]["commands"][0]["parameters"]
    assert old["tasks"][0]["commands"][0]["name"] == "blender-render"
    assert params["blendfile"].endswith("empty.blend") and (ROOT / "headless/farm/flamenco/empty.blend").is_file()
    bad = _compile(tmp_path, {"weartwin_root": "/r", "inputs": "a.txt", "output_dir": "/o", "extra_args": "--x 'y"})
    assert "unbalanced" in bad["error"]
    bad = _compile(tmp_path, {"weartwin_root": "/r", "inputs": "a.txt", "output_dir": "/o",
                              "extra_args": "--shard 0/2"})
    assert "must not set --shard" in bad["error"]
