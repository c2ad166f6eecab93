"""Training the T2M-GPT-compatible model on HumanML3D-layout data (both stages).

HUMANML3D/ new_joint_vecs/<id>.npy (T,263) and texts/<id>.txt (`caption#tokens#start#end`
per line). Stage 1 (VQ-VAE): random 64-frame windows, smooth-L1 reconstruction + velocity
loss + 0.02·commitment, EMA codebook with dead-code reset. Stage 2 (GPT): each motion's codes,
conditioned on one of its captions (MiniLM), next-code cross-entropy with an end token.
"""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from .t2mgpt import T2MConfig, T2MGPT


def load_humanml3d(root) -> list[tuple[str, np.ndarray, list[str]]]:
    root = Path(root)
    vec_dir = root / "new_joint_vecs" if (root / "new_joint_vecs").is_dir() else root
    items = []
    for f in sorted(vec_dir.glob("*.npy")):
        stem = f.stem.replace("_new_joint_vecs", "")
        x = np.load(f, allow_pickle=False).astype(np.float32)
        if x.ndim != 2 or not np.isfinite(x).all():
            continue
        txt = root / "texts" / f"{stem}.txt"
        caps = [ln.split("#")[0].strip() for ln in txt.read_text().splitlines() if ln.strip()] if txt.is_file() else []
        items.append((stem, x, caps))
    if not items:
        raise ValueError(f"{root}: no HumanML3D feature files (new_joint_vecs/*.npy)")
    return items


def train_vq(root, out, cfg: T2MConfig, steps: int = 2000, batch: int = 32, window: int = 64, lr: float = 2e-4,
             device="cpu", seed: int = 0, log=print) -> tuple[T2MGPT, list[float]]:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    items = load_humanml3d(root)
    if cfg.feat_dim != items[0][1].shape[1]:
        raise ValueError(f"features have {items[0][1].shape[1]} dims, the config {cfg.feat_dim}")
    allx = np.concatenate([x for _, x, _ in items])
    model = T2MGPT(cfg, allx.mean(0), np.maximum(allx.std(0), 1e-3))
    norm = [(x - model.mean) / model.std for _, x, _ in items]
    norm = [np.pad(x, ((0, max(0, window - len(x))), (0, 0)), mode="edge") for x in norm]
    vq = model.vq.to(device).train()
    opt = torch.optim.AdamW(vq.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=0.0)
    losses = []
    for step in range(steps):
        xb = []
        for _ in range(batch):
            x = norm[rng.randrange(len(norm))]
            s = rng.randrange(len(x) - window + 1)
            xb.append(x[s:s + window])
        x = torch.from_numpy(np.stack(xb)).to(device)
        rec, commit, perp = vq(x)
        loss = (F.smooth_l1_loss(rec, x) + 0.5 * F.smooth_l1_loss(rec[:, 1:] - rec[:, :-1], x[:, 1:] - x[:, :-1])
                + 0.02 * commit)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if log and (step % max(1, steps // 10) == 0 or step == steps - 1):
            log(f"vq step {step + 1}/{steps}: loss {losses[-1]:.4f}, perplexity {float(perp):.1f}")
    model.vq.eval()
    model.save(out)
    return model, losses


def train_gpt(root, vq_folder, out, steps: int = 2000, batch: int = 32, lr: float = 1e-4, device="cpu",
              seed: int = 0, log=print) -> tuple[T2MGPT, list[float]]:
    from ..data.text import describe, embed

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = T2MGPT.load(vq_folder)
    cfg = model.cfg
    if cfg.text_encoder != "minilm":
        raise ValueError("training here uses the offline MiniLM text encoder: set text_encoder=minilm, clip_dim=384")
    items = load_humanml3d(root)
    vq = model.vq.to(device).eval()
    seqs, caps = [], []
    with torch.no_grad():
        for stem, x, c in items:
            z = vq.vqvae.encode(torch.from_numpy((x - model.mean) / model.std)[None].to(device))[0]
            seqs.append(z[:cfg.block_size - 1].cpu())
            caps.append(c or [describe(stem)])
    texts = sorted({t for c in caps for t in c})
    emb = dict(zip(texts, torch.from_numpy(embed(texts))))
    trans = model.trans.to(device).train()
    opt = torch.optim.AdamW(trans.parameters(), lr=lr, betas=(0.5, 0.99), weight_decay=0.0)
    end = cfg.nb_code
    losses = []
    for step in range(steps):
        ids = [rng.randrange(len(seqs)) for _ in range(batch)]
        L = max(len(seqs[i]) for i in ids) + 1
        tgt = torch.full((batch, L), -100, dtype=torch.long)
        inp = torch.full((batch, L - 1), end + 1, dtype=torch.long)   # pad token: nb_code + 1
        for b, i in enumerate(ids):
            s = seqs[i]
            tgt[b, :len(s)] = s
            tgt[b, len(s)] = end
            inp[b, :len(s)] = s
        cond = torch.stack([emb[rng.choice(caps[i])] for i in ids]).to(device)
        logits = trans(inp.to(device), cond)                # (B, L, nb_code+1)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), tgt.to(device).reshape(-1),
                               ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        if log and (step % max(1, steps // 10) == 0 or step == steps - 1):
            log(f"gpt step {step + 1}/{steps}: loss {losses[-1]:.4f}")
    model.trans.eval()
    model.save(out)
    return model, losses
