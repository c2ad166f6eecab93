"""Tissue cross-sections per vertex, measured once on the rest mesh and carried by the skinning.

Every skin vertex gets the area of the body's cross-section where it sits: the vertices of one
bone (by dominant skin weight) are binned along the bone's axis (1.5 cm bins); a bin's area is
π·r̃², r̃ the median distance of its vertices from the axis (capped at `MAX_REACH`: the trunk
counts as a conductor at most 30 cm across); bins are interpolated along the axis and the
log-area is smoothed over mesh neighbours so that it runs continuously across joints.

Fold model: tissue volume is conserved through a fold, so the conducting cross-section at a
joint keeps its rest value whatever the joint angle; what a fold changes is the path, which
crosses a joint over the skin of its inner side (interior chords never join two segments, see
`simulate.body_graph`). Ray casts on the deformed mesh, which read a few millimetres across a
folded elbow (skin pressed into itself under linear blend skinning) and flicker frame to
frame, are not used.
"""
from __future__ import annotations

import numpy as np

from ...body.asset import BodyAsset

MAX_REACH = 0.15   # m: largest radius counted
MIN_AREA = 2e-4    # m² (2 cm², a finger): floor
BIN = 0.015        # m along the bone axis


def tube_areas(vertices: np.ndarray, origin: np.ndarray, axis: np.ndarray, bin_width: float = BIN) -> np.ndarray:
    """Per-vertex cross-section (m²) of a tube of vertices around the line origin + s·axis."""
    v = np.asarray(vertices, np.float64)
    a = np.asarray(axis, np.float64) / np.linalg.norm(axis)
    rel = v - origin
    s = rel @ a
    r = np.minimum(np.linalg.norm(rel - np.outer(s, a), axis=1), MAX_REACH)
    k = np.floor((s - s.min()) / bin_width).astype(np.int64)
    nb = int(k.max()) + 1
    order = np.argsort(k, kind="stable")
    starts = np.searchsorted(k[order], np.arange(nb))
    ends = np.searchsorted(k[order], np.arange(nb), side="right")
    med = np.array([np.median(r[order[b:e]]) if e > b else np.nan for b, e in zip(starts, ends)])
    centre = s.min() + (np.arange(nb) + 0.5) * bin_width
    ok = np.isfinite(med)
    rr = np.interp(s, centre[ok], med[ok])
    return np.maximum(np.pi * rr ** 2, MIN_AREA)


def _neighbours(faces: np.ndarray, n: int):
    import scipy.sparse as sp

    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    A = sp.coo_matrix((np.ones(len(e) * 2), (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n, n)).tocsr()
    A.data[:] = 1.0
    deg = np.asarray(A.sum(1)).ravel()
    return A, np.maximum(deg, 1)


def smooth_on_mesh(values: np.ndarray, faces: np.ndarray, iterations: int = 6) -> np.ndarray:
    A, deg = _neighbours(np.asarray(faces), len(values))
    x = np.asarray(values, np.float64).copy()
    for _ in range(iterations):
        x = 0.5 * x + 0.5 * (A @ x) / deg
    return x


def rest_areas(asset: BodyAsset) -> np.ndarray:
    """(V,) cross-section area (m²) of the rest body at each vertex."""
    v = asset.vertices.astype(np.float64)
    heads = asset.bone_heads.astype(np.float64)
    parents = np.asarray(asset.bone_parents)
    dominant = asset.weight_bones[np.arange(len(v)), np.argmax(asset.weights, axis=1)]
    area = np.full(len(v), np.nan)
    for b in np.unique(dominant):
        ids = np.nonzero(dominant == b)[0]
        kids = np.nonzero(parents == b)[0]
        tip = None
        for c in kids:  # the child farthest away sets the axis (the limb, not a side branch)
            if tip is None or np.linalg.norm(heads[c] - heads[b]) > np.linalg.norm(tip - heads[b]):
                tip = heads[c]
        if tip is None or np.linalg.norm(tip - heads[b]) < 0.01:
            tip = asset.bone_tails[b].astype(np.float64)
        axis = tip - heads[b]
        if len(ids) < 3 or np.linalg.norm(axis) < 1e-6:
            continue
        area[ids] = tube_areas(v[ids], heads[b], axis)
    if np.isnan(area).any():
        area[np.isnan(area)] = np.nanmedian(area)
    return np.exp(smooth_on_mesh(np.log(area), asset.faces))
