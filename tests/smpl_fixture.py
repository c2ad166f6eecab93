"""A SMPL-layout model file made by the project (no licensed data): the Anny mesh re-rigged on
the 24 SMPL joints, written with the keys and shapes smplx reads. Real smplx loads it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from addon.body.anny_body import anny_asset
from addon.motion.rotations import Y_UP_TO_Z_UP
from addon.motion.skeleton import PARENTS, SKELETONS


def write_fake_smpl(path: Path, n_betas: int = 10) -> Path:
    a = anny_asset()
    names = SKELETONS["smpl"]
    bone_for = {j: bones[0] for j, bones in a.joint_map.items()}
    bone_for["left_hand"], bone_for["right_hand"] = "finger3-1.L", "finger3-1.R"
    verts_z = a.vertices.astype(np.float64)
    v = verts_z @ Y_UP_TO_Z_UP  # back to SMPL's Y-up canonical frame
    V = len(v)
    heads = a.bone_heads.astype(np.float64) @ Y_UP_TO_Z_UP
    # J_regressor: mean of the 8 vertices nearest each joint
    J_reg = np.zeros((24, V))
    for j, n in enumerate(names):
        h = heads[a.bone_index(bone_for[n])]
        near = np.argsort(np.linalg.norm(v - h, axis=1))[:8]
        J_reg[j, near] = 1 / 8
    # skin weights: each Anny bone's weight goes to the SMPL joint of its nearest mapped ancestor
    joint_of_bone = {}
    for b, bn in enumerate(a.bone_names):
        k, hit = b, None
        while k >= 0 and hit is None:
            for j, n in enumerate(names):
                if bone_for[n] == a.bone_names[k]:
                    hit = j
            k = a.bone_parents[k]
        joint_of_bone[b] = 0 if hit is None else hit
    W = np.zeros((V, 24))
    for k in range(a.weights.shape[1]):
        np.add.at(W, (np.arange(V), [joint_of_bone[b] for b in a.weight_bones[:, k]]), a.weights[:, k])
    rng = np.random.default_rng(0)
    shapedirs = rng.normal(0, 0.002, (V, 3, n_betas))
    kintree = np.stack([np.array(PARENTS["smpl"]), np.arange(24)]).astype(np.int64)
    kintree[0, 0] = 4294967295  # as in the released files
    np.savez(path, v_template=v, f=a.faces.astype(np.int64), weights=W, J_regressor=J_reg,
             kintree_table=kintree, shapedirs=shapedirs, posedirs=np.zeros((V, 3, 207)))
    return path
