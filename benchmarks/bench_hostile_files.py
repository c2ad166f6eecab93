"""Hostile files through the real CLI: time to refusal and peak memory, under a 2 GiB cap.

Generates each bomb / crafted file of `tests/evil_files.py`, runs `weartwin info FILE` in a
fresh interpreter with RLIMIT_AS = 2 GiB, and prints the exit code, wall time, the child's
peak RSS and the one-line reason. The target (issue 12): refused within 30 s under 2 GiB.
Round 2 (issue 23) adds what a file *builds*: a 16 MB BVH (peak memory per MB of text), a
BVH with an infinite OFFSET, and `weartwin predict` with a random forest whose children cycle.
Usage: python benchmarks/bench_hostile_files.py
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ["PYTHONPATH"] = str(ROOT)

import evil_files as E  # noqa: E402

CAP = 2 << 30


def run(path, *cmd: str) -> tuple[int, float, float, str]:
    """(exit code, wall s, peak RSS MB, last stderr line) of `weartwin info path` (or `cmd`) under the cap."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    with tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "headless", *(cmd or ("info", str(path)))], cwd=ROOT, preexec_fn=limit,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().strip().splitlines()
    return p.returncode, wall, usage.ru_maxrss / 1024, lines[-1] if lines else ""


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        marker = d / "PWNED"
        files = {
            "zip bomb .npz (10 M frames, 5.8 GB inflated)": E.zip_bomb_npz(d / "zip.npz"),
            "shared memo rows .pkl (16 GB as an array)": E.shared_rows_pickle(d / "rows.pkl"),
            "nested sharing .pkl (2^60 leaves)": E.nested_share_pickle(d / "nested.pkl"),
            "HumanML3D .npy declaring 1e9 x 263": E.huge_npy(d / "huge_new_joint_vecs.npy"),
            "3 M one-byte objects .pkl": _w(d / "objects.pkl", E.many_objects_pickle()),
            "numpy _reconstruct of 8 TB": _w(d / "reconstruct.pkl", E.reconstruct_bomb()),
            "os.system payload .pkl": _w(d / "system.pkl", E.os_system_pickle(marker)),
        }
        print(f"{'file':48s} {'size':>9s} {'rc':>3s} {'wall s':>7s} {'peak RSS MB':>11s}  reason")
        for name, path in files.items():
            rc, wall, peak, reason = run(path)
            print(f"{name:48s} {path.stat().st_size / 1e6:7.2f}MB {rc:3d} {wall:7.2f} {peak:11.0f}  "
                  f"{reason.replace(str(path), path.name)[:110]}")
        print(f"code executed: {'YES' if marker.exists() else 'no'}")
        round2(d)


def round2(d: Path) -> None:
    """Issue 23: what a file builds."""
    import json

    import numpy as np
    from test_bvh import CMU, write_bvh

    rng = np.random.default_rng(0)
    n = 23_000                                          # ~16 MB of BVH text
    big = write_bvh(d / "big.bvh", CMU, n_frames=n, frame_time=1 / 120,
                    angles={nm: rng.uniform(-30, 30, (n, 3)) for nm, _, _ in CMU})
    rc, wall, peak, reason = run(big)
    _, _, base, _ = run(d / "missing.bvh")
    mb = big.stat().st_size / 2**20
    print(f"\nround 2 (issue 23)\n{'16 MB BVH (weartwin info)':48s} {mb:7.2f}MB {rc:3d} {wall:7.2f} {peak:11.0f}  "
          f"{(peak - base) / mb:.1f} MB per MB of text above the interpreter's {base:.0f} MB")
    inf = write_bvh(d / "inf.bvh", CMU, n_frames=5)
    inf.write_text(inf.read_text().replace("OFFSET 0.000000 -0.420000 0.000000", "OFFSET 0 inf 0", 1))
    rc, wall, peak, reason = run(inf)
    print(f"{'BVH with an OFFSET of inf':48s} {inf.stat().st_size / 1e6:7.2f}MB {rc:3d} {wall:7.2f} {peak:11.0f}  "
          f"{reason.replace(str(inf), inf.name)[:110]}")
    sys.path.insert(0, str(ROOT / "tests"))
    from ml_layouts import write_generic

    from ml import train

    data = write_generic(d / "gen", subjects=3, seconds=8)
    train("rf", out=d / "rf", data=[str(data)], final=True, trees=3, progress=False, window=2.0, stride=1.0, fps=25.0)
    with np.load(d / "rf" / "model.npz") as z:
        arrays = {k: z[k] for k in z.files}
    left = arrays["t0/left"].copy()
    left[left > 0] = 0
    arrays["t0/left"] = left
    np.savez(d / "cycle.npz", **arrays)
    rc, wall, peak, reason = run(d / "cycle.npz", "predict", str(d / "cycle.npz"), str(data), "--out", str(d / "o.csv"))
    print(f"{'RF model.npz whose children cycle (predict)':48s} {(d / 'cycle.npz').stat().st_size / 1e6:7.2f}MB "
          f"{rc:3d} {wall:7.2f} {peak:11.0f}  {reason.replace(str(d), '')[:110]}")



def _w(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


if __name__ == "__main__":
    main()
