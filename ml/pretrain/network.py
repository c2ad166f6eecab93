"""The pretraining network: a product model's backbone + pretraining heads.

    features f = backbone(x) + gyro_missing · v       (x: (B, W, 6) scaled as the contract says)
    logits     = classifier(f)                         (activity labels of the corpus)
    z_signal   = signal_proj(f),  z_text = text_proj(MiniLM(text))   (CLIP-style InfoNCE)

The backbone *is* the product model (`ml.models`), so `weartwin train resnet|simpharnet|dcl --init`
loads `backbone.*` into its own network: ResNet-1D's `blocks`, SImpHARNet's `encoder`
(`ConvEncoder`), DeepConvLSTM's `conv` + `lstm`. `signal_proj` and `text_proj` have SImpHARNet's
shapes (ReLU·Linear and Linear·ReLU·Linear), so SImpHARNet also inherits the text alignment and
its text head starts as this encoder's zero-shot classifier. `v` (learned) tells the network that
a device has no gyroscope; fine-tuning folds it into the bias it feeds (SImpHARNet) or leaves the
new head to absorb the constant shift.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..models.losses import LogitScale
from .contract import Contract

TEXT_DIM = 384


def backbone_of(arch: str, params: dict) -> nn.Module:
    from .. import models

    if arch == "resnet":
        return models.ResNet1D(6, 1, tuple(params["widths"]))
    if arch == "simpharnet":
        return models.ConvEncoder(6, params["dim"], tuple(params["widths"]), params["kernel"])
    if arch == "dcl":
        return models.DeepConvLSTM(6, 1, params["filters"], params["kernel"], params["lstm_units"],
                                   lstm_layers=params["lstm_layers"])
    raise ValueError(f"unknown arch {arch!r}")


class EncoderNet(nn.Module):
    def __init__(self, arch: str, params: dict, dim: int, proj: int, n_classes: int, tau: float = 0.07):
        super().__init__()
        self.arch = arch
        self.backbone = backbone_of(arch, params)
        if hasattr(self.backbone, "head"):       # the product model's own classifier is not pretrained
            del self.backbone.head
        self.gyro_missing = nn.Parameter(torch.zeros(dim))
        self.classifier = nn.Linear(dim, max(1, n_classes))
        self.signal_proj = nn.Sequential(nn.ReLU(), nn.Linear(dim, proj))
        self.text_proj = nn.Sequential(nn.Linear(TEXT_DIM, proj), nn.ReLU(), nn.Linear(proj, proj))
        self.logit_scale = LogitScale(tau)

    def features(self, x: torch.Tensor, gyro_missing: torch.Tensor | None = None) -> torch.Tensor:
        f = self.backbone(x) if self.arch == "simpharnet" else self.backbone.features(x)
        if gyro_missing is not None:
            f = f + gyro_missing.to(f.dtype)[:, None] * self.gyro_missing.to(f.dtype)
        return f

    def forward(self, x, gyro_missing=None):
        return self.classifier(self.features(x, gyro_missing))

    def embed_signal(self, x, gyro_missing=None) -> torch.Tensor:
        return F.normalize(self.signal_proj(self.features(x, gyro_missing)).float(), dim=-1)

    def embed_text(self, e: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_proj(e).float(), dim=-1)


def build(c: Contract) -> EncoderNet:
    return EncoderNet(c.arch, c.params, c.dim, c.proj, len(c.classes))
