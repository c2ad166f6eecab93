"""DeepConvLSTM (Ordóñez & Roggen, Sensors 2016): four temporal convolutions (64 filters,
kernel 5, no pooling), two LSTM layers of 128 units, a softmax classifier on the last step."""
from __future__ import annotations

import torch
from torch import nn


class DeepConvLSTM(nn.Module):
    def __init__(self, in_channels: int, n_classes: int, filters: int = 64, kernel: int = 5,
                 lstm_units: int = 128, lstm_layers: int = 2, dropout: float = 0.5):
        super().__init__()
        layers, c = [], in_channels
        for _ in range(4):
            layers += [nn.Conv1d(c, filters, kernel), nn.ReLU()]
            c = filters
        self.conv = nn.Sequential(*layers)
        self.lstm = nn.LSTM(filters, lstm_units, num_layers=lstm_layers, batch_first=True,
                            dropout=dropout if lstm_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(lstm_units, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:   # x: (B, W, C)
        h = self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, W-16, F)
        out, _ = self.lstm(h)
        return self.head(self.drop(out[:, -1]))
