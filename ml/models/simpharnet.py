"""SImpHARNet: a 1-D CNN signal encoder aligned with activity texts, then a classifier.

Stage 1 (pretraining on simulated windows): InfoNCE between the encoded signal window
(|Z| and phase for impedance; any channels work) and the projected sentence embedding of its
activity text (all-MiniLM-L6-v2, 384-d, frozen), τ = 0.07 fixed or learnable.
Stage 2 (fine-tuning on real windows): a classifier head on the encoder; the encoder stays
frozen for `unfreeze_after` epochs ("late learning"), or for ever when that is negative.
"""
from __future__ import annotations

import torch
from torch import nn

from .losses import LogitScale, info_nce


class ConvEncoder(nn.Module):
    """(B, W, C) -> (B, dim): conv blocks (BN, ReLU, max-pool) and global average pooling."""

    def __init__(self, in_channels: int, dim: int = 128, widths=(64, 128, 128), kernel: int = 5):
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            layers += [nn.Conv1d(c, w, kernel, padding=kernel // 2), nn.BatchNorm1d(w), nn.ReLU(), nn.MaxPool1d(2)]
            c = w
        self.net = nn.Sequential(*layers)
        self.out = nn.Linear(c, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.net(x.transpose(1, 2)).mean(dim=-1))


class SImpHARNet(nn.Module):
    def __init__(self, in_channels: int, n_classes: int, dim: int = 128, text_dim: int = 384,
                 tau: float = 0.07, learnable_tau: bool = False, dropout: float = 0.3):
        super().__init__()
        self.encoder = ConvEncoder(in_channels, dim)
        self.signal_proj = nn.Sequential(nn.ReLU(), nn.Linear(dim, dim))
        self.text_proj = nn.Sequential(nn.Linear(text_dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.logit_scale = LogitScale(tau, learnable_tau)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, n_classes))

    def contrastive_loss(self, x, text_emb, groups=None) -> torch.Tensor:
        return info_nce(self.signal_proj(self.encoder(x)), self.text_proj(text_emb), self.logit_scale(), groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))

    def encoder_parameters(self):
        return self.encoder.parameters()
