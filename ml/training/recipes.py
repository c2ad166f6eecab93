"""How each model is trained on one fold: `Recipe.fit(train, val, sim)` then `predict(x)`.

All windows arrive already normalized (and simulated ones calibrated) by the evaluation,
which fits those on training subjects only. `val` is used for early stopping only.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..config import RunConfig
from ..data.text import describe, embed
from ..data.windows import Windows
from .loop import Schedule, fit, pick_device, predict


def macro_f1(y_true, y_pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def window_features(x: np.ndarray) -> np.ndarray:
    """Per-channel statistics of each window (N, W, C) -> (N, 10·C) for the random forest."""
    q = np.percentile(x, [10, 25, 50, 75, 90], axis=1)
    feats = [x.mean(1), x.std(1), x.min(1), x.max(1), *q, np.abs(np.diff(x, axis=1)).mean(1)]
    return np.concatenate(feats, axis=1).astype(np.float32)


class Recipe:
    early_stopping = True   # False: validation windows would only be reported, so they train instead

    def __init__(self, cfg: RunConfig, channels: list[str], classes: list[str], seed: int, fold_dir: Path):
        self.cfg, self.channels, self.classes, self.seed, self.dir = cfg, channels, classes, seed, Path(fold_dir)
        self.history: dict = {}
        self.key = ""            # the fold's hash: checkpoints of another configuration are not resumed
        self.pretrain_key = ""

    def fit(self, train: Windows, val: Windows, sim: Windows | None) -> None:
        raise NotImplementedError

    def predict(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class RFRecipe(Recipe):
    early_stopping = False     # a forest stops nowhere: under a label budget every labelled window trains it

    def fit(self, train, val, sim):
        from sklearn.ensemble import RandomForestClassifier

        x, y = train.x, train.y
        if sim is not None and len(sim):
            x, y = np.concatenate([x, sim.x]), np.concatenate([y, sim.y])
        from .loop import free_cores

        self.rf = RandomForestClassifier(self.cfg.trees, n_jobs=free_cores(), random_state=self.seed,
                                         class_weight="balanced_subsample")
        self.rf.fit(window_features(x), y)
        self.history = {"val_macro_f1": macro_f1(val.y, self.predict(val.x)) if len(val) else None}

    def predict(self, x):
        return self.rf.predict(window_features(x))


class TorchRecipe(Recipe):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.device = pick_device(self.cfg.device)

    def schedule(self, desc: str, epochs=None, lr=None, pretraining: bool = False) -> Schedule:
        """Training on the labelled windows (--min-steps applies), or pretraining on --sim (it does not)."""
        c = self.cfg
        return Schedule(epochs=c.epochs if epochs is None else epochs, batch_size=c.batch_size,
                        lr=c.lr if lr is None else lr, weight_decay=c.weight_decay, patience=c.patience,
                        amp=c.amp, seed=self.seed, progress=c.show_progress(), desc=desc, lr_schedule=c.lr_schedule,
                        warmup=c.warmup, plateau_patience=getattr(c, "freeze_patience", 0),
                        min_steps=0 if pretraining else getattr(c, "min_steps", 0))

    def transfer(self, pretrained: bool, mode: str | None = None, has_val: bool = True) -> dict:
        """Hooks for fine-tuning a pretrained encoder (`net.encoder_parameters()`), by --finetune:
        plateau: frozen until the validation score (or training loss) stops improving for
        --freeze-patience epochs, then trained at lr × --encoder-lr-mult; linear: always frozen
        (linear probe); epochs: frozen for --unfreeze-after epochs; full: trains from the start;
        steps: frozen for the first third of --epochs, then trained at the full rate, no
        validation (the last weights; the recipe bench_transfer.py measured). auto: steps when
        there is no validation set under --init (protocol.trains_on_every_label gives every
        labelled window to training then), else plateau.
        Without pretraining everything trains from the start at the full rate."""
        c = self.cfg
        mode = mode or (c.finetune if pretrained else "full")
        if mode == "auto":
            mode = "steps" if getattr(c, "init", "") and not has_val else "plateau"
        if mode not in ("plateau", "linear", "full", "epochs", "steps"):
            raise ValueError(f"--finetune: unknown '{mode}' (auto, steps, plateau, linear, full, epochs)")
        state = {"unfrozen": False}
        self.history["finetune_mode"] = mode

        def enc(m):
            return list(m.encoder_parameters())

        def set_frozen(m, frozen: bool) -> bool:
            ps = enc(m)
            was = not ps[0].requires_grad
            for p in ps:
                p.requires_grad_(not frozen)
            return was != frozen

        def epoch_hook(m, epoch):
            if mode == "linear":
                return set_frozen(m, True)
            if mode == "epochs":
                return set_frozen(m, c.unfreeze_after < 0 or epoch < c.unfreeze_after)
            if mode == "plateau":
                return set_frozen(m, not state["unfrozen"])
            if mode == "steps":
                return set_frozen(m, epoch < c.epochs // 3)
            return False

        def plateau_hook(m, epoch):
            if mode != "plateau" or state["unfrozen"]:
                return False
            state["unfrozen"] = True
            self.history["unfrozen_at_epoch"] = int(epoch) + 1
            return set_frozen(m, False)

        def param_groups(m):
            ids = {id(p) for p in enc(m)}
            mult = c.encoder_lr_mult if pretrained and mode != "steps" else 1.0   # steps: bench_transfer's recipe
            return [(enc(m), mult), ([p for p in m.parameters() if id(p) not in ids], 1.0)]

        return {"epoch_hook": epoch_hook if mode != "full" else None,
                "plateau_hook": plateau_hook if mode == "plateau" else None, "param_groups": param_groups,
                "validate": mode != "steps"}

    def augmenter(self, train: Windows):
        c = self.cfg
        norm = train.extra.get("normalization")
        if not c.augment or norm is None:
            return None
        from ..data.augment import Augment

        return Augment(self.channels, norm["mean"], norm["std"], c.aug_rotation, c.aug_scale, c.aug_warp,
                       seed=self.seed, device=self.device)

    def _class_weights(self, y: np.ndarray) -> torch.Tensor:
        counts = np.bincount(y, minlength=len(self.classes)).astype(np.float64)
        w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / len(self.classes), 0.0)
        return torch.tensor(w, dtype=torch.float32, device=self.device)

    def supervised(self, net: nn.Module, train: Windows, val: Windows, desc: str, epoch_hook=None,
                   extra_loss=None, plateau_hook=None, param_groups=None, validate: bool = True):
        X = torch.from_numpy(train.x).to(self.device)
        Y = torch.from_numpy(train.y).to(self.device)
        weights = self._class_weights(train.y)
        aug = self.augmenter(train)

        def loss_fn(m, idx):
            i = torch.from_numpy(idx).to(self.device)
            xb = X[i] if aug is None else aug(X[i])
            loss = F.cross_entropy(m(xb).float(), Y[i], weight=weights)
            return loss + extra_loss() if extra_loss else loss

        def score_fn(m):
            return macro_f1(val.y, predict(m, val.x, self.device).argmax(1))

        h = fit(net, len(train), loss_fn, self.schedule(desc), self.device,
                score_fn=score_fn if len(val) and validate else None, ckpt=self.dir / "finetune.pt", epoch_hook=epoch_hook,
                key=self.key, plateau_hook=plateau_hook, param_groups=param_groups)
        self.history["finetune"] = h.to_dict()
        self.net = net

    def predict(self, x):
        return predict(self.net, x, self.device).argmax(1)

    def pretrain_on_texts(self, task: nn.Module, sim: Windows, extra: list, desc: str, ckpt: Path) -> None:
        """Pretraining on simulated windows paired with their texts: the loss is
        task(x, *extra, text_embedding, text_group) over batches of `sim`."""
        texts = _texts(sim)
        uniq = {t: i for i, t in enumerate(sorted(set(texts)))}
        tensors = [torch.from_numpy(sim.x), *(torch.from_numpy(a) for a in extra),
                   torch.from_numpy(embed(texts)), torch.tensor([uniq[t] for t in texts])]
        tensors = [t.to(self.device) for t in tensors]

        def loss_fn(m, idx):
            i = torch.from_numpy(idx).to(self.device)
            return m(*(t[i] for t in tensors))

        h = fit(task, len(sim), loss_fn, self.schedule(f"{desc} s{self.seed}", self.cfg.pretrain_epochs,
                                                       self.cfg.pretrain_lr, pretraining=True), self.device, ckpt=ckpt,
                key=self.pretrain_key or self.key)
        self.history["pretrain"] = h.to_dict()

    def from_encoder(self, net: nn.Module, train: Windows) -> bool:
        """--init: the pretrained encoder's weights into `net`, then (--adapt ssl) SimCLR on the
        training subjects' unlabelled windows. Returns whether the net is pretrained."""
        c = self.cfg
        if not getattr(c, "init", ""):
            return False
        from ..pretrain.transfer import adapt_ssl, init_product_net

        gyro = bool(train.present is None or train.present[:, 3:].any())
        info = init_product_net(net, c, gyro)
        self.history["init"] = {"encoder": str(c.init), "arch": info["arch"], "weights": info["copied"]}
        if c.adapt == "ssl":
            self.history["adapt"] = {**adapt_ssl(net, train.extra["unlabelled"], c.adapt_epochs, self.device,
                                                 self.seed), "subjects": train.extra["unlabelled_subjects"]}
        return True


