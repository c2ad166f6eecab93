"""Body choice and human-attribute augmentation: which `BodyAsset`s a motion is baked on.

`--vary-body N` draws N seeded variants per motion. For Anny: phenotype values (gender, age,
muscle, weight, proportions) uniformly over adult ranges, and the normalized height scaled by
U(0.94, 1.06). For SMPL-family models: betas ~ N(0, 1) on the first 10 components, same height
rule. The draw depends on (seed, variant index) only — not on the motion — so variant `bNN`
is one and the same body across every motion of a bake or study (a "subject" for
leave-one-body-out evaluation), and re-runs and other shards reproduce it. (Before this,
the motion file name was mixed in, so every `b01` was a different body.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..export.names import variant_label
from .anny_body import anny_alignment, anny_asset
from .asset import BodyAsset

ANNY_RANGES = {"gender": (0.0, 1.0), "age": (0.35, 0.85), "muscle": (0.2, 0.8),
               "weight": (0.2, 0.8), "proportions": (0.3, 0.7)}
HEIGHT_RANGE = (0.94, 1.06)
VARIANT_STREAM = 0x626F6479  # keeps body draws apart from other streams seeded with the same seed


@dataclass
class BodyVariant:
    label: str              # "" for the default body, "b01".. for variants
    model: str              # "anny" or a model file path
    params: dict            # phenotype / betas
    height: float


def variants_for(stem: str, model: str, height: float, n: int, seed: int) -> list[BodyVariant]:
    """N body variants; `stem` (the motion) does not change them: body k is the same body for
    every motion baked with this seed."""
    if n <= 0:
        return [BodyVariant("", model, {}, height)]
    out = []
    for k in range(1, n + 1):
        rng = np.random.default_rng([seed, VARIANT_STREAM, k])
        h = height * rng.uniform(*HEIGHT_RANGE)
        if model == "anny":
            params = {key: round(float(rng.uniform(lo, hi)), 3) for key, (lo, hi) in ANNY_RANGES.items()}
        else:
            params = {"betas": [round(float(b), 3) for b in rng.normal(0, 1, 10)]}
        out.append(BodyVariant(variant_label(k), model, params, round(float(h), 4)))
    return out


class BodyLibrary:
    """Builds (and memoizes) normalized assets and their T-pose alignment per variant."""

    def __init__(self):
        self._cache: dict = {}

    def get(self, variant: BodyVariant) -> tuple[BodyAsset, np.ndarray]:
        key = (variant.model, repr(sorted(variant.params.items())), variant.height)
        if key not in self._cache:
            if len(self._cache) > 8:
                self._cache.clear()
            if variant.model == "anny":
                asset = anny_asset(variant.params).scaled_to_height(variant.height)
                align = anny_alignment(asset)
            else:
                from .smpl_body import smpl_asset

                asset = smpl_asset(variant.model, betas=variant.params.get("betas"),
                                   gender=variant.params.get("gender", "neutral"))
                asset = asset.scaled_to_height(variant.height)
                # the rig's rest pose is the SMPL rest pose: rotations apply as they are
                align = np.broadcast_to(np.eye(3), (len(asset.bone_names), 3, 3)).copy()
            self._cache[key] = (asset, align)
        return self._cache[key]
