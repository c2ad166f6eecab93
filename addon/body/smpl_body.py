"""Licensed SMPL / SMPL-H / SMPL-X bodies through `smplx`, as a `BodyAsset`.

The user points `--body` to a model file (`.npz`, or `.pkl`) or a folder of them. Model files
are read with WearTwin's restricted loaders (smplx itself would `pickle.load` or
`np.load(allow_pickle=True)` them): the chumpy objects and scipy sparse matrices inside the
original SMPL pickles become inert records (no chumpy or scipy class is ever imported or
called); sparse matrices are rebuilt densely from their (data, indices, indptr, shape) after
every index is checked, and the model's shapes and face/joint indices are validated. The plain
arrays are handed to `smplx` as its `data_struct`; smplx then
shapes the body (betas) in its rest T-pose. The rig's rest pose *is* the SMPL rest pose, so
motion rotations apply without any T-pose alignment. Pose-corrective blend shapes are not
used: Blender skins with linear blend skinning only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..motion.rotations import Y_UP_TO_Z_UP
from .. import limits
from ..motion.safe_pickle import RestrictedUnpickler, UnsafePickleError, load_npz, load_pickle
from ..motion.skeleton import SKELETONS
from .asset import BodyAsset

_N_JOINTS_TO_TYPE = {24: "smpl", 52: "smplh", 55: "smplx"}


class BodyModelError(ValueError):
    pass


class _Token:
    """Stands in for a class named inside a model pickle (chumpy, scipy.sparse): an inert
    record of its pickled state. Nothing of the named class is ever imported or called."""

    def __setstate__(self, state):
        object.__setattr__(self, "state", state)


class _ChumpyArray(_Token):
    """A `chumpy.Ch` (original SMPL pickles): its array is the state's `x`."""


class _SparseToken(_Token):
    fmt = ""


class _Csc(_SparseToken):
    fmt = "csc"


class _Csr(_SparseToken):
    fmt = "csr"


class _Coo(_SparseToken):
    fmt = "coo"


_SPARSE = {"csc_matrix": _Csc, "csr_matrix": _Csr, "coo_matrix": _Coo,
           "csc_array": _Csc, "csr_array": _Csr, "coo_array": _Coo}


def _reconstructor(cls, base, state=None):
    """`copyreg._reconstructor` as old (protocol 0/1) pickles use it, for our tokens only."""
    if not (isinstance(cls, type) and issubclass(cls, _Token)) or base is not object or state is not None:
        raise UnsafePickleError("refused copyreg._reconstructor for anything but plain data records")
    return cls.__new__(cls)


class _ModelUnpickler(RestrictedUnpickler):
    """Model pickles also name chumpy and scipy.sparse classes: they become inert `_Token`s
    whose state (arrays and plain containers) `_to_array` validates and converts."""

    def extra_globals(self, module, name):
        if module.split(".")[0] == "chumpy":
            return _ChumpyArray
        if module.split(".")[0] == "scipy" and ".sparse" in module and name in _SPARSE:
            return _SPARSE[name]
        if (module, name) in (("copyreg", "_reconstructor"), ("copy_reg", "_reconstructor")):
            return _reconstructor
        if (module, name) in (("builtins", "object"), ("__builtin__", "object")):
            return object
        return None

    def node_size(self, obj):
        if isinstance(obj, _Token):
            st = getattr(obj, "state", None)
            return 64, [] if st is None else [st]
        return super().node_size(obj)


def _state(tok: _Token, what: str) -> dict:
    st = getattr(tok, "state", None)
    if isinstance(st, tuple) and len(st) == 2 and isinstance(st[0], dict):
        st = st[0]
    if not isinstance(st, dict):
        raise BodyModelError(f"'{what}' has no readable state")
    return st


def _index_array(x, what: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise BodyModelError(f"'{what}' is not a 1-D integer array")
    return a.astype(np.int64)


def _sparse_to_dense(tok: _SparseToken, what: str) -> np.ndarray:
    """Dense array from a pickled sparse matrix's (data, indices, indptr, shape), every index
    checked against the shape first (a crafted matrix must not write out of bounds)."""
    st = _state(tok, what)
    shape = st.get("_shape", st.get("shape"))
    if not (isinstance(shape, tuple) and len(shape) == 2 and all(isinstance(s, (int, np.integer)) and s >= 0
                                                                  for s in shape)):
        raise BodyModelError(f"'{what}': sparse matrix without a valid 2-D shape")
    rows, cols = int(shape[0]), int(shape[1])
    limits.check_array((rows, cols), 8, f"'{what}' (dense)")
    data = np.asarray(st.get("data"))
    if data.ndim != 1 or data.dtype.kind not in "biuf":
        raise BodyModelError(f"'{what}': sparse data is not a 1-D numeric array")
    if tok.fmt == "coo":
        r, c = _index_array(st.get("row"), f"{what}.row"), _index_array(st.get("col"), f"{what}.col")
    else:
        indices = _index_array(st.get("indices"), f"{what}.indices")
        indptr = _index_array(st.get("indptr"), f"{what}.indptr")
        n_major = rows if tok.fmt == "csr" else cols
        if (len(indptr) != n_major + 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0)
                or indptr[-1] != len(indices)):
            raise BodyModelError(f"'{what}': sparse index pointers are inconsistent with its shape")
        major = np.repeat(np.arange(n_major), np.diff(indptr))
        r, c = (major, indices) if tok.fmt == "csr" else (indices, major)
    if not (len(r) == len(c) == len(data)):
        raise BodyModelError(f"'{what}': sparse data and indices differ in length")
    if len(r) and (r.min() < 0 or r.max() >= rows or c.min() < 0 or c.max() >= cols):
        raise BodyModelError(f"'{what}': sparse indices outside its {rows}x{cols} shape")
    dense = np.zeros((rows, cols), np.float64)
    np.add.at(dense, (r, c), data.astype(np.float64))
    return dense


