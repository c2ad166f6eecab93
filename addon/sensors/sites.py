"""Where sensors sit on the body: IMU sites as small vertex patches (pure numpy, rest mesh).

A site is three mesh vertices (origin, along, side) on the skin. Its frame per frame comes
from `imu.frame_from_points`: x along the forearm towards the hand, z out of the skin on the
back of the wrist (where a watch sits), y = z × x. Positions are the patch centroid.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..body.asset import BodyAsset

# name -> (forearm bone role, wrist joint) on the SMPL tree; the bones come from the joint map
PRESET_SITES = {
    "left_wrist": ("left_elbow", "left_wrist"),
    "right_wrist": ("right_elbow", "right_wrist"),
}
WATCH_OFFSET = 0.035  # m proximal of the wrist joint, where a watch case usually sits


@dataclass
class ImuSite:
    name: str
    vertices: tuple[int, int, int]   # origin, along (towards the hand), side
    bone: str                        # the bone the patch mostly follows
    outward_bone_axis: tuple[float, float, float]  # skin normal at rest, in that bone's rest frame

    def describe(self) -> dict:
        d = asdict(self)
        d["frame"] = ("x: origin->along vertex (along the forearm, towards the hand); "
                      "z: patch normal out of the skin (back of the wrist); y = z × x; "
                      "position: centroid of the three vertices")
        return d


def _nearest(vertices: np.ndarray, point: np.ndarray, exclude: set[int]) -> int:
    d = np.linalg.norm(vertices - point, axis=1)
    for i in np.argsort(d):
        if int(i) not in exclude:
            return int(i)
    raise ValueError("mesh has too few vertices for a sensor patch")


def wrist_site(asset: BodyAsset, name: str, alignment: np.ndarray) -> ImuSite:
    """Place a watch-like patch on the back of the wrist of the rest mesh.

    `alignment` (from `tpose_alignment`) tells where 'back of the hand' points at rest: in the
    T-pose the palms face down, so the back of the wrist is +Z; at rest it is C_bᵀ·(+Z).
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
    centre = heads[wi] - WATCH_OFFSET * axis
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
    return ImuSite(name=name, vertices=(v0, v1, v2), bone=forearm,
                   outward_bone_axis=tuple(float(x) for x in dorsal))


def make_sites(asset: BodyAsset, names, alignment: np.ndarray) -> list[ImuSite]:
    sites = []
    for n in names:
        if n not in PRESET_SITES:
            raise ValueError(f"unknown IMU site '{n}' (known: {', '.join(PRESET_SITES)})")
        sites.append(wrist_site(asset, n, alignment))
    return sites
