"""Many clips × bodies at once in torch (GPU, or CPU): the fast engine's maths, batched.

Everything per frame runs on the device over all frames of all clips together: joint forward
kinematics, bone world deltas D_b = G_j(b)·K_b (as `retarget.world_deltas`), the deform chain
(`rig.deform_from_deltas`), skinning of the patch vertices (`lbs`) and the sensor frames. The IMU
signals come from those vertices through the one IMU model (`addon.bake.site_imu`, numpy, per
clip: the derivative filter and noise are cheap next to skinning). What stays on the CPU is per
clip or per body and small: resampling, the first-frame
normalization (exact path, 2 frames) and the body's constants. `tests/test_fast_imu.py` checks
this against the numpy engine, which is checked against Blender.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..motion.rotations import Y_UP_TO_Z_UP
from ..motion.skeleton import BODY_JOINTS, BODY_PARENTS
from . import lbs
from .engine import first_frame_offset
from .rig import ancestors_closure, rest_matrices


def resolve_device(device: str = "auto") -> str:
    """"auto": cuda when torch sees a GPU, else cpu (where `Baker.bake_many` uses numpy)."""
    if device != "auto":
        return device
    import glob

    if not glob.glob("/dev/nvidia[0-9]*") and not glob.glob("/dev/dxg"):
        return "cpu"            # no GPU device node: do not pay for importing torch
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class BodyPack:
    """One body's constants for the batch: the bones the sites hang from, in parent order."""

    parents: np.ndarray     # (K,) index into the pack, -1 for the root
    heads: np.ndarray       # (K,3) rest heads
    joint: np.ndarray       # (K,) SMPL body joint whose global rotation the bone follows, -1: none
    K: np.ndarray           # (K,3,3) D_b = G_joint · K_b
    bones: np.ndarray       # (N,k) skinning influences (pack indices), N = 3 per site
    weights: np.ndarray     # (N,k)
    rest: np.ndarray        # (N,3)
    n_sites: int
    joint_src: np.ndarray   # (J,m) pack bone whose deform carries each joint's bone heads
    joint_head: np.ndarray  # (J,m,3) those rest heads
    joint_w: np.ndarray     # (J,m) averaging weights (0: padding; a row of zeros: joint not on this body)
    twist: np.ndarray       # (K,2) (elbow, wrist) joints of a forearm twist bone, -1: not one
    twist_axis: np.ndarray  # (K,3) share x unit elbow -> wrist axis of the SMPL T-pose (retarget.world_deltas)


