"""DESIGN.md generic format: `index.csv` + one CSV per recording (t, acc_x.. [, gyro_x..] [, label]).

The files `index.csv` names are resolved by `addon/safe_paths.py`'s rule: relative to the
dataset folder, never outside it (no `..` out, no absolute path, no link out), regular files
only (no /dev/zero, no FIFO), each at most WEARTWIN_MAX_TEXT_BYTES. A recording is read row by
row into float arrays (no list of every row's strings), at most WEARTWIN_MAX_FRAMES rows.

The other readers open every file through `open_inside` and parse tables with `read_columns`:
one containment rule, one streaming table parser, one row cap for all published layouts.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ..sequence import ACC, GYRO, DataError, imu_sequence


def detect(path: Path) -> bool:
    return path.is_dir() and (path / "index.csv").is_file()


def why(e: BaseException, n: int = 160) -> str:
    """An exception as one short line for a DataError message."""
    text = str(e).splitlines()[0][:n] if str(e).strip() else ""
    return text or type(e).__name__


def open_inside(path: Path, root: Path | None, limit_name: str = "text_bytes"):
    """A binary file object on `path`, checked by `addon/safe_paths.py`'s rule: a regular file
    (no FIFO, no device, no folder) inside `root` (no link out), at most the cap `limit_name`.
    Every refusal is one DataError line naming the file."""
    from addon.safe_paths import PathError, open_regular

    try:
        return open_regular(path, root, limit_name)
    except PathError as e:
        raise DataError(str(e)) from None


def open_text(path: Path, root: Path | None):
    """`open_inside` as UTF-8 text for `csv` (newline="")."""
    return io.TextIOWrapper(open_inside(path, root), encoding="utf-8", newline="")


def _row_cap(where, n: int) -> None:
    """DataError when a table has more rows than WEARTWIN_MAX_FRAMES (checked while reading)."""
    from addon import limits

    try:
        limits.check("frames", n, "row count (at least)")
    except limits.LimitError as e:
        raise DataError(f"{where}: {e}") from None


def read_table(path: Path, root: Path | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a small CSV (an index or an annotation), at most WEARTWIN_MAX_FRAMES rows."""
    from addon import limits

    cap = int(limits.limit("frames"))
    rows = []
    try:
        with open_text(path, root) as f:
            for r in csv.reader(f):
                rows.append(r)
                if len(rows) > cap + 1:
                    _row_cap(path, len(rows) - 1)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot read ({e.__class__.__name__}: {e})") from None
    if not rows:
        raise DataError(f"{path}: empty file")
    return [h.strip() for h in rows[0]], rows[1:]


def numeric(path: Path, header: list[str], rows: list[list[str]], cols) -> np.ndarray:
    idx = []
    for c in cols:
        if c not in header:
            raise DataError(f"{path}: missing column '{c}' (has {', '.join(header)})")
        idx.append(header.index(c))
    try:
        return np.array([[float(r[i]) for i in idx] for r in rows], dtype=np.float64)
    except (ValueError, IndexError) as e:
        raise DataError(f"{path}: non-numeric or short row ({e})") from None


