"""Mixture-of-experts classification head with softmax gating and a load-balancing loss."""
from __future__ import annotations

import torch
from torch import nn


class MoEHead(nn.Module):
    """N expert MLPs mixed by a softmax gate. `aux_loss` (after forward) is the
    Switch-Transformer balance term N·Σ_i f_i·P_i (f: share of samples whose top expert is i,
    P: mean gate probability); it is 1 when the load is even, up to N when one expert takes all."""

    def __init__(self, in_dim: int, n_classes: int, n_experts: int = 4, hidden: int = 64, dropout: float = 0.1):
        super().__init__()
        if not 1 <= n_experts <= 16:
            raise ValueError(f"n_experts must be 1..16, got {n_experts}")
        self.n = n_experts
        self.gate = nn.Linear(in_dim, n_experts)
        self.experts = nn.ModuleList(nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout),
                                                   nn.Linear(hidden, n_classes)) for _ in range(n_experts))
        self.aux_loss = torch.tensor(0.0)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        p = torch.softmax(self.gate(h).float(), dim=-1)                  # (B, N)
        out = torch.stack([e(h).float() for e in self.experts], dim=1)   # (B, N, K)
        f = torch.nn.functional.one_hot(p.argmax(dim=-1), self.n).float().mean(dim=0)
        self.aux_loss = self.n * (f * p.mean(dim=0)).sum()
        return (p.unsqueeze(-1) * out).sum(dim=1)
