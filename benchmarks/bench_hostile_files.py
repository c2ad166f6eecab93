"""Hostile files through the real CLI: time to refusal and peak memory, under a 2 GiB cap.

Generates each bomb / crafted file of `tests/evil_files.py`, runs `weartwin info FILE` in a
fresh interpreter with RLIMIT_AS = 2 GiB, and prints the exit code, wall time, the child's
peak RSS and the one-line reason. The target (issue 12): refused within 30 s under 2 GiB.
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

import evil_files as E  # noqa: E402

CAP = 2 << 30


def run(path: Path) -> tuple[int, float, float, str]:
    """(exit code, wall s, peak RSS MB, last stderr line) of `weartwin info path` under the cap."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    with tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "headless", "info", str(path)], cwd=ROOT, preexec_fn=limit,
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


def _w(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


if __name__ == "__main__":
    main()
