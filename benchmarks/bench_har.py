"""(a) Leave-one-subject-out on real smartwatch data: DeepConvLSTM and ResNet-1D against a random
forest on window statistics, in the same run, same windows, same folds (paired: compare the run
folders with `weartwin compare OUT/rf OUT/resnet`).

    python benchmarks/bench_har.py                       # $WEARTWIN_SHARED/data/imu/sp_sw_har (default ../shared), CPU or GPU
    python benchmarks/bench_har.py --seeds 0,1,2 --device cuda
Prints a table; each model's full report lands in --out/<model>/.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.shared_data import shared_data  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(shared_data("imu", "sp_sw_har")),
                    help="sp_sw_har folder (default: %(default)s; from $WEARTWIN_SHARED when set)")
    ap.add_argument("--out", default="/tmp/weartwin_bench_har")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--epochs", type=int, default=0, help="0 = each model's default")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--max-folds", type=int, default=0)
    ap.add_argument("--models", default="rf,dcl,resnet")
    a = ap.parse_args()
    from ml import train

    seeds = [int(s) for s in a.seeds.split(",")]
    common = dict(data=[a.data], seeds=seeds, max_folds=a.max_folds, progress=False, window=2.0, stride=1.0,
                  fps=50.0)
    rows = []
    for model in a.models.split(","):
        extra = {} if model == "rf" else dict(device=a.device, **({"epochs": a.epochs} if a.epochs else {}))
        t0 = time.perf_counter()
        m = train(model, out=Path(a.out) / model, log=lambda s: print(s, flush=True), **common, **extra)
        rows.append((model, m, time.perf_counter() - t0))
    print(f"\nLOSO on {Path(a.data).name}: {rows[0][1]['windows']} windows of 2 s, "
          f"{len(rows[0][1]['subjects'])} subjects, classes {rows[0][1]['classes']}, seeds {seeds}")
    print(f"{'model':<6} {'macro-F1 mean ± sd (per subject)':>34} {'pooled':>8} {'wall s':>8}")
    for model, m, sec in rows:
        print(f"{model:<6} {m['macro_f1_mean']:>26.3f} ± {m['macro_f1_std']:.3f} {m['pooled_macro_f1']:>8.3f} "
              f"{sec:>8.1f}")
    summary = {model: {k: m[k] for k in ("macro_f1_mean", "macro_f1_std", "pooled_macro_f1", "per_subject")}
               | {"seconds": sec} for model, m, sec in rows}
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "summary.json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