class DCLRecipe(TorchRecipe):
    def fit(self, train, val, sim):
        c = self.cfg
        if sim is not None and len(sim):   # IMUGPT-style: calibrated simulated windows join the training set
            train = Windows.concat([train, sim])
        torch.manual_seed(self.seed)
        net = build_net(c, train.x.shape[2], len(self.classes), train.x.shape[1])
        pretrained = self.from_encoder(net, train)
        self.supervised(net, train, val, f"dcl s{self.seed}", **(self.transfer(True, has_val=len(val) > 0) if pretrained else {}))


class ResNetRecipe(TorchRecipe):
    def fit(self, train, val, sim):
        c = self.cfg
        if sim is not None and len(sim):
            train = Windows.concat([train, sim])
        torch.manual_seed(self.seed)
        net = build_net(c, train.x.shape[2], len(self.classes), train.x.shape[1])
        pretrained = self.from_encoder(net, train)
        self.supervised(net, train, val, f"resnet s{self.seed}", **(self.transfer(True, has_val=len(val) > 0) if pretrained else {}))


def build_net(c: RunConfig, in_channels: int, n_classes: int, window: int) -> nn.Module:
    """The network of a run's configuration (also how an exported model is rebuilt)."""
    from .. import models

    if c.model == "dcl":
        return models.DeepConvLSTM(in_channels, n_classes, c.filters, c.kernel, c.lstm_units,
                                   lstm_layers=c.lstm_layers, dropout=c.dropout, readout=c.readout,
                                   batch_norm=c.batch_norm)
    if c.model == "resnet":
        return models.ResNet1D(in_channels, n_classes, tuple(c.widths), dropout=c.dropout)
    if c.model == "simpharnet":
        return models.SImpHARNet(in_channels, n_classes, c.dim, tau=c.tau, learnable_tau=c.learnable_tau,
                                 text_head=c.text_head)
    if c.model == "multi3net":
        n = max(1, len(c.sites))
        if in_channels % n:
            raise ValueError(f"{in_channels} channels do not split over {n} wrists")
        return models.Multi3Net(n, in_channels // n, n_classes, joints=22, dim=c.dim, n_experts=c.experts,
                                tau=c.tau, learnable_tau=c.learnable_tau, max_frames=max(window, 16),
                                layers=c.layers, heads=c.heads, lambda_pose2imu=c.lambda_pose2imu,
                                lambda_recon=c.lambda_recon, lambda_balance=c.lambda_balance)
    raise ValueError(f"{c.model}: not a neural network model")


