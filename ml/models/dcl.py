"""DeepConvLSTM (Ordóñez & Roggen, Sensors 2016), as the paper builds it and as later
re-examinations train it well (Bock et al. 2021: one LSTM layer is enough):

- four convolutions along time only (kernel (k, 1)): every sensor channel is filtered on its
  own by the same 64 filters, channels meet first in the LSTM (batch norm after each here);
- an LSTM over the per-step features (channels × filters), 1 layer by default (2 = the paper);
- `readout="mean"`: the classifier sees the LSTM outputs averaged over time ("last" = the
  paper's last step, which forgets the start of the window)."""
from __future__ import annotations

import torch
from torch import nn


class DeepConvLSTM(nn.Module):
    def __init__(self, in_channels: int, n_classes: int, filters: int = 64, kernel: int = 5,
                 lstm_units: int = 128, lstm_layers: int = 1, dropout: float = 0.5, readout: str = "mean",
                 batch_norm: bool = True):
        super().__init__()
        if readout not in ("mean", "last"):
            raise ValueError(f"readout must be mean or last, got {readout}")
        layers, c = [], 1
        for _ in range(4):
            layers += [nn.Conv2d(c, filters, (kernel, 1), padding=(kernel // 2, 0))]
            if batch_norm:
                layers.append(nn.BatchNorm2d(filters))
            layers.append(nn.ReLU())
            c = filters
        self.conv = nn.Sequential(*layers)
        self.drop_in = nn.Dropout(dropout / 2)
        self.lstm = nn.LSTM(filters * in_channels, lstm_units, num_layers=lstm_layers, batch_first=True,
                            dropout=dropout if lstm_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(lstm_units, n_classes)
        self.readout = readout
        self.dim = lstm_units

    def features(self, x: torch.Tensor) -> torch.Tensor:  # (B, W, C) -> (B, units)
        B, W, C = x.shape
        h = self.conv(x.unsqueeze(1))                      # (B, F, W, C): channels stay apart
        h = h.permute(0, 2, 1, 3).reshape(B, W, -1)        # (B, W, F·C)
        out, _ = self.lstm(self.drop_in(h))
        return out.mean(dim=1) if self.readout == "mean" else out[:, -1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.features(x)))

    def encoder_parameters(self):
        return [*self.conv.parameters(), *self.lstm.parameters()]
