"""Where sensors sit on the body: IMU sites as small vertex patches (pure numpy, rest mesh).

A site is three mesh vertices (origin, along, side) on the skin. Its frame per frame comes
from `imu.frame_from_points`: x along the forearm towards the hand, z out of the skin on the
back of the wrist (where a watch sits), y = z × x. Positions are the patch centroid.

Axis conventions of the wrist presets (`--imu-axes`):
- `watch` (default): the Android / Wear OS device axes of a watch worn normally, face on the
  back of the wrist, read with 12 o'clock pointing away from the body: x = 3 o'clock (the
  crown side), y = 12 o'clock, z out of the screen. On the left wrist 3 o'clock points to the
  hand; on the right wrist to the elbow, so the right frame is the anatomical one turned
  180° about z (x, y negated). Right-handed on both wrists; a still, level watch reads
  +9.81 m/s² on z, as a real one does.
- `anatomical`: x towards the hand on both wrists (mirror-consistent left/right data).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..body.asset import BodyAsset
from ..config import IMU_AXES

# name -> (forearm bone role, wrist joint) on the SMPL tree; the bones come from the joint map
PRESET_SITES = {
    "left_wrist": ("left_elbow", "left_wrist"),
    "right_wrist": ("right_elbow", "right_wrist"),
}
WATCH_OFFSET = 0.035  # m proximal of the wrist joint, where a watch case usually sits
# Placement variation (`BakeConfig.imu_placement_jitter` = 1): how people actually wear a
# watch. Along the forearm: from 1.5 cm to 7.5 cm proximal of the wrist joint (the case
# right at the wrist bone .. a loose strap slid up); about the forearm axis: ±15° from the
# centre of the back of the wrist. The jitter value scales both ranges (0: the preset spot).
PLACEMENT_ALONG_M = (-0.02, 0.04)     # added to WATCH_OFFSET
PLACEMENT_ROLL_DEG = (-15.0, 15.0)
AXES = IMU_AXES      # watch | anatomical (addon/config.py owns the choices)


@dataclass
class ImuSite:
    name: str
    vertices: tuple[int, int, int]   # origin, along (towards the hand), side
    bone: str                        # the bone the patch mostly follows
    outward_bone_axis: tuple[float, float, float]  # skin normal at rest, in that bone's rest frame
    offset_along_m: float = 0.0      # placement jitter: further up the forearm (+) than the preset
    roll_deg: float = 0.0            # placement jitter: rotation about the forearm axis
    frame_roll_deg: float = 0.0      # the part of roll_deg the vertex choice cannot give: applied to the frame
    axes: str = "anatomical"         # "watch" on the right wrist turns the frame 180° about z

    @property
    def axis_signs(self) -> np.ndarray:
        """Column signs applied to the points' frame: (-1,-1,1) for a right-wrist watch."""
        flip = self.axes == "watch" and self.name.startswith("right_")
        return np.array([-1.0, -1.0, 1.0]) if flip else np.ones(3)

    def describe(self) -> dict:
        d = asdict(self)
        if self.axis_signs[0] < 0:
            d["frame"] = ("Android watch axes on the right wrist: x: along the forearm towards the "
                          "elbow (3 o'clock); z: out of the skin (back of the wrist, the screen); "
                          "y = z × x (12 o'clock); position: centroid of the three vertices")
        else:
            d["frame"] = ("x: origin->along vertex (along the forearm, towards the hand"
                          + ("; Android watch axes: 3 o'clock" if self.axes == "watch" else "") + "); "
                          "z: patch normal out of the skin (back of the wrist); y = z × x; "
                          "position: centroid of the three vertices")
        return d


def _nearest(vertices: np.ndarray, point: np.ndarray, exclude: set[int]) -> int:
    d = np.linalg.norm(vertices - point, axis=1)
    for i in np.argsort(d):
        if int(i) not in exclude:
            return int(i)
    raise ValueError("mesh has too few vertices for a sensor patch")


