"""A small, explicit training loop: AdamW, early stopping on a validation score, CUDA AMP,
`torchrun` DDP, checkpoints every epoch and resume.

    fit(model, n_train, loss_fn, Schedule(...), score_fn=..., ckpt=RUN/.../last.pt)

`loss_fn(model, idx)` gets the indices of one batch and returns a scalar loss; data stay in
the caller's hands (small HAR datasets live in memory). Under DDP each rank trains on its
own share of every epoch's permutation; all ranks validate identically and rank 0 writes.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from addon.export.atomic import atomic_write


def pick_device(name: str = "auto") -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: CUDA is not available on this machine")
    dist = Dist()
    if dist.active and name == "cuda":
        name = f"cuda:{dist.local_rank}"
    return torch.device(name)


class Dist:
    """torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK); inactive when not launched by it."""

    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.active = self.world > 1

    def init(self) -> "Dist":
        import torch.distributed as td

        if self.active and not td.is_initialized():
            backend = "nccl" if torch.cuda.is_available() else "gloo"
            if backend == "nccl":
                torch.cuda.set_device(self.local_rank)
            td.init_process_group(backend)
        return self

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self):
        if self.active:
            import torch.distributed as td

            td.barrier()

    def agree(self, flag: bool) -> bool:
        """Rank 0's decision, for everyone (early stopping must not split the ranks)."""
        if not self.active:
            return flag
        import torch.distributed as td

        t = torch.tensor([1.0 if flag else 0.0],
                         device=f"cuda:{self.local_rank}" if torch.cuda.is_available() else "cpu")
        td.broadcast(t, 0)
        return bool(t.item())


@dataclass
class Schedule:
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 8          # epochs without a better score (only with score_fn)
    amp: bool = True
    seed: int = 0
    progress: bool = True
    desc: str = "train"
    lr_schedule: str = "constant"   # constant, cosine, onecycle (per step)
    warmup: float = 0.0             # share of steps with a linear warm-up (cosine)
    plateau_patience: int = 0       # epochs without improvement before plateau_hook (0: = patience)
    min_steps: int = 0              # few windows: each epoch repeats them so that all epochs take >= this many steps


@dataclass
class History:
    loss: list = field(default_factory=list)
    score: list = field(default_factory=list)
    best_epoch: int = -1
    best_score: float = -math.inf
    seconds: float = 0.0
    samples: int = 0
    plateau_epoch: int = -1        # when plateau_hook fired (e.g. the encoder was unfrozen)

    def to_dict(self) -> dict:
        return {"loss": self.loss, "score": self.score, "best_epoch": self.best_epoch,
                "plateau_epoch": self.plateau_epoch,
                "best_score": None if self.best_score == -math.inf else self.best_score,
                "seconds": self.seconds, "samples_per_s": self.samples / max(self.seconds, 1e-9)}


def _state(model):
    m = model.module if hasattr(model, "module") else model
    return {k: v.detach().clone().cpu() for k, v in m.state_dict().items()}


def load_checkpoint(path: Path, warn=None) -> dict | None:
    """A checkpoint written by `fit`, loaded weights-only (tensors, numbers, strings, lists and
    dicts; no code). Anything else is refused: None, with one line through `warn`."""
    try:
        st = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:   # pickle payloads, truncated or foreign files
        (warn or _warn)(f"{path}: not a weights-only checkpoint, ignored and recomputed "
                        f"({type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})")
        return None
    if not isinstance(st, dict) or "model" not in st:
        (warn or _warn)(f"{path}: not a WearTwin training checkpoint, ignored and recomputed")
        return None
    return st


def _warn(msg: str) -> None:
    import sys

    print(f"warning: {msg}", file=sys.stderr)


