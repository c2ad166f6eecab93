"""ResNet-1D for time series (Wang, Yan & Oates 2017): three residual blocks of three
convolutions (kernels 7, 5, 3; the paper: 8, 5, 3) with batch normalization, 64/128/128 filters, global average
pooling over time, a linear classifier."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernels=(7, 5, 3)):
        super().__init__()
        layers, c = [], c_in
        for i, k in enumerate(kernels):
            layers += [nn.Conv1d(c, c_out, k, padding="same"), nn.BatchNorm1d(c_out)]
            if i < len(kernels) - 1:
                layers.append(nn.ReLU())
            c = c_out
        self.body = nn.Sequential(*layers)
        self.skip = nn.Sequential(nn.Conv1d(c_in, c_out, 1), nn.BatchNorm1d(c_out)) if c_in != c_out \
            else nn.BatchNorm1d(c_out)

    def forward(self, x):
        return F.relu(self.body(x) + self.skip(x))


class ResNet1D(nn.Module):
    def __init__(self, in_channels: int, n_classes: int, widths=(64, 128, 128), dropout: float = 0.2):
        super().__init__()
        blocks, c = [], in_channels
        for w in widths:
            blocks.append(ResBlock(c, w))
            c = w
        self.blocks = nn.Sequential(*blocks)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(c, n_classes)
        self.dim = c

    def features(self, x: torch.Tensor) -> torch.Tensor:   # (B, W, C) -> (B, dim)
        return self.blocks(x.transpose(1, 2)).mean(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.features(x)))

    def encoder_parameters(self):
        return self.blocks.parameters()
