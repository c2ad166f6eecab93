"""Contrastive and auxiliary losses."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce(a: torch.Tensor, b: torch.Tensor, logit_scale: torch.Tensor | float,
             groups: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE between paired embeddings a[i] <-> b[i] (CLIP loss).

    `logit_scale` = 1/τ. With `groups` (B,), pairs whose group ids are equal (the same text
    or activity) count as positives too, with the target spread evenly over them: windows of
    one activity in a batch are not pushed apart as if they were negatives.
    """
    a = F.normalize(a.float(), dim=-1)
    b = F.normalize(b.float(), dim=-1)
    logits = a @ b.t() * logit_scale
    if groups is None:
        target = torch.arange(len(a), device=a.device)
        return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))
    pos = (groups[:, None] == groups[None, :]).float()
    target = pos / pos.sum(dim=1, keepdim=True)
    la = -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    lb = -(target * F.log_softmax(logits.t(), dim=1)).sum(dim=1).mean()
    return 0.5 * (la + lb)


class LogitScale(torch.nn.Module):
    """1/τ, initialised at τ = 0.07; learnable (CLIP-style, clamped at 100) or fixed."""

    def __init__(self, tau: float = 0.07, learnable: bool = False):
        super().__init__()
        value = torch.tensor(float(1.0 / tau)).log()
        if learnable:
            self.log_scale = torch.nn.Parameter(value)
        else:
            self.register_buffer("log_scale", value)

    def forward(self) -> torch.Tensor:
        return self.log_scale.exp().clamp(max=100.0)
