"""HMP: ADL recognition with wrist-worn accelerometers (Bruno et al., University of Genova).

Layout: `<Activity>/Accelerometer-YYYY-MM-DD-HH-MM-SS-<activity>-<volunteer>.txt`, three
integer codes per line (x y z), 32 Hz, right wrist. Code c means −1.5 g + c/63·3 g.
Folders ending in `_MODEL` (the authors' models) are skipped. The label is the folder name.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..sequence import G, DataError, Sequence
from .generic import read_numbers

FILE = re.compile(r"^Accelerometer-\d{4}(?:-\d{2}){5}-([a-z_]+)-([a-z]+\d+)\.txt$", re.I)
FPS = 32.0


def detect(path: Path) -> bool:
    return path.is_dir() and any(FILE.match(p.name) for p in path.glob("*/*.txt"))


def read(path: Path, warn, **_):
    seqs = []
    for f in sorted(path.glob("*/*.txt")):
        m = FILE.match(f.name)
        if not m or f.parent.name.upper().endswith("_MODEL"):
            continue
        try:
            codes = read_numbers(f, path, "three integer columns")
            if codes.shape[1] != 3 or len(codes) == 0:
                raise DataError(f"{f}: expected 3 columns of codes, got shape {codes.shape}")
            if codes.min() < 0 or codes.max() > 63:
                raise DataError(f"{f}: codes outside 0..63")
            acc = (-1.5 + codes / 63.0 * 3.0) * G
            seqs.append(Sequence(acc, ("wrist.acc_x", "wrist.acc_y", "wrist.acc_z"), FPS,
                                 np.full(len(acc), f.parent.name, dtype=object), m.group(2).lower(),
                                 session=f.stem, source=str(f)))
        except DataError as e:
            warn(str(e))
    return seqs
