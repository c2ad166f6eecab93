"""The impedance sensor in the bake loop: per frame, for each electrode pair, the current path
through the deformed body, its cross-sections from BVH ray casts, and the tissue model.

Cross-section at a point of the path (direction t): the skin normal n of the nearest surface
(or any direction ⊥ t inside the body) gives the first chord through the body, its midpoint
the centre for the second chord along t × n; A = π/4 · d1 · d2 (an ellipse; exactly πr² for
a cylinder). Each ray reaches at most `MAX_REACH` m, so the trunk counts as a conductor at most
30 cm across (current does not spread into the legs and head). Single samples are not trusted:
see `robust_areas`.
"""
from __future__ import annotations

import numpy as np

from ...body.asset import BodyAsset
from .electrodes import resolve_pairs, vertex_areas
from .graph import CONTACT, BodyGraph, segment_labels
from .tissue import TissueModel, geometry_factor, magnitude_phase, resample_polyline

MAX_REACH = 0.15       # m per ray
SAMPLE_SPACING = 0.02  # m between cross-sections along the path
MIN_AREA = 2e-4       # m² (2 cm², a finger): floor for any cross-section
PATH_POINTS = 32       # points of the stored path polyline (--save-path)

_GRAPHS: dict[int, tuple[BodyAsset, BodyGraph, np.ndarray]] = {}


CHORD_VERSION = 4  # bump when the chord selection in graph.py changes


def _chord_source(asset: BodyAsset) -> BodyAsset:
    """The rest shape chords are chosen on. Chords are vertex-index pairs, so every Anny variant
    shares those of the default Anny body (same quads, whichever way each quad was split: see
    `body/triangulation.py`; the per-frame ray tests catch any chord a different shape pushes
    outside). Other bodies use their own rest shape."""
    if asset.model == "anny":
        from ...body.anny_body import PACKAGED_DEFAULT
        from ...body.triangulation import same_quads

        default = BodyAsset.load(PACKAGED_DEFAULT)
        if len(default.vertices) == len(asset.vertices) and same_quads(default.faces, asset.faces):
            return default
    return asset


def _chords(asset: BodyAsset) -> np.ndarray:
    """Interior chords of a body, cached on disk (a few seconds to compute)."""
    import hashlib

    from ...body.anny_body import cache_dir

    src = _chord_source(asset)
    h = hashlib.sha256()
    for a in (src.vertices, src.faces):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(str(CHORD_VERSION).encode())
    path = cache_dir() / f"chords-{h.hexdigest()[:16]}.npy"
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        pass
    chords = BodyGraph(src.vertices, src.faces).chords.astype(np.int32)
    try:
        from ...export.atomic import atomic_write

        atomic_write(path, lambda f: np.save(f, chords))
    except OSError:
        pass  # a read-only cache only costs time
    return chords


def body_graph(asset: BodyAsset) -> tuple[BodyGraph, np.ndarray]:
    """The asset's graph and vertex areas, built once per body per process."""
    key = id(asset)
    if key not in _GRAPHS:
        if len(_GRAPHS) > 4:
            _GRAPHS.clear()
        labels, names = segment_labels(asset)
        g = BodyGraph(asset.vertices, asset.faces, labels, names, chords=_chords(asset))
        _GRAPHS[key] = (asset, g, vertex_areas(asset.vertices, asset.faces))
    return _GRAPHS[key][1], _GRAPHS[key][2]


def _ray(bvh, o, d, reach):
    loc, normal, _, dist = bvh.ray_cast(o, d, reach)
    if loc is None:
        return reach, True
    return dist, normal.dot(d) > 0  # an exit: we were inside


def cross_sections(bvh, mids: np.ndarray, tans: np.ndarray, reach: float = MAX_REACH) -> np.ndarray:
    """Area (m²) of the body's cross-section at each path point; NaN where the point is outside."""
    from mathutils import Vector

    out = np.full(len(mids), np.nan)
    for k in range(len(mids)):
        p, t = Vector(mids[k]), Vector(tans[k])
        loc, n, _, dist = bvh.find_nearest(p, 0.004)
        if loc is not None:
            u1 = n - t * n.dot(t)
            o = p - n * 1e-3  # just under the skin
        else:
            u1 = t.orthogonal()
            o = p
        if u1.length < 1e-6:
            u1 = t.orthogonal()
        u1.normalize()
        a, ok_a = _ray(bvh, o, u1, reach)
        b, ok_b = _ray(bvh, o, -u1, reach)
        c = o + u1 * ((a - b) / 2)
        u2 = t.cross(u1).normalized()
        a2, ok_c = _ray(bvh, c, u2, reach)
        b2, ok_d = _ray(bvh, c, -u2, reach)
        if ok_a and ok_b and ok_c and ok_d:
            out[k] = np.pi / 4 * (a + b) * (a2 + b2)
    return out


