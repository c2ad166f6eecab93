"""Simulated against real smartwatch walking: |acc| sd, share of power above 3 Hz, cadence,
|gyro| p50/p95, side by side (p10 / median / p90 over 2.56 s windows).

    PYTHONPATH=. python benchmarks/bench_walk_realism.py [--seeds 3] [--fps 100] [--text "a person walks"]

Simulated: the procedural walk baked in Blender (IMU, left wrist, default body and --seeds
body variants, ideal sensor unless --imu-noise). Real: every WALKING stretch (≥ 2 s) of
../shared/data/imu/sp_sw_har (watch on the wrist, 100 Hz).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.shared_data import shared_data  # noqa: E402


def simulated(text: str, seeds: int, fps: float, noise: bool, site: str, smoothing: float | None = None,
              whole: bool = False) -> list[dict]:
    from addon.bake import Baker
    from addon.body.variants import variants_for
    from addon.config import BakeConfig
    from addon.text2motion.parse import parse
    from addon.text2motion.procedural import generate
    from addon.text2motion.realism import window_stats, windows

    extra = {} if smoothing is None else {"imu_smoothing": smoothing}     # else the bake's own default
    cfg = BakeConfig(fps=fps, sensors=("imu",), imu_sites=(site,), imu_noise="smartwatch" if noise else "none", **extra)
    baker = Baker(cfg)
    spec = parse(text)
    rows = []
    for k, variant in enumerate(variants_for("walk", "anny", 1.7, seeds, 0)):
        rec = baker.bake(generate(spec, fps=fps, seed=k), variant)
        imu = rec.imu[site]
        if whole:        # the activity itself (the motion stands still 1 s before and after) as one stretch
            part = slice(int(1.0 * fps), len(rec.t) - int(1.0 * fps))
            rows.append(window_stats(imu["acc"][part], imu["gyro"][part], fps))
            continue
        steady = slice(int(2.0 * fps), len(rec.t) - int(2.0 * fps))     # leave out starting and stopping
        acc, gyro = imu["acc"][steady], imu["gyro"][steady]
        rows += [window_stats(acc[a:b], gyro[a:b], fps) for a, b in windows(len(acc), fps)]
    return rows


def main() -> None:
    from addon.text2motion.realism import STAT_NAMES, real_walking, summarize

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--text", default="a person walks for 20 seconds")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--fps", type=float, default=100.0)
    p.add_argument("--site", default="left_wrist")
    p.add_argument("--imu-noise", action="store_true")
    p.add_argument("--imu-smoothing", type=float, default=None,
                   help="Savitzky-Golay window, s (default: the bake's own, i.e. the band filter)")
    p.add_argument("--label", default="WALKING",
                   help="real class to compare with (WALKING, TURNING, SITTING_DOWN, SEATED, STANDING_UP); other "
                        "than WALKING, each simulated motion is one stretch, like the real ones")
    p.add_argument("--real", default=str(shared_data("imu", "sp_sw_har")),
                   help="sp_sw_har folder (default: %(default)s; from $WEARTWIN_SHARED when set)")
    a = p.parse_args()
    whole = a.label != "WALKING"
    sim = summarize(simulated(a.text, a.seeds, a.fps, a.imu_noise, a.site, a.imu_smoothing, whole))
    real = summarize(real_walking(a.real, a.label, 1.0 if whole else 2.0)) if Path(a.real).is_dir() else None
    fmt = lambda v: f"{v[0]:7.2f} {v[1]:7.2f} {v[2]:7.2f}"  # noqa: E731
    print(f"{'statistic':18s} {'simulated p10 / median / p90':>30s}   {f'real (sp_sw_har {a.label})':>28s}")
    for k in STAT_NAMES:
        print(f"{k:18s} {fmt(sim[k]):>30s}   {fmt(real[k]) if real else 'n/a':>28s}")


if __name__ == "__main__":
    main()
