"""Reading pickles and object arrays from untrusted files without running their code.

Motion pickles (AIST++, MoSh) and some `.npz` files (GRAB's nested dicts) hold numpy arrays
inside plain containers. `RestrictedUnpickler` admits exactly what rebuilds those and refuses
everything else, so a pickle that names `os.system` or any other callable fails before
anything executes:

- numpy arrays, dtypes and scalars, through *checking* stand-ins for numpy's reconstructors
  (the array class itself is never handed out, so `ndarray.__new__(huge shape)` is impossible;
  declared sizes are checked before an array is allocated);
- plain containers (dict, list, tuple, set, frozenset, OrderedDict), str, bytes, numbers.

Resource bounds (`addon/limits.py`): the pickle's length, the number of pickle operations
executed (each builds at most one small object), and the size of what was built counted *as
a tree* (an array referenced 10,000 times through the pickle memo counts 10,000 times, since
`np.asarray` on it would copy it that often). Cycles are refused.

`.npz` members are checked from their zip and `.npy` headers before decompression.
"""
from __future__ import annotations

import _compat_pickle
import collections
import io
import pickle
import zipfile

import numpy as np
from numpy.lib import format as npformat

from .. import limits

_MAX_SCALAR_BYTES = 1 << 16


class UnsafePickleError(pickle.UnpicklingError):
    pass


class _ArrayClass:
    """Stands in for `numpy.ndarray` inside a pickle: only our `_reconstruct` accepts it."""

    def __new__(cls, *args, **kw):
        raise UnsafePickleError("refused to build numpy.ndarray directly (only through its reconstructor)")


def _shape_of(shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, tuple) or not all(isinstance(s, (int, np.integer)) for s in shape):
        raise UnsafePickleError("array shape is not a tuple of integers")
    return tuple(int(s) for s in shape)


def _dtype_of(dtype) -> np.dtype:
    if isinstance(dtype, np.dtype):
        return dtype
    if isinstance(dtype, (str, bytes)):
        try:
            return np.dtype(dtype)
        except TypeError as e:
            raise UnsafePickleError(f"bad dtype {dtype!r} ({e})") from None
    raise UnsafePickleError(f"bad dtype {type(dtype).__name__}")


class Budget:
    """Counts what one load builds, against `limits`."""

    def __init__(self):
        self.max_bytes = limits.limit("input_bytes")
        self.max_ops = limits.limit("pickle_objects")
        self.ops = 0

    def array(self, shape, dtype, what="pickled array") -> None:
        limits.check_array(shape, max(dtype.itemsize, 1), what)


def _numpy_globals(budget: Budget) -> dict[str, object]:
    mu = np.core.multiarray

    def _reconstruct(cls, shape, dtype):
        if cls is not _ArrayClass:
            raise UnsafePickleError(f"refused to rebuild an array of class {getattr(cls, '__name__', cls)!r}")
        shape, dt = _shape_of(shape), _dtype_of(dtype)
        budget.array(shape, dt)
        return mu._reconstruct(np.ndarray, shape, dt)  # noqa: SLF001

    def scalar(dtype, obj=None):
        dt = _dtype_of(dtype)
        if dt.hasobject:
            return obj
        if dt.itemsize > _MAX_SCALAR_BYTES:
            raise UnsafePickleError(f"scalar of {dt.itemsize} bytes")
        if isinstance(obj, str):
            obj = obj.encode("latin1")
        if not isinstance(obj, bytes) or len(obj) != dt.itemsize:
            raise UnsafePickleError("scalar data does not match its dtype")
        return mu.scalar(dt, obj)

    def _frombuffer(buf, dtype, shape, order):
        dt = _dtype_of(dtype)
        if dt.hasobject:
            raise UnsafePickleError("object arrays cannot come from a buffer")
        if isinstance(buf, pickle.PickleBuffer):
            buf = bytes(buf.raw())
        if not isinstance(buf, (bytes, bytearray)):
            raise UnsafePickleError("array buffer is not bytes")
        shape = _shape_of(shape)
        if limits.declared_bytes(shape, dt.itemsize) != len(buf):
            raise UnsafePickleError("array buffer size does not match its shape")
        budget.array(shape, dt)
        return np.frombuffer(buf, dt).reshape(shape, order="F" if order == "F" else "C").copy()

    def dtype(spec, align=False, copy=False):
        if not isinstance(spec, (str, bytes)):
            raise UnsafePickleError("dtype spec is not a string")
        try:  # always a copy: BUILD then calls __setstate__ on it, never on numpy's shared dtypes
            return np.dtype(spec, bool(align), True)
        except TypeError as e:
            raise UnsafePickleError(f"bad dtype {spec!r} ({e})") from None

    def encode(text, encoding="latin1"):
        """`_codecs.encode(str, 'latin1')`: how Python 3 writes bytes in protocol-2 pickles."""
        if not isinstance(text, str) or str(encoding).lower().replace("-", "") != "latin1":
            raise UnsafePickleError("refused _codecs.encode other than str -> latin1 bytes")
        return text.encode("latin1")

    out = {"_codecs.encode": encode}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        out[f"{mod}._reconstruct"] = _reconstruct
        out[f"{mod}.scalar"] = scalar
    for mod in ("numpy.core.numeric", "numpy._core.numeric"):
        out[f"{mod}._frombuffer"] = _frombuffer
    out["numpy.ndarray"] = _ArrayClass
    out["numpy.dtype"] = dtype
    out["builtins.set"] = set
    out["builtins.frozenset"] = frozenset
    out["builtins.slice"] = slice
    out["builtins.complex"] = complex
    out["collections.OrderedDict"] = collections.OrderedDict
    return out


