"""Linear blend skinning of a vertex subset, as Blender's Armature modifier does it.

The scene holds each influence as a vertex-group weight: `scene/build.py` adds weights > 1e-6
rounded to 4 decimals (float32). The modifier (no envelopes, no preserve-volume) moves a vertex
to co + Σ w_b (M_b·co − co) / Σ w_b when Σ w_b > 1e-4, else leaves it — i.e. normalized weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Patch:
    vertices: np.ndarray   # (N,) mesh vertex indices
    rest: np.ndarray       # (N,3) float64 rest positions (float32 values, as the mesh holds them)
    bones: np.ndarray      # (N,K) bone index per influence (zero-weight slots repeat a used bone)
    weights: np.ndarray    # (N,K) normalized weights, 0 where there is no influence; rows sum to 1
    moves: np.ndarray      # (N,) bool: False for a vertex no bone moves (total weight <= 1e-4)

    def used_bones(self) -> np.ndarray:
        return np.unique(self.bones[self.weights > 0])


def patch(asset, vertices) -> Patch:
    v = np.asarray(vertices, dtype=np.int64).reshape(-1)
    w = asset.weights[v].astype(np.float64)
    w = np.where(w > 1e-6, np.round(w, 4), 0.0).astype(np.float32).astype(np.float64)
    bones = asset.weight_bones[v].astype(np.int64)
    total = w.sum(axis=1, keepdims=True)
    moves = total[:, 0] > 1e-4
    w = np.where(moves[:, None], w / np.where(moves[:, None], total, 1.0), 0.0)
    first = bones[np.arange(len(v)), np.argmax(w, axis=1)]
    bones = np.where(w > 0, bones, first[:, None])
    return Patch(vertices=v, rest=asset.vertices[v].astype(np.float64), bones=bones, weights=w, moves=moves)


def site_patch(asset, sites) -> Patch:
    """Three points per IMU site, in order: skin vertices (`site.vertices`), or for a site rigid on
    a bone (`site.rigid_bone` >= 0: joint sites) its three rest points with weight 1 on that bone."""
    p = patch(asset, [max(i, 0) for s in sites for i in s.vertices])
    rows = [3 * k + i for k, s in enumerate(sites) if s.rigid_bone >= 0 for i in range(3)]
    if rows:
        pts = np.array([q for s in sites if s.rigid_bone >= 0 for q in s.points], dtype=np.float64)
        bones = np.array([s.rigid_bone for s in sites if s.rigid_bone >= 0 for _ in range(3)], dtype=np.int64)
        p.vertices[rows] = -1
        p.rest[rows] = pts
        p.bones[rows] = bones[:, None]
        p.weights[rows] = 0.0
        p.weights[rows, 0] = 1.0
        p.moves[rows] = True
    return p


def skin(p: Patch, M: np.ndarray) -> np.ndarray:
    """(T,N,3) deformed positions in armature space; M: (T,B,3,4) deform matrices (finite at
    least for `p.used_bones()`)."""
    Mw = np.einsum("nk,tnkij->tnij", p.weights, M[:, p.bones])   # blended matrix per vertex
    out = np.einsum("tnij,nj->tni", Mw[..., :3], p.rest) + Mw[..., 3]
    out[:, ~p.moves] = p.rest[~p.moves]
    return out
