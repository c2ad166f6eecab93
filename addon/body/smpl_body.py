"""Licensed SMPL / SMPL-H / SMPL-X bodies through `smplx`, as a `BodyAsset`.

The user points `--body` to a model file (`.npz`, or `.pkl`) or a folder of them. Model files
are read with WearTwin's restricted loaders (smplx itself would `pickle.load` or
`np.load(allow_pickle=True)` them) and handed to `smplx` as its `data_struct`; smplx then
shapes the body (betas) in its rest T-pose. The rig's rest pose *is* the SMPL rest pose, so
motion rotations apply without any T-pose alignment. Pose-corrective blend shapes are not
used: Blender skins with linear blend skinning only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..motion.rotations import Y_UP_TO_Z_UP
from ..motion.safe_pickle import RestrictedUnpickler, load_npz
from ..motion.skeleton import SKELETONS
from .asset import BodyAsset

_N_JOINTS_TO_TYPE = {24: "smpl", 52: "smplh", 55: "smplx"}


class BodyModelError(ValueError):
    pass


class _ChumpyArray:
    """Stands in for `chumpy.Ch` objects inside original SMPL pickles: keeps their array."""

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {"x": state})

    def __array__(self, dtype=None, copy=None):
        for k in ("x", "_x", "a"):
            if k in self.__dict__:
                return np.asarray(self.__dict__[k], dtype=dtype)
        raise BodyModelError("chumpy object without an array")


class _ModelUnpickler(RestrictedUnpickler):
    """Also admits scipy sparse matrices (J_regressor) and chumpy arrays, as data only."""

    def find_class(self, module, name):
        if module.startswith("chumpy"):
            return _ChumpyArray
        if module == "copyreg" and name == "_reconstructor":
            import copyreg

            return copyreg._reconstructor
        if module == "builtins" and name == "object":
            return object
        if module.startswith("scipy.sparse") and name in ("csc_matrix", "csr_matrix", "coo_matrix"):
            import scipy.sparse

            return getattr(scipy.sparse, name)
        return super().find_class(module, name)


def _dense(a) -> np.ndarray:
    if hasattr(a, "toarray"):
        return np.asarray(a.toarray())
    return np.asarray(a)


def find_model_file(path: str | Path, gender: str = "neutral") -> Path:
    p = Path(path)
    if p.is_file():
        return p
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.suffix in (".npz", ".pkl"))
        for g in (gender, "neutral"):
            for f in files:
                if g.upper() in f.stem.upper():
                    return f
        if files:
            return files[0]
    raise BodyModelError(f"{path}: no SMPL-family model file (.npz/.pkl) found")


def load_model_data(path: Path) -> dict:
    try:
        if path.suffix == ".npz":
            data = load_npz(path)
        else:
            with open(path, "rb") as f:
                data = _ModelUnpickler(f, encoding="latin1").load()
    except Exception as e:  # noqa: BLE001
        raise BodyModelError(f"{path}: cannot read the body model ({e})") from None
    if not isinstance(data, dict):
        raise BodyModelError(f"{path}: not a SMPL-family model (no dict)")
    data = {k: (v.item() if isinstance(v, np.ndarray) and v.dtype == object and v.shape == () else v)
            for k, v in data.items()}
    for k in ("v_template", "f", "weights", "J_regressor", "kintree_table", "shapedirs", "posedirs"):
        if k not in data:
            raise BodyModelError(f"{path}: not a SMPL-family model (missing '{k}')")
    for k in list(data):
        if k in ("J_regressor",) or isinstance(data[k], _ChumpyArray):
            data[k] = _dense(np.asarray(data[k]) if isinstance(data[k], _ChumpyArray) else data[k])
    return data


def smpl_asset(path: str | Path, betas=None, gender: str = "neutral") -> BodyAsset:
    import torch
    import smplx
    from smplx.utils import Struct

    file = find_model_file(path, gender)
    data = load_model_data(file)
    n_joints = np.asarray(data["kintree_table"]).shape[1]
    kind = _N_JOINTS_TO_TYPE.get(n_joints)
    if kind is None:
        raise BodyModelError(f"{file}: {n_joints} joints; expected 24 (SMPL), 52 (SMPL-H) or 55 (SMPL-X)")
    n_betas = min(int(np.asarray(data["shapedirs"]).shape[-1]), 300)
    common = dict(model_path=str(file.parent), data_struct=Struct(**data), num_betas=min(n_betas, 16))
    if kind == "smpl":
        model = smplx.SMPL(**common)
    elif kind == "smplh":
        model = smplx.SMPLH(**common, use_pca=False, flat_hand_mean=True)
    else:
        model = smplx.SMPLX(**common, use_pca=False, flat_hand_mean=True)
    b = np.zeros((1, model.num_betas), np.float32)
    if betas is not None:
        bb = np.asarray(betas, np.float32).reshape(-1)[: model.num_betas]
        b[0, : len(bb)] = bb
    with torch.no_grad():
        out = model(betas=torch.from_numpy(b), return_verts=True)
    verts = out.vertices[0].numpy().astype(np.float64)
    joints = out.joints[0, :n_joints].numpy().astype(np.float64)
    parents = np.asarray(data["kintree_table"])[0].astype(np.int64)
    parents[0] = -1
    names = list(SKELETONS[kind])
    W = Y_UP_TO_Z_UP  # SMPL canonical (Y up, facing +Z) -> WearTwin's Z-up rest frame
    verts, joints = verts @ W.T, joints @ W.T
    tails = np.empty_like(joints)
    for j in range(n_joints):
        kids = np.nonzero(parents == j)[0]
        if len(kids):
            tip = joints[kids].mean(0) if len(kids) > 1 else joints[kids[0]]
            d = tip - joints[j]
        else:
            d = joints[j] - joints[parents[j]]
        n = np.linalg.norm(d)
        tails[j] = joints[j] + (d / n * max(min(n, 0.25), 0.02) if n > 1e-6 else [0, 0, 0.05])
    w = np.asarray(data["weights"], dtype=np.float64)
    k = 4
    order = np.argsort(-w, axis=1)[:, :k]
    wk = np.take_along_axis(w, order, 1)
    wk = wk / np.maximum(wk.sum(1, keepdims=True), 1e-12)
    asset = BodyAsset(
        vertices=verts.astype(np.float32), faces=np.asarray(data["f"], dtype=np.int32),
        bone_names=names, bone_parents=parents.astype(np.int32), bone_heads=joints.astype(np.float32),
        bone_tails=tails.astype(np.float32), weight_bones=order.astype(np.int32), weights=wk.astype(np.float32),
        joint_map={n: [n] for n in names}, model=kind,
        params={"model_file": str(file), "betas": b[0].tolist(), "licence": "user's licensed model file"})
    return asset.scaled_to_height(asset.height)