def _counted(fn):
    def op(self):
        self._budget.ops += 1
        if self._budget.ops > self._budget.max_ops:
            limits.check("pickle_objects", self._budget.ops, "length of the pickle")
        return fn(self)
    return op


class RestrictedUnpickler(pickle._Unpickler):  # noqa: SLF001 - the Python one, so every op is counted
    """Unpickles numpy arrays and plain containers only; counts every operation."""

    dispatch = {k: _counted(f) for k, f in pickle._Unpickler.dispatch.items()}  # noqa: SLF001

    def __init__(self, file, *, encoding="latin1", budget: Budget | None = None, **kw):
        super().__init__(file, encoding=encoding, **kw)
        self._budget = budget or Budget()
        self._globals = _numpy_globals(self._budget)

    def extra_globals(self, module: str, name: str):
        """Subclasses admit more names here (return None to refuse)."""
        return None

    def find_class(self, module: str, name: str):
        if self.proto < 3:  # Python 2 names (__builtin__.set, copy_reg, ...), as pickle itself maps them
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        obj = self._globals.get(f"{module}.{name}")
        if obj is None:
            obj = self.extra_globals(module, name)
        if obj is None:
            raise UnsafePickleError(f"refused to load '{module}.{name}' (pickle may carry code)")
        return obj

    def persistent_load(self, pid):
        raise UnsafePickleError("refused a persistent id (pickle may reference outside objects)")

    def load(self):
        obj = super().load()
        check_tree_size(obj, self._budget.max_bytes, self.node_size)
        return obj

    def node_size(self, obj):
        """(own bytes, children) of an object the tree walk does not know; subclasses extend."""
        raise UnsafePickleError(f"unexpected {type(obj).__name__} in the pickle")


_ATOM_SIZE = {type(None): 16, bool: 28, int: 32, float: 24, complex: 32, slice: 56}
_SEQUENCES = {list, tuple, set, frozenset, dict}


def check_tree_size(root, max_bytes: int, other=None) -> int:
    """Size of `root` counted as a tree (shared objects counted at every reference), without
    expanding it: one memoized depth-first walk over the object graph (each object visited
    once). Refuses cycles and sizes over `max_bytes`. `other(obj) -> (own bytes, children)`
    sizes objects of types not known here."""
    memo: dict[int, int] = {}
    onstack: set[int] = set()
    keep = []  # walked objects stay alive, so their ids stay unique

    def expand(o):
        """(own bytes, children) of a container, or (bytes, None) of a leaf."""
        t = type(o)
        if t in _ATOM_SIZE:
            return _ATOM_SIZE[t], None
        if t is str or t is bytes or t is bytearray:
            return 49 + len(o), None
        if isinstance(o, np.ndarray):
            if o.dtype.hasobject:
                return 112 + 8 * o.size, o.reshape(-1).tolist()
            return 112 + o.nbytes, None
        if isinstance(o, (np.generic, np.dtype)):
            return 32, None
        if isinstance(o, (list, tuple, set, frozenset)):
            return 56 + 8 * len(o), o
        if isinstance(o, dict):
            return 64 + 16 * len(o), [*o.keys(), *o.values()]
        if isinstance(o, (str, bytes)):
            return 49 + len(o), None
        if other is None:
            raise UnsafePickleError(f"unexpected {type(o).__name__} in the pickle")
        own, kids = other(o)
        return own, (kids or [])

    def too_big(total):
        limits.check("input_bytes", total, "unpickled data (counting shared parts at every use)")

    own, kids = expand(root)
    if kids is None:
        return own
    onstack.add(id(root))
    stack = [[root, iter(kids), own]]    # frames: object, its remaining children, size so far
    while True:
        frame = stack[-1]
        for c in frame[1]:
            t = type(c)
            a = _ATOM_SIZE.get(t)
            if a is not None:
                frame[2] += a
                continue
            if t in _SEQUENCES and not c:   # empty containers: nothing to walk
                frame[2] += 56
                continue
            k = id(c)
            if k in memo:
                frame[2] += memo[k]
                continue
            if k in onstack:
                raise UnsafePickleError("the pickle holds a cycle (an object that contains itself)")
            c_own, c_kids = expand(c)
            if c_kids is None:
                frame[2] += c_own
            else:
                onstack.add(k)
                keep.append(c)
                stack.append([c, iter(c_kids), c_own])
                break
            if frame[2] > max_bytes:
                too_big(frame[2])
        else:   # all children done
            stack.pop()
            total = frame[2]
            if total > max_bytes:
                too_big(total)
            k = id(frame[0])
            memo[k] = total
            onstack.discard(k)
            if not stack:
                return total
            stack[-1][2] += total