def body_pack(asset, alignment: np.ndarray, site_vertices) -> BodyPack:
    """Constants for `asset` with its T-pose `alignment`, for the given site vertex triples (or an
    `lbs.Patch` of them, `lbs.site_patch`)."""
    from ..body.retarget import twist_bones
    from ..motion.skeleton import TPOSE_BODY
    from .engine import joint_bones

    p = site_vertices if isinstance(site_vertices, lbs.Patch) else lbs.patch(asset, site_vertices)
    if not p.moves.all():
        raise ValueError("a sensor vertex has no skin weight")
    parents = np.asarray(asset.bone_parents)
    jb = joint_bones(asset, BODY_JOINTS)
    src = {b: (parents[b] if parents[b] >= 0 else b) for bs in jb for b in bs}
    keep = ancestors_closure(parents, np.union1d(p.used_bones(), np.array(sorted(set(src.values())), np.int64)))
    remap = np.full(len(parents), -1)
    remap[keep] = np.arange(len(keep))
    joint_index = {n: i for i, n in enumerate(BODY_JOINTS)}
    driver = np.full(len(parents), -1)
    for j, bones in asset.joint_map.items():
        for b in bones:
            if b in asset.bone_names:
                driver[asset.bone_index(b)] = joint_index.get(j, -2)
    if (driver[keep] == -2).any():
        raise ValueError("a sensor patch follows a hand/face joint; the batch engine covers the 22 body joints")
    Wt = Y_UP_TO_Z_UP.T
    tw = {asset.bone_index(b): v for b, v in twist_bones(asset).items()}
    joint = np.full(len(keep), -1)
    K = np.empty((len(keep), 3, 3))
    twist, twist_axis = np.full((len(keep), 2), -1), np.zeros((len(keep), 3))
    for i, b in enumerate(keep):     # as world_deltas: undriven bones keep their parent's delta
        pb = parents[b]
        if b in tw:                  # D_b = G_elbow · Tw(share·θ) · K_b
            elbow, wrist, share = tw[b]
            e, w = joint_index[elbow], joint_index[wrist]
            a = TPOSE_BODY[w] - TPOSE_BODY[e]
            joint[i], K[i], twist[i], twist_axis[i] = e, Wt @ alignment[b], (e, w), share * a / np.linalg.norm(a)
        elif driver[b] >= 0:
            joint[i], K[i] = driver[b], Wt @ alignment[b]
        elif pb >= 0:
            joint[i], K[i] = joint[remap[pb]], K[remap[pb]]
            twist[i], twist_axis[i] = twist[remap[pb]], twist_axis[remap[pb]]
        else:
            joint[i], K[i] = -1, np.eye(3)
    rest = rest_matrices(asset.bone_heads, asset.bone_tails)
    pp = parents[keep]
    m = max(1, max(len(bs) for bs in jb))
    jsrc = np.zeros((len(jb), m), np.int64)
    jhead = np.zeros((len(jb), m, 3))
    jw = np.zeros((len(jb), m))
    for j, bs in enumerate(jb):
        for k, b in enumerate(bs):
            jsrc[j, k], jhead[j, k], jw[j, k] = remap[src[b]], rest[b, :3, 3], 1.0 / len(bs)
    return BodyPack(parents=np.where(pp >= 0, remap[np.maximum(pp, 0)], -1), heads=rest[keep, :3, 3],
                    joint=joint, K=K, bones=remap[p.bones], weights=p.weights, rest=p.rest,
                    n_sites=len(p.vertices) // 3, joint_src=jsrc, joint_head=jhead, joint_w=jw,
                    twist=twist, twist_axis=twist_axis)


def _aa_to_matrix(torch, aa):
    theta = aa.norm(dim=-1, keepdim=True)
    small = theta < 1e-12
    axis = aa / torch.where(small, torch.ones_like(theta), theta)
    x, y, z = axis.unbind(-1)
    th = theta[..., 0]
    c, s = torch.cos(th), torch.sin(th)
    C = 1 - c
    R = torch.stack([c + x * x * C, x * y * C - z * s, x * z * C + y * s,
                     y * x * C + z * s, c + y * y * C, y * z * C - x * s,
                     z * x * C - y * s, z * y * C + x * s, c + z * z * C], -1).view(*aa.shape[:-1], 3, 3)
    eye = torch.eye(3, dtype=aa.dtype, device=aa.device).expand_as(R)
    return torch.where(small[..., None], eye, R)


def _log_map(torch, R):
    """Rotation vectors of (F,3,3) rotations by less than π (frame-to-frame turns)."""
    m00, m11, m22 = R[:, 0, 0], R[:, 1, 1], R[:, 2, 2]
    v = torch.stack([R[:, 2, 1] - R[:, 1, 2], R[:, 0, 2] - R[:, 2, 0], R[:, 1, 0] - R[:, 0, 1]], -1) * 0.5
    s = v.norm(dim=-1, keepdim=True)            # sin θ
    angle = torch.atan2(s, (m00 + m11 + m22 - 1)[:, None] * 0.5)
    scale = torch.where(s > 1e-12, angle / torch.where(s > 1e-12, s, torch.ones_like(s)), torch.ones_like(s))
    return v * scale