def read_columns(source, where, cols, optional=(), text: str | None = None, text_required: bool = False):
    """A CSV with a header, streamed row by row into a float array: (header, data, texts).

    `source`: a text stream (read from its start). `data` holds the columns `cols` (each
    required), then `optional` when every one of them is present; `texts` is the column `text`
    as an object array (one string object per distinct value), or None when absent (a DataError
    when `text_required`). At most WEARTWIN_MAX_FRAMES rows; empty lines are skipped. Every
    problem is one DataError line naming `where` (and the row)."""
    from array import array

    from addon import limits

    cap = int(limits.limit("frames"))
    try:
        rows = csv.reader(source)
        header = [h.strip() for h in next(rows, [])]
        if not header:
            raise DataError(f"{where}: empty file")
        for c in cols:
            if c not in header:
                raise DataError(f"{where}: missing column '{c}' (has {', '.join(header)[:200]})")
        names = list(cols) + (list(optional) if optional and all(g in header for g in optional) else [])
        idx = [header.index(c) for c in names]
        ti = header.index(text) if text is not None and text in header else None
        if text is not None and ti is None and text_required:
            raise DataError(f"{where}: missing column '{text}'")
        vals, texts, seen, n = array("d"), [], {}, 0
        for k, r in enumerate(rows, 2):
            if not r:
                continue
            n += 1
            if n > cap:
                _row_cap(where, n)
            try:
                vals.extend(float(r[i]) for i in idx)
            except (ValueError, IndexError) as e:
                raise DataError(f"{where}:{k}: non-numeric or short row ({str(e)[:120]})") from None
            if ti is not None:
                lab = r[ti] if ti < len(r) else ""
                texts.append(seen.setdefault(lab, lab))     # one string object per distinct value
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{where}: cannot read ({e.__class__.__name__}: "
                        f"{str(e).splitlines()[0][:160] if str(e) else ''})") from None
    data = np.frombuffer(vals, dtype=np.float64).reshape(-1, len(names))
    return header, data, (np.array(texts, dtype=object) if ti is not None else None)


def read_numbers(path: Path, root: Path | None, what: str = "a numeric table") -> np.ndarray:
    """A whitespace-separated numeric table without a header (2-D float64), opened through
    `open_inside`, at most WEARTWIN_MAX_FRAMES rows; one DataError line when it is not one."""
    from addon import limits

    cap = int(limits.limit("frames"))
    with open_text(path, root) as fh:
        try:
            x = np.loadtxt(fh, dtype=np.float64, ndmin=2, max_rows=cap + 1)
        except (ValueError, OSError, UnicodeDecodeError) as e:
            msg = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
            raise DataError(f"{path}: not {what} ({msg})") from None
    if len(x) > cap:
        _row_cap(path, len(x))
    return x


def read_recording(f: Path, root: Path, want_labels: bool):
    """(header, t, acc, gyro or None, labels or None) of one recording CSV, streamed row by row."""
    with open_text(f, root) as fh:
        header, data, labels = read_columns(fh, f, ["t", *ACC], optional=GYRO,
                                            text="label" if want_labels else None)
    if not len(data):
        raise DataError(f"{f}: no samples")
    gyro = data[:, 4:7] if data.shape[1] == 7 else None
    return header, data[:, 0], data[:, 1:4], gyro, labels


def read(path: Path, warn, site: str = "wrist", require_labels: bool = True, **_):
    from addon.safe_paths import PathError, resolve_named

    index = path / "index.csv"
    header, rows = read_table(index, root=path)
    for need in ("file", "subject"):
        if need not in header:
            raise DataError(f"{index}: missing column '{need}'")
    seqs = []
    for k, r in enumerate(rows, 2):
        entry = dict(zip(header, r))
        try:
            if not entry.get("file"):
                raise DataError(f"{index}:{k}: no file named")
            try:
                f = resolve_named(entry["file"], root=path, naming_file=index)
            except PathError as e:
                raise DataError(f"{index}:{k}: {e}") from None
            h, t, acc, gyro, labels = read_recording(f, path, want_labels=True)
            if labels is None:
                if entry.get("label"):
                    labels = entry["label"]
                elif not require_labels:        # recordings to be labelled by `weartwin predict`
                    labels = ""
                else:
                    raise DataError(f"{f}: no label column and no label in index.csv")
            if not np.all(np.isfinite(acc)) or (gyro is not None and not np.all(np.isfinite(gyro))):
                raise DataError(f"{f}: non-finite accelerometer or gyroscope values")
            if not np.all(np.isfinite(t)):
                raise DataError(f"{f}: non-finite time stamps")
            seqs.append(imu_sequence(acc, gyro, t, labels, entry["subject"], site=site,
                                     session=entry.get("session", ""), source=str(path / entry["file"])))
        except DataError as e:
            warn(str(e))
    return seqs
