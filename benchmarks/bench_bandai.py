"""Bake the Bandai Namco corpus (IMU only) through the batch runner: frames/s, wall time, peak memory.

    PYTHONPATH=. python benchmarks/bench_bandai.py --limit 20 [--workers 2] [--fps 60] [--out DIR]
    PYTHONPATH=. python benchmarks/bench_bandai.py                      # all 3,076 clips (hours with Blender)
    PYTHONPATH=. python benchmarks/bench_bandai.py --limit 50 -- --engine fast   # extra `weartwin bake` flags

The corpus: ../shared/data/bvh/bandai_namco/dataset-1 (folder) and dataset-2.zip (read in place),
labelled by the built-in `bandai` rule. `--limit N` bakes a seeded choice of N clips. The clips go
into a manifest (label = content, text from content + style) that `weartwin bake` runs in a fresh
process, as a user would; run the same command with the same --out again and it resumes (only
missing or outdated exports are baked). Peak memory: the largest sum of resident memory over the
bake process and its workers (sampled every 0.2 s from /proc), and the largest single process.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.shared_data import shared_data  # noqa: E402
sys.path.insert(0, str(ROOT))


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
    return total


def corpus_manifest(root: Path, limit: int | None, seed: int, path: Path) -> int:
    from addon.motion.library import describe, list_library

    clips = list_library(root / "dataset-1", "bandai") + list_library(root / "dataset-2.zip", "bandai")
    if limit is not None and limit < len(clips):
        import numpy as np

        keep = np.sort(np.random.default_rng(seed).choice(len(clips), limit, replace=False))
        clips = [clips[i] for i in keep]
    with open(path, "w") as f:
        for k, c in enumerate(clips):
            f.write(json.dumps({"input": str(c.path), "output": f"{c.content}/{c.stem}", "label": c.content,
                                "text": describe(c.content, c.style, k)}) + "\n")
    return len(clips)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=str(shared_data("bvh", "bandai_namco")),
                    help="Bandai Namco corpus (default: %(default)s; from $WEARTWIN_SHARED when set)")
    ap.add_argument("--limit", type=int, default=None, help="bake a seeded choice of N clips")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--fps", type=float, default=60.0)
    ap.add_argument("--out", default=None, help="output folder (kept; run again to resume); default: a temp folder")
    ap.add_argument("extra", nargs="*", help="after --: more `weartwin bake` flags")
    a = ap.parse_args()
    tmp = None if a.out else tempfile.TemporaryDirectory(prefix="bench_bandai_")
    out = Path(a.out or tmp.name)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "bandai.jsonl"
    t0 = time.perf_counter()
    n = corpus_manifest(Path(a.root), a.limit, a.seed, manifest)
    list_s = time.perf_counter() - t0
    cmd = [sys.executable, "-m", "headless", "bake", str(manifest), "--out", str(out / "exports"),
           "--sensors", "imu", "--fps", str(a.fps), "--workers", str(a.workers), "--quiet", *a.extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.2)
    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    th.join()
    single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    s = json.loads((out / "exports" / "summary.json").read_text())
    frames = s["timings"]["frames"]
    motion_s = frames / a.fps
    print(f"Bandai Namco corpus: {n} clips ({'seeded choice of ' + str(a.limit) if a.limit else 'all'}), "
          f"listed with labels in {list_s:.1f} s")
    print(f"bake (IMU, {a.fps:g} Hz, {a.workers} worker(s){', ' + ' '.join(a.extra) if a.extra else ''}): "
          f"exit {proc.returncode}, done {len(s['done'])}, skipped {len(s['skipped'])}, failed {len(s['failed'])}")
    print(f"  wall {wall:.1f} s, {frames} output frames = {motion_s / 60:.1f} min of motion, "
          f"{frames / wall:.0f} frames/s, {motion_s / wall:.1f}x real time, {60 * len(s['done']) / wall:.1f} clips/min")
    print(f"  peak memory: {peak[0] / 2**30:.2f} GiB (bake process + workers), largest single process "
          f"{single / 2**30:.2f} GiB")
    for f in s["failed"][:5]:
        print(f"  FAILED {f['reason']}")
    if proc.returncode not in (0, 1):
        print(stderr[-2000:], file=sys.stderr)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
