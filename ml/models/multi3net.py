"""Multi3Net+: text, pose and per-wrist IMU encoders in one embedding space, then a
mixture-of-experts activity classifier on the IMU encoders.

Pretraining (simulated windows with text, pose and IMU):
  L = InfoNCE(text, pose) + InfoNCE(text, imu) + InfoNCE(pose, imu)
      + λ_p2i · MSE(Pose2IMU(pose tokens), imu) + λ_rec · MSE(decoder(z_wrist), imu)
where `imu` is the mean of the wrist embeddings. The reconstruction goes through a bottleneck:
each wrist's whole window is rebuilt from its pooled embedding z_wrist (one `dim` vector), not
frame by frame from its own token. One IMU encoder per wrist the data have (no zero-fed branch).
Encoders:
  text  — ResNet-1D over the 384-d sentence embedding (treated as a 1-channel sequence);
  pose  — PoseFormer-style: spatial attention over the joints of each frame, then temporal
          attention over frames, with learned positional embeddings;
  IMU   — one per wrist: linear patch embedding + positional embedding + multi-head attention.
Classifier: Conv1D+BN+ReLU over the concatenated wrist token sequences → two stages of
attention + feed-forward → mean pool → `MoEHead` (softmax gating, load-balancing loss).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .losses import LogitScale, info_nce
from .moe import MoEHead


def _encoder_layer(dim: int, heads: int, dropout: float) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(dim, heads, dim * 2, dropout, batch_first=True, norm_first=True)


class ResBlock1D(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.a = nn.Sequential(nn.Conv1d(c, c, 3, padding=1), nn.BatchNorm1d(c), nn.ReLU(),
                               nn.Conv1d(c, c, 3, padding=1), nn.BatchNorm1d(c))

    def forward(self, x):
        return F.relu(x + self.a(x))


class TextEncoder(nn.Module):
    def __init__(self, text_dim: int = 384, dim: int = 128, width: int = 32, blocks: int = 2):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(1, width, 7, stride=2, padding=3), nn.BatchNorm1d(width), nn.ReLU())
        self.blocks = nn.Sequential(*[ResBlock1D(width) for _ in range(blocks)])
        self.out = nn.Linear(width, dim)

    def forward(self, e: torch.Tensor) -> torch.Tensor:     # (B, 384)
        return self.out(self.blocks(self.stem(e.unsqueeze(1))).mean(dim=-1))


class PoseEncoder(nn.Module):
    def __init__(self, joints: int = 22, in_dim: int = 6, dim: int = 128, spatial_dim: int = 16,
                 max_frames: int = 512, layers: int = 2, heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.joint_embed = nn.Linear(in_dim, spatial_dim)
        self.joint_pos = nn.Parameter(torch.zeros(1, joints, spatial_dim))
        self.spatial = nn.TransformerEncoder(_encoder_layer(spatial_dim, 2, dropout), 1, enable_nested_tensor=False)
        self.frame_embed = nn.Linear(joints * spatial_dim, dim)
        self.time_pos = nn.Parameter(torch.zeros(1, max_frames, dim))
        self.temporal = nn.TransformerEncoder(_encoder_layer(dim, heads, dropout), layers, enable_nested_tensor=False)
        nn.init.normal_(self.joint_pos, std=0.02)
        nn.init.normal_(self.time_pos, std=0.02)

    def tokens(self, pose: torch.Tensor) -> torch.Tensor:    # (B, W, J, 6) -> (B, W, dim)
        B, W, J, D = pose.shape
        h = self.spatial(self.joint_embed(pose.reshape(B * W, J, D)) + self.joint_pos)
        h = self.frame_embed(h.reshape(B, W, -1)) + self.time_pos[:, :W]
        return self.temporal(h)

    def forward(self, pose):
        return self.tokens(pose).mean(dim=1)


class IMUEncoder(nn.Module):
    def __init__(self, in_channels: int = 6, dim: int = 128, max_frames: int = 512, layers: int = 2,
                 heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.embed = nn.Linear(in_channels, dim)
        self.pos = nn.Parameter(torch.zeros(1, max_frames, dim))
        self.attn = nn.TransformerEncoder(_encoder_layer(dim, heads, dropout), layers, enable_nested_tensor=False)
        nn.init.normal_(self.pos, std=0.02)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:       # (B, W, C) -> (B, W, dim)
        return self.attn(self.embed(x) + self.pos[:, :x.shape[1]])

    def forward(self, x):
        return self.tokens(x).mean(dim=1)


class AttentionStage(nn.Module):
    def __init__(self, dim: int, heads: int = 4, dropout: float = 0.1):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.n1, self.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Dropout(dropout), nn.Linear(dim * 2, dim))

    def forward(self, x):
        h = self.n1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.ff(self.n2(x))


class Multi3Net(nn.Module):
    def __init__(self, n_wrists: int, channels_per_wrist: int, n_classes: int, joints: int = 22,
                 dim: int = 128, text_dim: int = 384, n_experts: int = 4, tau: float = 0.07,
                 learnable_tau: bool = False, max_frames: int = 512, layers: int = 2, heads: int = 4,
                 lambda_pose2imu: float = 1.0, lambda_recon: float = 1.0, lambda_balance: float = 0.01):
        super().__init__()
        self.n_wrists, self.cpw = n_wrists, channels_per_wrist
        self.text = TextEncoder(text_dim, dim)
        self.pose = PoseEncoder(joints, 6, dim, max_frames=max_frames, layers=layers, heads=heads)
        self.imu = nn.ModuleList(IMUEncoder(channels_per_wrist, dim, max_frames, layers, heads)
                                 for _ in range(n_wrists))
        self.pose2imu = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, n_wrists * channels_per_wrist))
        self.max_frames = max_frames
        self.recon = nn.ModuleList(nn.Sequential(nn.Linear(dim, dim), nn.GELU(),
                                                 nn.Linear(dim, max_frames * channels_per_wrist))
                                   for _ in range(n_wrists))
        self.logit_scale = LogitScale(tau, learnable_tau)
        self.lambdas = (lambda_pose2imu, lambda_recon, lambda_balance)
        # downstream classifier
        self.conv = nn.Sequential(nn.Conv1d(dim * n_wrists, dim, 3, padding=1), nn.BatchNorm1d(dim), nn.ReLU())
        self.stages = nn.Sequential(AttentionStage(dim, heads), AttentionStage(dim, heads))
        self.head = MoEHead(dim, n_classes, n_experts)

    def _split(self, x):   # (B, W, n*c) -> list of (B, W, c)
        return [x[..., k * self.cpw:(k + 1) * self.cpw] for k in range(self.n_wrists)]

    def pretrain_losses(self, imu, pose, text_emb, groups=None) -> dict:
        scale = self.logit_scale()
        imu_tokens = [enc.tokens(x) for enc, x in zip(self.imu, self._split(imu))]
        z_imu = torch.stack([t.mean(dim=1) for t in imu_tokens]).mean(dim=0)
        pose_tokens = self.pose.tokens(pose)
        z_pose = pose_tokens.mean(dim=1)
        z_text = self.text(text_emb)
        losses = {
            "text_pose": info_nce(z_text, z_pose, scale, groups),
            "text_imu": info_nce(z_text, z_imu, scale, groups),
            "pose_imu": info_nce(z_pose, z_imu, scale),   # same window: pose and IMU pair one-to-one
            "pose2imu": F.mse_loss(self.pose2imu(pose_tokens).float(), imu.float()),
            "recon": sum(F.mse_loss(self.reconstruct(d, t.mean(dim=1), x.shape[1]).float(), x.float())
                         for d, t, x in zip(self.recon, imu_tokens, self._split(imu))) / self.n_wrists,
        }
        lp, lr, _ = self.lambdas
        losses["total"] = (losses["text_pose"] + losses["text_imu"] + losses["pose_imu"]
                           + lp * losses["pose2imu"] + lr * losses["recon"])
        return losses

    def reconstruct(self, decoder, z: torch.Tensor, frames: int) -> torch.Tensor:
        """(B, dim) bottleneck -> (B, frames, channels_per_wrist)."""
        return decoder(z).view(z.shape[0], self.max_frames, self.cpw)[:, :frames]

    def forward(self, imu: torch.Tensor) -> torch.Tensor:
        tokens = torch.cat([enc.tokens(x) for enc, x in zip(self.imu, self._split(imu))], dim=-1)
        h = self.conv(tokens.transpose(1, 2)).transpose(1, 2)
        return self.head(self.stages(h).mean(dim=1))

    def balance_loss(self) -> torch.Tensor:
        return self.lambdas[2] * self.head.aux_loss

    def encoder_parameters(self):
        return self.imu.parameters()
