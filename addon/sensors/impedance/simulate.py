"""The impedance sensor in the bake loop: per frame, for each electrode pair, the body as a small
electrical network (see `tissue.py` for the formula and the literature values).

- Body path: Dijkstra through the deformed mesh (surface edges and interior chords), each edge
  weighted by its resistance per ρ, ds·mean(1/A), with A the rest cross-section of the tissue
  at its ends, carried by the skinning (`sections.py`: no ray casts, so no collapse at folds
  and no flicker). Interior chords join vertices of one body segment only; joints are crossed
  over the skin. The path's weight is K_body = Σ ds/A.
- Contact: skin of two non-adjacent segments closer than `--contact-distance` (default 2 mm;
  0 turns contact off), its area weighted by how close each vertex is. The best contact opens
  a parallel branch: from where it leaves the body path (on the electrode-A side's shortest
  path tree), through the contact, to where it rejoins (electrode-B side), so the shared tissue
  is counted once. A contact can only lower |Z|.
Cross-section ray casts (`cross_sections`, `path_impedance_inputs`) are kept for checks.
"""
from __future__ import annotations

import numpy as np

from ...body.asset import BodyAsset
from .electrodes import resolve_pairs, vertex_areas
from .graph import BodyGraph, segment_labels
from .sections import rest_areas
from .tissue import TissueModel, geometry_factor, magnitude_phase, resample_polyline, tissue_model_for

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
        chords = _chords(asset)
        chords = chords[labels[chords[:, 0]] == labels[chords[:, 1]]]  # no chord across a joint
        g = BodyGraph(asset.vertices, asset.faces, labels, names, chords=chords)
        g.set_areas(rest_areas(asset))
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


def _fill_nearest(x: np.ndarray) -> np.ndarray:
    """NaN/inf entries filled from the nearest finite one (none finite: unchanged)."""
    x = np.asarray(x, dtype=np.float64).copy()
    ok = np.nonzero(np.isfinite(x))[0]
    if len(ok) in (0, len(x)):
        return x
    pos = np.clip(np.searchsorted(ok, np.arange(len(x))), 1, len(ok) - 1) if len(ok) > 1 else np.zeros(len(x), int)
    if len(ok) > 1:
        left, right = ok[pos - 1], ok[pos]
        near = np.where(np.abs(np.arange(len(x)) - left) <= np.abs(right - np.arange(len(x))), left, right)
    else:
        near = np.full(len(x), ok[0])
    return x[near]


def _walk(pred: np.ndarray, node: int) -> list[int]:
    out = [int(node)]
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return out


def _merge(pred: np.ndarray, start: int, on_path: set) -> int:
    """First vertex of the shortest-path tree's way from `start` back to its root that lies on
    the body path (where a contact branch leaves it)."""
    node = int(start)
    while node not in on_path and pred[node] >= 0:
        node = int(pred[node])
    return node


CONTACT_RESOLUTION = 1e-4  # m²: about one vertex's skin area on the Anny mesh
CONTACT_SETTLING = 0.1     # s: time constant of a contact's settling


def effective_contact_area(area: np.ndarray, fps: float) -> np.ndarray:
    """Contact areas (T,) as they conduct: below the mesh's resolution (about one vertex area)
    a contact is ramped in, A²/(A + A₀); then the area settles with a time constant of
    `CONTACT_SETTLING` (causal first-order lag: skin pressed on skin conducts fully only after
    it has settled, and the mesh's contact area jumps by whole vertices from frame to frame)."""
    a = np.asarray(area, dtype=np.float64)
    a = a * a / (a + CONTACT_RESOLUTION)
    alpha = 1.0 - np.exp(-1.0 / (fps * CONTACT_SETTLING))
    from scipy.signal import lfilter
    return lfilter([alpha], [1.0, alpha - 1.0], a) if len(a) else a


CONTACT_MIN = 1e-6  # m² (0.01 cm²): below this a settling contact no longer counts


