"""Training and evaluation of every arm on prepared window files (numpy + torch only).

One *plan* = one label budget: for each (held-out unit u, seed s) a model m = u·S + s, its
labelled budget drawn from the other units (K windows per class, or all of them), its
validation taken out of that budget (⌈K/5⌉ per class when K ≥ 5; none below: then the last
step is kept), and its test windows = unit u. All M models train at once (`multinet`).

Arms (each fine-tunes the same network on the same budget, same steps, same seed):
- `scratch`: random initialization.
- `pre_text` (SImpHARNet recipe): contrastive pretraining of the encoder against the sentence
  embeddings of the simulated windows' texts, then late-learning fine-tuning (head alone for the
  first third of the steps, then everything).
- `pre_sup`: supervised pretraining on the simulated windows' own activity labels, same fine-tuning.
- `pre_ssl` (control): SimCLR on the *unlabelled* real windows of the training units, same fine-tuning.
- `mix{r}` / `mix{r}_cal`: simulated windows whose activity maps onto a target class join every
  batch, r simulated per real window; `_cal` maps them first with a class-conditional affine
  sim→real calibration fitted on the labelled budget (per model, so on training units only).
Inputs are in physical units, scaled by fixed constants (acc / g, gyro / 2 rad/s), the same
for real and simulated windows, so no statistic of a held-out unit is ever used.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from ml.data.augment import random_rotations      # the one rotation sampler

from .multinet import MultiNet, broadcast_from, info_nce_multi, nt_xent_multi, per_model

G = 9.80665


@dataclass
class Setup:
    steps: int = 300            # fine-tuning steps
    batch: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    widths: tuple = (64, 128, 128)
    dim: int = 128
    pre_steps: int = 1500        # pretraining steps
    pre_batch: int = 128
    eval_every: int = 20
    freeze_share: float = 1 / 3  # late learning: head only for this share of fine-tuning steps
    rot_deg: float = 0.0         # random rotation of the sensor frame during pretraining (degrees)
    amp_aug: float = 0.0         # pretraining: dynamic part (window minus its mean) scaled by U(amp_aug, 1)
    device: str = "cpu"


def scale_vector(channels) -> np.ndarray:
    return np.array([1 / G if ".acc" in c else 0.5 for c in channels], dtype=np.float32)


def rotate(x: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
    """x (..., W, C) with C = 3·k triads; the same R (..., 3, 3) for every triad of a window."""
    sh = x.shape
    xt = x.reshape(-1, sh[-2], sh[-1] // 3, 3)
    out = torch.einsum("nij,nwkj->nwki", R.reshape(-1, 3, 3), xt)
    return out.reshape(sh)


def augment(x, gen, rot_deg):
    """SimCLR views: rotation, per-channel scaling, jitter."""
    n = x.shape[0] * x.shape[1]
    if rot_deg:
        x = rotate(x, random_rotations(n, rot_deg, gen, x.device).view(*x.shape[:2], 3, 3))
    scale = 1 + 0.1 * torch.randn(*x.shape[:2], 1, x.shape[-1], generator=gen, device=x.device)
    return x * scale + 0.05 * torch.randn(x.shape, generator=gen, device=x.device)


def _sample(pool: torch.Tensor, lens: torch.Tensor, B: int, gen) -> torch.Tensor:
    r = (torch.rand(len(lens), B, generator=gen, device=pool.device) * lens[:, None]).long()
    return torch.gather(pool, 1, r)


def _pad(lists, device) -> tuple[torch.Tensor, torch.Tensor]:
    L = max(1, max(len(a) for a in lists))
    out = np.zeros((len(lists), L), dtype=np.int64)
    for i, a in enumerate(lists):
        if len(a):
            out[i, :len(a)] = a
    return torch.from_numpy(out).to(device), torch.tensor([max(1, len(a)) for a in lists], device=device)


# ---------------------------------------------------------------------------------------------
# plans

def make_plan(y: np.ndarray, unit: np.ndarray, n_classes: int, budget, seeds: list[int]) -> dict:
    """Per model: train / val / test window indices. `budget`: int K per class, or 'all'."""
    units = sorted(set(unit.tolist()))
    train, val, test, models = [], [], [], []
    for u in units:
        te = np.nonzero(unit == u)[0]
        pool = np.nonzero(unit != u)[0]
        for s in seeds:
            rng = np.random.default_rng([s, 17, sum(map(ord, str(u))), 0 if budget == "all" else int(budget)])
            tr, va = [], []
            for c in range(n_classes):
                idx = pool[y[pool] == c]
                if budget == "all":
                    idx = rng.permutation(idx)
                    nv = int(round(0.2 * len(idx)))
                    va.append(idx[:nv])
                    tr.append(idx[nv:])
                    continue
                pick = rng.choice(idx, min(len(idx), int(budget)), replace=False) if len(idx) else idx
                nv = int(math.ceil(len(pick) / 5)) if int(budget) >= 5 else 0
                va.append(pick[:nv])
                tr.append(pick[nv:])
            train.append(np.concatenate(tr))
            val.append(np.concatenate(va))
            test.append(te)
            models.append((u, s))
    return {"train": train, "val": val, "test": test, "models": models, "units": units, "seeds": seeds}


# ---------------------------------------------------------------------------------------------
# training

class Trainer:
    def __init__(self, X: np.ndarray, y: np.ndarray, channels, n_classes: int, setup: Setup):
        self.s = setup
        self.dev = torch.device(setup.device)
        self.scale = torch.from_numpy(scale_vector(channels)).to(self.dev)
        self.X = torch.from_numpy(X).to(self.dev) * self.scale
        self.y = torch.from_numpy(y).long().to(self.dev)
        self.K = n_classes
        self.C = X.shape[-1]

    def net(self, M: int, n_classes: int | None = None) -> MultiNet:
        return MultiNet(M, self.C, n_classes or self.K, self.s.dim, self.s.widths).to(self.dev)

    def _opt(self, params, lr=None):
        return torch.optim.AdamW(params, lr=lr or self.s.lr, weight_decay=self.s.weight_decay)

    # --- pretraining ------------------------------------------------------------------------
    def pretrain(self, kind: str, seeds: list[int], sim: dict | None = None, real_pools=None,
                 init: MultiNet | None = None) -> tuple[MultiNet, dict]:
        """kind: 'text' | 'sup' (on sim) | 'ssl' (on real_pools: one index list per model).
        Returns the pretrained MultiNet (one model per seed, or per pool for ssl) and its log.
        `init` (a one-model MultiNet, e.g. a pretrained encoder): every model starts from it."""
        s = self.s
        t0 = time.perf_counter()
        gen = torch.Generator(device=self.dev).manual_seed(1000 + seeds[0])
        if kind == "ssl":
            M = len(real_pools)
            pool, lens = _pad(real_pools, self.dev)
            X = self.X
        else:
            M = len(seeds)
            X = sim["X"]
            pool = torch.arange(len(X), device=self.dev)[None].repeat(M, 1)
            lens = torch.full((M,), len(X), device=self.dev)
        torch.manual_seed(seeds[0])
        net = self.net(M, sim["n_labels"] if kind == "sup" else None)
        if init is not None:
            broadcast_from(init, net, [0] * M)
        opt = self._opt(net.parameters())
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, s.lr * 2, total_steps=s.pre_steps, pct_start=0.1)
        losses = []
        net.train()
        for step in range(s.pre_steps):
            idx = _sample(pool, lens, s.pre_batch, gen)
            xb = X[idx]
            if kind == "ssl":
                loss = nt_xent_multi(net.embed_signal(augment(xb, gen, 30.0)), net.embed_signal(augment(xb, gen, 30.0)))
            else:
                if s.amp_aug:
                    mu = xb.mean(2, keepdim=True)
                    k = s.amp_aug + (1 - s.amp_aug) * torch.rand(*xb.shape[:2], 1, 1, generator=gen, device=self.dev)
                    xb = mu + (xb - mu) * k
                if s.rot_deg:
                    xb = rotate(xb, random_rotations(xb.shape[0] * xb.shape[1], s.rot_deg, gen, self.dev)
                                .view(*xb.shape[:2], 3, 3))
                if kind == "text":
                    tid = sim["text_id"][idx]
                    loss = info_nce_multi(net.embed_signal(xb), net.embed_text(sim["text_emb"][tid]), tid)
                else:
                    loss = F.cross_entropy(net(xb).flatten(0, 1), sim["label_id"][idx].flatten()) * M
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            if step % 50 == 0 or step == s.pre_steps - 1:
                losses.append(float(loss.detach()) / M)
        return net, {"kind": kind, "models": M, "steps": s.pre_steps, "loss": losses,
                     "seconds": time.perf_counter() - t0}

    # --- fine-tuning / supervised -----------------------------------------------------------
    def finetune(self, plan: dict, init: MultiNet | None = None, which=None, mix: dict | None = None) -> dict:
        """Train the plan's M models; returns per-model test predictions and the run log."""
        s = self.s
        t0 = time.perf_counter()
        M = len(plan["models"])
        seed0 = plan["seeds"][0]
        torch.manual_seed(seed0)
        gen = torch.Generator(device=self.dev).manual_seed(seed0)
        net = self.net(M)
        if init is not None:
            broadcast_from(init, net, which)
            net.new_head(self.K)
        tr, tl = _pad(plan["train"], self.dev)
        has_val = [len(v) > 0 for v in plan["val"]]
        va, vl = _pad(plan["val"], self.dev)
        # class weights per model (balanced budgets give 1s; 'all' is unbalanced)
        cw = torch.zeros(M, self.K, device=self.dev)
        for m, t in enumerate(plan["train"]):
            cnt = np.bincount(self.y.cpu().numpy()[t], minlength=self.K).astype(np.float64)
            cw[m] = torch.from_numpy(np.where(cnt > 0, cnt.sum() / np.maximum(cnt, 1) / self.K, 0.0)).float()
        calib = self._calibration(plan, mix) if mix and mix.get("calibrate") else None
        opt = self._opt(net.parameters())
        freeze = int(s.steps * s.freeze_share) if init is not None else 0
        B = s.batch
        best = {k: v.clone() for k, v in net.state_dict().items()}
        best_f1 = torch.full((M,), -1.0, device=self.dev)
        for step in range(s.steps):
            net.train()
            enc_on = step >= freeze
            for p in net.encoder.parameters():
                p.requires_grad_(enc_on)
            if not enc_on:
                net.encoder.eval()          # frozen encoder: batch-norm statistics frozen too
            idx = _sample(tr, tl, B, gen)
            xb, yb = self.X[idx], self.y[idx]
            w = torch.gather(cw, 1, yb)
            if mix:
                xs, ys = self._sim_batch(mix, M, int(round(mix["ratio"] * B)), gen, calib)
                xb, yb = torch.cat([xb, xs], 1), torch.cat([yb, ys], 1)
                w = torch.cat([w, torch.ones_like(ys, dtype=w.dtype)], 1)
            logits = net(xb)
            ce = F.cross_entropy(logits.flatten(0, 1), yb.flatten(), reduction="none").view(M, -1)
            loss = ((ce * w).sum(1) / w.sum(1).clamp_min(1e-6)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if any(has_val) and ((step + 1) % s.eval_every == 0 or step == s.steps - 1):
                f1 = self._val_f1(net, va, vl, plan["val"])
                better = f1 > best_f1
                if better.any():
                    cur = per_model(net.state_dict(), M)
                    bst = per_model(best, M)
                    for k in bst:
                        bst[k][better] = cur[k][better]
                    best_f1 = torch.where(better, f1, best_f1)
        if any(has_val):
            final = per_model(net.state_dict(), M)
            keep = torch.tensor([not h for h in has_val], device=self.dev)
            bst = per_model(best, M)
            for k in bst:
                bst[k][keep] = final[k][keep]
            net.load_state_dict(best)
        self.last_net = net
        preds = self.predict(net, plan["test"])
        return {"pred": preds, "seconds": time.perf_counter() - t0,
                "val_f1": best_f1.cpu().tolist() if any(has_val) else None}

    @torch.no_grad()
    def predict(self, net: MultiNet, test_lists, chunk: int = 512) -> list[np.ndarray]:
        net.eval()
        pool, lens = _pad(test_lists, self.dev)
        out = []
        for a in range(0, pool.shape[1], chunk):
            out.append(net(self.X[pool[:, a:a + chunk]]).argmax(-1))
        P = torch.cat(out, 1).cpu().numpy()
        return [P[m, :len(t)] for m, t in enumerate(test_lists)]

    @torch.no_grad()
    def _val_f1(self, net, va, vl, val_lists) -> torch.Tensor:
        net.eval()
        P = net(self.X[va]).argmax(-1)                      # (M, L)
        Y = self.y[va]
        L = va.shape[1]
        valid = torch.arange(L, device=self.dev)[None] < vl[:, None]
        valid &= torch.tensor([len(v) > 0 for v in val_lists], device=self.dev)[:, None]
        f1 = torch.zeros(len(vl), device=self.dev)
        present = torch.zeros(len(vl), device=self.dev)
        for c in range(self.K):
            tp = ((P == c) & (Y == c) & valid).sum(1).float()
            fp = ((P == c) & (Y != c) & valid).sum(1).float()
            fn = ((P != c) & (Y == c) & valid).sum(1).float()
            has = ((Y == c) & valid).any(1).float()
            f1 += has * 2 * tp / (2 * tp + fp + fn).clamp_min(1)
            present += has
        return f1 / present.clamp_min(1)

    # --- simulated windows as extra training data -----------------------------------------
    def _sim_batch(self, mix, M, n, gen, calib):
        probs = mix["probs"]
        idx = torch.multinomial(probs.expand(M, -1), n, replacement=True, generator=gen)
        xs, ys = mix["X"][idx], mix["y"][idx]
        if calib is not None:
            a, b = calib                                        # (M, K, C) each
            ai = torch.gather(a, 1, ys[..., None].expand(-1, -1, self.C))[:, :, None, :]
            bi = torch.gather(b, 1, ys[..., None].expand(-1, -1, self.C))[:, :, None, :]
            xs = xs * ai + bi
        return xs, ys

    def _calibration(self, plan, mix):
        """Class-conditional affine sim→real map per model, fitted on that model's labelled
        budget (training part): x' = x·a + b matching per-channel mean and sd of each class
        (all samples of the class' windows); classes absent from either side keep a global fit."""
        X, y = self.X, self.y
        Xs, ys = mix["X"], mix["y"]
        M = len(plan["models"])
        a = torch.ones(M, self.K, self.C, device=self.dev)
        b = torch.zeros(M, self.K, self.C, device=self.dev)
        sm = {c: (Xs[ys == c].flatten(0, 1).mean(0), Xs[ys == c].flatten(0, 1).std(0)) for c in range(self.K)
              if (ys == c).any()}
        for m, t in enumerate(plan["train"]):
            tt = torch.from_numpy(t).to(self.dev)
            for c, (mu_s, sd_s) in sm.items():
                rc = X[tt[y[tt] == c]].flatten(0, 1)
                if len(rc) < 2:
                    continue
                mu_r, sd_r = rc.mean(0), rc.std(0)
                a[m, c] = sd_r / sd_s.clamp_min(1e-3)
                b[m, c] = mu_r - mu_s * a[m, c]
        return a, b


def sim_tensors(corpus: dict, label_map: dict, classes: list[str], device, shuffle_texts_seed=None) -> dict:
    """Torch tensors of a corpus for pretraining (own labels, texts) and mixing (target labels)."""
    dev = torch.device(device)
    scale = torch.from_numpy(scale_vector(corpus["channels"])).to(dev)
    X = torch.from_numpy(corpus["x"]).to(dev) * scale
    labels = corpus["label"]
    own = sorted(set(labels.tolist()))
    label_id = torch.from_numpy(np.array([own.index(l) for l in labels])).to(dev)
    text_id = corpus["text_id"].copy()
    if shuffle_texts_seed is not None:      # control: each clip gets another clip's text
        clips = np.unique(corpus["clip"])
        perm = np.random.default_rng(shuffle_texts_seed).permutation(len(clips))
        first = {c: text_id[np.nonzero(corpus["clip"] == c)[0][0]] for c in clips}
        new = {c: first[clips[p]] for c, p in zip(clips, perm)}
        text_id = np.array([new[c] for c in corpus["clip"]])
    cidx = {c: i for i, c in enumerate(classes)}
    tgt = np.array([cidx.get(label_map.get(l, ""), -1) for l in labels])
    out = {"X": X, "label_id": label_id, "n_labels": len(own), "text_id": torch.from_numpy(text_id).to(dev),
           "text_emb": torch.from_numpy(corpus["text_emb"]).to(dev), "own_labels": own,
           "mapped": {c: int((tgt == i).sum()) for c, i in cidx.items()}}
    m = tgt >= 0
    if m.any():
        cnt = np.bincount(tgt[m], minlength=len(classes)).astype(np.float64)
        p = 1.0 / cnt[tgt[m]]
        out["mix"] = {"X": X[torch.from_numpy(np.nonzero(m)[0]).to(dev)], "y": torch.from_numpy(tgt[m]).to(dev),
                      "probs": torch.from_numpy(p / p.sum()).float().to(dev)[None]}
    return out
