"""Reading pickles and object arrays from untrusted files without running their code.

Motion pickles (AIST++, MoSh) and some `.npz` files (GRAB's nested dicts) hold numpy arrays
inside plain containers. `RestrictedUnpickler` admits exactly the globals needed to rebuild
those (numpy's array reconstructor, dtype, scalar) and refuses everything else, so a pickle
that names `os.system` or any other callable fails before anything executes.
"""
from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
from numpy.lib import format as npformat

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("collections", "OrderedDict"),
}


class UnsafePickleError(pickle.UnpicklingError):
    pass


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise UnsafePickleError(f"refused to load '{module}.{name}' (pickle may carry code)")


def load_pickle(path) -> object:
    with open(path, "rb") as f:
        return RestrictedUnpickler(f, encoding="latin1").load()


def loads_pickle(data: bytes) -> object:
    return RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()


def load_npz(path) -> dict[str, np.ndarray]:
    """All arrays of an `.npz`; object arrays go through `RestrictedUnpickler`.

    Raises ValueError / zipfile.BadZipFile / UnsafePickleError on broken or hostile files.
    """
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if not name.endswith(".npy"):
                continue
            with zf.open(name) as fh:
                raw = fh.read()
            key = name[:-4]
            bio = io.BytesIO(raw)
            version = npformat.read_magic(bio)
            shape, fortran, dtype = npformat._read_array_header(bio, version)  # noqa: SLF001
            if dtype.hasobject:
                arr = loads_pickle(raw[bio.tell():])
                if not isinstance(arr, np.ndarray):
                    arr = np.asarray(arr, dtype=object)
                out[key] = arr
            else:
                out[key] = npformat.read_array(io.BytesIO(raw), allow_pickle=False)
    return out