def _texts(w: Windows) -> list[str]:
    return [t if t else describe(w.classes[y], k) for k, (t, y) in enumerate(zip(w.text, w.y))]


class _Contrastive(nn.Module):
    """Makes the pretraining loss the module's forward, so DDP syncs its gradients."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, *args):
        return self.net.contrastive_loss(*args)


class SImpHARRecipe(TorchRecipe):
    shared_pretrain: Path | None = None

    def pretrain(self, net, sim: Windows, ckpt: Path):
        self.pretrain_on_texts(_Contrastive(net), sim, [], "simphar pretrain", ckpt)

    def fit(self, train, val, sim):
        c = self.cfg
        torch.manual_seed(self.seed)
        net = build_net(c, train.x.shape[2], len(self.classes), train.x.shape[1])
        pretrained = bool(sim is not None and len(sim) and c.pretrain_epochs > 0)
        if pretrained:
            self.pretrain(net, sim, self.pretrain_ckpt())
        pretrained = self.from_encoder(net, train) or pretrained
        if c.text_head:                     # zero-shot classifier as the starting head
            emb = torch.from_numpy(class_text_embeddings(self.classes))
            net.init_text_head(emb)
        self.supervised(net, train, val, f"simphar finetune s{self.seed}", **self.transfer(pretrained, has_val=len(val) > 0))

    def pretrain_ckpt(self) -> Path:
        return self.shared_pretrain or self.dir / "pretrain.pt"


def class_text_embeddings(classes: list[str]) -> np.ndarray:
    """(K, 384): each class's description embeddings (all templates) averaged and normalized."""
    from ..data.text import TEMPLATES

    e = embed([describe(c, k) for c in classes for k in range(len(TEMPLATES))])
    e = e.reshape(len(classes), len(TEMPLATES), -1).mean(1)
    return (e / np.linalg.norm(e, axis=1, keepdims=True)).astype(np.float32)


