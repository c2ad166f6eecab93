"""The body graph and the per-frame current path through the deformed body.

Nodes are the mesh vertices. Three kinds of edges, all weighted by their current length:
- surface edges of the mesh;
- interior chords: straight segments between two skin vertices that run inside the body
  (precomputed once per body on the rest mesh, 2-12 cm long, pointing inward at both ends,
  checked with `mathutils.bvhtree` ray tests). As the body deforms a chord may leave the body
  (the crease of a bent elbow); chords are therefore validated *lazily* each frame: the
  shortest path is found, every chord on it is ray-tested against the frame's BVH, failing
  chords are dropped and the search repeats (Lazy PRM). Chords that failed on the previous
  frame are re-tested first, so a frame usually needs one or two searches.
- contact edges between vertices of different body segments (hand-hand, hand-chest,
  forearm-thigh, ...) that are closer than the contact distance and were not close at rest.
  Found per frame with k-d trees restricted to where segment bounding boxes overlap.

Dijkstra runs on a `scipy.sparse` CSR matrix (`scipy.sparse.csgraph.dijkstra`, multi-source,
min_only); `benchmarks/bench_impedance.py` measures it against networkx (~20x slower).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from ...body.asset import BodyAsset
from .electrodes import vertex_normals

SURFACE, CHORD, CONTACT = 0, 1, 2
BLOCKED = 1e3  # m: weight of a chord found outside the body this frame (never chosen)

# SMPL joint -> body segment, for contact detection
_SEGMENT_OF = {
    "pelvis": "torso", "spine1": "torso", "spine2": "torso", "spine3": "torso", "neck": "head",
    "head": "head", "left_collar": "torso", "right_collar": "torso",
}
for _s in ("left", "right"):
    _SEGMENT_OF.update({f"{_s}_shoulder": f"{_s}_upperarm", f"{_s}_elbow": f"{_s}_forearm",
                        f"{_s}_wrist": f"{_s}_hand", f"{_s}_hip": f"{_s}_thigh",
                        f"{_s}_knee": f"{_s}_shank", f"{_s}_ankle": f"{_s}_foot", f"{_s}_foot": f"{_s}_foot"})
# segments joined by a joint: their touching skin is not a contact (it is the joint itself)
_ADJACENT = {frozenset(p) for p in [("torso", "head")] + [
    x for s in ("left", "right") for x in (
        ("torso", f"{s}_upperarm"), (f"{s}_upperarm", f"{s}_forearm"), (f"{s}_forearm", f"{s}_hand"),
        ("torso", f"{s}_thigh"), (f"{s}_thigh", f"{s}_shank"), (f"{s}_shank", f"{s}_foot"))]}


def segment_labels(asset: BodyAsset) -> tuple[np.ndarray, list[str]]:
    """Segment index per vertex (from its dominant bone's nearest mapped ancestor)."""
    bone_seg: dict[int, str] = {}
    mapped = {}
    for joint, bones in asset.joint_map.items():
        seg = _SEGMENT_OF.get(joint)
        if seg is None:
            side = joint.split("_")[0]
            seg = f"{side}_hand" if side in ("left", "right") else "torso"  # fingers
        for b in bones:
            if b in asset.bone_names:
                mapped[asset.bone_index(b)] = seg
    for b in range(len(asset.bone_names)):
        a = b
        while a >= 0 and a not in mapped:
            a = int(asset.bone_parents[a])
        bone_seg[b] = mapped.get(a, "torso")
    names = sorted(set(bone_seg.values()))
    dominant = asset.weight_bones[np.arange(len(asset.weights)), np.argmax(asset.weights, axis=1)]
    lut = np.array([names.index(bone_seg[b]) for b in range(len(asset.bone_names))])
    return lut[dominant], names


def surface_edges(faces: np.ndarray) -> np.ndarray:
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    return np.unique(np.sort(e, axis=1), axis=0).astype(np.int64)


def chord_is_inside(bvh, a, b, eps: float = 1e-3) -> bool:
    """True if the segment a-b runs inside the body: cast from just inside each end towards the
    other; the first surface hit must be at the far end and be an exit (normal along the ray)."""
    from mathutils import Vector

    a, b = Vector(a), Vector(b)
    d = b - a
    L = d.length
    if L < 3 * eps:
        return True
    u = d / L
    for o, dirn in ((a + u * eps, u), (b - u * eps, -u)):
        loc, normal, _, dist = bvh.ray_cast(o, dirn, L + eps)
        if loc is None or dist < L - 3 * eps or normal.dot(dirn) <= 0:
            return False
    return True


@dataclass
class PathResult:
    nodes: np.ndarray            # vertex indices from electrode A to electrode B
    kinds: np.ndarray            # edge kind per step (SURFACE/CHORD/CONTACT)
    length: float
    searches: int
    contact_area: float = 0.0    # m², skin area in contact along the path's contact edges
    points: np.ndarray = field(default=None)  # (n,3) polyline
    blocked: set = field(default_factory=set)  # chords found outside the body on this frame


class BodyGraph:
    def __init__(self, rest_vertices: np.ndarray, faces: np.ndarray, labels: np.ndarray | None = None,
                 segment_names: list[str] | None = None, max_chord: float = 0.12, min_chord: float = 0.02,
                 chords_per_vertex: int = 4, seed: int = 0, contact_slots: int = 3,
                 chords: np.ndarray | None = None):
        self.rest = rest_vertices.astype(np.float64)
        self.faces = np.asarray(faces, dtype=np.int64)
        self.n = len(self.rest)
        self.edges = surface_edges(self.faces)
        self.labels = np.zeros(self.n, dtype=np.int64) if labels is None else np.asarray(labels)
        self.segment_names = segment_names or ["body"]
        self.chords = (self._make_chords(max_chord, min_chord, chords_per_vertex, seed)
                       if chords is None else np.asarray(chords, dtype=np.int64).reshape(-1, 2))
        self._edge_keys = np.sort(self.edges[:, 0] * self.n + self.edges[:, 1])
        ck = np.minimum(self.chords[:, 0], self.chords[:, 1]) * self.n + np.maximum(self.chords[:, 0], self.chords[:, 1])
        self._chord_order = np.argsort(ck)
        self._chord_keys = ck[self._chord_order]
        self._build_csr(contact_slots)
        present = sorted(set(self.labels.tolist()))
        self.segment_names = [self.segment_names[s] for s in present]
        self.labels = np.searchsorted(present, self.labels)
        self._seg_index = [np.nonzero(self.labels == s)[0] for s in range(len(self.segment_names))]
        self._seg_order = np.concatenate(self._seg_index)
        self._seg_starts = np.r_[0, np.cumsum([len(ix) for ix in self._seg_index])[:-1]]
        self._seg_pairs = [(i, j) for i in range(len(self.segment_names)) for j in range(i + 1, len(self.segment_names))
                           if frozenset((self.segment_names[i], self.segment_names[j])) not in _ADJACENT]
        self._seg_pair_arr = np.array(self._seg_pairs, dtype=np.int64).reshape(-1, 2)

    # -- built once per body ----------------------------------------------------------------
    def _make_chords(self, max_chord, min_chord, k, seed) -> np.ndarray:
        from mathutils.bvhtree import BVHTree

        v = self.rest
        n = vertex_normals(v, self.faces)
        pairs = cKDTree(v).query_pairs(max_chord, output_type="ndarray")
        d = v[pairs[:, 1]] - v[pairs[:, 0]]
        L = np.linalg.norm(d, axis=1)
        cos_a = -(d * n[pairs[:, 0]]).sum(1) / np.maximum(L, 1e-12)
        cos_b = (d * n[pairs[:, 1]]).sum(1) / np.maximum(L, 1e-12)
        keep = (L >= min_chord) & (cos_a > 0.3) & (cos_b > 0.3)  # inward at both ends
        pairs = pairs[keep]
        if len(pairs) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        # k candidates per vertex, stratified by length over the longest 60% (one from each
        # quantile, so the long chords right across a limb are always among them)
        L = L[keep]
        rng = np.random.default_rng(seed)
        order = np.lexsort((L, pairs[:, 0]))
        pairs = pairs[order]
        starts = np.r_[0, np.nonzero(np.diff(pairs[:, 0]))[0] + 1]
        sizes = np.diff(np.r_[starts, len(pairs)])
        lo = (0.4 * sizes).astype(np.int64)  # the shortest 40% are about as long as skin paths
        pick = [starts + lo + np.minimum(((j + rng.random(len(starts))) * (sizes - lo) / k).astype(np.int64),
                                         sizes - lo - 1) for j in range(k)]
        pairs = pairs[np.unique(np.concatenate(pick))]
        bvh = BVHTree.FromPolygons(v.tolist(), self.faces.tolist(), all_triangles=True)
        ok = np.array([chord_is_inside(bvh, v[a], v[b]) for a, b in pairs], dtype=bool)
        return pairs[ok].astype(np.int64)

    def _build_csr(self, m: int) -> None:
        """Fixed CSR layout: surface edges and chords both ways, then `m` contact slots per
        vertex (self-loops weighted BLOCKED until a frame fills them). Per frame only the data
        (and the slots' targets) change: no sorting, no COO conversion."""
        E = np.concatenate([self.edges, self.chords])
        rows = np.concatenate([E[:, 0], E[:, 1], np.repeat(np.arange(self.n), m)])
        cols = np.concatenate([E[:, 1], E[:, 0], np.repeat(np.arange(self.n), m)])
        order = np.argsort(rows, kind="stable")  # slots end up last in each row
        self._m = m
        self._pairs = E
        self._pa, self._pb = E[:, 0].astype(np.intp), E[:, 1].astype(np.intp)
        self._perm = order
        self._indices = cols[order].astype(np.int32)
        self._indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=self.n))].astype(np.int32)
        self._full = np.empty(len(rows))

    # -- per frame ------------------------------------------------------------------------------
    def contacts(self, v: np.ndarray, distance: float, min_rest: float = 0.03) -> np.ndarray:
        """(K,2) vertex pairs of different, non-adjacent segments closer than `distance` now and
        farther than max(min_rest, 3*distance) apart at rest."""
        if distance <= 0 or len(self._seg_pairs) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        vs = v[self._seg_order]
        lo = np.minimum.reduceat(vs, self._seg_starts, axis=0)
        hi = np.maximum.reduceat(vs, self._seg_starts, axis=0)
        out = []
        I, Jx = self._seg_pair_arr[:, 0], self._seg_pair_arr[:, 1]
        BLO = np.maximum(lo[I], lo[Jx]) - distance
        BHI = np.minimum(hi[I], hi[Jx]) + distance
        for k in np.nonzero(np.all(BLO <= BHI, axis=1))[0]:
            i, j, blo, bhi = I[k], Jx[k], BLO[k], BHI[k]
            A, B = self._seg_index[i], self._seg_index[j]
            A = A[np.all((v[A] >= blo) & (v[A] <= bhi), axis=1)]
            B = B[np.all((v[B] >= blo) & (v[B] <= bhi), axis=1)]
            if len(A) == 0 or len(B) == 0:
                continue
            m = cKDTree(v[A]).sparse_distance_matrix(cKDTree(v[B]), distance, output_type="ndarray")
            if len(m) == 0:
                continue
            p = np.stack([A[m["i"]], B[m["j"]]], axis=1)
            far = np.linalg.norm(self.rest[p[:, 0]] - self.rest[p[:, 1]], axis=1) > max(min_rest, 3 * distance)
            out.append(p[far])
        return np.concatenate(out).astype(np.int64) if out else np.zeros((0, 2), dtype=np.int64)

    # -- the circuit (resistance-weighted edges, see simulate.py) ---------------------------------
    def set_areas(self, areas: np.ndarray) -> None:
        """Per-vertex tissue cross-sections (m²): every edge and chord then weighs
        max(ds, ds_rest) · mean(1/A) (1/m), so ρ × the path's weight is its resistance."""
        inv = 1.0 / np.asarray(areas, dtype=np.float64)
        self.areas = np.asarray(areas, dtype=np.float64)
        self._edge_inv_area = 0.5 * (inv[self._pa] + inv[self._pb])
        ne, nc = len(self.edges), len(self.chords)
        if nc:
            # chords reach up to 12 cm: Simpson's rule with the cross-section at the skin nearest
            # the chord's midpoint, so a chord cannot jump over a narrowing (a neck, a wrist)
            mid = 0.5 * (self.rest[self._pa[ne:]] + self.rest[self._pb[ne:]])
            _, near = cKDTree(self.rest).query(mid)
            self._edge_inv_area[ne:] = (inv[self._pa[ne:]] + 4 * inv[near] + inv[self._pb[ne:]]) / 6
        self._rest_len = self._lengths(self.rest)

    def segment_route(self, a: set, b: set) -> set:
        """Segments on the way from segments `a` to segments `b` through the joints (BFS on the
        segment tree): the only ones a body current path between them can use."""
        names = self.segment_names
        adj = {i: [j for j in range(len(names)) if frozenset((names[i], names[j])) in _ADJACENT]
               for i in range(len(names))}
        prev = {s: None for s in a}
        queue = list(a)
        while queue:
            x = queue.pop(0)
            if x in b:
                out = set()
                while x is not None:
                    out.add(x)
                    x = prev[x]
                return out | set(a) | set(b)
            for y in adj[x]:
                if y not in prev:
                    prev[y] = x
                    queue.append(y)
        return set(range(len(names)))

    def edge_mask(self, segments: set) -> np.ndarray:
        """Edges and chords with both ends in `segments` (cached)."""
        key = frozenset(segments)
        cache = self.__dict__.setdefault("_masks", {})
        if key not in cache:
            if len(cache) > 32:
                cache.clear()
            ok = np.isin(np.arange(len(self.segment_names)), list(key))
            cache[key] = ok[self.labels[self._pa]] & ok[self.labels[self._pb]]
        return cache[key]

    def k_tree(self, v: np.ndarray, src: np.ndarray, limit: float | None = None,
               mask: np.ndarray | None = None):
        """Dijkstra from the vertex set `src` on ds/A weights: (K-distance (V,), predecessors).
        `mask`: the edges that may carry current (others are not searched)."""
        # fold model: skin compressed on the inside of a fold does not shorten the current's way
        # through the tissue (it keeps its rest length); stretched skin lengthens it
        w = np.maximum(self._lengths(v), self._rest_len) * self._edge_inv_area
        if mask is not None:
            w[~mask] = 1e9
            limit = 1e8 if limit is None else limit
        G = self._matrix(w, np.zeros((0, 2), np.int64), np.zeros(0), set())
        kw = {} if limit is None else {"limit": limit}
        dist, pred, _ = dijkstra(G, directed=True, indices=src, min_only=True, return_predecessors=True, **kw)
        return dist, pred

    def contact_groups(self, v: np.ndarray, distance: float, vertex_area: np.ndarray) -> list[dict]:
        """Skin-to-skin contacts (gap ≤ `distance`) grouped by segment pair: for each, the vertex
        sets of both sides and the contact area, each vertex weighted by (1 − gap/distance) so
        the area (and the conductance) grows smoothly from zero as the skin closes in."""
        pairs = self.contacts(v, distance)
        if len(pairs) == 0:
            return []
        gap = np.linalg.norm(v[pairs[:, 0]] - v[pairs[:, 1]], axis=1)
        la, lb = self.labels[pairs[:, 0]], self.labels[pairs[:, 1]]
        swap = la > lb
        pairs = np.where(swap[:, None], pairs[:, ::-1], pairs)
        key = np.minimum(la, lb) * len(self.segment_names) + np.maximum(la, lb)
        out = []
        for k in np.unique(key):
            sel = key == k
            p, g = pairs[sel], gap[sel]
            w = np.clip(1.0 - g / distance, 0.0, 1.0)
            area = 0.0
            sides = []
            for side in (0, 1):
                ids, inv = np.unique(p[:, side], return_inverse=True)
                wmax = np.zeros(len(ids))
                np.maximum.at(wmax, inv, w)
                area += 0.5 * float((vertex_area[ids] * wmax).sum())
                sides.append(ids)
            if area > 0:
                out.append({"segments": (self.segment_names[int(k // len(self.segment_names))],
                                         self.segment_names[int(k % len(self.segment_names))]),
                            "a": sides[0], "b": sides[1], "area": area})
        return out

    def _lengths(self, v):
        c = np.asarray(v, dtype=np.float32).T  # per coordinate: gathers from contiguous rows
        x, y, z = (np.ascontiguousarray(c[k]) for k in range(3))
        pa, pb = self._pa, self._pb
        dx, dy, dz = x[pa] - x[pb], y[pa] - y[pb], z[pa] - z[pb]
        return np.sqrt(dx * dx + dy * dy + dz * dz).astype(np.float64)

    def _matrix(self, w, contacts, contact_len, blocked):
        """CSR graph for this frame from edge/chord lengths `w`, the contact pairs and their
        lengths, with the `blocked` chords weighted out."""
        ne = len(self._pairs)
        full = self._full
        w = np.maximum(w, 1e-9)  # explicit zeros would count as missing edges
        if blocked:
            w = w.copy()
            w[len(self.edges) + np.fromiter(blocked, dtype=np.int64)] = BLOCKED
        full[:ne], full[ne:2 * ne], full[2 * ne:] = w, w, BLOCKED
        data = full[self._perm]
        indices = self._indices
        if len(contacts):
            indices = indices.copy()
            a = np.concatenate([contacts[:, 0], contacts[:, 1]])
            b = np.concatenate([contacts[:, 1], contacts[:, 0]])
            d = np.maximum(contact_len, 1e-9)
            d = np.concatenate([d, d])
            order = np.lexsort((d, a))  # per vertex, nearest contacts first
            a, b, d = a[order], b[order], d[order]
            first = np.r_[0, np.nonzero(np.diff(a))[0] + 1]
            rank = np.arange(len(a)) - np.repeat(first, np.diff(np.r_[first, len(a)]))
            keep = rank < self._m
            pos = self._indptr[a[keep] + 1] - self._m + rank[keep]
            indices[pos] = b[keep]
            data[pos] = d[keep]
        return sp.csr_matrix((data, indices, self._indptr), shape=(self.n, self.n), copy=False)

    def _chord_ids(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Index into self.chords of each (a,b) step, -1 where the step is not a chord."""
        if len(self._chord_keys) == 0:
            return np.full(len(a), -1, dtype=np.int64)
        key = np.minimum(a, b) * self.n + np.maximum(a, b)
        pos = np.minimum(np.searchsorted(self._chord_keys, key), len(self._chord_keys) - 1)
        return np.where(self._chord_keys[pos] == key, self._chord_order[pos], -1)

    def _is_surface(self, a, b):
        key = np.minimum(a, b) * self.n + np.maximum(a, b)
        pos = np.minimum(np.searchsorted(self._edge_keys, key), len(self._edge_keys) - 1)
        return self._edge_keys[pos] == key

    @staticmethod
    def _walk(pred: np.ndarray, node: int) -> list[int]:
        out = [node]
        while pred[out[-1]] >= 0:
            out.append(int(pred[out[-1]]))
        return out

    def _search(self, G, src, dst, hint: float | None) -> np.ndarray:
        """Vertex path from src to dst. The search stops beyond 1.1x the previous frame's length
        (+3 cm); when that finds nothing, one unbounded search. (A bidirectional variant, two
        searches bounded to half the length, was measured slower: half a body length from a
        wrist already reaches half the vertices.)"""
        dist = None
        if hint is not None:
            dist, pred, _ = dijkstra(G, directed=True, indices=src, min_only=True, return_predecessors=True,
                                     limit=1.1 * hint + 0.03)
        if dist is None or not np.isfinite(dist[dst]).any():
            dist, pred, _ = dijkstra(G, directed=True, indices=src, min_only=True, return_predecessors=True)
        t = int(dst[np.argmin(dist[dst])])
        if not np.isfinite(dist[t]):
            raise RuntimeError("the electrodes are not connected through the body mesh")
        return np.array(self._walk(pred, t)[::-1], dtype=np.int64)

    def shortest_path(self, v: np.ndarray, src: np.ndarray, dst: np.ndarray, bvh=None,
                      contact_distance: float = 0.01, vertex_area: np.ndarray | None = None,
                      blocked_before: set | None = None, hint_length: float | None = None,
                      normals: np.ndarray | None = None, max_searches: int = 40) -> PathResult:
        """Shortest path from any vertex of `src` to any of `dst` on the frame's vertices `v`.
        `bvh` (the frame's BVH tree, same coordinates as `v`) validates chords; without it
        chords are trusted (rigid bodies, tests). `blocked_before`: the previous frame's
        `PathResult.blocked`, re-tested first; `hint_length`: its length (bounds the search).
        `normals`: the frame's vertex normals; chords that leave either end outwards are
        skipped before any search (a cheap, vectorized necessary condition)."""
        v = np.asarray(v)
        contacts = self.contacts(v, contact_distance)
        contact_len = np.linalg.norm(v[contacts[:, 0]] - v[contacts[:, 1]], axis=1)
        w = self._lengths(v)
        if normals is not None and len(self.chords):
            C = self.chords
            d = v[C[:, 1]] - v[C[:, 0]]
            out = (np.einsum("ij,ij->i", d, normals[C[:, 0]]) > 0) | (np.einsum("ij,ij->i", d, normals[C[:, 1]]) < 0)
            w[len(self.edges):][out] = BLOCKED
        # chords that left the body last frame: re-test them first
        blocked = set()
        if bvh is not None:
            for c in blocked_before or ():
                a, b = self.chords[c]
                if not chord_is_inside(bvh, v[a], v[b]):
                    blocked.add(c)
        searches = 0
        while True:
            G = self._matrix(w, contacts, contact_len, blocked)
            nodes = self._search(G, src, dst, hint_length)
            searches += 1
            a, b = nodes[:-1], nodes[1:]
            cid = self._chord_ids(a, b)
            bad = []
            if bvh is not None:
                bad = [int(c) for c in cid[cid >= 0] if c not in blocked
                       and not chord_is_inside(bvh, v[self.chords[c, 0]], v[self.chords[c, 1]])]
            if not bad:
                break
            blocked.update(bad)
            if searches >= max_searches:  # a badly folded mesh: no chords this frame
                blocked = set(range(len(self.chords)))
        kinds = np.where(cid >= 0, CHORD, np.where(self._is_surface(a, b), SURFACE, CONTACT)).astype(np.int8)
        area = 0.0
        if (kinds == CONTACT).any() and vertex_area is not None and len(contacts):
            # skin in contact between the two segments the path crosses between
            for k in np.nonzero(kinds == CONTACT)[0]:
                sa, sb = self.labels[a[k]], self.labels[b[k]]
                la, lb = self.labels[contacts[:, 0]], self.labels[contacts[:, 1]]
                same = ((la == sa) & (lb == sb)) | ((la == sb) & (lb == sa))
                area += float(vertex_area[np.unique(contacts[same].ravel())].sum()) / 2
        pts = v[nodes].astype(np.float64)
        length = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())
        return PathResult(nodes, kinds, length, searches, area, pts, blocked)
