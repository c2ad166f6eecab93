"""M independent copies of SImpHARNet's signal encoder trained at once (one per fold × seed).

Grouped 1-D convolutions (groups = M) and batched linear layers keep the M models apart: no
weight, batch-norm statistic or gradient is shared, but one forward pass trains them all, so a
leave-one-subject-out sweep of 23 folds × 5 seeds costs about as much as one model on a GPU.
Every parameter and buffer is laid out model-major, so `t.view(M, -1)[m]` is model m's part.

Architecture per model = `ml.models.simpharnet.ConvEncoder` (conv-BN-ReLU-maxpool blocks of
64/128/128 channels, kernel 5, global average pooling, linear to `dim`), a dropout + linear
classification head, and SImpHARNet's projection heads for the text-contrastive loss.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class MultiLinear(nn.Module):
    def __init__(self, M: int, n_in: int, n_out: int):
        super().__init__()
        bound = 1.0 / n_in ** 0.5
        self.weight = nn.Parameter(torch.empty(M, n_in, n_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(M, n_out).uniform_(-bound, bound))

    def forward(self, x):          # (M, B, n_in) -> (M, B, n_out)
        return torch.baddbmm(self.bias[:, None, :], x, self.weight)


class MultiEncoder(nn.Module):
    def __init__(self, M: int, in_channels: int, dim: int = 128, widths=(64, 128, 128), kernel: int = 5):
        super().__init__()
        self.M, self.C = M, in_channels
        layers, c = [], in_channels
        for w in widths:
            layers += [nn.Conv1d(M * c, M * w, kernel, padding=kernel // 2, groups=M), nn.BatchNorm1d(M * w),
                       nn.ReLU(), nn.MaxPool1d(2)]
            c = w
        self.net = nn.Sequential(*layers)
        self.width = c
        self.out = MultiLinear(M, c, dim)

    def forward(self, x):          # (M, B, W, C) -> (M, B, dim)
        M, B, W, C = x.shape
        h = self.net(x.permute(1, 0, 3, 2).reshape(B, M * C, W))       # (B, M*c, W')
        h = h.mean(-1).view(B, M, self.width).transpose(0, 1)           # (M, B, c)
        return self.out(h)


class MultiNet(nn.Module):
    """Encoder + classification head + (optional) text-contrastive projections, for M models."""

    def __init__(self, M: int, in_channels: int, n_classes: int, dim: int = 128, widths=(64, 128, 128),
                 text_dim: int = 384, dropout: float = 0.3):
        super().__init__()
        self.M = M
        self.encoder = MultiEncoder(M, in_channels, dim, widths)
        self.head = MultiLinear(M, dim, n_classes)
        self.drop = nn.Dropout(dropout)
        self.signal_proj = MultiLinear(M, dim, dim)
        self.text_proj1 = MultiLinear(M, text_dim, dim)
        self.text_proj2 = MultiLinear(M, dim, dim)

    def forward(self, x):
        return self.head(self.drop(self.encoder(x)))

    def embed_signal(self, x):
        return self.signal_proj(F.relu(self.encoder(x)))

    def embed_text(self, t):       # (M, B, 384)
        return self.text_proj2(F.relu(self.text_proj1(t)))

    def new_head(self, n_classes: int) -> None:
        dim = self.head.weight.shape[1]
        self.head = MultiLinear(self.M, dim, n_classes).to(self.head.weight.device)


def info_nce_multi(a, b, groups, scale: float = 1 / 0.07):
    """Per-model symmetric InfoNCE (CLIP loss) where pairs of the same group are positives too.
    a, b (M, B, D); groups (M, B). Returns the sum over models of each model's mean loss."""
    a, b = F.normalize(a.float(), dim=-1), F.normalize(b.float(), dim=-1)
    logits = torch.bmm(a, b.transpose(1, 2)) * scale
    pos = (groups[:, :, None] == groups[:, None, :]).float()
    target = pos / pos.sum(-1, keepdim=True)
    la = -(target * F.log_softmax(logits, -1)).sum(-1).mean(-1)
    lb = -(target * F.log_softmax(logits.transpose(1, 2), -1)).sum(-1).mean(-1)
    return (0.5 * (la + lb)).sum()


def nt_xent_multi(z1, z2, tau: float = 0.1):
    """SimCLR loss per model on two views (M, B, D); sum over models."""
    z = F.normalize(torch.cat([z1, z2], 1).float(), dim=-1)           # (M, 2B, D)
    B = z1.shape[1]
    sim = torch.bmm(z, z.transpose(1, 2)) / tau
    eye = torch.eye(2 * B, device=z.device, dtype=torch.bool)
    sim = sim.masked_fill(eye[None], -1e9)
    target = torch.cat([torch.arange(B, 2 * B), torch.arange(0, B)]).to(z.device)
    return F.cross_entropy(sim.reshape(-1, 2 * B), target.repeat(z.shape[0])) * z.shape[0]


def per_model(state: dict, M: int) -> dict:
    """Views of a state dict as (M, -1) per tensor (scalars such as num_batches_tracked left out)."""
    return {k: v.view(M, -1) for k, v in state.items() if v.dim() > 0 and v.shape[0] % M == 0 and v.numel() >= M}


def broadcast_from(src: MultiNet, dst: MultiNet, which) -> None:
    """dst model m <- src model which[m] (encoder and projections; the head too when shapes match)."""
    s, d = src.state_dict(), dst.state_dict()
    sv, dv = per_model(s, src.M), per_model(d, dst.M)
    idx = torch.as_tensor(which, device=next(dst.parameters()).device)
    with torch.no_grad():
        for k in dv:
            if k in sv and sv[k].shape[1] == dv[k].shape[1]:
                dv[k].copy_(sv[k][idx])