class _M3Pretrain(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, imu, pose, text, groups):
        return self.net.pretrain_losses(imu, pose, text, groups)["total"]


class Multi3NetRecipe(TorchRecipe):
    shared_pretrain: Path | None = None

    def build(self, train: Windows):
        return build_net(self.cfg, train.x.shape[2], len(self.classes), train.x.shape[1])

    def pretrain(self, net, sim: Windows, ckpt: Path):
        if sim.pose is None:
            raise ValueError("Multi3Net+ pretraining needs poses: bake the --sim exports with WearTwin >= 0.1 "
                             "(they carry pose.rot6d)")
        self.pretrain_on_texts(_M3Pretrain(net), sim, [sim.pose], "m3net pretrain", ckpt)

    def fit(self, train, val, sim):
        c = self.cfg
        torch.manual_seed(self.seed)
        net = self.build(train)
        pretrained = bool(sim is not None and len(sim) and c.pretrain_epochs > 0)
        if pretrained:
            self.pretrain(net, sim, self.shared_pretrain or self.dir / "pretrain.pt")
        self.supervised(net, train, val, f"m3net finetune s{self.seed}", extra_loss=net.balance_loss,
                        **self.transfer(pretrained, "linear" if c.freeze_encoders else None, has_val=len(val) > 0))


RECIPES = {"rf": RFRecipe, "dcl": DCLRecipe, "resnet": ResNetRecipe, "simpharnet": SImpHARRecipe, "multi3net": Multi3NetRecipe}


def save_history(path: Path, hist: dict) -> None:
    from addon.export.atomic import write_text

    write_text(path, json.dumps(hist))
