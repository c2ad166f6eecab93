"""(b) Does pretraining on WearTwin exports help when real labels are scarce?
(c) Pretraining throughput and time to the final macro-F1.

For each model (SImpHARNet on IMU windows, Multi3Net+): LOSO on real data with a share of the
labelled training windows (default 10%), once without pretraining and once pretrained on
--sim exports (made by benchmarks/make_sim_exports.py: the shared clips on several body
shapes). Then a raw throughput measurement of one pretraining step at a fixed batch size.

    python benchmarks/make_sim_exports.py --out /tmp/sim
    python benchmarks/bench_pretrain.py --sim /tmp/sim/exports [--device cuda]
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


def throughput(model: str, device: str, batch: int, steps: int = 30) -> float:
    """Pretraining windows per second: forward + backward + AdamW step, AMP on CUDA."""
    import torch

    from ml.models import Multi3Net, SImpHARNet
    from ml.training.loop import pick_device

    dev = pick_device(device)
    W = 100
    if model == "simpharnet":
        net = SImpHARNet(6, 5).to(dev)
        args = (torch.randn(batch, W, 6, device=dev), torch.randn(batch, 384, device=dev),
                torch.arange(batch, device=dev) % 8)
        step = lambda: net.contrastive_loss(*args)   # noqa: E731
    else:
        net = Multi3Net(2, 6, 5).to(dev)
        args = (torch.randn(batch, W, 12, device=dev), torch.randn(batch, W, 22, 6, device=dev),
                torch.randn(batch, 384, device=dev), torch.arange(batch, device=dev) % 8)
        step = lambda: net.pretrain_losses(*args)["total"]   # noqa: E731
    opt = torch.optim.AdamW(net.parameters(), 1e-3)
    amp = dev.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=amp)

    def one():
        with torch.autocast(device_type=dev.type, dtype=torch.float16, enabled=amp):
            loss = step()
        opt.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    for _ in range(3):
        one()
    if amp:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        one()
    if amp:
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - t0)


def time_to_final(results: list[dict]) -> float:
    """Mean seconds per fold until the kept (best) checkpoint: pretraining (when it ran in
    this fold) plus fine-tuning epochs up to the best one."""
    out = []
    for r in results:
        h = r["history"]
        ft = h.get("finetune", {})
        n = max(1, len(ft.get("loss", [])))
        t = ft.get("seconds", 0) * (ft.get("best_epoch", n - 1) + 1) / n
        out.append(t + h.get("pretrain", {}).get("seconds", 0))
    return sum(out) / max(1, len(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(shared_data("imu", "sp_sw_har")),
                    help="sp_sw_har folder (default: %(default)s; from $WEARTWIN_SHARED when set)")
    ap.add_argument("--sim", required=True, help="WearTwin export folder(s), comma-separated")
    ap.add_argument("--out", default="/tmp/weartwin_bench_pretrain")
    ap.add_argument("--models", default="simpharnet,multi3net")
    ap.add_argument("--fractions", default="0.1")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--pretrain-epochs", type=int, default=30)
    ap.add_argument("--max-folds", type=int, default=0)
    ap.add_argument("--calibrate", default="none")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--batch", type=int, default=256, help="batch size of the throughput measurement")
    a = ap.parse_args()
    from ml import train

    fr = [float(x) for x in a.fractions.split(",")]
    seeds = [int(s) for s in a.seeds.split(",")]
    rows = []
    for model in a.models.split(","):
        inputs = {"inputs": "imu"} if model == "simpharnet" else {}
        for pre in (False, True):
            t0 = time.perf_counter()
            out = Path(a.out) / f"{model}_{'pre' if pre else 'scratch'}"
            m = train(model, out=out, log=lambda s: print(s, flush=True), data=[a.data], sim=a.sim.split(",") if pre else [],
                      label_fractions=fr, seeds=seeds, epochs=a.epochs, pretrain_epochs=a.pretrain_epochs,
                      max_folds=a.max_folds, calibrate=a.calibrate, device=a.device, progress=False, **inputs)
            results = [json.loads(p.read_text()) for p in out.glob("folds/*/*/*/result.json")]
            pre_sps = [r["history"]["pretrain"]["samples_per_s"] for r in results if "pretrain" in r["history"]]
            rows.append((model, pre, m, time.perf_counter() - t0, time_to_final(results),
                         sum(pre_sps) / len(pre_sps) if pre_sps else None))
    print(f"\nLOSO on {Path(a.data).name}, labelled share {fr}, seeds {seeds}, sim {a.sim}")
    print(f"{'model':<11} {'pretrained':>10} {'fraction':>8} {'macro-F1 mean ± sd':>20} {'pooled':>7} "
          f"{'to final s/fold':>15} {'pretrain win/s':>14} {'wall s':>7}")
    for model, pre, m, sec, ttf, sps in rows:
        for f, s in m["sweep"].items():
            print(f"{model:<11} {str(pre):>10} {f:>8} {s['macro_f1_mean']:>12.3f} ± {s['macro_f1_std']:.3f} "
                  f"{s['pooled_macro_f1']:>7.3f} {ttf:>15.1f} {sps or 0:>14.0f} {sec:>7.0f}")
    print(f"\nthroughput of one pretraining step, batch {a.batch}:")
    for model in a.models.split(","):
        print(f"  {model}: {throughput(model, a.device, a.batch):.0f} windows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