def placement_jitter(amount: float, seed: int, key: str, names) -> dict:
    """Seeded placement of each wrist site: name -> (offset along the forearm m, roll deg),
    drawn uniformly from the documented ranges scaled by `amount` (0: none). `key` names
    the motion and body, so each recording wears its watch a little differently."""
    import zlib

    if not amount:
        return {}
    rng = np.random.default_rng([int(seed), zlib.crc32(key.encode()), 0x77617463])
    out = {}
    for n in names:
        along = float(rng.uniform(*PLACEMENT_ALONG_M)) * amount
        roll = float(rng.uniform(*PLACEMENT_ROLL_DEG)) * amount
        out[n] = (round(along, 4), round(roll, 2))
    return out


def wrist_site(asset: BodyAsset, name: str, alignment: np.ndarray, offset_along: float = 0.0,
               roll_deg: float = 0.0, axes: str = "watch") -> ImuSite:
    """Place a watch-like patch on the back of the wrist of the rest mesh.

    `alignment` (from `tpose_alignment`) tells where 'back of the hand' points at rest: in the
    T-pose the palms face down, so the back of the wrist is +Z; at rest it is C_bᵀ·(+Z).
    `offset_along` (m, + towards the elbow) and `roll_deg` (about the forearm axis, right-hand
    rule about the elbow→wrist direction) move it from the preset spot (placement jitter).
    """
    elbow_joint, wrist_joint = PRESET_SITES[name]
    forearm = asset.joint_map[elbow_joint][0]
    wrist = asset.joint_map[wrist_joint][0]
    fi, wi = asset.bone_index(forearm), asset.bone_index(wrist)
    heads = asset.bone_heads.astype(np.float64)
    axis = heads[wi] - heads[fi]
    axis /= np.linalg.norm(axis)
    dorsal = alignment[wi].T @ np.array([0.0, 0.0, 1.0])
    dorsal -= axis * (dorsal @ axis)
    dorsal /= np.linalg.norm(dorsal)
    v = asset.vertices.astype(np.float64)
    v0, v1, v2 = _watch_vertices(v, heads[wi], axis, dorsal, WATCH_OFFSET + offset_along, roll_deg, name)
    residual = 0.0
    if roll_deg or offset_along:
        # the vertices give the placement only to the mesh's spacing: the frame makes up the
        # rest of the turn about the forearm, measured against the preset site's frame
        from .imu import frame_from_points

        def roll_of(ids):
            z = frame_from_points(*(v[None, i] for i in ids))[0][:, 2]
            return np.degrees(np.arctan2(np.cross(axis, dorsal) @ z, dorsal @ z))

        base = _watch_vertices(v, heads[wi], axis, dorsal, WATCH_OFFSET, 0.0, name)
        residual = float(roll_deg - (roll_of((v0, v1, v2)) - roll_of(base)))
    return ImuSite(name=name, vertices=(v0, v1, v2), bone=forearm,
                   outward_bone_axis=tuple(float(x) for x in dorsal), offset_along_m=float(offset_along),
                   roll_deg=float(roll_deg), frame_roll_deg=round(residual, 3), axes=axes)


def _watch_vertices(v, wrist_head, axis, dorsal, offset, roll_deg, name):
    """(origin, along, side) vertices of the patch `offset` m proximal of the wrist joint, on
    the skin in the direction `dorsal` turned by `roll_deg` about the forearm axis."""
    if roll_deg:
        r = np.radians(roll_deg)
        dorsal = np.cos(r) * dorsal + np.sin(r) * np.cross(axis, dorsal)
    centre = wrist_head - offset * axis
    rel = v - centre
    along = rel @ axis
    radial = rel - np.outer(along, axis)
    ring = (np.abs(along) < 0.012) & (np.linalg.norm(radial, axis=1) < 0.07)
    if not ring.any():
        raise ValueError(f"no skin vertices found around the {name} site")
    candidates = np.nonzero(ring)[0]
    v0 = int(candidates[np.argmax(radial[candidates] @ dorsal)])
    lateral = np.cross(dorsal, axis)
    v1 = _nearest(v, v[v0] + 0.02 * axis, {v0})
    v2 = _nearest(v, v[v0] + 0.02 * lateral, {v0, v1})
    return v0, v1, v2


