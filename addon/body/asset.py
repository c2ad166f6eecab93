"""`BodyAsset`: a rigged body as plain arrays, the one thing the Blender scene is built from.

Coordinates: Blender's Z-up world, the body standing in its rest pose facing -Y with its left
on +X (the SMPL canonical frame turned by +90 deg about X), soles at z = 0, metres.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..motion.rotations import Y_UP_TO_Z_UP, rotation_between
from ..motion.skeleton import BODY_JOINTS, BODY_PARENTS, TPOSE_BODY


@dataclass
class BodyAsset:
    vertices: np.ndarray          # (V,3) float32 rest vertices
    faces: np.ndarray             # (F,3) int32 triangles
    bone_names: list[str]
    bone_parents: np.ndarray      # (B,) int32, -1 for the root; parents come before children
    bone_heads: np.ndarray        # (B,3) float32
    bone_tails: np.ndarray        # (B,3) float32
    weight_bones: np.ndarray      # (V,K) int32 bone index per influence
    weights: np.ndarray           # (V,K) float32, rows sum to 1
    joint_map: dict[str, list[str]]  # SMPL-family joint name -> bones that follow its rotation
    model: str = "anny"
    params: dict = field(default_factory=dict)  # phenotype or betas, height, licence notes

    @property
    def height(self) -> float:
        return float(self.vertices[:, 2].max() - self.vertices[:, 2].min())

    def bone_index(self, name: str) -> int:
        return self.bone_names.index(name)

    def save(self, path) -> None:
        from ..export.atomic import atomic_write

        atomic_write(path, lambda f: np.savez_compressed(
            f, vertices=self.vertices, faces=self.faces, bone_parents=self.bone_parents,
            bone_heads=self.bone_heads, bone_tails=self.bone_tails,
            weight_bones=self.weight_bones, weights=self.weights,
            meta=np.array(json.dumps({"bone_names": self.bone_names, "joint_map": self.joint_map,
                                      "model": self.model, "params": self.params}))))

    @classmethod
    def load(cls, path) -> "BodyAsset":
        with np.load(path, allow_pickle=False) as d:  # our own cache file, no object arrays
            meta = json.loads(str(d["meta"]))
            return cls(vertices=d["vertices"], faces=d["faces"], bone_parents=d["bone_parents"],
                       bone_heads=d["bone_heads"], bone_tails=d["bone_tails"],
                       weight_bones=d["weight_bones"], weights=d["weights"],
                       bone_names=meta["bone_names"], joint_map=meta["joint_map"],
                       model=meta["model"], params=meta["params"])

    def scaled_to_height(self, height: float) -> "BodyAsset":
        """Uniform scale about the sole centre so the rest height is `height` metres, soles at z=0,
        feet centred on x = y = 0."""
        v = self.vertices.astype(np.float64)
        feet = v[v[:, 2] < v[:, 2].min() + 0.05]
        centre = np.array([feet[:, 0].mean(), feet[:, 1].mean(), v[:, 2].min()])
        s = height / self.height

        def tf(a):
            return ((a.astype(np.float64) - centre) * s).astype(np.float32)

        return BodyAsset(vertices=tf(self.vertices), faces=self.faces, bone_names=self.bone_names,
                         bone_parents=self.bone_parents, bone_heads=tf(self.bone_heads),
                         bone_tails=tf(self.bone_tails), weight_bones=self.weight_bones,
                         weights=self.weights, joint_map=self.joint_map, model=self.model,
                         params={**self.params, "height": height, "scale": s})


def tpose_alignment(asset: BodyAsset, extra_segments: dict[str, str] | None = None,
                    palm_levels: dict[str, tuple[str, str, str, tuple]] | None = None,
                    chains: dict[str, str] | None = None) -> np.ndarray:
    """Per-bone rotations (B,3,3) that turn the asset's rest pose into the SMPL T-pose.

    For each mapped joint with one child on the SMPL body tree, the bone is turned (smallest
    rotation, after its parents' turns) so that the segment to the child's bone points as in
    the T-pose template. Unmapped bones ride along with their parent. For a body built in the
    T-pose (SMPL via smplx) these are all close to identity.

    palm_levels: {forearm bone: (wrist bone, index-base bone, little-finger-base bone, normal)}
    additionally twists the forearm about its own axis so that cross(index - wrist,
    little - wrist) points along `normal`: palms face down, as in the SMPL T-pose.

    chains: {first joint: last joint} aligns a chain of joints as a whole instead of segment by
    segment, e.g. {"spine1": "neck"}: the first joint's bone is turned so that the axis from its
    parent joint to the last joint (pelvis -> neck) points as in the template, and the joints in
    between ride along, keeping the asset's own curvature. Aiming each spine bone at the
    template's short, zig-zagging spine segments instead (their lengths differ from the asset's)
    leans the whole trunk: 17 deg forward for Anny.
    """
    template = TPOSE_BODY @ Y_UP_TO_Z_UP.T
    bone_of = {j: bones[0] for j, bones in asset.joint_map.items() if bones}
    children = {j: [BODY_JOINTS[c] for c in range(len(BODY_JOINTS)) if BODY_PARENTS[c] == i]
                for i, j in enumerate(BODY_JOINTS)}
    segment: dict[str, tuple[str, np.ndarray]] = {}
    for i, j in enumerate(BODY_JOINTS):
        if j not in bone_of:
            continue
        kids = [c for c in children[j] if c in bone_of]
        if len(kids) == 1:
            segment[bone_of[j]] = (bone_of[kids[0]], template[BODY_JOINTS.index(kids[0])] - template[i])
    for j, child_bone in (extra_segments or {}).items():  # e.g. wrist -> middle finger base
        if j in bone_of and child_bone in asset.bone_names:
            i = BODY_JOINTS.index(j)
            segment[bone_of[j]] = (child_bone, template[i] - template[BODY_PARENTS[i]])
    chain_of: dict[str, tuple[str, str, np.ndarray]] = {}
    for first, last in (chains or {}).items():
        if first not in bone_of or last not in bone_of:
            continue
        i, k = BODY_JOINTS.index(first), BODY_JOINTS.index(last)
        j = BODY_PARENTS[k]
        while j not in (i, -1):  # joints strictly between first and last ride along
            segment.pop(bone_of.get(BODY_JOINTS[j], ""), None)
            j = BODY_PARENTS[j]
        segment.pop(bone_of[first], None)
        base = bone_of[BODY_JOINTS[BODY_PARENTS[i]]]
        chain_of[bone_of[first]] = (base, bone_of[last], template[k] - template[BODY_PARENTS[i]])
    heads = asset.bone_heads.astype(np.float64)
    C = np.empty((len(asset.bone_names), 3, 3))
    for b, name in enumerate(asset.bone_names):
        p = asset.bone_parents[b]
        Cp = np.eye(3) if p < 0 else C[p]
        if name in segment:
            child, target = segment[name]
            u = Cp @ (heads[asset.bone_index(child)] - heads[b])
            C[b] = rotation_between(u, target) @ Cp
            if palm_levels and name in palm_levels:
                C[b] = _palm_twist(asset, heads, C[b], target, *palm_levels[name]) @ C[b]
        elif name in chain_of:
            base, last, axis = chain_of[name]
            C[b] = _chain_turn(heads, asset.bone_index(base), b, asset.bone_index(last), Cp, axis) @ Cp
        else:
            C[b] = Cp
    return C


def _chain_turn(heads: np.ndarray, base: int, first: int, last: int, Cp: np.ndarray,
                axis: np.ndarray) -> np.ndarray:
    """Rotation about the first bone's head that puts the last bone's head on the ray from the
    base bone's head along `axis` (the chain keeps its length: a circle meets a line)."""
    e = axis / np.linalg.norm(axis)
    d = Cp @ (heads[first] - heads[base])      # base -> first, already turned by the parents
    u = Cp @ (heads[last] - heads[first])      # first -> last, to be turned
    L = np.linalg.norm(u)
    de = d @ e
    disc = de * de - d @ d + L * L
    if disc < 0:
        return rotation_between(u, e)
    t = de + np.sqrt(disc)
    return rotation_between(u, t * e - d)


def _palm_twist(asset: BodyAsset, heads: np.ndarray, C: np.ndarray, axis: np.ndarray,
                wrist: str, index: str, little: str, normal) -> np.ndarray:
    a = axis / np.linalg.norm(axis)
    w = heads[asset.bone_index(wrist)]
    n = np.cross(C @ (heads[asset.bone_index(index)] - w), C @ (heads[asset.bone_index(little)] - w))
    n = n - a * (n @ a)
    t = np.asarray(normal, float)
    t = t - a * (t @ a)
    if np.linalg.norm(n) < 1e-9 or np.linalg.norm(t) < 1e-9:
        return np.eye(3)
    n, t = n / np.linalg.norm(n), t / np.linalg.norm(t)
    angle = np.arctan2(np.cross(n, t) @ a, n @ t)
    from ..motion.rotations import axis_angle_to_matrix
    return axis_angle_to_matrix(a * angle)
