"""The default body: NAVER's Anny (Apache-2.0 code, CC0 MakeHuman data), as a `BodyAsset`.

Instantiating Anny the first time builds a cache of several hundred MB and takes about a
minute on a 2-core machine; afterwards it loads in ~2 s. WearTwin derives a compact asset
(mesh, skeleton, skin weights: ~1 MB) once per phenotype and caches it, so bakes never touch
Anny again for a body they have seen. The default phenotype's asset ships in
`addon/body/data/` (derived from Anny's CC0 data; regenerate with
`python -m addon.body.anny_body --write-default`).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

from .asset import BodyAsset

DEFAULT_PHENOTYPE = {"gender": 0.5, "age": 0.5, "muscle": 0.5, "weight": 0.5, "height": 0.5,
                     "proportions": 0.5}
PACKAGED_DEFAULT = Path(__file__).with_name("data") / "anny_default.npz"
ASSET_VERSION = 1  # bump when the derivation below changes

_SIDES = {"left": "L", "right": "R"}
_FINGER_NUMBER = {"thumb": 1, "index": 2, "middle": 3, "ring": 4, "pinky": 5}


def anny_joint_map() -> dict[str, list[str]]:
    """SMPL-family joint -> Anny bones that take its rotation (bones not named here ride along
    with their parent: spine05/03, twist bones upperarm02/lowerarm02, metacarpals, ...)."""
    m = {"pelvis": ["root"], "spine1": ["spine04"], "spine2": ["spine02"], "spine3": ["spine01"],
         "neck": ["neck01"], "head": ["head"]}
    for side, s in _SIDES.items():
        m[f"{side}_hip"] = [f"upperleg01.{s}"]
        m[f"{side}_knee"] = [f"lowerleg01.{s}"]
        m[f"{side}_ankle"] = [f"foot.{s}"]
        m[f"{side}_foot"] = [f"toe{k}-1.{s}" for k in range(1, 6)]
        m[f"{side}_collar"] = [f"clavicle.{s}"]
        m[f"{side}_shoulder"] = [f"upperarm01.{s}"]
        m[f"{side}_elbow"] = [f"lowerarm01.{s}"]
        m[f"{side}_wrist"] = [f"wrist.{s}"]
        for finger, n in _FINGER_NUMBER.items():
            for k in (1, 2, 3):
                m[f"{side}_{finger}{k}"] = [f"finger{n}-{k}.{s}"]
    return m


# The hand's segment for the T-pose alignment: wrist -> base of the middle finger.
ANNY_EXTRA_SEGMENTS = {"left_wrist": "finger3-1.L", "right_wrist": "finger3-1.R"}
# Palms down in the T-pose: twist each forearm so cross(index - wrist, little - wrist) is
# +Z on the left hand and -Z on the right (hands pointing +X / -X, thumbs forward).
ANNY_PALM_LEVELS = {
    "lowerarm01.L": ("wrist.L", "finger2-1.L", "finger5-1.L", (0.0, 0.0, 1.0)),
    "lowerarm01.R": ("wrist.R", "finger2-1.R", "finger5-1.R", (0.0, 0.0, -1.0)),
}


# The trunk as one chain (see `tpose_alignment`): pelvis -> neck upright as in the template,
# Anny's own spine curvature kept between.
ANNY_CHAINS = {"spine1": "neck"}
# Forearm twist bones: {bone: (elbow joint, wrist joint, share)}. The bone takes `share` of the
# wrist's twist about the forearm axis (pronation/supination), so the distal forearm skin turns
# with the hand instead of all the twist landing at the wrist bone. Anny's lowerarm02 starts
# mid-forearm and its weights peak at the wrist, where the radius turns with the hand: full
# share (the Rigify convention for the lower forearm twist bone).
ANNY_TWIST_BONES = {"lowerarm02.L": ("left_elbow", "left_wrist", 1.0),
                    "lowerarm02.R": ("right_elbow", "right_wrist", 1.0)}


def anny_alignment(asset: BodyAsset) -> np.ndarray:
    """Per-bone rotations (B,3,3) from an Anny asset's rest pose to the SMPL T-pose."""
    from .asset import tpose_alignment
    return tpose_alignment(asset, ANNY_EXTRA_SEGMENTS, ANNY_PALM_LEVELS, ANNY_CHAINS)


def cache_dir() -> Path:
    from ..cache import cache_dir as _cache_dir

    return _cache_dir()


def _packaged_faces() -> np.ndarray | None:
    """The triangulation every Anny body uses (see `triangulation.py`)."""
    if not PACKAGED_DEFAULT.exists():
        return None
    with np.load(PACKAGED_DEFAULT, allow_pickle=False) as d:
        return d["faces"]


