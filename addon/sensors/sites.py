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
from . import presets as P

# name -> (forearm bone role, wrist joint) on the SMPL tree; the bones come from the joint map
WRIST_SITES = {
    "left_wrist": ("left_elbow", "left_wrist"),
    "right_wrist": ("right_elbow", "right_wrist"),
}
PRESET_SITES = P.PRESET_NAMES     # every preset name (`presets.py` owns them)
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
    # surface devices and joint sites (`presets.py`); wrists leave these at their defaults
    mount: tuple | None = None       # (9,) device axes (columns of a 3x3, row-major) in the skin frame
    lift: tuple = (0.0, 0.0, 0.0)    # device centre from the patch centroid, in the skin frame, m
    rigid_bone: int = -1             # >= 0: the three points are rigid on this bone (joint sites)
    points: tuple | None = None      # ((3,),(3,),(3,)) rest positions of those points
    preset: str = ""                 # the preset token it was built from (with its mounting)
    frame: str = ""                  # the device frame in words

    @property
    def mount_matrix(self) -> np.ndarray | None:
        return None if self.mount is None else np.asarray(self.mount, float).reshape(3, 3)

    @property
    def axis_signs(self) -> np.ndarray:
        """Column signs applied to the points' frame: (-1,-1,1) for a right-wrist watch."""
        flip = self.axes == "watch" and self.name.startswith("right_")
        return np.array([-1.0, -1.0, 1.0]) if flip else np.ones(3)

    def describe(self) -> dict:
        d = asdict(self)
        for k in ("mount", "points", "lift"):
            if d[k] is not None:
                d[k] = np.round(np.asarray(d[k], float), 6).tolist()
        if self.frame:
            d["frame"] = self.frame
        elif self.axis_signs[0] < 0:
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
    """Seeded placement of each site, drawn uniformly from the documented ranges scaled by
    `amount` (0: none); `key` names the motion and body, so each recording wears its devices a
    little differently. Wrists: name -> (offset along the forearm m, roll deg). Surface devices
    (`presets.SURFACE`): name -> (along m, around deg, (tilt x, y, z) deg, face, top), where
    face/top are drawn from the four pocket ways for a site asked as `NAME:any` ('' otherwise).
    Joint sites do not move."""
    import zlib

    if not amount:
        return {}
    specs = P.expand(names)
    rng = np.random.default_rng([int(seed), zlib.crc32(key.encode()), 0x77617463])
    out = {}
    for sp in specs:
        if sp.name in WRIST_SITES:
            along = float(rng.uniform(*PLACEMENT_ALONG_M)) * amount
            roll = float(rng.uniform(*PLACEMENT_ROLL_DEG)) * amount
            out[sp.name] = (round(along, 4), round(roll, 2))
    for sp in specs:          # own stream per site: adding a site never moves the others
        if sp.name not in P.SURFACE:
            continue
        p = P.SURFACE[sp.name]
        r = np.random.default_rng([int(seed), zlib.crc32(key.encode()), zlib.crc32(sp.name.encode())])
        along = round(float(r.uniform(*p.along_m)) * amount, 4)
        around = round(float(r.uniform(*p.around_deg)) * amount, 2)
        tilt = tuple(round(float(x), 2) for x in r.uniform(-p.tilt_deg, p.tilt_deg, 3) * amount)
        face = top = ""
        if sp.random_mount:
            face, top = P.FACES[int(r.integers(2))], P.TOPS[int(r.integers(2))]
        out[sp.name] = (along, around, tilt, face, top)
    return out


