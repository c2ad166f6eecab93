"""WearTwin exports -> pretraining windows of every IMU device they hold, whatever its site.

Every `imu.<site>.acc` (+ `imu.<site>.gyro`) of an export is one device (`<site>` may contain
dots, e.g. `joint.left_wrist`). Each export is resampled to the contract's rate and cut into
windows every `stride_s`; for each window, `sites_per_window` of its devices are drawn at random
(per-window site sampling: the encoder never learns one site's signature). Labels and texts
come as `weartwin synth` writes them (`meta.label` or the activity folder, `meta.text`).
Windows are kept as float16 in physical units; scaling and augmentation happen per batch.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data.channels import normalize_label
from ..data.resample import resample_to_grid
from ..data.sequence import DataError


@dataclass
class Corpus:
    x: np.ndarray              # (N, W, 6) float16, m/s² and rad/s
    gyro: np.ndarray           # (N,) bool: the device had a gyroscope
    y: np.ndarray              # (N,) int64 into classes
    text_id: np.ndarray        # (N,) int64 into texts
    site_id: np.ndarray        # (N,) int64 into sites
    classes: list
    texts: list
    sites: list
    seconds: dict = field(default_factory=dict)    # {label: {site: seconds of signal}}
    files: int = 0
    bodies: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    text_emb: np.ndarray | None = None     # (len(texts), 384) when saved with the windows (no text model needed)
    class_emb: np.ndarray | None = None    # (len(classes), 384)

    def __len__(self) -> int:
        return len(self.y)

    def hours_table(self) -> dict:
        return {c: {s: round(v / 3600, 4) for s, v in sorted(d.items())} for c, d in sorted(self.seconds.items())}


def read_devices(f: Path, root: Path) -> tuple[dict, float, str, str | None, str]:
    """({site: (acc (T,3), gyro (T,3) or None)}, fps, label, text, body) of one export."""
    from addon.motion.safe_pickle import check_npz   # pure numpy: declared sizes before inflating

    from ..data.readers.weartwin import export_label

    try:
        check_npz(f)
        with np.load(f, allow_pickle=False) as d:
            keys = [k for k in d.files if k == "meta" or (k.startswith("imu.") and k.endswith((".acc", ".gyro")))]
            arrays = {k: d[k] for k in keys}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        raise DataError(f"{f}: not a WearTwin export ({e.__class__.__name__}: {e})") from None
    fps = float(meta.get("fps", 0) or 0) if isinstance(meta, dict) else 0.0
    if fps <= 0:
        raise DataError(f"{f}: export without meta.fps")
    devices = {}
    for k, a in arrays.items():
        if k.endswith(".acc"):
            site = k[4:-4]
            g = arrays.get(f"imu.{site}.gyro")
            if a.ndim != 2 or a.shape[1] != 3 or (g is not None and g.shape != a.shape):
                raise DataError(f"{f}: {k} is not (T, 3) (or its gyro differs in shape)")
            devices[site] = (a.astype(np.float32), None if g is None else g.astype(np.float32))
    if not devices:
        raise DataError(f"{f}: export has no imu.<site>.acc")
    label = normalize_label(export_label(meta, f, root))
    body = str((meta.get("body") or {}).get("variant") or "default")
    return devices, fps, label, meta.get("text") or None, body


def _resample(x: np.ndarray, fps_in: float, fps: float, what: str) -> np.ndarray:
    """(T, C) at `fps`, by the product's one resampler (its grid is checked against the caps
    before it is built: an export claiming a tiny rate cannot ask for a huge grid)."""
    if abs(fps_in - fps) < 1e-6:
        return x
    out, _, _ = resample_to_grid(np.arange(len(x)) / fps_in, x, np.zeros(len(x)), fps, what)
    return out


def build_corpus(folders, fps: float, window_s: float, stride_s: float = 1.0, sites_per_window: int = 2,
                 max_hours: float = 0.0, max_windows: int = 0, seed: int = 0, warn=None) -> Corpus:
    """Windows of every export under `folders` (searched recursively; links are not followed out)."""
    from ..data.text import describe

    warn = warn or (lambda m: None)
    rng = np.random.default_rng([seed, 25])
    W, S = int(round(window_s * fps)), max(1, int(round(stride_s * fps)))
    files = []
    for d in folders:
        d = Path(d)
        if not d.exists():
            raise DataError(f"{d}: no such folder")
        found = [d] if d.is_file() else sorted(p for p in d.rglob("*.npz") if not p.is_symlink())
        files += [(p, d if d.is_dir() else d.parent) for p in found]
    if not files:
        raise DataError(f"{', '.join(map(str, folders))}: no WearTwin exports (*.npz)")
    xs, gs, labels, texts, sites_of, seconds, bodies, skipped = [], [], [], [], [], {}, set(), []
    total = 0.0
    for f, root in files:
        if max_hours and total >= max_hours * 3600:
            break
        try:
            devices, f_fps, label, text, body = read_devices(f, root)
        except DataError as e:
            warn(str(e))
            skipped.append(str(f))
            continue
        names = sorted(devices)
        try:
            arrs = [_resample(np.concatenate([acc, gyr if gyr is not None else np.zeros_like(acc)], axis=1),
                              f_fps, fps, str(f)) for acc, gyr in (devices[s] for s in names)]
        except DataError as e:
            warn(str(e))
            skipped.append(str(f))
            continue
        T = min(len(a) for a in arrs)
        dur = T / fps
        total += dur
        bodies.add(body)
        for s in names:
            seconds.setdefault(label, {}).setdefault(s, 0.0)
            seconds[label][s] += dur
        if T < W:
            continue
        data = np.stack([a[:T] for a in arrs])                          # (D, T, 6)
        starts = np.arange(0, T - W + 1, S)
        k = min(len(names), max(1, sites_per_window))
        pick = np.argsort(rng.random((len(starts), len(names))), axis=1)[:, :k]   # (n, k) distinct sites
        st = np.repeat(starts, k)
        dev = pick.reshape(-1)
        idx = st[:, None] + np.arange(W)[None, :]
        xs.append(data[dev[:, None], idx].astype(np.float16))
        gs.append(np.array([devices[names[i]][1] is not None for i in dev]))
        n = len(dev)
        labels += [label] * n
        texts += [text or describe(label, len(texts))] * n
        sites_of += [names[i] for i in dev]
    if not xs:
        raise DataError(f"no window of {window_s:g} s in {len(files)} exports")
    classes = sorted(set(labels))
    tlist = sorted(set(texts))
    slist = sorted(set(sites_of))
    ci, ti, si = ({v: i for i, v in enumerate(l)} for l in (classes, tlist, slist))
    c = Corpus(np.concatenate(xs), np.concatenate(gs), np.array([ci[l] for l in labels], np.int64),
               np.array([ti[t] for t in texts], np.int64), np.array([si[s] for s in sites_of], np.int64),
               classes, tlist, slist, seconds, len(files) - len(skipped), sorted(bodies), skipped)
    if max_windows and len(c) > max_windows:
        keep = np.sort(rng.choice(len(c), max_windows, replace=False))
        c.x, c.gyro, c.y, c.text_id, c.site_id = (a[keep] for a in (c.x, c.gyro, c.y, c.text_id, c.site_id))
    return c


WINDOWS_SCHEMA = 1
MAX_WINDOWS_FILE = 5_000_000          # windows in one saved corpus
MAX_NAMES = 100_000                   # classes, texts, sites


def save_corpus(c: Corpus, path: Path) -> Path:
    """The corpus as one compact .npz (to carry to a machine with a GPU but no text model): the
    windows as int8 with a float16 scale per window and channel (|error| <= scale/2, 0.4% of the
    window's largest value), the text and class-description embeddings computed here."""
    from addon.export.atomic import atomic_write

    from ..data.text import embed
    from ..training.recipes import class_text_embeddings

    x = c.x.astype(np.float32)
    scale = np.maximum(np.abs(x).max(axis=1), 1e-6) / 127.0                 # (N, 6)
    q = np.clip(np.round(x / scale[:, None, :]), -127, 127).astype(np.int8)
    text_emb = c.text_emb if c.text_emb is not None else embed(c.texts)
    class_emb = c.class_emb if c.class_emb is not None else class_text_embeddings(c.classes)
    meta = {"schema": WINDOWS_SCHEMA, "seconds": c.seconds, "files": c.files, "bodies": c.bodies,
            "skipped": len(c.skipped)}
    path = Path(path)
    atomic_write(path, lambda f: np.savez_compressed(
        f, xq=q, xscale=scale.astype(np.float16), gyro=c.gyro, y=c.y, text_id=c.text_id, site_id=c.site_id,
        classes=np.array(c.classes, dtype=str), texts=np.array(c.texts, dtype=str), sites=np.array(c.sites, dtype=str),
        text_emb=np.asarray(text_emb, np.float16), class_emb=np.asarray(class_emb, np.float16),
        meta=np.array(json.dumps(meta))))
    return path


def load_corpus(path: Path) -> Corpus:
    """A corpus saved by `save_corpus`; a file that is not one (wrong keys, shapes, dtypes, indices
    out of range, sizes over the caps) is a DataError naming it."""
    from addon.motion.safe_pickle import check_npz

    path = Path(path)
    want = {"xq": np.int8, "xscale": np.float16, "gyro": np.bool_, "y": np.int64, "text_id": np.int64,
            "site_id": np.int64, "text_emb": np.float16, "class_emb": np.float16}
    try:
        if path.is_symlink() or not path.is_file():
            raise ValueError("not a regular file")
        check_npz(path)
        with np.load(path, allow_pickle=False) as d:
            a = {k: d[k] for k in (*want, "classes", "texts", "sites", "meta")}
        meta = json.loads(str(a["meta"]))
        for k, dt in want.items():
            if a[k].dtype != dt:
                raise ValueError(f"'{k}' is {a[k].dtype}, expected {np.dtype(dt)}")
        n = len(a["y"])
        if not 0 < n <= MAX_WINDOWS_FILE or a["xq"].ndim != 3 or a["xq"].shape[0] != n or a["xq"].shape[2] != 6:
            raise ValueError(f"windows of shape {a['xq'].shape} for {n} labels")
        if a["xscale"].shape != (n, 6) or any(len(a[k]) != n for k in ("gyro", "text_id", "site_id")):
            raise ValueError("per-window arrays of different lengths")
        names = {k: [str(v) for v in a[k].tolist()] for k in ("classes", "texts", "sites")}
        for k, idx in (("classes", "y"), ("texts", "text_id"), ("sites", "site_id")):
            if not 0 < len(names[k]) <= MAX_NAMES or a[idx].min() < 0 or a[idx].max() >= len(names[k]):
                raise ValueError(f"'{idx}' indexes outside the {len(names[k])} {k}")
        if a["text_emb"].shape[0] != len(names["texts"]) or a["class_emb"].shape[0] != len(names["classes"]):
            raise ValueError("embeddings do not match the texts/classes")
        if not (np.isfinite(a["xscale"]).all() and np.isfinite(a["text_emb"]).all()):
            raise ValueError("non-finite scales or embeddings")
        if meta.get("schema") != WINDOWS_SCHEMA:
            raise ValueError(f"schema {meta.get('schema')!r}, expected {WINDOWS_SCHEMA}")
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        raise DataError(f"{path}: not a saved WearTwin pretraining corpus ({e})") from None
    x = (a["xq"].astype(np.float32) * a["xscale"].astype(np.float32)[:, None, :]).astype(np.float16)
    return Corpus(x, a["gyro"], a["y"], a["text_id"], a["site_id"], names["classes"], names["texts"], names["sites"],
                  meta.get("seconds", {}), int(meta.get("files", 0)), list(meta.get("bodies", [])), [],
                  text_emb=a["text_emb"].astype(np.float32), class_emb=a["class_emb"].astype(np.float32))