def _to_array(x, what: str, depth: int = 0):
    """Model entries as plain arrays: chumpy -> its `x`, sparse -> dense (validated)."""
    if depth > 8:
        raise BodyModelError(f"'{what}': nested too deeply")
    if isinstance(x, _SparseToken):
        return _sparse_to_dense(x, what)
    if isinstance(x, _ChumpyArray):
        st = _state(x, what)
        for k in ("x", "_x", "a"):
            if k in st:
                return _to_array(st[k], what, depth + 1)
        raise BodyModelError(f"'{what}': chumpy object without an array")
    if isinstance(x, _Token):
        raise BodyModelError(f"'{what}': unexpected object")
    return x


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
            data = load_pickle(path, _ModelUnpickler)
    except Exception as e:  # noqa: BLE001
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise BodyModelError(f"{path}: cannot read the body model ({msg})") from None
    if not isinstance(data, dict):
        raise BodyModelError(f"{path}: not a SMPL-family model (no dict)")
    data = {k: (v.item() if isinstance(v, np.ndarray) and v.dtype == object and v.shape == () else v)
            for k, v in data.items()}
    for k in ("v_template", "f", "weights", "J_regressor", "kintree_table", "shapedirs", "posedirs"):
        if k not in data:
            raise BodyModelError(f"{path}: not a SMPL-family model (missing '{k}')")
    try:
        data = {k: _to_array(v, str(k)) for k, v in data.items()}
        _validate(data)
    except BodyModelError as e:
        raise BodyModelError(f"{path}: {e}") from None
    return data


def _validate(d: dict) -> None:
    """Shapes and index ranges smplx and Blender rely on (bad indices must not reach C code)."""
    def arr(k, kinds="biuf"):
        try:
            a = np.asarray(d[k])
        except (TypeError, ValueError):
            raise BodyModelError(f"'{k}' is not an array") from None
        if a.dtype.kind not in kinds:
            raise BodyModelError(f"'{k}' is not numeric")
        d[k] = a
        return a

    v = arr("v_template")
    if v.ndim != 2 or v.shape[1] != 3 or len(v) < 3:
        raise BodyModelError(f"'v_template' has shape {v.shape}, expected (vertices, 3)")
    V = len(v)
    f = arr("f", "iu")
    if f.ndim != 2 or f.shape[1] != 3 or not len(f) or f.min() < 0 or f.max() >= V:
        raise BodyModelError(f"'f' must be (faces, 3) vertex indices within 0..{V - 1}")
    kt = arr("kintree_table", "iu")
    if kt.ndim != 2 or kt.shape[0] != 2:
        raise BodyModelError(f"'kintree_table' has shape {kt.shape}, expected (2, joints)")
    J = kt.shape[1]
    parents = kt[0].astype(np.int64)
    if J > 1 and np.any((parents[1:] < 0) | (parents[1:] >= np.arange(1, J))):
        raise BodyModelError("'kintree_table' parents must come before their children")
    w = arr("weights")
    if w.shape != (V, J):
        raise BodyModelError(f"'weights' has shape {w.shape}, expected ({V}, {J})")
    jr = arr("J_regressor")
    if jr.shape != (J, V):
        raise BodyModelError(f"'J_regressor' has shape {jr.shape}, expected ({J}, {V})")
    sd = arr("shapedirs")
    if sd.ndim != 3 or sd.shape[:2] != (V, 3):
        raise BodyModelError(f"'shapedirs' has shape {sd.shape}, expected ({V}, 3, betas)")
    pd = arr("posedirs")
    if pd.ndim not in (2, 3) or (pd.ndim == 3 and pd.shape[:2] != (V, 3)) or (pd.ndim == 2 and V * 3 not in pd.shape):
        raise BodyModelError(f"'posedirs' has shape {pd.shape}, expected ({V}, 3, P)")
    for k in ("v_template", "weights", "J_regressor", "shapedirs"):
        if not np.all(np.isfinite(d[k])):
            raise BodyModelError(f"'{k}' contains NaN or inf")


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