def wrist_site(asset: BodyAsset, name: str, alignment: np.ndarray, offset_along: float = 0.0,
               roll_deg: float = 0.0, axes: str = "watch") -> ImuSite:
    """Place a watch-like patch on the back of the wrist of the rest mesh.

    `alignment` (from `tpose_alignment`) tells where 'back of the hand' points at rest: in the
    T-pose the palms face down, so the back of the wrist is +Z; at rest it is C_bᵀ·(+Z).
    `offset_along` (m, + towards the elbow) and `roll_deg` (about the forearm axis, right-hand
    rule about the elbow→wrist direction) move it from the preset spot (placement jitter).
    """
    elbow_joint, wrist_joint = WRIST_SITES[name]
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
    normal = _normals(asset)[v0]
    normal -= axis * (normal @ axis)
    normal /= max(np.linalg.norm(normal), 1e-9)
    if not (len(ids) == 3 and len(set(ids)) == 3):
        v1 = _nearest(v, v[v0] + 0.02 * axis, {v0})
        v2 = _nearest(v, v[v0] + 0.02 * np.cross(normal, axis), {v0, v1})
    return ImuSite(name=name, vertices=(int(v0), int(v1), int(v2)), bone=asset.bone_names[b],
                   outward_bone_axis=tuple(float(x) for x in normal))


def _joint_of_bone(asset: BodyAsset) -> np.ndarray:
    """(B,) index into SMPL_BODY_JOINTS of the body joint each bone follows (-1: none, e.g.
    fingers): a bone not in the joint map follows its nearest mapped ancestor."""
    body = {j: i for i, j in enumerate(P.SMPL_BODY_JOINTS)}
    mapped = {}
    for j, bones in asset.joint_map.items():
        for b in bones:
            if b in asset.bone_names:
                mapped[asset.bone_index(b)] = body.get(j, -1)
    out = np.full(len(asset.bone_names), -1)
    for b in range(len(asset.bone_names)):
        a = b
        while a >= 0 and a not in mapped:
            a = int(asset.bone_parents[a])
        out[b] = mapped.get(a, -1)
    return out


def vertex_joints(asset: BodyAsset) -> np.ndarray:
    """(V,) SMPL body joint (index) whose bone carries most of each vertex's skin weight."""
    cache = asset.__dict__.setdefault("_vertex_joints", None)
    if cache is None:
        dom = asset.weight_bones[np.arange(len(asset.vertices)), np.argmax(asset.weights, axis=1)]
        cache = asset.__dict__["_vertex_joints"] = _joint_of_bone(asset)[dom]
    return cache


