"""Start-up of a one-file fast-engine bake (issue 26): seconds from the command's start (the
process's own start time, /proc) to the first frame simulated, with the breakdown, and end to end
of `weartwin bake` in a fresh process. A 60 s motion, IMU only (fast engine), --workers 1.

    python benchmarks/bench_startup.py [--seconds 60] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROBE = r'''
import os, sys, time
def since_start():
    ticks = os.sysconf("SC_CLK_TCK")
    start = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19]) / ticks
    up = float(open("/proc/uptime").read().split()[0])
    return up - start
marks = [("interpreter up", since_start())]
import addon.skinning.engine as eng
orig = eng.simulate
def traced(*a, **k):
    marks.append(("first frame (simulate starts)", since_start()))
    return orig(*a, **k)
eng.simulate = traced
from headless.cli import main
marks.append(("imports for the CLI", since_start()))
rc = main(sys.argv[1:])
marks.append(("done (exports + summaries written)", since_start()))
for name, t in marks:
    print(f"{t:7.2f} s  {name}")
sys.exit(rc)
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from bad_inputs import good_amass

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as d:
        clip = good_amass(Path(d) / "clip.npz", T=int(a.seconds * 60), fps=60.0)
        for k in range(a.repeat):
            out = Path(d) / f"out{k}"
            print(f"-- run {k + 1} (fresh process, new --out)")
            r = subprocess.run([sys.executable, "-c", PROBE, "bake", str(clip), "--out", str(out),
                                "--sensors", "imu", "--quiet"], env=env, capture_output=True, text=True, cwd=d)
            print(r.stdout.strip() or r.stderr)
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "headless", "bake", str(clip), "--out", str(out) + "b",
                                "--sensors", "imu", "--quiet"], env=env, capture_output=True, text=True, cwd=d)
            print(f"{time.perf_counter() - t0:7.2f} s  weartwin bake end to end (rc {r.returncode}): {r.stdout.strip()}")
    print("load average:", " ".join(open("/proc/loadavg").read().split()[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