def robust_areas(areas: np.ndarray, window: int = 7, floor: float = MIN_AREA) -> np.ndarray:
    """Fill samples whose rays failed (outside the body, mesh holes) from their neighbours, then
    a running median over `window` samples (14 cm): rays from skin folded into itself (the inner
    elbow under linear blend skinning) read a few mm across for up to ~3 samples, and must not
    count as a bottleneck; `floor` bounds what is left."""
    areas = np.asarray(areas, dtype=np.float64).copy()
    bad = ~np.isfinite(areas) | (areas <= 0)
    if bad.all():
        return np.full_like(areas, 1e-3)
    if bad.any():
        idx = np.arange(len(areas))
        areas[bad] = np.interp(idx[bad], idx[~bad], areas[~bad])
    if len(areas) >= window:
        h = window // 2
        padded = np.pad(areas, h, mode="edge")
        areas = np.median(np.lib.stride_tricks.sliding_window_view(padded, window), axis=1)
    return np.maximum(areas, floor)


def path_impedance_inputs(bvh, points: np.ndarray, spacing: float = SAMPLE_SPACING):
    """(geometry factor K, areas, length) for one path polyline."""
    L = float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())
    n = max(8, int(np.ceil(L / spacing)))
    mids, tans, ds = resample_polyline(points, n)
    areas = robust_areas(cross_sections(bvh, mids, tans))
    return geometry_factor(areas, ds), areas, L


def even_points(points: np.ndarray, n: int) -> np.ndarray:
    """n points evenly spaced by arc length along a polyline, both ends included."""
    s = np.r_[0.0, np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))]
    q = np.linspace(0, s[-1], n)
    return np.stack([np.interp(q, s, points[:, c]) for c in range(3)], axis=1)


class ImpedanceSimulator:
    """Collects per-frame path geometry; `finish()` turns it into |Z|, phase and length arrays."""

    def __init__(self, asset: BodyAsset, cfg, alignment=None, model: TissueModel | None = None):
        self.cfg = cfg
        self.model = model or TissueModel()
        self.graph, self.areas = body_graph(asset)
        self.pairs = resolve_pairs(asset, cfg.electrodes, getattr(cfg, "electrode_defs", None) or {},
                                   alignment, self.areas)
        self.rows: dict[str, list] = {p: [] for p, _, _ in self.pairs}
        self.paths: dict[str, list] = {p: [] for p, _, _ in self.pairs}
        self._blocked: dict[str, set] = {p: set() for p, _, _ in self.pairs}
        self._last: dict[str, float] = {}
        self.searches = 0

    def on_frame(self, f: int, v: np.ndarray, bvh, normals: np.ndarray | None = None) -> None:
        for name, ea, eb in self.pairs:
            r = self.graph.shortest_path(v, ea.vertices, eb.vertices, bvh, self.cfg.contact_distance,
                                         self.areas, self._blocked[name], self._last.get(name), normals)
            self._blocked[name] = r.blocked
            self._last[name] = r.length
            self.searches += r.searches
            K, areas, L = path_impedance_inputs(bvh, r.points)
            self.rows[name].append((L, K, r.contact_area, float(areas.min()), float(areas.mean()),
                                    float((r.kinds == CONTACT).any())))
            if self.cfg.save_path:
                self.paths[name].append(even_points(r.points, PATH_POINTS))

    def finish(self, to_world=None) -> tuple[dict, dict]:
        freqs = np.asarray(self.cfg.frequencies, dtype=np.float64)
        imp, meta = {}, {}
        for name, ea, eb in self.pairs:
            rows = np.array(self.rows[name], dtype=np.float64).reshape(-1, 6)
            L, K, ca, amin, amean, contact = rows.T
            Z = self.model.impedance(K, freqs, ea.area, eb.area, ca)
            mag, ph = magnitude_phase(Z)
            if len(freqs) == 1:
                mag, ph = mag[:, 0], ph[:, 0]
            ch = {"mag": mag, "phase": ph, "length": L, "kfactor": K, "area_min": amin,
                  "area_mean": amean, "contact": contact}
            if self.cfg.save_path:
                P = np.array(self.paths[name])
                if to_world is not None:
                    R, t = to_world
                    P = P @ np.asarray(R).T + np.asarray(t)
                ch["path"] = P
            imp[name] = ch
            meta[name] = {"a": ea.describe(), "b": eb.describe(), "frequencies_hz": freqs.tolist(),
                          "tissue_model": self.model.describe(),
                          "contact_distance_m": self.cfg.contact_distance,
                          "extra_keys": {"kfactor": "sum(ds/A) along the path, 1/m",
                                         "area_min": "smallest cross-section on the path, m^2",
                                         "area_mean": "mean cross-section on the path, m^2",
                                         "contact": "1 where the path crosses skin-to-skin contact",
                                         "path": f"(T,{PATH_POINTS},3) current path in world coordinates, m"
                                                 " (--save-path)"},
                          "path": "shortest path through the deformed mesh: surface edges, interior "
                                  "chords (BVH ray-tested), contact edges"}
        return imp, meta
