"""Electrodes: skin regions (vertex sets) on the rest mesh, and the pairs that make channels.

Three ways to define an electrode, all recorded in the export's `meta.pairs`:
- presets (`left_wrist`, `right_wrist`, `left_elbow`, `right_elbow`, `left_upperarm`, ...):
  a round patch of skin (radius 1.2 cm) on the back of the wrist under a watch case, or on
  the outside of the elbow / upper arm;
- `vertices:I,J,K...`: explicit vertex indices (what the add-on writes from a selection);
- `bone:BONE:OFFSET`: a band electrode around the limb, OFFSET metres along BONE from its head
  (2 cm wide), e.g. `bone:lowerarm01.L:0.12`.

A pair is `NAME_A:NAME_B` (electrode names or specs are looked up in this order: user
definitions `--electrode-def NAME=SPEC`, presets) or a preset pair name (`wrist_wrist`,
`left_wrist_elbow`, `right_wrist_elbow`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...body.asset import BodyAsset
from ..sites import WATCH_OFFSET

PATCH_RADIUS = 0.012   # m, watch-back / snap electrode
BAND_WIDTH = 0.02      # m, band electrodes defined by bone + offset

# electrode preset -> (SMPL joint whose bone carries it, joint it points to, fraction along, side)
# side: 'dorsal' (back of the wrist, where a watch sits) or 'lateral' (outside of the arm)
PRESET_ELECTRODES = {
    "left_wrist": ("left_elbow", "left_wrist", None, "dorsal"),
    "right_wrist": ("right_elbow", "right_wrist", None, "dorsal"),
    "left_elbow": ("left_elbow", "left_wrist", 0.15, "lateral"),
    "right_elbow": ("right_elbow", "right_wrist", 0.15, "lateral"),
    "left_upperarm": ("left_shoulder", "left_elbow", 0.5, "lateral"),
    "right_upperarm": ("right_shoulder", "right_elbow", 0.5, "lateral"),
}
PRESET_PAIRS = {
    "wrist_wrist": ("left_wrist", "right_wrist"),
    "left_wrist_elbow": ("left_wrist", "left_elbow"),
    "right_wrist_elbow": ("right_wrist", "right_elbow"),
}


class ElectrodeError(ValueError):
    pass


@dataclass
class Electrode:
    name: str
    vertices: np.ndarray  # (n,) int
    kind: str             # preset | vertices | band
    spec: str
    area: float = 0.0     # m², skin area under the electrode (rest mesh)

    def describe(self) -> dict:
        return {"name": self.name, "kind": self.kind, "spec": self.spec,
                "vertices": [int(i) for i in self.vertices], "area_m2": round(self.area, 7)}


def vertex_areas(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """One third of the area of each triangle goes to each of its corners (m²)."""
    v = vertices.astype(np.float64)
    a = 0.5 * np.linalg.norm(np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]]), axis=1)
    return np.bincount(faces.ravel(), weights=np.repeat(a / 3, 3), minlength=len(v))


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    v = vertices.astype(np.float64)
    fn = np.cross(v[faces[:, 1]] - v[faces[:, 0]], v[faces[:, 2]] - v[faces[:, 0]])  # area-weighted
    n = np.zeros_like(v)
    for k in range(3):
        n += np.stack([np.bincount(faces[:, k], weights=fn[:, c], minlength=len(v)) for c in range(3)], 1)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


def _bone_axis(asset: BodyAsset, joint: str, towards: str) -> tuple[np.ndarray, np.ndarray, float]:
    heads = asset.bone_heads.astype(np.float64)
    a = heads[asset.bone_index(asset.joint_map[joint][0])]
    b = heads[asset.bone_index(asset.joint_map[towards][0])]
    L = float(np.linalg.norm(b - a))
    return a, (b - a) / L, L


def _ring(v: np.ndarray, centre: np.ndarray, axis: np.ndarray, half_width: float, max_r: float = 0.09):
    rel = v - centre
    along = rel @ axis
    radial = rel - np.outer(along, axis)
    r = np.linalg.norm(radial, axis=1)
    sel = np.nonzero((np.abs(along) <= half_width) & (r < max_r))[0]
    return sel, radial


def _limb_ring(v, centre, axis, half_width):
    """Vertices of the limb's skin ring at `centre`: the connected limb only (not a nearby
    torso or thigh), by keeping vertices within 1.6x the median radius of the closest ones."""
    sel, radial = _ring(v, centre, axis, half_width)
    if len(sel) == 0:
        return sel, radial
    r = np.linalg.norm(radial[sel], axis=1)
    keep = r < 1.6 * np.median(np.sort(r)[: max(3, len(r) // 2)])
    return sel[keep], radial


def preset_electrode(asset: BodyAsset, name: str, alignment: np.ndarray | None = None) -> Electrode:
    joint, towards, frac, side = PRESET_ELECTRODES[name]
    a, axis, L = _bone_axis(asset, joint, towards)
    v = asset.vertices.astype(np.float64)
    centre = (a + axis * (L - WATCH_OFFSET)) if frac is None else a + axis * L * frac
    sel, radial = _limb_ring(v, centre, axis, 0.012)
    if len(sel) == 0:
        raise ElectrodeError(f"no skin found for electrode '{name}'")
    if side == "dorsal" and alignment is not None:
        wi = asset.bone_index(asset.joint_map[towards][0])
        direction = alignment[wi].T @ np.array([0.0, 0.0, 1.0])  # back of the hand at rest
    else:  # lateral: away from the body's midline
        direction = np.array([np.sign(centre[0]) or 1.0, 0.0, 0.0])
    direction = direction - axis * (direction @ axis)
    c = sel[np.argmax(radial[sel] @ direction)]
    patch = np.nonzero(np.linalg.norm(v - v[c], axis=1) <= PATCH_RADIUS)[0]
    # only skin on the same side (not the other side of a thin wrist)
    patch = patch[(radial[patch] @ radial[c]) > 0]
    return Electrode(name, patch, "preset", name)


def parse_electrode(asset: BodyAsset, name: str, spec: str, alignment=None) -> Electrode:
    """`vertices:1,2,3` | `bone:BONE:OFFSET` | a preset name."""
    nv = len(asset.vertices)
    if spec in PRESET_ELECTRODES:
        e = preset_electrode(asset, spec, alignment)
        e.name = name
        return e
    kind, _, rest = spec.partition(":")
    if kind == "vertices":
        try:
            ids = np.array(sorted({int(x) for x in rest.replace("+", ",").split(",") if x.strip()}), dtype=np.int64)
        except ValueError:
            raise ElectrodeError(f"electrode '{name}': vertex indices must be integers, got '{rest}'") from None
        if len(ids) == 0 or ids.min() < 0 or ids.max() >= nv:
            raise ElectrodeError(f"electrode '{name}': vertex indices must be in 0..{nv - 1}")
        return Electrode(name, ids, "vertices", spec)
    if kind == "bone":
        bone, _, off = rest.rpartition(":")
        if bone not in asset.bone_names:
            raise ElectrodeError(f"electrode '{name}': no bone '{bone}' in this body")
        try:
            offset = float(off)
        except ValueError:
            raise ElectrodeError(f"electrode '{name}': offset must be metres, got '{off}'") from None
        b = asset.bone_index(bone)
        head = asset.bone_heads[b].astype(np.float64)
        axis = asset.bone_tails[b].astype(np.float64) - head
        axis /= np.linalg.norm(axis)
        sel, _ = _limb_ring(asset.vertices.astype(np.float64), head + offset * axis, axis, BAND_WIDTH / 2)
        if len(sel) == 0:
            raise ElectrodeError(f"electrode '{name}': no skin around bone '{bone}' at {offset} m")
        return Electrode(name, sel, "band", spec)
    raise ElectrodeError(f"electrode '{name}': unknown definition '{spec}' "
                         f"(use a preset {sorted(PRESET_ELECTRODES)}, vertices:I,J,..., or bone:BONE:OFFSET)")


def resolve_pairs(asset: BodyAsset, pairs, definitions: dict | None = None, alignment=None,
                  areas: np.ndarray | None = None) -> list[tuple[str, Electrode, Electrode]]:
    definitions = dict(definitions or {})
    areas = vertex_areas(asset.vertices, asset.faces) if areas is None else areas
    made: dict[str, Electrode] = {}

    def get(n: str) -> Electrode:
        if n not in made:
            spec = definitions.get(n, n)
            made[n] = parse_electrode(asset, n, spec, alignment)
            made[n].area = float(areas[made[n].vertices].sum())
        return made[n]

    out = []
    for p in pairs:
        if p in PRESET_PAIRS:
            a, b = PRESET_PAIRS[p]
        elif ":" in p:
            a, b = p.split(":", 1)
        else:
            raise ElectrodeError(f"unknown electrode pair '{p}' (presets: {', '.join(PRESET_PAIRS)}; "
                                 "or NAME_A:NAME_B with electrode presets or --electrode-def names)")
        ea, eb = get(a), get(b)
        if len(np.intersect1d(ea.vertices, eb.vertices)):
            raise ElectrodeError(f"electrode pair '{p}': the two electrodes overlap")
        out.append((p, ea, eb))
    return out