def _cached(asset: BodyAsset, key, make):
    """A per-body constant, computed once (a bake with placement jitter places sites per recording)."""
    cache = asset.__dict__.setdefault("_site_cache", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _vertices64(asset: BodyAsset) -> np.ndarray:
    return _cached(asset, "v64", lambda: asset.vertices.astype(np.float64))


def _normals(asset: BodyAsset) -> np.ndarray:
    from .impedance.electrodes import vertex_normals

    return _cached(asset, "normals", lambda: vertex_normals(asset.vertices, asset.faces).astype(np.float64))


def _skin_of(asset: BodyAsset, p: "P.SurfacePreset") -> np.ndarray:
    """Indices of the vertices a surface device may sit on: skin of the segment's joints, its
    SMPL parent and the preset's `near` joints (never a hand hanging beside the hip)."""
    def make():
        names = {j: i for i, j in enumerate(P.SMPL_BODY_JOINTS)}
        allowed = {p.joint, *(p.child and [p.child] or []), *p.near}
        parent = _smpl_parent(p.joint)
        if parent:
            allowed.add(parent)
        return np.nonzero(np.isin(vertex_joints(asset), [names[j] for j in allowed]))[0]

    return _cached(asset, ("skin", p), make)


def _segment(asset: BodyAsset, joint: str, child: str | None):
    """(start, end, bone index) of the segment a joint turns, in the rest pose: the joint's bone
    head to the child joint's bone head (or to the end of the joint's last bone)."""
    bones = [b for b in asset.joint_map.get(joint, []) if b in asset.bone_names]
    if not bones:
        raise ValueError(f"the body has no bone for SMPL joint '{joint}'")
    b0 = asset.bone_index(bones[0])
    start = asset.bone_heads[b0].astype(np.float64)
    kids = [b for b in asset.joint_map.get(child, []) if b in asset.bone_names] if child else []
    end = (asset.bone_heads[asset.bone_index(kids[0])] if kids
           else asset.bone_tails[asset.bone_index(bones[-1])]).astype(np.float64)
    return start, end, b0


def _smpl_parent(joint: str) -> str | None:
    from ..motion.skeleton import BODY_JOINTS, BODY_PARENTS

    p = BODY_PARENTS[BODY_JOINTS.index(joint)]
    return BODY_JOINTS[p] if p >= 0 else None


PATCH_MIN_HEIGHT = 0.008   # m: the sensor triangle's smallest height (a thin one amplifies float32 rounding)


def _well_shaped(v: np.ndarray, v0: int, axis: np.ndarray, lateral: np.ndarray) -> tuple[int, int]:
    """(along, side) vertices ~2 cm from v0 along the segment and across it, the nearest that make
    a triangle whose every height is at least PATCH_MIN_HEIGHT."""
    def ok(i, j):
        a, b, c = v[v0], v[i], v[j]
        area2 = np.linalg.norm(np.cross(b - a, c - a))
        return area2 / max(np.linalg.norm(b - a), np.linalg.norm(c - a), np.linalg.norm(c - b)) >= PATCH_MIN_HEIGHT

    local = np.nonzero(np.abs(v - v[v0]).max(axis=1) < 0.06)[0]      # the neighbourhood (6 cm box)
    d1 = np.linalg.norm(v[local] - (v[v0] + 0.02 * axis), axis=1)
    d2 = np.linalg.norm(v[local] - (v[v0] + 0.02 * lateral), axis=1)
    near1 = [int(i) for i in local[np.argsort(d1)[:24]] if int(i) != v0 and np.linalg.norm(v[i] - v[v0]) >= PATCH_MIN_HEIGHT]
    near2 = [int(i) for i in local[np.argsort(d2)[:24]] if int(i) != v0]
    for i in near1:
        for j in near2:
            if j != i and ok(i, j):
                return i, j
    raise ValueError("no well-shaped skin triangle near the site")


def surface_site(asset: BodyAsset, name: str, spec: "P.SiteSpec", alignment: np.ndarray,
                 along_m: float = 0.0, around_deg: float = 0.0, tilt_deg=(0.0, 0.0, 0.0)) -> ImuSite:
    """A surface device (`presets.SURFACE`) on the rest mesh: the skin vertex of the segment on
    the preset's side, `frac` along it (moved `along_m` towards the far joint and `around_deg`
    about the segment by placement jitter), two neighbours 2 cm along and across for the skin
    frame; mounted as `spec` says, tilted by `tilt_deg` (about the device's x, y, z)."""
    p = P.SURFACE[spec.name]
    start, end, b0 = _segment(asset, p.joint, p.child)
    axis = end - start
    length = float(np.linalg.norm(axis))
    axis /= length
    side = alignment[b0].T @ np.asarray(p.toward, float)       # T-pose direction -> rest pose
    side -= axis * (side @ axis)
    side /= np.linalg.norm(side)
    if around_deg:
        r = np.radians(around_deg)
        side = np.cos(r) * side + np.sin(r) * np.cross(axis, side)
    centre = start + (p.frac * length + along_m) * axis
    v = _vertices64(asset)
    ok = _skin_of(asset, p)
    rel = v[ok] - centre
    near = np.abs(rel @ axis) < 0.015
    if not near.any():
        raise ValueError(f"no skin vertices found for the {name} site")
    v0 = int(ok[near][np.argmax(rel[near] @ side)])
    lateral = np.cross(side, axis)
    v1, v2 = _well_shaped(v, v0, axis, lateral)
    # the three vertices' frame is only as straight as the mesh spacing (1-2 cm, ~30° at worst):
    # the mounting is measured against the ideal skin frame at rest (x along the segment, z the
    # smooth skin normal at v0), so the device sits as the preset says and turns with the skin
    from .imu import frame_from_points

    normal = _normals(asset)[v0]
    x = axis
    if p.plumb:        # hangs plumb: x vertical, the face level-normal in the T-pose
        t = alignment[b0] @ normal
        normal = alignment[b0].T @ np.array([t[0], t[1], 0.0])
        x = alignment[b0].T @ np.array([0.0, 0.0, float(p.up)])
    z = normal - x * (normal @ x)
    z /= np.linalg.norm(z)
    ideal = np.stack([x, np.cross(z, x), z], axis=1)
    F0 = frame_from_points(*(v[None, i] for i in (v0, v1, v2)))[0]
    C = F0.T @ ideal
    M = C @ P.mount_matrix(p, spec.face, spec.top) @ P.tilt_matrix(tilt_deg)
    bone = asset.bone_names[int(asset.weight_bones[v0, np.argmax(asset.weights[v0])])]
    frame = p.frame_text(spec.face, spec.top)
    if any(tilt_deg):
        frame += f"; tilted ({', '.join(f'{t:.1f}' for t in tilt_deg)})° about its x, y, z"
    return ImuSite(name=name, vertices=(v0, v1, v2), bone=bone, outward_bone_axis=tuple(float(x) for x in side),
                   offset_along_m=float(along_m), roll_deg=float(around_deg),
                   mount=tuple(float(x) for x in M.reshape(-1)),
                   lift=tuple(float(x) for x in C @ np.array([0.0, 0.0, p.lift_m])),
                   preset=P.SiteSpec(spec.name, spec.face, spec.top).token, frame=frame)


JOINT_POINT_SPREAD = 0.05   # m between the three rigid points of a joint site


def joint_site(asset: BodyAsset, name: str, alignment: np.ndarray) -> ImuSite:
    """`joint.<smpl name>`: three points rigid on the bone the joint turns, centred on the joint,
    laid out so that their frame is the SMPL joint's global frame (the T-pose axes, turned by
    the bone's rest-to-T-pose alignment back into the rest pose)."""
    from ..motion.rotations import Y_UP_TO_Z_UP

    joint = name[len(P.JOINT_PREFIX):]
    start, _, b0 = _segment(asset, joint, None)
    A = alignment[b0].T @ Y_UP_TO_Z_UP       # SMPL T-pose axes (columns) in the bone's rest pose
    s = JOINT_POINT_SPREAD
    o = start - s / 3.0 * (A[:, 0] + A[:, 1])  # centroid of (o, o + s·x, o + s·y) = the joint
    pts = (o, o + s * A[:, 0], o + s * A[:, 1])
    return ImuSite(name=name, vertices=(-1, -1, -1), bone=asset.bone_names[b0],
                   outward_bone_axis=tuple(float(x) for x in A[:, 2]), rigid_bone=int(b0),
                   points=tuple(tuple(float(x) for x in q) for q in pts), preset=name, frame=P.JOINT_FRAME)


def make_sites(asset: BodyAsset, names, alignment: np.ndarray, defs: dict | None = None,
               placement: dict | None = None, axes: str = "watch") -> list[ImuSite]:
    """Sites for the tokens `names` (presets, with mountings; `joints`; names in `defs`).
    `placement`: name -> jitter (`placement_jitter`); `axes`: watch or anatomical wrist frames."""
    defs = defs or {}
    placement = placement or {}
    sites = []
    try:
        specs = P.expand(names, defs)
    except P.SiteError as e:
        raise ValueError(f"{e}; or define your own with --imu-site-def NAME=vertices:I,J,K") from None
    for sp in specs:
        n = sp.name
        if n in defs:
            sites.append(vertex_site(asset, n, defs[n]))
        elif n in WRIST_SITES:
            sites.append(wrist_site(asset, n, alignment, *placement.get(n, (0.0, 0.0)), axes=axes))
        elif n in P.SURFACE:
            j = placement.get(n)
            if j is None:
                sites.append(surface_site(asset, n, sp, alignment))
            else:
                along, around, tilt, face, top = j
                sites.append(surface_site(asset, n, P.SiteSpec(n, face or sp.face, top or sp.top), alignment,
                                          along, around, tilt))
        else:
            sites.append(joint_site(asset, n, alignment))
    return sites
