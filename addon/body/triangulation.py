"""One triangulation of Anny's quad mesh, whatever machine built it.

Anny's mesh is all quads; Anny splits each along its shorter diagonal, in floating point, on
its template vertices. 28 of the default body's 13,710 quads have two diagonals of exactly
equal length and ~30 more differ by less than 1e-7 (relative): which diagonal wins there
depends on rounding (library versions, CPU instruction set), so a fresh machine can get a few
quads split the other way (seen: 24 of 82,260 face indices). WearTwin therefore treats the
packaged default body's triangulation as *the* triangulation of Anny's quads (as Anny itself
ships a fixed triangulation for its SOMA topology): `canonical_faces` maps any triangulation of
the same quads onto it, so every Anny body has the same faces, and the interior chords (vertex
pairs chosen once on the default body) are shared by all of them.
"""
from __future__ import annotations

import numpy as np


def quads_of(faces: np.ndarray) -> np.ndarray | None:
    """(Q,4) quads (a,b,c,d) from triangles paired as Anny writes them: split (a,b,c)+(c,d,a) or
    (a,b,d)+(d,b,c). None if `faces` is not such a pairing."""
    f = np.asarray(faces, dtype=np.int64)
    if f.ndim != 2 or f.shape[1] != 3 or len(f) % 2:
        return None
    t1, t2 = f[0::2], f[1::2]
    split1 = (t2[:, 0] == t1[:, 2]) & (t2[:, 2] == t1[:, 0])
    split2 = (t2[:, 0] == t1[:, 2]) & (t2[:, 1] == t1[:, 1])
    if not np.all(split1 | split2):
        return None
    c = np.where(split1, t1[:, 2], t2[:, 2])
    d = np.where(split1, t2[:, 1], t1[:, 2])
    return np.stack([t1[:, 0], t1[:, 1], c, d], axis=1)


def diagonal_choice(faces: np.ndarray) -> np.ndarray:
    """Per quad: True where it is split along a-c, False along b-d."""
    f = np.asarray(faces, dtype=np.int64)
    t1, t2 = f[0::2], f[1::2]
    return (t2[:, 0] == t1[:, 2]) & (t2[:, 2] == t1[:, 0])


def same_quads(a: np.ndarray, b: np.ndarray) -> bool:
    qa, qb = quads_of(a), quads_of(b)
    return qa is not None and qb is not None and qa.shape == qb.shape and bool(np.array_equal(qa, qb))


def canonical_faces(faces: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """`reference`'s triangles when `faces` triangulates the same quads, else `faces` unchanged."""
    if reference is not None and same_quads(faces, reference):
        return np.asarray(reference, dtype=np.int32)
    return np.asarray(faces, dtype=np.int32)
