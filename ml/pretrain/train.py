"""Pretraining: one encoder on every (export, site) window of a corpus.

Per batch: windows scaled by the contract's fixed constants; every window turned by its own
uniformly random rotation (the same for acc and gyro: a device mounted any way round); the
gyroscope dropped from a share of windows (zeros + the gyro_missing flag, as an acc-only device);
a random amplitude scale around 1. Loss = cross-entropy on the activity labels
+ λ · CLIP InfoNCE between signal and activity-text embeddings (windows of one text are
positives of each other). AdamW with a cosine schedule; bf16 autocast on CUDA.
Resumable: OUT/.checkpoint.pt after every epoch (weights-only, tensors and numbers).
"""
from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from ..data.augment import random_rotations as random_tilt   # about a random axis by up to DEG
from ..models.losses import info_nce
from .contract import DEFAULT_PARAMS, Contract, EncoderFileError, feature_dim, write_folder
from .corpus import Corpus
from .network import build


@dataclass
class Recipe:
    arch: str = "simpharnet"
    epochs: int = 20
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    lambda_text: float = 1.0
    gyro_drop: float = 0.3         # share of windows whose gyroscope is removed
    amp_scale: float = 0.1         # sd of a per-window amplitude factor around 1
    rotation: str = "so3"          # so3 (uniform), none, or "deg:D": about a random axis by up to D degrees
    proj: int = 128
    seed: int = 0
    max_steps_per_epoch: int = 0   # 0 = a full pass over the windows


def random_so3(n: int, gen: torch.Generator, device) -> torch.Tensor:
    """(n, 3, 3) rotations uniform on SO(3): unit quaternions from 4-d Gaussians."""
    q = torch.randn(n, 4, generator=gen, device=device)
    q = q / q.norm(dim=1, keepdim=True).clamp_min(1e-9)
    w, x, y, z = q.unbind(1)
    return torch.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], 1).view(n, 3, 3)


