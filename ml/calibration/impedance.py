"""Fitting an impedance calibration (Pose2Imp "neural calibration"): the training side.

`fit` learns, from aligned simulated features and measured |Z|/phase (see
`addon/sensors/impedance/calibration.py` for the features, the data reading and the numpy
model that applies the result), an affine map by least squares and, for `cnn`, a small
dilated 1-D CNN residual trained with PyTorch. The result is a plain-array `Calibration`
that `weartwin bake --calibration` applies without torch.
"""
from __future__ import annotations

import numpy as np

from addon.sensors.impedance.calibration import DILATIONS, HIDDEN, KERNEL, Calibration, CalibrationError


def _standardize(Xs, Ys):
    X, Y = np.concatenate(Xs), np.concatenate(Ys)
    xm, xs = X.mean(0), X.std(0)
    xs[xs < 1e-9] = 1.0
    ym, ys = np.zeros(Y.shape[1]), np.ones(Y.shape[1])
    for j in range(Y.shape[1]):          # a column without any value (no measured phase) stays 0, 1
        ok = np.isfinite(Y[:, j])
        if ok.any():
            ym[j], ys[j] = Y[ok, j].mean(), Y[ok, j].std()
    ys[~np.isfinite(ys) | (ys < 1e-9)] = 1.0
    return xm, xs, ym, ys


def fit(Xs: list, Ys: list, pair: str, kind: str = "cnn", epochs: int = 400, seed: int = 0,
        progress=None) -> Calibration:
    """Fit on sequences Xs[i] (T_i,F) -> Ys[i] (T_i,2) (phase column may be NaN)."""
    if kind not in ("affine", "cnn"):
        raise CalibrationError(f"unknown calibration model '{kind}' (affine, cnn)")
    xm, xs, ym, ys = _standardize(Xs, Ys)
    Z = [(X - xm) / xs for X in Xs]
    T = [(Y - ym) / ys for Y in Ys]
    has_phase = bool(np.isfinite(np.concatenate(Ys)[:, 1]).any())
    Zc, Tc = np.concatenate(Z), np.concatenate(T)
    A = np.c_[Zc, np.ones(len(Zc))]
    W = np.zeros((Zc.shape[1] + 1, 2))
    for j in range(2):
        ok = np.isfinite(Tc[:, j])
        if ok.any():
            W[:, j] = np.linalg.lstsq(A[ok], Tc[ok, j], rcond=None)[0]
    cal = Calibration(kind, pair, xm, xs, ym, ys, W[:-1], W[-1], [], has_phase)
    if kind == "affine":
        return cal
    import torch

    torch.manual_seed(seed)
    F = Zc.shape[1]
    layers = torch.nn.ModuleList()
    cin = F
    for d in DILATIONS:
        layers.append(torch.nn.Conv1d(cin, HIDDEN, KERNEL, dilation=d, padding=d * (KERNEL - 1) // 2,
                                      padding_mode="replicate"))
        cin = HIDDEN
    layers.append(torch.nn.Conv1d(HIDDEN, 2, 1))
    torch.nn.init.zeros_(layers[-1].weight)
    torch.nn.init.zeros_(layers[-1].bias)
    aw = torch.tensor(cal.affine_w, dtype=torch.float32)
    ab = torch.tensor(cal.affine_b, dtype=torch.float32)
    seqs = [(torch.tensor(z, dtype=torch.float32).T[None], torch.tensor(t, dtype=torch.float32))
            for z, t in zip(Z, T)]
    opt = torch.optim.Adam(layers.parameters(), lr=3e-3, weight_decay=1e-5)

    def forward(x):
        h = x
        for i, layer in enumerate(layers):
            h = layer(h)
            if i < len(layers) - 1:
                h = torch.relu(h)
        return h[0].T + x[0].T @ aw + ab

    for ep in range(epochs):
        opt.zero_grad()
        loss = 0.0
        for x, t in seqs:
            y = forward(x)
            ok = torch.isfinite(t)
            loss = loss + ((y - torch.nan_to_num(t)) ** 2)[ok].mean()
        loss = loss / len(seqs)
        loss.backward()
        opt.step()
        if progress:
            progress(ep + 1, epochs, float(loss.detach()))
    cal.conv = [(layer.weight.detach().numpy().astype(np.float64), layer.bias.detach().numpy().astype(np.float64),
                 layer.dilation[0]) for layer in layers]
    return cal
