"""`weartwin predict MODEL DATA... --out CSV`: label recordings with a model written by
`weartwin train MODEL ... --final` (RUN/model.npz).

DATA: dataset folders in any layout `weartwin train` reads (labels optional for the generic
layout). The recordings are resampled and windowed as in training; every window gets a row:
file, subject, start_s, end_s, predicted label, its probability, and the recorded label
when the data have one ("" otherwise).

Zero-shot: `weartwin predict --zero-shot "walking,sitting,..." ENCODER DATA --out CSV` labels
windows with a pretrained encoder (`weartwin pretrain`, or NAME under ml/pretrained/) by the
cosine similarity of each window to the class names' text embeddings; no labelled data at all.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

from ..data import DataError, load_dataset
from ..data.readers import device_of
from ..data.channels import extract, normalize_label
from ..data.resample import resample


def windows_for_prediction(seqs, channels, fps, window_s, stride_s, site_map, label_map):
    """Every full window of every recording (labelled or not), in physical units, with where it came from."""
    W = int(round(window_s * fps))
    S = max(1, int(round(stride_s * fps)))
    xs, rows = [], []
    for s in seqs:
        s = resample(s, fps)
        if len(s) < W:
            continue
        data, _ = extract(s, channels, site_map, fill_missing=False)
        starts = np.arange(0, len(s) - W + 1, S)
        idx = starts[:, None] + np.arange(W)[None, :]
        xs.append(data[idx])
        lab = np.array([normalize_label(l, label_map) if l else "" for l in s.labels], dtype=object)
        for st, wl in zip(starts, lab[idx]):
            vals, counts = np.unique(wl.astype(str), return_counts=True)
            major = vals[counts.argmax()] if len(vals) else ""
            rows.append({"file": s.source, "subject": s.subject, "start_s": st / fps, "end_s": (st + W) / fps,
                         "recorded_label": major if counts.max() >= 0.5 * W else ""})
    if not xs:
        raise DataError(f"no window of {window_s} s in {len(seqs)} recordings")
    return np.concatenate(xs).astype(np.float32), rows


def label_rows(model, seqs) -> list[dict]:
    m = model.meta
    cfg = m["config"]
    x, rows = windows_for_prediction(seqs, model.channels, m["fps"], m["window_s"], m["stride_s"],
                                     cfg.get("site_map") or {}, cfg.get("label_map") or {})
    p = model.proba(x)
    k = p.argmax(1)
    for r, ki, pi in zip(rows, k, p[np.arange(len(k)), k]):
        r["label"], r["probability"] = model.classes[ki], float(pi)
    return rows


def write_csv(rows: list[dict], path: Path) -> None:
    path = Path(path)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["file", "subject", "start_s", "end_s", "label", "probability", "recorded_label"])
    for r in rows:
        w.writerow([r["file"], r["subject"], f"{r['start_s']:.3f}", f"{r['end_s']:.3f}", r["label"],
                    f"{r['probability']:.4f}", r["recorded_label"]])
    from addon.export.atomic import write_text

    write_text(path, buf.getvalue())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="weartwin predict", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", metavar="MODEL", help="model file (RUN/model.npz from `weartwin train ... --final`)")
    ap.add_argument("data", nargs="+", metavar="DATA", help="dataset folder(s) with the recordings")
    ap.add_argument("--out", required=True, help="CSV to write")
    ap.add_argument("--format", default="auto", help="dataset layout (default: detected)")
    ap.add_argument("--zero-shot", default=None, metavar="CLASSES",
                    help="comma-separated class names: MODEL is an encoder folder (or NAME) of `weartwin pretrain`")
    ap.add_argument("--site", default="", help="--zero-shot: the device read (default: the only one the data have)")
    ap.add_argument("--stride", type=float, default=1.0, help="--zero-shot: window stride, s (default: 1)")
    a = ap.parse_args(argv)
    if a.zero_shot is not None:
        return zero_shot_main(a)
    from .model_file import ModelFileError, load

    try:
        model = load(a.model)
    except ModelFileError as e:
        print(f"weartwin predict: error: {e}", file=sys.stderr)
        return 1
    seqs, failed = _load_all(a, site_from="the model's device", **device_of(model.meta["config"]))   # as trained
    if not seqs:
        return 1
    try:
        rows = label_rows(model, seqs)
    except DataError as e:
        print(f"weartwin predict: error: {e}", file=sys.stderr)
        return 1
    write_csv(rows, Path(a.out))
    known = [r for r in rows if r["recorded_label"] in model.classes]
    acc = f"; agreement with recorded labels {np.mean([r['label'] == r['recorded_label'] for r in known]):.3f}" \
        if known else ""
    print(f"{len(rows)} windows of {len(seqs)} recordings labelled by {model.kind} -> {a.out}{acc}")
    return 1 if failed else 0


def _load_all(a, **where) -> tuple[list, int]:
    """Every recording of the --data folders (labels optional; of a multi-device layout, the device
    `where` names: load_dataset's site / site_from / device); a folder that cannot be read is one
    error line, the others go on. Returns (sequences, folders failed)."""
    seqs, failed = [], 0
    for d in a.data:
        try:
            seqs += load_dataset(d, a.format, require_labels=False, **where)
        except DataError as e:
            print(f"weartwin predict: error: {e}", file=sys.stderr)
            failed += 1
    return seqs, failed


def zero_shot_main(a) -> int:
    from ..pretrain.contract import EncoderFileError, read_contract
    from ..pretrain.transfer import check_units, device_channels, device_windows, zero_shot

    classes = [c.strip() for c in a.zero_shot.split(",") if c.strip()]
    if len(classes) < 2 or len(set(classes)) != len(classes):
        print("weartwin predict: error: --zero-shot needs two or more distinct class names", file=sys.stderr)
        return 2
    try:
        contract = read_contract(a.model)
    except EncoderFileError as e:
        print(f"weartwin predict: error: {e}", file=sys.stderr)
        return 1
    seqs, failed = _load_all(a, site=a.site)
    if not seqs:
        return 1
    try:
        site, _ = device_channels(seqs, a.site)
        x, gm, rows = device_windows(seqs, site, contract.fps, contract.window_s, a.stride)
        check_units(x, np.array([True] * 3 + [not gm.all()] * 3), ", ".join(a.data))
        p = zero_shot(a.model, x, gm, classes)
    except (DataError, EncoderFileError) as e:
        print(f"weartwin predict: error: {e}", file=sys.stderr)
        return 1
    k = p.argmax(1)
    for r, ki, pi in zip(rows, k, p[np.arange(len(k)), k]):
        r["label"], r["probability"] = classes[ki], float(pi)
    write_csv(rows, Path(a.out))
    known = [r for r in rows if r["recorded_label"] in [normalize_label(c) for c in classes]]
    acc = f"; agreement with recorded labels {np.mean([normalize_label(r['label']) == r['recorded_label'] for r in known]):.3f}" \
        if known else ""
    print(f"{len(rows)} windows of {len(seqs)} recordings labelled zero-shot ({len(classes)} classes) -> {a.out}{acc}")
    return 1 if failed else 0
