"""IMU-only bake throughput vs the bare Blender loop, and peak memory.

Prints, for a synthetic 60 s motion (mocap-like random joint motion) on the default Anny body:
- bare loop: frame_set + evaluated-mesh read (foreach_get), frames/s
- full IMU bake (keys, normalization, per-frame read, sensor maths), frames/s, and the ratio
- peak resident memory of a 10-minute bake (streamed: meshes are not kept)
Usage: python benchmarks/bench_imu_bake.py [--seconds 60] [--long-minutes 10]
"""
from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def synthetic_motion(seconds: float, fps: float = 60.0):
    from addon.motion import Motion
    from addon.motion.procedural import UPRIGHT
    from addon.motion.skeleton import SKELETONS

    T = int(seconds * fps) + 1
    t = np.arange(T) / fps
    rng = np.random.default_rng(0)
    rot = np.zeros((T, 52, 3))
    for j in range(1, 22):
        for k in range(3):
            f = rng.uniform(0.2, 1.5)
            rot[:, j, k] = 0.3 * np.sin(2 * np.pi * f * t + rng.uniform(0, 6))
    rot[:, 0] = UPRIGHT
    trans = np.stack([0.3 * np.sin(0.2 * t), 0.5 * t / seconds, np.zeros(T)], -1)
    return Motion(rotations=rot, trans=trans, fps=fps, joint_names=SKELETONS["smplh"])


def bare_loop(n_frames: int) -> float:
    import bpy

    body = next(o for o in bpy.data.objects if o.get("weartwin_role") == "body")
    scene = bpy.context.scene
    dg = bpy.context.evaluated_depsgraph_get()
    buf = np.empty(len(body.data.vertices) * 3, np.float32)
    t0 = time.perf_counter()
    for f in range(n_frames):
        scene.frame_set(f)
        body.evaluated_get(dg).data.vertices.foreach_get("co", buf)
    return n_frames / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--long-minutes", type=float, default=10.0)
    ap.add_argument("--sensors", default="imu")
    a = ap.parse_args()
    from addon.bake import Baker
    from addon.body.variants import BodyVariant
    from addon.config import BakeConfig

    baker = Baker(BakeConfig(sensors=tuple(a.sensors.split(","))))
    variant = BodyVariant("", "anny", {}, 1.7)
    m = synthetic_motion(a.seconds)
    baker.bake(synthetic_motion(2.0), variant)  # warm-up: imports, body asset
    t0 = time.perf_counter()
    rec = baker.bake(m, variant)
    full = len(rec.t) / (time.perf_counter() - t0)
    loop_only = len(rec.t) / rec.meta["timings"]["frames_s"]
    bare = bare_loop(len(rec.t))
    print(f"motion: {a.seconds:g} s at 60 Hz = {len(rec.t)} frames, Anny body (13,718 vertices), sensors={a.sensors}")
    print(f"bare Blender loop (frame_set + evaluated mesh read): {bare:8.1f} frames/s")
    print(f"bake, frame loop only                               : {loop_only:8.1f} frames/s")
    print(f"bake, end to end (setup + loop + sensor maths)      : {full:8.1f} frames/s "
          f"({100 * full / bare:.0f}% of the bare loop)")
    if a.long_minutes > 0:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        long = synthetic_motion(a.long_minutes * 60)
        t0 = time.perf_counter()
        rec = baker.bake(long, variant)
        dt = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{a.long_minutes:g}-minute motion ({len(rec.t)} frames): {len(rec.t) / dt:.1f} frames/s, "
              f"peak RSS {peak:.0f} MiB (before: {before:.0f} MiB)")


if __name__ == "__main__":
    main()
