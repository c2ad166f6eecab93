"""SImpHARNet: a 1-D CNN signal encoder aligned with activity texts, then a classifier.

Stage 1 (pretraining on simulated windows): InfoNCE between the encoded signal window
(|Z| and phase for impedance; any channels work) and the projected sentence embedding of its
activity text (all-MiniLM-L6-v2, 384-d, frozen), τ = 0.07 fixed or learnable.
Stage 2 (fine-tuning on real windows), with `text_head` (default) the classifier keeps the
alignment: logits = s · ẑ · W^T + b, ẑ the normalized projected signal embedding and W's rows
initialised from the projected, normalized embeddings of the class descriptions
(`init_text_head`), so before any fine-tuning the head is the zero-shot text classifier.
Without `text_head`: a plain linear head on the encoder. How the encoder trains (frozen until
the validation score plateaus, then unfrozen at a smaller learning rate, ...) is the recipe's.
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
                 tau: float = 0.07, learnable_tau: bool = False, dropout: float = 0.3, text_head: bool = False):
        super().__init__()
        self.encoder = ConvEncoder(in_channels, dim)
        self.signal_proj = nn.Sequential(nn.ReLU(), nn.Linear(dim, dim))
        self.text_proj = nn.Sequential(nn.Linear(text_dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.logit_scale = LogitScale(tau, learnable_tau)
        self.text_head = text_head
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, n_classes))
        self.drop = nn.Dropout(dropout)

    @torch.no_grad()
    def init_text_head(self, class_text_emb: torch.Tensor) -> None:
        """Head rows := normalized projected class-description embeddings (K, text_dim), bias 0."""
        w = nn.functional.normalize(self.text_proj(class_text_emb.float()), dim=-1)
        lin = self.head[1]
        lin.weight.copy_(w.to(lin.weight.dtype))
        lin.bias.zero_()

    def embed_signal(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.signal_proj(self.encoder(x)), dim=-1)

    def contrastive_loss(self, x, text_emb, groups=None) -> torch.Tensor:
        return info_nce(self.signal_proj(self.encoder(x)), self.text_proj(text_emb), self.logit_scale(), groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.text_head:
            return self.logit_scale() * self.head[1](self.drop(self.embed_signal(x)))
        return self.head(self.encoder(x))

    def encoder_parameters(self):
        return self.encoder.parameters()
