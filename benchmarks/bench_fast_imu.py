"""IMU engines side by side: the fast engine (numpy, torch batch) against the Blender engine.

Default run (this machine), printed as one table:
- a 60 s motion (the synthetic mocap-like clip of bench_imu_bake.py, 60 fps, SMPL-H), IMU only,
  default body: end-to-end frames/s of each engine (Blender: fresh scene, keys, per-frame mesh
  evaluation; fast: `Baker.bake` with engine=fast), the ratio, and peak memory of each (each
  engine in its own process: ru_maxrss; tracemalloc peak of the bake itself), and the largest
  difference between the two engines' signals on that clip;
- the torch batch on this CPU (frames/s) for reference;
- with --corpus: `weartwin bake` of the whole shared Bandai corpus (dataset-1 folder +
  dataset-2.zip) × 4 bodies (--vary-body 4), IMU only, --workers 2: wall time and frames.

GPU (no Blender there): --gpu-pack FILE writes the batch inputs (4 bodies' constants and the
clip) as .npz; --gpu FILE runs the torch batch on cuda from it and prints frames/s.
--check MOTION...: both engines on motion files nobody here has seen; largest differences, exit 1
if any exceeds the tolerances of tests/test_fast_imu.py.
Usage: python benchmarks/bench_fast_imu.py [--seconds 60] [--corpus | --corpus-only]
       [--gpu-pack F | --gpu F] [--check MOTION... [--check-seconds 10] [--check-fps 60]]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


WRISTS = ("left_wrist", "right_wrist")


def _motion(seconds: float):
    from bench_imu_bake import synthetic_motion

    return synthetic_motion(seconds)


def one_engine(engine: str, seconds: float) -> dict:
    """Bake the clip with one engine in this (fresh) process; figures as a dict."""
    from addon.bake import Baker
    from addon.body.variants import BodyVariant
    from addon.config import BakeConfig

    m = _motion(seconds)
    baker = Baker(BakeConfig(sensors=("imu",), engine=engine))
    v = BodyVariant("", "anny", {}, 1.7)
    runs = []
    reps = 1 if engine == "blender" else 5
    baker.bake(m.replace(rotations=m.rotations[:120], trans=m.trans[:120]), v)  # body cache, imports
    for _ in range(reps):
        t0 = time.perf_counter()
        rec = baker.bake(m, v)
        runs.append(time.perf_counter() - t0)
    tracemalloc.start()
    baker.bake(m, v) if engine == "fast" else None
    peak = tracemalloc.get_traced_memory()[1] if engine == "fast" else None
    tracemalloc.stop()
    np.savez(f"/tmp/bench_fast_imu_{engine}_{os.getpid()}.npz",
             **{f"{s}.{k}": rec.imu[s][k] for s in rec.imu for k in ("acc", "gyro")}, joints=rec.pose["joints"])
    return {"engine": engine, "frames": len(rec.t), "best_s": min(runs), "median_s": float(np.median(runs)),
            "tracemalloc_peak_mb": None if peak is None else peak / 1e6,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "signals": f"/tmp/bench_fast_imu_{engine}_{os.getpid()}.npz"}


def run_child(engine: str, seconds: float) -> dict:
    r = subprocess.run([sys.executable, __file__, "--child", engine, "--seconds", str(seconds)],
                       capture_output=True, text=True, cwd=ROOT)
    if r.returncode:
        raise SystemExit(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def torch_cpu(seconds: float) -> float:
    from addon.bake import Baker
    from addon.body.variants import BodyVariant
    from addon.config import BakeConfig

    m = _motion(seconds)
    baker = Baker(BakeConfig(sensors=("imu",), device="cpu"))
    pairs = [(m, BodyVariant("", "anny", {}, 1.7))] * 4
    baker.bake_many(pairs[:1], use_torch=True)
    t0 = time.perf_counter()
    recs = baker.bake_many(pairs, use_torch=True)
    return sum(len(r.t) for r in recs) / (time.perf_counter() - t0)


def _corpus_shard(args) -> dict:
    """One worker: bake its clips on the 4 fixed bodies (fast engine, numpy), write the exports."""
    inputs, out, sites = args
    from addon.bake import Baker, BakeResult
    from addon.body.variants import BodyVariant, variants_for
    from addon.config import BakeConfig
    from addon.motion import load_motion

    baker = Baker(BakeConfig(sensors=("imu",), imu_sites=sites))
    bodies = [BodyVariant("", "anny", {}, 1.7)] + variants_for("bandai-bench", "anny", 1.7, 3, 0)
    res, failed, load_s = BakeResult(), 0, 0.0
    cpu0 = time.process_time()
    for i, path in enumerate(inputs):
        try:
            t0 = time.perf_counter()
            m = load_motion(path)
            load_s += time.perf_counter() - t0
            for k, v in enumerate(bodies):
                rec = baker.bake(m, v)
                named = BodyVariant(f"body{k}", v.model, v.params, v.height)
                baker.write_outputs(rec, path, Path(out) / f"{i:05d}_{os.getpid()}", named, res)
        except Exception as e:  # noqa: BLE001
            failed += 1
            print(f"FAILED {path}: {e}", file=sys.stderr)
    return {"frames": res.frames, "files": len(res.outputs), "failed": failed, "load_s": load_s,
            "cpu_s": time.process_time() - cpu0}


def corpus(workers: int = 2, sites=WRISTS) -> dict:
    """The whole shared Bandai corpus (dataset-1 folder + dataset-2.zip) x 4 fixed bodies (the
    default Anny and 3 seeded phenotypes), IMU only, default 60 fps out, `workers` processes,
    the Python batch API (one Baker per process: no Blender, bodies built once)."""
    import multiprocessing as mp
    import shutil

    from headless.items import expand_inputs

    from benchmarks.shared_data import shared_data

    shared = shared_data("bvh", "bandai_namco")       # $WEARTWIN_SHARED, else ../shared
    out = Path("/tmp/bench_fast_imu_corpus")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    inputs = [str(it.input) for it in expand_inputs([str(shared / "dataset-1"), str(shared / "dataset-2.zip")])]
    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(workers) as pool:
        parts = pool.map(_corpus_shard, [(inputs[k::workers], str(out), tuple(sites)) for k in range(workers)])
    wall = time.perf_counter() - t0
    shutil.rmtree(out, ignore_errors=True)
    return {"wall_s": wall, "clips": len(inputs), "frames": sum(p["frames"] for p in parts),
            "files": sum(p["files"] for p in parts), "failed": sum(p["failed"] for p in parts),
            "load_s": sum(p["load_s"] for p in parts), "cpu_s": sum(p["cpu_s"] for p in parts),
            "load_avg": os.getloadavg()}


def float32_effect(rec, fps: float) -> dict:
    """How far rounding this recording's own patch vertices (armature space, as Blender stores its
    mesh) to float32 moves its IMU: the resolution an engine comparison can ask for."""
    from addon.bake import site_imu

    out = {"acc": 0.0, "gyro": 0.0, "coord": 0.0}
    for s in rec.imu:
        p, off = rec.debug["site_vertices"][s], rec.debug["offset"]
        p32 = (p - off).astype(np.float32).astype(np.float64) + off
        acc, gyro, _ = site_imu(rec.debug["sites"][s], p32, fps, rec.debug["imu_filter"])
        out["acc"] = max(out["acc"], np.abs(acc - rec.imu[s]["acc"]).max())
        out["gyro"] = max(out["gyro"], np.abs(gyro - rec.imu[s]["gyro"]).max())
        out["coord"] = max(out["coord"], np.abs(p - off).max())
    return out


def check(files, seconds: float, fps: float) -> int:
    """Both engines on motions you bring (an independent check): largest differences per file,
    absolute and as multiples of what float32 rounding alone does (`float32_effect`). Verdict:
    vertices/joints within 16 float32 ulps of the largest coordinate, IMU within 30x the
    rounding effect (the bounds of tests/test_fast_imu.py)."""
    from addon.bake import Baker
    from addon.body.variants import BodyVariant
    from addon.config import BakeConfig
    from addon.motion import load_motion

    engines = {e: Baker(BakeConfig(sensors=("imu",), fps=fps, engine=e)) for e in ("blender", "fast")}
    bad = 0
    print(f"{'file':44s} {'frames':>6s} {'vertices m':>10s} {'joints m':>9s} {'acc m/s²':>9s} {'(x f32)':>7s} "
          f"{'gyro rad/s':>10s} {'(x f32)':>7s}")
    for f in files:
        m = load_motion(f)
        n = min(m.n_frames, int(round(seconds * m.fps)) + 1) if seconds > 0 else m.n_frames
        m = m.replace(rotations=m.rotations[:n], trans=m.trans[:n])
        v = BodyVariant("", "anny", {}, 1.7)
        b, q = engines["blender"].bake(m, v), engines["fast"].bake(m, v)
        r = float32_effect(q, fps)
        pos = max(np.abs(b.debug["site_vertices"][s] - q.debug["site_vertices"][s]).max() for s in b.imu)
        joints = float(np.abs(b.pose["joints"] - q.pose["joints"]).max())
        acc = max(np.abs(b.imu[s]["acc"] - q.imu[s]["acc"]).max() for s in b.imu)
        gyro = max(np.abs(b.imu[s]["gyro"] - q.imu[s]["gyro"]).max() for s in b.imu)
        ulp = 16 * 2.0 ** -23 * max(1.0, r["coord"], float(np.abs(q.pose["joints"]).max()))
        ok = pos < ulp and joints < ulp and acc < 30 * r["acc"] and gyro < 30 * r["gyro"]
        bad += not ok
        print(f"{str(f)[-44:]:44s} {len(b.t):6d} {pos:10.1e} {joints:9.1e} {acc:9.1e} {acc / r['acc']:7.1f} "
              f"{gyro:10.1e} {gyro / r['gyro']:7.1f}  {'ok' if ok else 'DIFFERENT'}")
    return 1 if bad else 0


# --- GPU ------------------------------------------------------------------------------------
def gpu_pack(path: Path, seconds: float, sites=WRISTS) -> None:
    from addon.bake import Baker, _foot_vertices
    from addon.body.variants import BodyVariant, variants_for
    from addon.config import BakeConfig
    from addon.skinning.batch import body_pack
    from addon.skinning.engine import first_frame_offset
    from addon.skinning.lbs import site_patch

    baker = Baker(BakeConfig(sensors=("imu",), engine="fast", imu_sites=tuple(sites)))
    m = baker.prepare(_motion(seconds), BodyVariant("", "anny", {}, 1.7))[0]
    arrays = {"rotations": m.rotations[:, :22], "trans": m.trans, "fps": m.fps}
    for k, v in enumerate([BodyVariant("", "anny", {}, 1.7)] + variants_for("bench", "anny", 1.7, 3, 0)):
        _, v, asset, align = baker.prepare(m, v)
        sites, _ = baker._static(asset, align)
        p = body_pack(asset, align, site_patch(asset, sites))
        for f in p.__dataclass_fields__:
            arrays[f"b{k}.{f}"] = getattr(p, f)
        arrays[f"b{k}.offset"] = first_frame_offset(asset, align, m, v.height, _foot_vertices(asset))
        arrays[f"b{k}.scale"] = v.height / (m.source_height or 1.7)
        rec = baker.bake(m, v)
        arrays[f"b{k}.ref_vertices"] = np.stack([rec.debug["site_vertices"][s.name] for s in sites], 1)
    np.savez_compressed(path, **arrays)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


def gpu_run(path: Path, frames_per_call: int, device: str = "cuda") -> None:
    import torch

    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    from addon.skinning.batch import BodyPack, imu_batch

    d = np.load(path)
    rot, trans, fps = d["rotations"], d["trans"], float(d["fps"])
    T = len(rot)
    n = max(1, frames_per_call // T)
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    print(f"device: {name}; clip {T} frames at {fps:g} fps; {n} clips "
          f"({n * T:,} frames) per call, 4 bodies")
    big_rot, big_trans = np.concatenate([rot] * n), np.concatenate([trans] * n)
    fields = BodyPack.__dataclass_fields__
    for dtype in (torch.float64, torch.float32):
        total_frames, total_s, worst = 0, 0.0, 0.0
        for k in range(4):
            pack = BodyPack(**{f: (int(d[f"b{k}.{f}"]) if f == "n_sites" else d[f"b{k}.{f}"]) for f in fields})
            args = (pack, big_rot, big_trans, [float(d[f"b{k}.scale"])] * n, np.tile(d[f"b{k}.offset"], (n, 1)),
                    [T] * n)
            if k == 0:
                imu_batch(*args, device=device, dtype=dtype)    # warm-up (kernels, allocator)
            sync()
            t0 = time.perf_counter()
            out = imu_batch(*args, device=device, dtype=dtype)
            sync()
            total_s += time.perf_counter() - t0
            total_frames += n * T
            worst = max(worst, np.abs(out["vertices"][:T] - d[f"b{k}.ref_vertices"]).max())
        mem = torch.cuda.max_memory_allocated() / 1e9 if device == "cuda" else float("nan")
        print(f"  {str(dtype):14s} {total_frames / total_s:14,.0f} frames/s (host arrays in, host arrays out; "
              f"peak GPU memory {mem:.1f} GB); sensor vertices vs numpy engine: {worst:.1e} m (the IMU "
              "model then runs on the CPU per clip, as in the bake)")
        if device == "cuda":
            torch.cuda.reset_peak_memory_stats()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--corpus", action="store_true", help="also bake the Bandai corpus × 4 bodies")
    ap.add_argument("--corpus-only", action="store_true", help="only the corpus figure")
    ap.add_argument("--child", choices=("fast", "blender"), help=argparse.SUPPRESS)
    ap.add_argument("--check", nargs="+", metavar="MOTION", help="compare both engines on these motion files")
    ap.add_argument("--check-seconds", type=float, default=10.0, help="crop for --check (0: whole clip)")
    ap.add_argument("--check-fps", type=float, default=60.0)
    ap.add_argument("--sites", default=",".join(WRISTS),
                    help="IMU sites for --corpus/--corpus-only and --gpu-pack (e.g. joints,left_pocket,right_pocket,"
                         "waist_front,waist_right: issue 24's target)")
    ap.add_argument("--gpu-pack", type=Path)
    ap.add_argument("--gpu", type=Path)
    ap.add_argument("--frames-per-call", type=int, default=2_000_000)
    ap.add_argument("--gpu-device", default="cuda", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(one_engine(a.child, a.seconds)))
        return
    if a.check:
        raise SystemExit(check(a.check, a.check_seconds, a.check_fps))
    if a.gpu_pack:
        return gpu_pack(a.gpu_pack, a.seconds, _sites(a.sites))
    if a.gpu:
        return gpu_run(a.gpu, a.frames_per_call, a.gpu_device)
    if a.corpus_only:
        return print_corpus(_sites(a.sites))
    print(f"{a.seconds:g} s motion (synthetic, 60 fps), IMU only (2 wrist sites), default Anny body, "
          f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f} (shared machine)")
    res = {e: run_child(e, a.seconds) for e in ("blender", "fast")}
    b, f = res["blender"], res["fast"]
    print(f"{'engine':10s} {'frames':>7s} {'frames/s':>12s} {'(median)':>10s} {'bake peak (tracemalloc)':>24s} "
          f"{'process maxrss':>15s}")
    for e in ("blender", "fast"):
        r = res[e]
        tm = "-" if r["tracemalloc_peak_mb"] is None else f"{r['tracemalloc_peak_mb']:.0f} MB"
        print(f"{e:10s} {r['frames']:7d} {r['frames'] / r['best_s']:12,.0f} {r['frames'] / r['median_s']:10,.0f} "
              f"{tm:>24s} {r['maxrss_mb']:12.0f} MB")
    print(f"speed-up fast/blender: {b['best_s'] / f['best_s']:.0f}x (best), "
          f"{b['best_s'] / f['median_s']:.0f}x (fast median)")
    sb, sf = np.load(b["signals"]), np.load(f["signals"])
    acc = max(np.abs(sb[k] - sf[k]).max() for k in sb.files if k.endswith(".acc"))
    gyro = max(np.abs(sb[k] - sf[k]).max() for k in sb.files if k.endswith(".gyro"))
    print(f"engines differ by at most: acc {acc:.1e} m/s², gyro {gyro:.1e} rad/s, joints "
          f"{np.abs(sb['joints'] - sf['joints']).max():.1e} m")
    for p in (b["signals"], f["signals"]):
        Path(p).unlink(missing_ok=True)
    print(f"torch batch on this CPU (4 clips): {torch_cpu(a.seconds):,.0f} frames/s "
          "(slower than numpy here; the batch is for GPUs)")
    if a.corpus:
        print_corpus(_sites(a.sites))


def _sites(text: str) -> tuple:
    from addon.config import BakeConfig

    return BakeConfig(imu_sites=tuple(text.split(","))).validated().imu_sites


def print_corpus(sites=WRISTS) -> None:
    from addon.sensors.presets import site_names

    c = corpus(sites=sites)
    print(f"Bandai corpus (dataset-1 + dataset-2.zip: {c['clips']} clips) x 4 bodies, IMU only at "
          f"{len(site_names(sites))} sites ({','.join(sites)}), 60 fps out, "
          f"2 processes: {c['files']} exports, {c['failed']} clips failed, {c['frames']:,} frames in "
          f"{c['wall_s']:.0f} s wall ({c['frames'] / c['wall_s']:,.0f} frames/s; BVH reading "
          f"{c['load_s']:.0f} s of the processes' time)")
    print(f"  CPU time of the baking processes {c['cpu_s']:.0f} s = {c['frames'] / c['cpu_s']:,.0f} frames per CPU-second; "
          f"on 2 otherwise idle cores that is {c['cpu_s'] / 2:.0f} s wall (load average at the end: "
          f"{', '.join(f'{x:.1f}' for x in c['load_avg'])})")


if __name__ == "__main__":
    main()
