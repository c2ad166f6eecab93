"""Real targets and simulated corpora -> compact window files (.npz, no pickles).

Target file: x (N, W, C) float32, y (N,), subject (N,) str, group (N,) str (the evaluation
unit: a subject, or a group of small subjects), classes, channels, fps.
Corpus file: x (N, W, C), label (N,) str (the corpus' own activity), clip (N,) int (which motion),
clip_seconds (M,), text_id (N,) int into texts / text_emb (T, 384).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ml.data.channels import extract, normalize_label, reframe
from ml.data.readers import load_dataset
from ml.data.resample import resample

CHANNELS = {"imu": ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"), "acc": ("acc_x", "acc_y", "acc_z")}


def _cut(data: np.ndarray, W: int, S: int) -> np.ndarray:
    starts = np.arange(0, len(data) - W + 1, S)
    return starts[:, None] + np.arange(W)[None, :]


def _lowpass(data: np.ndarray, fps_in: float, fps_out: float) -> np.ndarray:
    """Box filter of the decimation ratio before resampling, so both real and simulated
    signals lose the same band (a crude anti-alias filter, applied identically to both)."""
    k = int(round(fps_in / fps_out))
    if k <= 1:
        return data
    ker = np.ones(k) / k
    pad = np.pad(data, ((k // 2, k - 1 - k // 2), (0, 0)), mode="edge")
    return np.stack([np.convolve(pad[:, c], ker, mode="valid") for c in range(data.shape[1])], 1)


def windows_of(seq, names: list[str], site: str, fps: float, W: int, S: int):
    import dataclasses

    seq = dataclasses.replace(seq, data=_lowpass(seq.data, seq.fps, fps).astype(np.float32))
    seq = resample(seq, fps)
    data, _ = extract(seq, names, {"wrist": site, "hand": site, "forearm": site})
    if len(data) < W:
        return None, None
    idx = _cut(data, W, S)
    return data[idx], seq.labels[idx]


def group_subjects(counts: dict[str, int], min_windows: int) -> dict[str, str]:
    """Subjects with fewer than `min_windows` windows are merged, smallest first, into groups
    of at least that size (a leftover small group joins the smallest group); others stay alone."""
    big = {s: s for s, n in counts.items() if n >= min_windows}
    small = sorted((s for s in counts if s not in big), key=lambda s: (counts[s], s))
    groups, cur, tot = [], [], 0
    for s in small:
        cur.append(s)
        tot += counts[s]
        if tot >= min_windows:
            groups.append(cur)
            cur, tot = [], 0
    if cur:
        if groups:
            groups[-1] += cur
        elif big:
            smallest = min(big, key=lambda s: counts[s])
            for s in cur:
                big[s] = smallest
            cur = []
        else:
            groups.append(cur)
    out = dict(big)
    for g in groups:
        name = "+".join(sorted(g))
        for s in g:
            out[s] = name
    return out


def prepare_target(name: str, tcfg: dict, data_root: Path, out: Path, fps: float, window_s: float,
                   stride_s: float) -> Path:
    key = hashlib.sha1(json.dumps([name, tcfg, fps, window_s, stride_s]).encode()).hexdigest()[:10]
    f = out / f"target_{name}_{key}.npz"
    if f.is_file():
        return f
    seqs = load_dataset(data_root / tcfg["path"], tcfg.get("format", "auto"))
    names = [f"{tcfg['site']}.{c}" for c in CHANNELS[tcfg["inputs"]]]
    W, S = int(round(window_s * fps)), int(round(stride_s * fps))
    classes = [normalize_label(c) for c in tcfg["classes"]]
    cidx = {c: i for i, c in enumerate(classes)}
    xs, ys, subj = [], [], []
    for s in seqs:
        x, lab = windows_of(s, names, tcfg["site"], fps, W, S)
        if x is None:
            continue
        li = np.vectorize(lambda l: cidx.get(normalize_label(l), -1) if l else -1, otypes=[int])(lab)
        best = np.array([np.bincount(r[r >= 0], minlength=len(classes)).argmax() if (r >= 0).any() else -1
                         for r in li])
        pure = np.array([(r == b).mean() for r, b in zip(li, best)])
        ok = (best >= 0) & (pure >= 0.5)
        xs.append(x[ok])
        ys.append(best[ok])
        subj += [s.subject] * int(ok.sum())
    x, y, subj = np.concatenate(xs).astype(np.float32), np.concatenate(ys), np.array(subj)
    counts = {s: int((subj == s).sum()) for s in np.unique(subj)}
    gmap = group_subjects(counts, int(tcfg.get("min_group_windows", 0)))
    group = np.array([gmap[s] for s in subj])
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(f, x=x, y=y, subject=subj, group=group, classes=np.array(classes),
                        channels=np.array(names), fps=fps)
    return f


def device_chain(seq, device: dict):
    """A simulated recording as the target's device records it (from the device's documentation,
    targets.json `device`): band-limited and resampled to its output rate `fps`, saturated at
    ±`range_g` and quantized to `levels` evenly spaced codes spanning the range (HMP: 32 Hz,
    ±1.5 g, 6 bits: codes 0..63 = -1.5 g + c/63·3 g). Every channel is treated as acceleration."""
    import dataclasses

    from ml.data.sequence import G

    seq = dataclasses.replace(seq, data=_lowpass(seq.data, seq.fps, device["fps"]).astype(np.float32))
    seq = resample(seq, float(device["fps"]))
    r = float(device["range_g"]) * G
    step = 2 * r / (int(device["levels"]) - 1)
    code = np.clip(np.round((seq.data + r) / step), 0, int(device["levels"]) - 1)
    return dataclasses.replace(seq, data=(code * step - r).astype(np.float32))


def trimmed(seq, seconds: float, keep_s: float = 0.0):
    """`seq` without up to `seconds` at each end (the still lead-in and -out a simulated
    performance carries, addon/text2motion/body.py Ctx.start), keeping at least `keep_s` (one
    window: a short performance keeps its middle)."""
    import dataclasses

    n = min(int(round(seconds * seq.fps)), (len(seq) - int(np.ceil(keep_s * seq.fps))) // 2)
    if n <= 0:
        return seq
    cut = slice(n, len(seq) - n)
    return dataclasses.replace(seq, data=seq.data[cut], labels=seq.labels[cut],
                               pose=None if seq.pose is None else seq.pose[cut])


def prepare_corpus(exports: list[Path], site: str, inputs: str, out: Path, tag: str, fps: float,
                   window_s: float, stride_s: float, dtype: str = "float32", axis_signs=None,
                   device: dict | None = None, trim_s: float = 0.0) -> Path:
    """Every WearTwin export under `exports` -> windows of the `site` IMU with label and text
    (`dtype` float16 halves the file: corpora travel to the GPU machine). `axis_signs` (3 numbers)
    re-expresses the simulated sensor frame in the target's (e.g. HMP's accelerometer has x
    towards the hand, WearTwin's right-wrist watch x towards the elbow: signs -1, -1, 1, a 180°
    turn about z), applied to every 3-axis channel. `device` (`device_chain`): the target device's
    rate, range and resolution applied to every simulated recording (acc inputs only); `trim_s`: seconds cut
    from each end of every recording (`trimmed`)."""
    from ml.data.text import describe, embed

    files = sorted(p for e in exports for p in Path(e).rglob("*.npz"))
    key = hashlib.sha1(json.dumps([tag, [str(p) for p in files], [p.stat().st_mtime for p in files], site,
                                   inputs, fps, window_s, stride_s, dtype, axis_signs, device, trim_s]
                                  ).encode()).hexdigest()[:10]
    f = out / f"corpus_{tag}_{key}.npz"
    if f.is_file():
        return f
    seqs = load_dataset(Path(exports[0]), "weartwin") if len(exports) == 1 else \
        [s for e in exports for s in load_dataset(Path(e), "weartwin")]
    names = [f"{site}.{c}" for c in CHANNELS[inputs]]
    W, S = int(round(window_s * fps)), int(round(stride_s * fps))
    xs, labels, clips, secs, texts = [], [], [], [], []
    if device is not None and inputs != "acc":
        raise ValueError("prepare_corpus: a device chain is modelled for accelerometer inputs only")
    for k, s in enumerate(seqs):
        secs.append(len(s) / s.fps)
        s = trimmed(s, trim_s, window_s)
        if device is not None:
            s = device_chain(s, device)
        x, _ = windows_of(s, names, site, fps, W, S)
        if x is None:
            continue
        lab = normalize_label(str(s.labels[0]))
        if axis_signs is not None:
            x = reframe(x, names, np.diag(np.asarray(axis_signs, np.float32)))
        xs.append(x)
        labels += [lab] * len(x)
        clips += [k] * len(x)
        texts += [s.text or describe(lab, k)] * len(x)
    uniq = sorted(set(texts))
    tid = {t: i for i, t in enumerate(uniq)}
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(f, x=np.concatenate(xs).astype(dtype), label=np.array(labels), clip=np.array(clips),
                        clip_seconds=np.array(secs, dtype=np.float32), text_id=np.array([tid[t] for t in texts]),
                        texts=np.array(uniq), text_emb=embed(uniq), channels=np.array(names), fps=fps)
    return f


def class_text_emb(classes: list[str]) -> np.ndarray:
    """(K, 5, 384) embeddings of template descriptions of each target class (zero-shot probe)."""
    from ml.data.text import describe, embed

    return np.stack([embed([describe(c, k) for k in range(5)]) for c in classes])