def phenotype_key(phenotype: dict) -> str:
    canon = json.dumps({k: round(float(v), 4) for k, v in sorted(phenotype.items())})
    return hashlib.sha1(f"{ASSET_VERSION}:{canon}".encode()).hexdigest()[:12]


_MODEL = None


def _anny_model():
    global _MODEL
    if _MODEL is None:
        import warnings

        import torch  # noqa: F401  (anny needs it)
        first = not any((Path(os.environ.get("ANNY_CACHE_DIR", Path.home() / ".cache" / "anny"))).glob("*/*"))
        if first:
            print("weartwin: building the Anny body model cache (first run only, about a minute)...",
                  file=sys.stderr, flush=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import anny
            _MODEL = anny.Anny()
    return _MODEL


def derive_asset(phenotype: dict | None = None) -> BodyAsset:
    """Run Anny for one phenotype and keep what Blender needs."""
    import torch

    pheno = {**DEFAULT_PHENOTYPE, **(phenotype or {})}
    model = _anny_model()
    with torch.no_grad():
        coeffs = model.get_phenotype_blendshape_coefficients(**pheno)
        rest = model.get_rest_model(coeffs)
    verts = rest["rest_vertices"][0].cpu().numpy()
    heads = rest["rest_bone_heads"][0].cpu().numpy()
    poses = rest["rest_bone_poses"][0].cpu().numpy()
    parents = np.asarray(model.bone_parents, dtype=np.int32)
    names = list(model.bone_labels)
    # Bone tails: along the rest y axis (Blender's bone axis), as long as the way to the first
    # child; leaf bones get a length proportional to their parent's.
    tails = np.empty_like(heads)
    length = np.full(len(names), 0.05)
    for b in range(len(names)):
        kids = np.nonzero(parents == b)[0]
        if len(kids):
            d = np.linalg.norm(heads[kids[0]] - heads[b])
            if d > 0.01:
                length[b] = d
        elif parents[b] >= 0:
            length[b] = max(0.5 * length[parents[b]], 0.02)
    for b in range(len(names)):
        tails[b] = heads[b] + poses[b, :3, 1] * length[b]
    w = model.vertex_bone_weights.cpu().numpy()
    wi = model.vertex_bone_indices.cpu().numpy()
    k = int((w > 0).sum(1).max())
    order = np.argsort(-w, axis=1)[:, :k]
    w = np.take_along_axis(w, order, 1)
    wi = np.take_along_axis(wi, order, 1)
    w = w / w.sum(1, keepdims=True)
    import anny

    from .triangulation import canonical_faces

    faces = canonical_faces(model.faces.cpu().numpy(), _packaged_faces())
    asset = BodyAsset(
        vertices=verts.astype(np.float32), faces=faces,
        bone_names=names, bone_parents=parents, bone_heads=heads.astype(np.float32),
        bone_tails=tails.astype(np.float32), weight_bones=wi.astype(np.int32),
        weights=w.astype(np.float32), joint_map=anny_joint_map(), model="anny",
        params={"phenotype": pheno, "anny_version": anny.__version__, "asset_version": ASSET_VERSION,
                "licence": "Anny (NAVER, Apache-2.0) with MakeHuman CC0 data"},
    )
    return asset.scaled_to_height(asset.height)  # soles at z=0, feet centred; scale 1


def anny_asset(phenotype: dict | None = None) -> BodyAsset:
    """The asset for a phenotype (unscaled, natural Anny height), from cache when possible."""
    pheno = {**DEFAULT_PHENOTYPE, **(phenotype or {})}
    if pheno == DEFAULT_PHENOTYPE and PACKAGED_DEFAULT.exists():
        return BodyAsset.load(PACKAGED_DEFAULT)
    path = cache_dir() / f"anny-{phenotype_key(pheno)}.npz"
    if path.exists():
        try:
            from .triangulation import canonical_faces

            asset = BodyAsset.load(path)
            asset.faces = canonical_faces(asset.faces, _packaged_faces())  # cached by an older version
            return asset
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)
    asset = derive_asset(pheno)
    asset.save(path)
    return asset


if __name__ == "__main__":
    if "--write-default" in sys.argv:
        PACKAGED_DEFAULT.parent.mkdir(exist_ok=True)
        derive_asset(DEFAULT_PHENOTYPE).save(PACKAGED_DEFAULT)
        print(f"wrote {PACKAGED_DEFAULT} ({PACKAGED_DEFAULT.stat().st_size / 1e6:.2f} MB)")