def rotate_device(x: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
    """x (B, W, 6) = acc xyz + gyro xyz; one R (B, 3, 3) per window for both triads."""
    B, W, _ = x.shape
    return torch.einsum("bij,bwkj->bwki", R, x.view(B, W, 2, 3)).reshape(B, W, 6)


def augment_batch(x: torch.Tensor, gyro: torch.Tensor, r: Recipe, gen: torch.Generator):
    """(x, gyro_missing) of a scaled batch, augmented as the recipe says."""
    B = x.shape[0]
    if r.rotation == "so3":
        x = rotate_device(x, random_so3(B, gen, x.device))
    elif r.rotation.startswith("deg:"):
        x = rotate_device(x, random_tilt(B, float(r.rotation[4:]), gen, x.device))
    if r.amp_scale > 0:
        x = x * (1 + r.amp_scale * torch.randn(B, 1, 1, generator=gen, device=x.device))
    missing = ~gyro
    if r.gyro_drop > 0:
        missing = missing | (torch.rand(B, generator=gen, device=x.device) < r.gyro_drop)
    x = torch.cat([x[..., :3], x[..., 3:] * (~missing).to(x.dtype)[:, None, None]], dim=-1)
    return x, missing.float()


def pretrain(corpus: Corpus, out: Path, recipe: Recipe, fps: float, window_s: float, device: str = "auto",
             params: dict | None = None, command: str = "", log=None, resume: bool = True,
             init: tuple | None = None, sample_weights: np.ndarray | None = None, match: dict | None = None) -> Contract:
    """Pretrain (or, with `init` = (contract, state dict) of an encoder, continue pretraining) on the
    corpus; `sample_weights` (one per window, e.g. realism matching's) draws each epoch's windows
    with replacement in those proportions instead of one pass in random order."""
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else
                       ("cpu" if device == "auto" else device))
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {device}: CUDA is not available on this machine")
    from ..training.recipes import class_text_embeddings

    params = dict(params or DEFAULT_PARAMS[recipe.arch])
    contract = Contract(arch=recipe.arch, params=params, dim=feature_dim(recipe.arch, params), proj=recipe.proj,
                        fps=float(fps), window_s=float(window_s), classes=list(corpus.classes))
    cls_emb = corpus.class_emb if corpus.class_emb is not None else class_text_embeddings(corpus.classes)
    contract.class_text_emb = np.round(np.asarray(cls_emb, np.float64), 6).tolist()
    contract.validate("pretrain")
    torch.manual_seed(recipe.seed)
    net = build(contract).to(dev)
    if init is not None:
        c0, state = init
        if (c0.arch, c0.params, c0.proj, c0.fps, c0.window_s, list(c0.classes)) != \
                (contract.arch, contract.params, contract.proj, contract.fps, contract.window_s, list(contract.classes)):
            raise EncoderFileError(f"--init: the encoder ({c0.arch} {c0.params}, {c0.fps:g} Hz, {c0.window_s:g} s, "
                             f"{len(c0.classes)} activities) was not pretrained on this corpus's activities and sizes "
                             f"({contract.arch} {contract.params}, {len(contract.classes)} activities): continue "
                             "from an encoder built on the same corpus")
        net.load_state_dict(state)
    init_id = _weights_id(init[1]) if init is not None else ""
    W8 = None
    if sample_weights is not None:
        W8 = torch.as_tensor(np.asarray(sample_weights, np.float64))
        if W8.shape != (len(corpus),) or not torch.isfinite(W8).all() or (W8 < 0).any() or W8.sum() <= 0:
            raise ValueError("sample weights: one finite, non-negative weight per corpus window")
    scale = torch.from_numpy(contract.scale_array()).to(dev)
    X = torch.from_numpy(corpus.x)                      # float16, stays on the CPU unless it fits
    if dev.type == "cuda":
        X = X.to(dev)
    Y = torch.from_numpy(corpus.y).to(dev)
    GY = torch.from_numpy(corpus.gyro).to(dev)
    TID = torch.from_numpy(corpus.text_id).to(dev)
    if corpus.text_emb is None:
        from ..data.text import embed

        corpus.text_emb = embed(corpus.texts)
    TE = torch.from_numpy(np.asarray(corpus.text_emb, np.float32)).to(dev)
    N = len(corpus)
    steps = max(1, N // recipe.batch_size)
    if recipe.max_steps_per_epoch:
        steps = min(steps, recipe.max_steps_per_epoch)
    total = steps * recipe.epochs
    opt = torch.optim.AdamW(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, total // 20)) * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))
    counts = np.bincount(corpus.y, weights=None if W8 is None else W8.numpy(),
                         minlength=len(corpus.classes)).astype(np.float64)
    cw = torch.tensor(np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / len(counts), 0.0),
                      dtype=torch.float32, device=dev)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / ".checkpoint.pt"
    start, history = 0, []
    if resume and ckpt.is_file():
        try:
            st = torch.load(ckpt, map_location=dev, weights_only=True)
            if st.get("key") == _key(recipe, contract, N, match, init_id):
                net.load_state_dict(st["net"])
                opt.load_state_dict(st["opt"])
                sched.load_state_dict(st["sched"])
                start, history = int(st["epoch"]), list(st["history"])
                log(f"pretrain: resuming after epoch {start}")
        except Exception as e:     # a damaged checkpoint: start over
            log(f"pretrain: {ckpt}: not resumable ({e.__class__.__name__}); starting over")
    gen = torch.Generator(device=dev).manual_seed(recipe.seed * 1000 + start)
    amp = dev.type == "cuda"
    log(f"pretrain {recipe.arch}: {N} windows ({N * window_s / 3600:.1f} h) of {len(corpus.sites)} sites, "
        f"{len(corpus.classes)} activities, {len(corpus.texts)} texts; {recipe.epochs} epochs x {steps} steps on {dev}")
    for epoch in range(start, recipe.epochs):
        net.train()
        t0 = time.perf_counter()
        g_ep = torch.Generator().manual_seed(recipe.seed * 7919 + epoch)
        perm = torch.randperm(N, generator=g_ep) if W8 is None else \
            torch.multinomial(W8, steps * recipe.batch_size, replacement=True, generator=g_ep)
        sums = np.zeros(4)
        for s in range(steps):
            idx = perm[s * recipe.batch_size:(s + 1) * recipe.batch_size]
            di = idx.to(dev)
            xb = X[idx.to(X.device)].to(dev).float() * scale
            xb, missing = augment_batch(xb, GY[di], recipe, gen)
            with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
                f = net.features(xb, missing)
                logits = net.classifier(f)
                z = net.signal_proj(f)
                zt = net.text_proj(TE[TID[di]])
            ce = F.cross_entropy(logits.float(), Y[di], weight=cw)
            clip = info_nce(z, zt, net.logit_scale(), TID[di]) if recipe.lambda_text > 0 else torch.zeros((), device=dev)
            loss = ce + recipe.lambda_text * clip
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            sched.step()
            acc = (logits.argmax(1) == Y[di]).float().mean()
            sums += [float(v.detach()) for v in (loss, ce, clip, acc)]
        m = sums / steps
        history.append({"epoch": epoch + 1, "loss": m[0], "ce": m[1], "clip": m[2], "train_acc": m[3],
                        "seconds": time.perf_counter() - t0})
        log(f"pretrain epoch {epoch + 1}/{recipe.epochs}: loss {m[0]:.3f} (ce {m[1]:.3f}, clip {m[2]:.3f}), "
            f"train accuracy {m[3]:.3f}, {time.perf_counter() - t0:.0f} s")
        tmp = out / ".checkpoint.pt.part"
        torch.save({"key": _key(recipe, contract, N, match, init_id), "net": net.state_dict(), "opt": opt.state_dict(),
                    "sched": sched.state_dict(), "epoch": epoch + 1, "history": history}, tmp)
        os.replace(tmp, ckpt)
    contract.recipe = {**asdict(recipe), "history": history, "device": str(dev)}
    if init is not None:
        contract.recipe["continued_from"] = str(init[0].command or "")[:300]
    if match is not None:
        contract.recipe["realism_matching"] = match
    contract.corpus = {"windows": N, "hours_windows": round(N * window_s / 3600, 3), "files": corpus.files,
                       "bodies": corpus.bodies, "sites": corpus.sites, "texts": len(corpus.texts),
                       "hours": corpus.hours_table()}
    contract.command = command
    write_folder(out, contract, net.state_dict(), model_card(contract))
    ckpt.unlink(missing_ok=True)
    return contract


def _key(recipe: Recipe, contract: Contract, n: int, match: dict | None = None, init_id: str = "") -> str:
    import hashlib
    import json

    return hashlib.sha1(json.dumps([asdict(recipe), contract.arch, contract.params, contract.fps,
                                    contract.window_s, contract.classes, n, match, init_id],
                                   default=str).encode()).hexdigest()


def _weights_id(state: dict) -> str:
    """A digest of an encoder's weights: a checkpoint continues only the run that started from them."""
    import hashlib

    h = hashlib.sha1()
    for k in sorted(state):
        h.update(k.encode())
        h.update(state[k].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def model_card(c: Contract, figures: str = "") -> str:
    hours = c.corpus.get("hours", {})
    sites = sorted({s for d in hours.values() for s in d})
    per_site = {s: sum(d.get(s, 0.0) for d in hours.values()) for s in sites}
    rows = ["Per activity (hours of motion, each recorded at every site; total over sites in brackets):", "",
            "| activity | hours | (all sites) |", "| --- | --- | --- |"]
    for a, d in sorted(hours.items(), key=lambda kv: -max(kv[1].values(), default=0)):
        rows.append(f"| {a} | {max(d.values(), default=0):.3f} | ({sum(d.values()):.2f}) |")
    rows += ["", "Per site (hours of signal):", "", "| site | hours |", "| --- | --- |"]
    rows += [f"| {s} | {h:.2f} |" for s, h in per_site.items()]
    r = {k: v for k, v in c.recipe.items() if k not in ("history", "realism_matching")}
    m = c.recipe.get("realism_matching")
    matching = "" if not m else f"""
## Realism matching
Continued from the encoder built by `{c.recipe.get('continued_from', '?')}`, drawing simulated windows
with weights that make them look like the target's unlabelled windows (`ml/pretrain/match.py`):
target {m.get('target')} (site {m.get('site')}, {m.get('target_windows')} windows of {len(m.get('subjects', []))} subjects:
{', '.join(map(str, m.get('subjects', [])))}). Simulated vs target separable with AUC {m.get('auc_sim_vs_target')}
before weighting; the weights keep an effective {100 * m.get('effective_share', 0):.0f} % of the corpus
(weights p1/p50/p99 {m.get('weight_p1_p50_p99')}: density ratio ^ {m.get('power')}, clipped at {m.get('clip')}).

| feature | simulated | target | simulated, weighted |
| --- | --- | --- | --- |
{chr(10).join(f"| {k} | {v['sim']} | {v['target']} | {v['sim_weighted']} |" for k, v in m.get('feature_means', {}).items())}

Where the weight went (share of the weighted corpus; unweighted in brackets):
- sites: {'; '.join(f"{d['name']} {d['share']:.3f} ({d['unweighted']:.3f})" for d in m.get('top_sites', []))}
- activities: {'; '.join(f"{d['name']} {d['share']:.3f} ({d['unweighted']:.3f})" for d in m.get('top_activities', []))}

A fold that holds out one of those subjects saw its unlabelled windows (no label) through this
encoder: evaluate with `--match-subjects` naming training subjects only.
"""
    last = (c.recipe.get("history") or [{}])[-1]
    return f"""# WearTwin encoder ({c.arch})

One encoder for one IMU device (acc + gyro, or acc alone) at any body site, pretrained on
WearTwin-simulated signals. Fine-tune it: `weartwin train {c.arch if c.arch != 'dcl' else 'dcl'} --init THIS_FOLDER
--data MYDATA --site SITE --labels-per-class 10 --out RUN`; zero-shot: `weartwin predict --zero-shot
"walking,sitting" THIS_FOLDER MYDATA --out labels.csv`.

## Input contract
- {c.fps:g} Hz, windows of {c.window_s:g} s ({c.window} samples), channels {', '.join(c.channels)}
- units: acc {c.units['acc']}; gyro {c.units['gyro']}
- normalisation: {c.normalisation}
- no gyroscope: {c.gyro_missing}

## Architecture
{c.arch} {c.params}, features {c.dim}, signal/text projections {c.proj}; {len(c.classes)} pretraining activities.

## Corpus
{c.corpus.get('files', 0)} exports, {len(c.corpus.get('bodies', []))} bodies, {len(c.corpus.get('sites', []))} sites,
{c.corpus.get('texts', 0)} activity texts, {c.corpus.get('windows', 0)} windows ({c.corpus.get('hours_windows', 0)} h of windows).

{chr(10).join(rows)}

## Recipe
{r}
{matching}
Last epoch: {', '.join(f'{k} {v:.3f}' for k, v in last.items() if isinstance(v, float))}

## Figures
{figures or '(none yet: `python benchmarks/bench_transfer.py --encoder THIS_FOLDER` writes them)'}

## Rebuild
```
{c.command}
```
"""