def fit(model: torch.nn.Module, n_train: int, loss_fn, sched: Schedule, device: torch.device,
        score_fn=None, ckpt: Path | None = None, epoch_hook=None, key: str = "", param_groups=None,
        plateau_hook=None) -> History:
    """Train in place; at the end the model holds the best-scoring weights (or the last ones
    without `score_fn`). `epoch_hook(model, epoch)` may freeze/unfreeze parameters; it
    returns True when it changed which parameters train. `plateau_hook(model, epoch)` is
    called when the validation score has not improved for `sched.patience` epochs, before
    early stopping: returning True (it changed the model, e.g. unfroze the encoder) resets
    the patience instead of stopping. A checkpoint is resumed only when it was written with
    the same `key` (the fold's hash); `param_groups(model)` may give per-group learning-rate
    multipliers as [(params, lr_mult), ...]."""
    from tqdm import tqdm

    dist = Dist()
    base = model.to(device)
    use_amp = sched.amp and device.type == "cuda"
    groups = param_groups(base) if param_groups else [(list(base.parameters()), 1.0)]
    opt = torch.optim.AdamW([{"params": list(ps), "lr": sched.lr * m} for ps, m in groups],
                            lr=sched.lr, weight_decay=sched.weight_decay)
    for g in opt.param_groups:
        g["base_lr"] = g["lr"]
    # One pass over the training windows per epoch; with few windows (10 labels per class is one or two
    # batches) that is a handful of optimizer steps in all, so each epoch then repeats the windows (fresh
    # permutations) until the epochs together take at least sched.min_steps steps.
    n_local = max(1, n_train // dist.world)
    bs = min(sched.batch_size, n_local)
    steps_per_epoch = max(n_local // bs, math.ceil(sched.min_steps / max(1, sched.epochs)), 1)
    reps = max(1, math.ceil(steps_per_epoch * bs / n_local))      # permutations drawn per epoch
    total_steps = max(1, steps_per_epoch * sched.epochs)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    hist, start, bad, best_state = History(), 0, 0, None
    st = load_checkpoint(ckpt) if ckpt is not None and Path(ckpt).is_file() else None
    if st is not None and st.get("key", "") != key:
        st = None          # written for another configuration or data: start again
    if st is not None:
        base.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        scaler.load_state_dict(st["scaler"])
        hist = History(**st["history"])
        start, bad, best_state = st["epoch"] + 1, st["bad"], st["best_state"]
        if st.get("plateau_fired") and plateau_hook is not None:
            plateau_hook(base, start - 1)
        if st.get("done"):
            start = sched.epochs
    wrapped = None

    def wrap():
        if not dist.active:
            return base
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        return DDP(base, device_ids=ids, find_unused_parameters=True)

    rng = np.random.default_rng([sched.seed, 11])
    for _ in range(start * reps):   # the permutations of finished epochs: a resumed run continues the same stream
        rng.permutation(n_train)
    t0 = time.perf_counter()
    epoch = start
    step = start * steps_per_epoch
    plateau_fired = bool(st.get("plateau_fired")) if st is not None else False
    for epoch in range(start, sched.epochs):
        changed = bool(epoch_hook(base, epoch)) if epoch_hook else False
        if wrapped is None or changed:
            wrapped = wrap()
        wrapped.train()
        for mod in base.modules():      # frozen parts stay frozen: their batch-norm statistics too
            if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm) and mod.weight is not None \
                    and not mod.weight.requires_grad:
                mod.eval()
        perm = np.concatenate([rng.permutation(n_train)[dist.rank::dist.world] for _ in range(reps)])
        nb = steps_per_epoch
        total, bar = 0.0, None
        it = range(nb)
        if sched.progress and dist.main:
            it = bar = tqdm(it, desc=f"{sched.desc} {epoch + 1}/{sched.epochs}", leave=False, mininterval=0.5)
        for b in it:
            idx = perm[b * bs:(b + 1) * bs] if nb > 1 or reps > 1 else perm
            if sched.lr_schedule != "constant":
                f = _lr_factor(sched.lr_schedule, step / total_steps, sched.warmup)
                for g in opt.param_groups:
                    g["lr"] = g["base_lr"] * f
            step += 1
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                loss = loss_fn(wrapped, idx)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(base.parameters(), 5.0)
            scaler.step(opt)
            scaler.update()
            total += float(loss.detach())
            hist.samples += len(idx) * dist.world
            if bar is not None:
                bar.set_postfix(loss=f"{total / (b + 1):.3f}")
        hist.loss.append(total / nb)
        stop = False
        if score_fn is not None:
            base.eval()
            with torch.no_grad():
                s = float(score_fn(base))
            hist.score.append(s)
            if s > hist.best_score:
                hist.best_score, hist.best_epoch, bad, best_state = s, epoch, 0, _state(base)
            else:
                bad += 1
            stop = dist.agree(bad >= sched.patience)
            plateau = dist.agree(bad >= (sched.plateau_patience or sched.patience))
        else:
            hist.best_epoch, best_state = epoch, None
            # no validation: the training loss plateaus (no relative gain of 1 % in P epochs)
            P = sched.plateau_patience or sched.patience
            plateau = len(hist.loss) > P and min(hist.loss[-P:]) > 0.99 * min(hist.loss[:-P])
        if plateau and plateau_hook is not None and not plateau_fired:
            plateau_fired = True
            hist.plateau_epoch = epoch
            if plateau_hook(base, epoch):      # e.g. the encoder unfreezes: patience starts again
                stop, bad, wrapped = False, 0, None
        hist.seconds += time.perf_counter() - t0
        t0 = time.perf_counter()
        if ckpt is not None and dist.main:
            _save(ckpt, base, opt, scaler, epoch, bad, best_state, hist, done=stop or epoch + 1 == sched.epochs,
                  key=key, plateau_fired=plateau_fired)
        if stop:
            break
    if best_state is not None:
        base.load_state_dict(best_state)
    base.eval()
    return hist


def _lr_factor(kind: str, progress: float, warmup: float) -> float:
    """Learning-rate multiplier at `progress` in [0, 1) of all training steps."""
    progress = min(max(progress, 0.0), 1.0)
    if kind == "cosine":
        if warmup > 0 and progress < warmup:
            return max(progress / warmup, 0.01)
        p = (progress - warmup) / max(1e-9, 1 - warmup)
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * p))
    if kind == "onecycle":      # linear up over the first 30 %, cosine down to 1 % (Smith & Topin)
        if progress < 0.3:
            return 0.04 + 0.96 * progress / 0.3
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * (progress - 0.3) / 0.7))
    return 1.0


def _save(path: Path, model, opt, scaler, epoch, bad, best_state, hist: History, done: bool, key: str = "",
          plateau_fired: bool = False) -> None:
    state = {"model": _state(model), "opt": opt.state_dict(), "scaler": scaler.state_dict(), "epoch": epoch,
             "bad": bad, "best_state": best_state, "history": dict(hist.__dict__), "done": done, "key": key,
             "plateau_fired": plateau_fired}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: torch.save(state, f))


def predict(model: torch.nn.Module, x: np.ndarray, device: torch.device, batch: int = 512) -> np.ndarray:
    """Class scores (N, K) for windows x (N, W, C)."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch])).to(device)
            out.append(model(xb).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def free_cores() -> int:
    """CPU cores this process may use that other work is not already using: the affinity set
    minus the 1-minute load average (at least 1). WEARTWIN_THREADS overrides."""
    env = os.environ.get("WEARTWIN_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    return max(1, min(n, int(n - load + 0.5)))


def set_threads() -> int:
    """torch intra-op threads follow the free cores (two threads on a busy two-core machine
    ran a step 20x slower than one)."""
    n = free_cores()
    torch.set_num_threads(n)
    return n