class ImpedanceSimulator:
    """Collects per-frame circuit geometry; `finish()` turns it into |Z|, phase and length arrays."""

    needs_bvh = False  # the circuit uses rest cross-sections: no per-frame BVH

    def __init__(self, asset: BodyAsset, cfg, alignment=None, model: TissueModel | None = None):
        self.cfg = cfg
        self.model = model or tissue_model_for(getattr(cfg, "electrode_type", "gel"))
        self.graph, self.areas = body_graph(asset)
        self.pairs = resolve_pairs(asset, cfg.electrodes, getattr(cfg, "electrode_defs", None) or {},
                                   alignment, self.areas)
        self.rows: dict[str, list] = {p: [] for p, _, _ in self.pairs}
        self.paths: dict[str, list] = {p: [] for p, _, _ in self.pairs}
        self._last: dict[str, float] = {}
        self.searches = 0
        g = self.graph
        self._route = {p: g.segment_route(set(g.labels[a.vertices].tolist()), set(g.labels[b.vertices].tolist()))
                       for p, a, b in self.pairs}
        self._z50 = (self.model.tissue.resistivity(50e3), None if self.model.skin_contact is None
                     else self.model.skin_contact.specific(50e3))

    def _branch(self, g: dict, dA, pA, dB, pB, path_a: set, path_b: set, K: float):
        """(K_shared, K_contact) of a contact group's branch, or None."""
        best = None
        for s1, s2 in ((g["a"], g["b"]), (g["b"], g["a"])):
            P = s1[np.argmin(dA[s1])]
            Q = s2[np.argmin(dB[s2])]
            if not (np.isfinite(dA[P]) and np.isfinite(dB[Q])):
                continue
            ma, mb = _merge(pA, P, path_a), _merge(pB, Q, path_b)
            k1, k3 = float(dA[ma]), float(dB[mb])
            if k1 + k3 > K:  # the branch would leave after it rejoins: plain parallel path
                k1 = k3 = 0.0
            kc = float(dA[P] - k1 + dB[Q] - k3) + 1.0 / (2 * np.sqrt(g["area"] / np.pi))
            cand = (k1 + k3, kc)
            if best is None or sum(cand) < sum(best):
                best = cand
        return best

    def on_frame(self, f: int, v: np.ndarray, bvh=None, normals: np.ndarray | None = None) -> None:
        g = self.graph
        cd = float(self.cfg.contact_distance)
        groups = g.contact_groups(v, cd, self.areas) if cd > 0 else []
        for name, ea, eb in self.pairs:
            hint = self._last.get(name)
            segs = set(self._route[name])
            for grp in groups:
                segs |= {g.segment_names.index(x) for x in grp["segments"]}
            mask = g.edge_mask(segs)
            limit = None if groups or hint is None else 1.2 * hint + 5.0
            dA, pA = g.k_tree(v, ea.vertices, limit, mask)
            self.searches += 1
            if not (dA[eb.vertices] < 1e8).any():
                dA, pA = g.k_tree(v, ea.vertices)
                self.searches += 1
            t = int(eb.vertices[np.argmin(dA[eb.vertices])])
            K = float(dA[t])
            if not np.isfinite(K):
                raise RuntimeError("the electrodes are not connected through the body mesh")
            self._last[name] = K
            nodes = _walk(pA, t)[::-1]
            pts = v[nodes].astype(np.float64)
            L = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())
            ks, kc, ca = 0.0, np.inf, 0.0
            if groups and self.model.skin_contact is not None:
                dB, pB = g.k_tree(v, eb.vertices, None, mask)
                self.searches += 1
                sb = int(ea.vertices[np.argmin(dB[ea.vertices])])
                path_a, path_b = set(nodes), set(_walk(pB, sb))
                rho, zs = self._z50
                best = None
                for grp in groups:
                    br = self._branch(grp, dA, pA, dB, pB, path_a, path_b, K)
                    if br is None:
                        continue
                    score = abs(rho * br[1] + 2 * zs / grp["area"])  # the branch at 50 kHz
                    if best is None or score < best[0]:
                        best = (score, br, grp["area"])
                if best is not None:
                    (ks, kc), ca = best[1], best[2]
            a = g.areas[nodes]
            self.rows[name].append((L, K, ca, float(a.min()), float(a.mean()), float(ca > 0), ks, kc))
            if self.cfg.save_path:
                self.paths[name].append(even_points(pts, PATH_POINTS))

    def finish(self, to_world=None) -> tuple[dict, dict]:
        freqs = np.asarray(self.cfg.frequencies, dtype=np.float64)
        imp, meta = {}, {}
        for name, ea, eb in self.pairs:
            rows = np.array(self.rows[name], dtype=np.float64).reshape(-1, 8)
            L, K, ca, amin, amean, contact, ks, kc = rows.T
            ca = effective_contact_area(ca, float(self.cfg.fps))
            ca = np.where(ca > CONTACT_MIN, ca, 0.0)
            contact = (ca > 0).astype(np.float64)
            # the branch's tissue where the contact was present, at the neighbouring frames too
            had = np.isfinite(kc)
            kc = _fill_nearest(np.where(had, kc, np.nan))
            ks = _fill_nearest(np.where(had, ks, np.nan))
            kc = np.where(np.isfinite(kc), kc, np.inf)
            ks = np.where(np.isfinite(ks), ks, 0.0)
            Z = self.model.impedance(K, freqs, ea.area, eb.area, ca, k_shared=ks, k_contact=kc)
            mag, ph = magnitude_phase(Z)
            if len(freqs) == 1:
                mag, ph = mag[:, 0], ph[:, 0]
            ch = {"mag": mag, "phase": ph, "length": L, "kfactor": K, "area_min": amin,
                  "area_mean": amean, "contact": contact, "contact_area": ca}
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
                          "extra_keys": {"kfactor": "sum(ds/A) along the body path, 1/m",
                                         "area_min": "smallest rest cross-section on the body path, m^2",
                                         "area_mean": "mean rest cross-section on the body path, m^2",
                                         "contact": "1 where skin-to-skin contact opens a parallel branch",
                                         "contact_area": "area of that contact as it conducts, m^2 (weighted "
                                                         "by closeness, settling with a 0.1 s time constant)",
                                         "path": f"(T,{PATH_POINTS},3) body current path in world coordinates, m"
                                                 " (--save-path)"},
                          "path": "least-resistance path through the deformed mesh (edges weighted by ds/A, "
                                  "rest cross-sections carried by the skinning), in parallel with the best "
                                  "skin-to-skin contact branch"}
        return imp, meta
