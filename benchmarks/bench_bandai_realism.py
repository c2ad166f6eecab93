"""Bandai Namco walks, simulated on the wrist, against real smartwatch walking, side by side:
|acc| sd, share of |acc| power above 3 Hz, cadence, |gyro| p50/p95 (p10 / median / p90 over
2.56 s windows; statistics from `addon/text2motion/realism.py`, the same for both sides).

    PYTHONPATH=. python benchmarks/bench_bandai_realism.py [--limit 14] [--fps 100] [--site left_wrist]

Simulated: a seeded choice of `--limit` clips labelled `walk` (dataset-2.zip, all styles; plus
dataset-1), BVH-imported, baked with the Blender engine on the default body (ideal sensor unless
--imu-noise), 0.5 s left out at each end. Real: every WALKING stretch (>= 2 s) of
../shared/data/imu/sp_sw_har (a watch on the wrist, ~100 Hz), each stretch one window.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.shared_data import shared_data  # noqa: E402


def bandai_walks(root: Path, limit: int, seed: int):
    from addon.motion.library import list_library

    clips = list_library(root / "dataset-2.zip", "bandai", {"content": ["walk"]}) + \
        list_library(root / "dataset-1", "bandai", {"content": ["walk"]})
    import numpy as np

    keep = np.sort(np.random.default_rng(seed).choice(len(clips), min(limit, len(clips)), replace=False))
    return [clips[i] for i in keep]


def simulated(clips, fps: float, site: str, noise: bool) -> tuple[list[dict], float]:
    from addon.bake import Baker
    from addon.body.variants import BodyVariant
    from addon.config import BakeConfig
    from addon.motion import load_motion
    from addon.text2motion.realism import window_stats, windows

    baker = Baker(BakeConfig(fps=fps, sensors=("imu",), imu_sites=(site,), imu_noise=noise))
    rows, seconds = [], 0.0
    for c in clips:
        start = len(rows)
        rec = baker.bake(load_motion(c.path), BodyVariant("", "anny", {}, 1.7))
        cut = int(0.5 * fps)
        acc, gyro = rec.imu[site]["acc"][cut:-cut], rec.imu[site]["gyro"][cut:-cut]
        seconds += len(acc) / fps
        rows += [window_stats(acc[a:b], gyro[a:b], fps) for a, b in windows(len(acc), fps)]
        for r in rows[start:]:
            r["style"] = c.style
    return rows, seconds


def main() -> None:
    from addon.text2motion.realism import STAT_NAMES, real_walking, summarize

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=str(shared_data("bvh", "bandai_namco")),
                    help="Bandai Namco corpus (default: %(default)s; from $WEARTWIN_SHARED when set)")
    ap.add_argument("--real", default=str(shared_data("imu", "sp_sw_har")),
                    help="sp_sw_har folder (default: %(default)s; from $WEARTWIN_SHARED when set)")
    ap.add_argument("--limit", type=int, default=14)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fps", type=float, default=100.0)
    ap.add_argument("--site", default="left_wrist")
    ap.add_argument("--imu-noise", action="store_true")
    a = ap.parse_args()
    clips = bandai_walks(Path(a.root), a.limit, a.seed)
    t0 = time.perf_counter()
    rows, seconds = simulated(clips, a.fps, a.site, a.imu_noise)
    sim = summarize(rows)
    real_rows = real_walking(a.real)
    real = summarize(real_rows)
    styles = sorted({c.style for c in clips})
    print(f"simulated: {len(clips)} Bandai 'walk' clips ({', '.join(styles)}), {seconds:.0f} s, {len(rows)} windows, "
          f"{a.site}, {a.fps:g} Hz, baked in {time.perf_counter() - t0:.0f} s; real: {len(real_rows)} WALKING "
          f"stretches of sp_sw_har")
    fmt = lambda v: f"{v[0]:7.2f} {v[1]:7.2f} {v[2]:7.2f}"  # noqa: E731
    print(f"{'statistic':18s} {'Bandai sim p10 / median / p90':>30s}   {'real (sp_sw_har WALKING)':>28s}")
    for k in STAT_NAMES:
        print(f"{k:18s} {fmt(sim[k]):>30s}   {fmt(real[k]):>28s}")
    import numpy as np

    print(f"\nmedians by style   {'windows':>8s} " + " ".join(f"{k:>15s}" for k in STAT_NAMES))
    for style in styles + ["(real)"]:
        rs = real_rows if style == "(real)" else [r for r in rows if r["style"] == style]
        if rs:
            print(f"{style:18s} {len(rs):8d} " + " ".join(f"{np.median([r[k] for r in rs]):15.2f}" for k in STAT_NAMES))


if __name__ == "__main__":
    main()