def imu_batch(pack: BodyPack, rotations, trans, scale, offsets, lengths, device: str = "cpu", dtype=None) -> dict:
    """All clips of one body: rotations (F,22,3) axis-angle and trans (F,3) of the clips
    concatenated (each clip's frames at the output rate), scale (n,) translation scale and
    offsets (n,3) normalization per clip, lengths (n,). Returns numpy arrays: "position" (F,S,3)
    (patch centroids), "frames" (F,S,3,3), "vertices" (F,S,3,3), "joints" (F,22,3). The IMU
    signals are derived from "vertices" by the one IMU model, `addon.bake.site_imu`."""
    import torch

    dtype = dtype or torch.float64
    dev = torch.device(device)
    t = lambda a: torch.as_tensor(np.asarray(a), dtype=dtype, device=dev)  # noqa: E731
    lengths_t = torch.as_tensor(np.asarray(lengths), device=dev)
    starts = torch.cumsum(lengths_t, 0) - lengths_t
    clip = torch.repeat_interleave(torch.arange(len(lengths_t), device=dev), lengths_t)
    with torch.no_grad():
        rot = t(rotations)
        tr = t(trans)
        F = rot.shape[0]
        # forward kinematics of the 22 body joints
        L = _aa_to_matrix(torch, rot)
        G = [None] * len(BODY_JOINTS)
        for j, p in enumerate(BODY_PARENTS):
            G[j] = L[:, j] if p < 0 else G[p] @ L[:, j]
        eye = torch.eye(3, dtype=dtype, device=dev).expand(F, 3, 3)
        disp = (tr - tr[starts][clip]) * t(scale)[clip][:, None]
        Kt, heads = t(pack.K), t(pack.heads)
        D, T = [], []
        for b, p in enumerate(pack.parents):
            Gj = G[pack.joint[b]] if pack.joint[b] >= 0 else eye
            if pack.twist[b, 0] >= 0:   # forearm twist bone: a share of the wrist's twist about the forearm
                Gj = Gj @ _twist(torch, G[pack.twist[b, 0]].transpose(-1, -2) @ G[pack.twist[b, 1]],
                                 t(pack.twist_axis[b]))
            Db = Gj @ Kt[b]
            h = heads[b]
            carried = h + disp if p < 0 else D[p] @ h + T[p]
            D.append(Db)
            T.append(carried - Db @ h)
        D = torch.stack(D, 1)                        # (F,K,3,3)
        T = torch.stack(T, 1)                        # (F,K,3)
        w, rest = t(pack.weights), t(pack.rest)
        off = t(offsets)[clip][:, None]
        verts = off.expand(F, len(rest), 3).clone()
        for k in range(w.shape[1]):                  # Σ_k w·(D x + t), one influence at a time
            bk = torch.as_tensor(pack.bones[:, k], device=dev)
            verts += w[:, k, None] * (torch.einsum("fnij,nj->fni", D[:, bk], rest) + T[:, bk])
        joints = off.expand(F, len(pack.joint_w), 3).clone()
        jw, jh = t(pack.joint_w), t(pack.joint_head)
        for k in range(jw.shape[1]):
            bk = torch.as_tensor(pack.joint_src[:, k], device=dev)
            joints += jw[:, k, None] * (torch.einsum("fnij,nj->fni", D[:, bk], jh[:, k]) + T[:, bk])
        joints[:, jw.sum(1) == 0] = float("nan")
        del D, T
        S = pack.n_sites
        v = verts.view(F, S, 3, 3)
        x = v[:, :, 1] - v[:, :, 0]
        x = x / x.norm(dim=-1, keepdim=True)
        z = torch.cross(x, v[:, :, 2] - v[:, :, 0], dim=-1)
        z = z / z.norm(dim=-1, keepdim=True)
        y = torch.cross(z, x, dim=-1)
        R = torch.stack([x, y, z], -1)               # (F,S,3,3) columns = axes
        centre = v.mean(2)
        return {"position": centre.cpu().numpy(),
                "frames": R.cpu().numpy(), "vertices": v.cpu().numpy(), "joints": joints.cpu().numpy()}


def _twist(torch, R, axis_share):
    """Rotations (F,3,3) by share·θ about the unit axis, θ the twist of R about that axis
    (quaternion w >= 0, as `retarget.twist_angle`); `axis_share` = share · axis."""
    share = axis_share.norm()
    a = axis_share / share
    v = torch.stack([R[:, 2, 1] - R[:, 1, 2], R[:, 0, 2] - R[:, 2, 0], R[:, 1, 0] - R[:, 0, 1]], -1)
    tr = R[:, 0, 0] + R[:, 1, 1] + R[:, 2, 2]
    theta = 2.0 * torch.atan2(v @ a, 1.0 + tr)
    return _aa_to_matrix(torch, (share * theta)[:, None] * a)


def first_frame_offsets(asset, alignment, motions, heights, foot_vertices) -> np.ndarray:
    """(n,3) the normalization offset of each clip (exact path, first frames only)."""
    return np.stack([first_frame_offset(asset, alignment, m, h, foot_vertices) for m, h in zip(motions, heights)])
