"""Impedance (Pose2Imp) bake throughput, with and without soft body, beside the bare loop.

Prints, for a synthetic 60 s motion on the default Anny body (13,718 vertices):
- bare Blender loop (frame_set + evaluated-mesh read) of the same scene, frames/s
- IMU + impedance bake, end to end and frame loop only, frames/s (targets: >= 60 without soft
  body, >= 15 with soft body on a 2-core machine)
- the same with --softbody, and the bare loop of the soft-body scene
- shortest-path search on one frame's graph: scipy.sparse.csgraph.dijkstra vs networkx
Usage: python benchmarks/bench_impedance.py [--seconds 60]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_imu_bake import bare_loop, synthetic_motion  # noqa: E402


def dijkstra_comparison(repeats: int = 10) -> tuple[float, float, float, float]:
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    from addon.body.variants import BodyLibrary, BodyVariant
    from addon.sensors.impedance.electrodes import resolve_pairs
    from addon.sensors.impedance.simulate import body_graph

    asset, align = BodyLibrary().get(BodyVariant("", "anny", {}, 1.7))
    g, areas = body_graph(asset)
    (_, ea, eb), = resolve_pairs(asset, ["wrist_wrist"], {}, align, areas)
    v = asset.vertices
    contacts = g.contacts(v, 0.01)
    contact_len = np.linalg.norm(v[contacts[:, 0]] - v[contacts[:, 1]], axis=1)
    G = g._matrix(g._lengths(v), contacts, contact_len, set())
    t0 = time.perf_counter()
    for _ in range(repeats):
        d = dijkstra(G, directed=True, indices=ea.vertices, min_only=True)
    t_sp = (time.perf_counter() - t0) / repeats
    L_sp = d[eb.vertices].min()
    coo = G.tocoo()
    t0 = time.perf_counter()
    nxg = nx.Graph()
    nxg.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    dist = nx.multi_source_dijkstra_path_length(nxg, set(ea.vertices.tolist()))
    t_nx = time.perf_counter() - t0
    L_nx = min(dist[int(b)] for b in eb.vertices)
    assert abs(L_nx - L_sp) < 1e-6
    return t_sp, t_nx, t_build, G.nnz


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    a = ap.parse_args()
    from addon.bake import Baker
    from addon.body.variants import BodyVariant
    from addon.config import BakeConfig

    variant = BodyVariant("", "anny", {}, 1.7)
    m = synthetic_motion(a.seconds)
    print(f"motion: {a.seconds:g} s at 60 Hz, Anny body (13,718 vertices), sensors imu,impedance (wrist_wrist, 50 kHz)")
    for soft in (False, True):
        baker = Baker(BakeConfig(sensors=("imu", "impedance"), softbody=soft))
        baker.bake(synthetic_motion(1.0), variant)  # warm-up: imports, body asset, chords cache
        t0 = time.perf_counter()
        rec = baker.bake(m, variant)
        full = len(rec.t) / (time.perf_counter() - t0)
        loop = len(rec.t) / rec.meta["timings"]["frames_s"]
        bare = bare_loop(len(rec.t))
        label = "with soft body   " if soft else "without soft body"
        target = 15 if soft else 60
        print(f"{label}: bare loop {bare:7.1f} frames/s | bake end to end {full:6.1f} frames/s "
              f"(loop only {loop:6.1f}) | target >= {target}: {'met' if full >= target else 'NOT met'} | "
              f"path searches/frame {rec.meta['timings']['impedance_path_searches'] / len(rec.t):.2f}")
    t_sp, t_nx, t_build, nnz = dijkstra_comparison()
    print(f"shortest path on one frame's graph ({nnz} directed edges, multi-source): "
          f"scipy.sparse.csgraph {1e3 * t_sp:.1f} ms, networkx {1e3 * t_nx:.1f} ms "
          f"(+{1e3 * t_build:.0f} ms to build its graph) -> {t_nx / t_sp:.0f}x; scipy is used")


if __name__ == "__main__":
    main()