def apply_frame_roll(R: np.ndarray, site: ImuSite) -> np.ndarray:
    """Sensor orientations (T,3,3) turned by the site's residual roll about its x axis (the
    forearm): the exact placement rotation where the mesh's vertex spacing falls short."""
    if not site.frame_roll_deg:
        return R
    r = np.radians(site.frame_roll_deg)
    c, s = np.cos(r), np.sin(r)
    return R @ np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def vertex_site(asset: BodyAsset, name: str, spec: str) -> ImuSite:
    """A site from mesh vertices: `vertices:I,J,K` (origin, along, side) as given, or any other
    number of vertices (a selected patch): the origin is the one nearest their centroid, x
    runs along the bone that moves it most (towards the child joint), z is the skin normal."""
    from .impedance.electrodes import vertex_normals

    try:
        ids = [int(x) for x in spec.split(":", 1)[1].split(",") if x.strip()]
    except (ValueError, IndexError):
        raise ValueError(f"IMU site '{name}': expected vertices:I[,J,K], got '{spec}'") from None
    nv = len(asset.vertices)
    if not ids or any(not 0 <= i < nv for i in ids):
        raise ValueError(f"IMU site '{name}': vertex indices must be within 0..{nv - 1}")
    v = asset.vertices.astype(np.float64)
    if len(ids) == 3 and len(set(ids)) == 3:
        v0, v1, v2 = ids
    else:
        centre = v[ids].mean(axis=0)
        v0 = ids[int(np.argmin(np.linalg.norm(v[ids] - centre, axis=1)))]
    k = int(np.argmax(asset.weights[v0]))
    b = int(asset.weight_bones[v0, k])
    children = [c for c, p in enumerate(asset.bone_parents) if p == b]
    tip = asset.bone_heads[children[0]] if children else asset.bone_tails[b]
    axis = np.asarray(tip, np.float64) - asset.bone_heads[b]
    axis /= max(np.linalg.norm(axis), 1e-9)
    normal = vertex_normals(asset.vertices, asset.faces)[v0].astype(np.float64)
    normal -= axis * (normal @ axis)
    normal /= max(np.linalg.norm(normal), 1e-9)
    if not (len(ids) == 3 and len(set(ids)) == 3):
        v1 = _nearest(v, v[v0] + 0.02 * axis, {v0})
        v2 = _nearest(v, v[v0] + 0.02 * np.cross(normal, axis), {v0, v1})
    return ImuSite(name=name, vertices=(int(v0), int(v1), int(v2)), bone=asset.bone_names[b],
                   outward_bone_axis=tuple(float(x) for x in normal))


def make_sites(asset: BodyAsset, names, alignment: np.ndarray, defs: dict | None = None,
               placement: dict | None = None, axes: str = "watch") -> list[ImuSite]:
    """`placement`: name -> (offset along m, roll deg) for preset wrist sites (placement_jitter);
    `axes`: watch or anatomical frames on the preset wrist sites."""
    defs = defs or {}
    placement = placement or {}
    sites = []
    for n in names:
        if n in defs:
            sites.append(vertex_site(asset, n, defs[n]))
        elif n in PRESET_SITES:
            sites.append(wrist_site(asset, n, alignment, *placement.get(n, (0.0, 0.0)), axes=axes))
        else:
            raise ValueError(f"unknown IMU site '{n}' (presets: {', '.join(PRESET_SITES)}; "
                             "or define it with --imu-site-def NAME=vertices:I,J,K)")
    return sites
