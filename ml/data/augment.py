"""Standard IMU augmentation for training batches (Um et al. 2017): a random 3-D rotation of
every sensor triad (acc and gyro of one site turn together, as when a watch sits differently
on the wrist), a random scaling per window, and a smooth random time-warp.

Windows arrive standardized, so `Augment` un-normalizes, augments in physical units and
normalizes again (rotating standardized channels would not be a rotation). Everything runs on
the batch's device, in torch.
"""
from __future__ import annotations

import math

import numpy as np
import torch


def triads(channels: list[str]) -> list[list[int]]:
    """Index triples (x, y, z) of each vector sensor: `site.acc_x/y/z`, `site.gyro_x/y/z`."""
    idx = {c: i for i, c in enumerate(channels)}
    out = []
    for c in channels:
        if c.endswith("_x"):
            base = c[:-2]
            trip = [idx.get(base + s) for s in ("_x", "_y", "_z")]
            if None not in trip:
                out.append(trip)
    return out


def random_rotations(n: int, max_deg: float, generator: torch.Generator, device) -> torch.Tensor:
    """(n, 3, 3) rotations about uniform random axes by angles uniform in ±max_deg, drawn on the
    generator's device (a CUDA generator draws on the GPU) and returned on `device`."""
    g = generator.device
    axis = torch.randn(n, 3, generator=generator, device=g)
    axis = axis / axis.norm(dim=1, keepdim=True).clamp_min(1e-9)
    ang = (torch.rand(n, generator=generator, device=g) * 2 - 1) * math.radians(max_deg)
    K = torch.zeros(n, 3, 3, device=g)
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    K = K - K.transpose(1, 2)
    s, c = ang.sin()[:, None, None], ang.cos()[:, None, None]
    R = torch.eye(3, device=g).expand(n, 3, 3) + s * K + (1 - c) * (K @ K)     # Rodrigues
    return R.to(device)


class Augment:
    def __init__(self, channels: list[str], mean, std, rotation_deg: float = 30.0, scale_sigma: float = 0.1,
                 warp_sigma: float = 0.2, seed: int = 0, device="cpu"):
        self.tri = triads(channels)
        self.mean = torch.as_tensor(np.asarray(mean, np.float32), device=device)
        self.std = torch.as_tensor(np.asarray(std, np.float32), device=device)
        self.rot, self.scale, self.warp = rotation_deg, scale_sigma, warp_sigma
        self.g = torch.Generator().manual_seed(int(seed) + 12345)
        self.device = device

    def __call__(self, x: torch.Tensor) -> torch.Tensor:     # (B, W, C) standardized
        with torch.autocast(device_type=x.device.type, enabled=False):   # float32 whatever the caller's AMP
            return self._apply(x)

    def _apply(self, x: torch.Tensor) -> torch.Tensor:
        B, W, C = x.shape
        raw = x.float() * self.std + self.mean
        if self.rot > 0 and self.tri:
            R = random_rotations(B, self.rot, self.g, x.device)
            # sites turn as a whole: acc and gyro of one site share R (one R per window here)
            parts = raw.clone()
            for t in self.tri:
                parts[..., t] = torch.einsum("bij,bwj->bwi", R, raw[..., t])
            raw = parts
        if self.scale > 0:
            raw = raw * (1 + self.scale * torch.randn(B, 1, C, generator=self.g)).to(x.device)
        if self.warp > 0 and W > 4:
            knots = 4
            speed = (1 + self.warp * torch.randn(B, knots, generator=self.g)).clamp(0.3, 3.0).to(x.device)
            speed = torch.nn.functional.interpolate(speed[:, None], size=W, mode="linear", align_corners=True)[:, 0]
            t = torch.cumsum(speed, dim=1)
            t = (t - t[:, :1]) / (t[:, -1:] - t[:, :1]).clamp_min(1e-6) * (W - 1)   # (B, W) in [0, W-1]
            i0 = t.floor().long().clamp(0, W - 2)
            frac = (t - i0).unsqueeze(-1)
            g0 = torch.gather(raw, 1, i0.unsqueeze(-1).expand(B, W, C))
            g1 = torch.gather(raw, 1, (i0 + 1).unsqueeze(-1).expand(B, W, C))
            raw = g0 * (1 - frac) + g1 * frac
        return ((raw - self.mean) / self.std).to(x.dtype)