def _read_limited(path) -> bytes:
    limits.check_file_size(path)
    with open(path, "rb") as f:
        return f.read()


def load_pickle(path, unpickler=RestrictedUnpickler) -> object:
    return loads_pickle(_read_limited(path), unpickler)


def loads_pickle(data: bytes, unpickler=RestrictedUnpickler) -> object:
    limits.check("input_bytes", len(data), "pickle length")
    return unpickler(io.BytesIO(data), encoding="latin1").load()


def _npy_header(fh):
    version = npformat.read_magic(fh)
    if version == (1, 0):
        return npformat.read_array_header_1_0(fh)
    if version == (2, 0):
        return npformat.read_array_header_2_0(fh)
    return npformat._read_array_header(fh, version)  # noqa: SLF001 - (3, 0)


def read_npy_header(fh, what: str, frames: bool = False):
    """(shape, fortran_order, dtype) of a `.npy` stream, its declared size checked against the caps."""
    shape, fortran, dtype = _npy_header(fh)
    limits.check_array(shape, max(dtype.itemsize, 1), what, frames=frames)
    return shape, fortran, dtype


def load_npy(path, frames: bool = True) -> np.ndarray:
    """A plain (non-object) `.npy` file, its declared shape checked before it is read."""
    with open(path, "rb") as f:
        shape, _, dtype = read_npy_header(f, "array", frames=frames)
        if dtype.hasobject:
            raise ValueError("object arrays are not read from .npy files")
        f.seek(0)
        return npformat.read_array(f, allow_pickle=False)


def check_npz(path, frames: bool = False) -> None:
    """Check an `.npz`'s declared sizes (zip directory and every `.npy` header; only the headers
    are decompressed) against `addon.limits`; then `np.load(path, allow_pickle=False)` is safe
    to use on it. Raises `limits.LimitError` (a ValueError) or zipfile.BadZipFile."""
    with zipfile.ZipFile(path) as zf:
        members = [i for i in zf.infolist() if i.filename.endswith(".npy")]
        limits.check("input_bytes", sum(i.file_size for i in members), "declared uncompressed size")
        for info in members:
            with zf.open(info) as fh:
                read_npy_header(fh, f"'{info.filename[:-4]}'", frames=frames)


def load_npz(path, frames: bool = False) -> dict[str, np.ndarray]:
    """All arrays of an `.npz`; object arrays go through `RestrictedUnpickler`.

    Every member's declared (zip) size and `.npy` shape are checked against `addon.limits`
    before it is decompressed; `frames`: the arrays' first axes are time (motion files).
    Raises ValueError (incl. `limits.LimitError`) / zipfile.BadZipFile / UnsafePickleError.
    """
    out: dict[str, np.ndarray] = {}
    budget = Budget()
    with zipfile.ZipFile(path) as zf:
        members = [i for i in zf.infolist() if i.filename.endswith(".npy")]
        limits.check("input_bytes", sum(i.file_size for i in members), "declared uncompressed size")
        for info in members:
            key = info.filename[:-4]
            with zf.open(info) as fh:
                shape, fortran, dtype = read_npy_header(fh, f"'{key}'", frames=frames and not key.startswith("meta"))
                if dtype.hasobject:
                    arr = RestrictedUnpickler(fh, encoding="latin1", budget=budget).load()
                    if not isinstance(arr, np.ndarray):
                        arr = np.asarray(arr, dtype=object)
                else:
                    nbytes = limits.declared_bytes(shape, dtype.itemsize)
                    if nbytes > info.file_size:
                        raise ValueError(f"'{key}' declares {nbytes:,} bytes but its member holds "
                                         f"{info.file_size:,} (truncated)")
                    arr = None
            if arr is None:
                with zf.open(info) as fh:
                    arr = npformat.read_array(fh, allow_pickle=False)
            out[key] = arr
    check_tree_size(out, budget.max_bytes)
    return out


__all__ = ["RestrictedUnpickler", "UnsafePickleError", "load_pickle", "loads_pickle", "load_npz", "load_npy", "check_npz",
           "read_npy_header", "check_tree_size", "Budget"]
