"""Start-up of a one-file fast-engine bake (issue 26): from the command's start (the process's
own start time, /proc) to the first frame simulated, with the breakdown, as wall seconds and as
CPU seconds (user + sys of the process; what a loaded machine does not distort), and end to end
of `weartwin bake` in a fresh process. A 60 s motion, IMU only, --engine fast, --workers 1.
Target: the first frame within 1.5 s on a quiet 2-core machine.

    python benchmarks/bench_startup.py [--seconds 60] [--source-fps 60 120 100] [--repeat 3]

120 fps (most of AMASS) -> 60 Hz takes every other frame; 100 fps -> 60 Hz evaluates the
rotation spline (scipy, per joint) before the first frame.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Runs as the command itself (`python -c PROBE bake ...` = `weartwin bake ...`): marks are taken
# by wrapping functions when their modules are first imported, so nothing is imported early.
PROBE = r'''
import os, sys, time
def since_start():
    ticks = os.sysconf("SC_CLK_TCK")
    start = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]) / ticks
    up = float(open("/proc/uptime").read().split()[0])
    return up - start, time.process_time()
marks = [("interpreter", since_start())]
def mark(name):
    marks.append((name, since_start()))
def after(fn, name, before=None):
    def traced(*a, **k):
        if before:
            mark(before)
        r = fn(*a, **k)
        mark(name)
        return r
    return traced
def patch_bake(m):
    m.Baker.bake_file = after(m.Baker.bake_file, "done", before="imports (CLI, bake code) + listing inputs")
    m.load_motion = after(m.load_motion, "motion load")
    m.resample = after(m.resample, "resample to the output rate")
def patch_variants(m):
    m.BodyLibrary.get = after(m.BodyLibrary.get, "body asset")
def patch_engine(m):
    m.simulate = after(m.simulate, "all frames simulated", before="first frame (sites placed, simulate starts)")
HOOKS = {"addon.bake": patch_bake, "addon.body.variants": patch_variants, "addon.skinning.engine": patch_engine}
import importlib.machinery
class Hook:
    def find_spec(self, name, path, target=None):
        if name not in HOOKS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            HOOKS[name](module)
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, Hook())
from headless.cli import main
rc = main(sys.argv[1:])
mark("exit (exports + summaries written)")
import json
print("MARKS " + json.dumps(marks))
sys.exit(rc)
'''


def run_probe(clip: Path, out: Path, env: dict, cwd: str) -> list:
    import json

    r = subprocess.run([sys.executable, "-c", PROBE, "bake", str(clip), "--out", str(out), "--sensors", "imu",
                        "--engine", "fast", "--workers", "1", "--quiet"], env=env, capture_output=True, text=True,
                       cwd=cwd)
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("MARKS ")]
    if r.returncode != 0 or not line:
        raise SystemExit(f"bake failed (rc {r.returncode}): {r.stderr.strip()[-2000:]}")
    return json.loads(line[0][6:])


def end_to_end(clip: Path, out: Path, env: dict, cwd: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys of the child) of `python -m headless bake` (= weartwin bake)."""
    before = os.times()
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "headless", "bake", str(clip), "--out", str(out), "--sensors", "imu",
                        "--engine", "fast", "--workers", "1", "--quiet"], env=env, capture_output=True, text=True,
                       cwd=cwd)
    wall = time.perf_counter() - t0
    after = os.times()
    if r.returncode != 0:
        raise SystemExit(f"bake failed (rc {r.returncode}): {r.stderr.strip()[-2000:]}")
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def report(runs: list[list], e2e: list[tuple[float, float]], label: str) -> None:
    names = [n for n, _ in runs[0]]
    print(f"\n{label}: median of {len(runs)} fresh processes; step = time of that step, at = since the command started")
    print(f"{'':46s} {'wall step':>9s} {'wall at':>8s} {'CPU step':>9s} {'CPU at':>7s}")
    prev_w = prev_c = 0.0
    for k, name in enumerate(names):
        w = statistics.median(r[k][1][0] for r in runs)
        c = statistics.median(r[k][1][1] for r in runs)
        print(f"{name:46s} {w - prev_w:8.2f}s {w:7.2f}s {c - prev_c:8.2f}s {c:6.2f}s")
        prev_w, prev_c = w, c
    first = names.index("first frame (sites placed, simulate starts)")
    fw = statistics.median(r[first][1][0] for r in runs)
    fc = statistics.median(r[first][1][1] for r in runs)
    print(f"first frame at {fw:.2f} s wall, {fc:.2f} s CPU (target 1.5 s on a quiet machine: "
          f"{'met' if fc <= 1.5 else 'NOT met'} on CPU time)")
    print(f"weartwin bake end to end: {statistics.median(w for w, _ in e2e):.2f} s wall, "
          f"{statistics.median(c for _, c in e2e):.2f} s CPU")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--source-fps", type=float, nargs="+", default=[60.0, 120.0, 100.0])
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from bad_inputs import good_amass

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load = [open("/proc/loadavg").read().split()[0]]
    with tempfile.TemporaryDirectory() as d:
        for fps in a.source_fps:
            clip = good_amass(Path(d) / f"clip{fps:g}.npz", T=int(a.seconds * fps), fps=fps)
            runs, e2e = [], []
            for k in range(a.repeat):
                runs.append(run_probe(clip, Path(d) / f"p{fps:g}_{k}", env, d))
                e2e.append(end_to_end(clip, Path(d) / f"e{fps:g}_{k}", env, d))
            report(runs, e2e, f"{a.seconds:g} s motion at {fps:g} fps -> 60 Hz IMU")
    load.append(open("/proc/loadavg").read().split()[0])
    print(f"\nload average (1 min) {load[0]} before, {load[1]} after, on {os.cpu_count()} cores; "
          f"{sys.executable.rsplit('/', 3)[-3]} Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
