"""Shapes and losses of every model (tiny sizes, CPU)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ml.models import DeepConvLSTM, Multi3Net, MoEHead, SImpHARNet, info_nce
from ml.training.recipes import window_features


def test_dcl_shapes_and_gradients():
    m = DeepConvLSTM(6, 5, filters=16, lstm_units=32)
    x = torch.randn(4, 100, 6, requires_grad=True)
    y = m(x)
    assert y.shape == (4, 5)
    y.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_info_nce_values():
    torch.manual_seed(0)
    a = torch.randn(8, 16)
    # random pairs: about log(B)
    assert abs(float(info_nce(a, torch.randn(8, 16), 1.0)) - math.log(8)) < 0.5
    # identical pairs at τ = 0.07: near zero
    assert float(info_nce(a, a, 1 / 0.07)) < 0.05
    # groups: two windows of one activity are both positives -> the loss floor is log(2)
    g = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    b = a.clone()
    b[1::2] = b[0::2]
    assert abs(float(info_nce(b, b, 1 / 0.07, g)) - math.log(2)) < 0.05


def test_simpharnet_contrastive_and_head():
    m = SImpHARNet(2, 4, dim=32, learnable_tau=True)
    x, e = torch.randn(6, 100, 2), torch.randn(6, 384)
    loss = m.contrastive_loss(x, e, torch.arange(6))
    loss.backward()
    assert m.logit_scale.log_scale.grad is not None            # learnable temperature
    assert float(m.logit_scale().detach()) == pytest.approx(1 / 0.07, rel=1e-4)
    assert m(x).shape == (6, 4)


def test_moe_balance_loss():
    head = MoEHead(8, 3, n_experts=4)
    torch.nn.init.zeros_(head.gate.weight)
    torch.nn.init.zeros_(head.gate.bias)
    out = head(torch.randn(16, 8))
    assert out.shape == (16, 3)
    # uniform gate: every sample's argmax is expert 0 (ties), P = 1/4 each -> N * 1 * 1/4 = 1
    assert float(head.aux_loss.detach()) == pytest.approx(1.0)
    head.gate.bias.data = torch.tensor([20.0, 0, 0, 0])        # one expert takes everything -> N
    head(torch.randn(16, 8))
    assert float(head.aux_loss.detach()) > 3.9


def test_multi3net_losses_and_classifier():
    torch.manual_seed(0)
    m = Multi3Net(n_wrists=2, channels_per_wrist=6, n_classes=5, dim=32, n_experts=3, layers=1, heads=2,
                  max_frames=64)
    imu, pose, text = torch.randn(4, 40, 12), torch.randn(4, 40, 22, 6), torch.randn(4, 384)
    losses = m.pretrain_losses(imu, pose, text, torch.tensor([0, 0, 1, 2]))
    assert set(losses) == {"text_pose", "text_imu", "pose_imu", "pose2imu", "recon", "total"}
    assert all(torch.isfinite(v) for v in losses.values())
    losses["total"].backward()
    assert m.pose.joint_pos.grad is not None and m.text.out.weight.grad is not None
    logits = m(imu)
    assert logits.shape == (4, 5) and float(m.balance_loss().detach()) > 0


def test_window_features():
    x = np.random.default_rng(0).normal(size=(3, 50, 4)).astype(np.float32)
    f = window_features(x)
    assert f.shape == (3, 40) and np.isfinite(f).all()


def test_resnet_and_dcl_variants():
    from ml.models import ResNet1D

    x = torch.randn(4, 50, 6)
    assert ResNet1D(6, 5, (16, 32, 32)).eval()(x).shape == (4, 5)
    for layers, readout in ((1, "mean"), (2, "last")):
        m = DeepConvLSTM(6, 5, filters=8, lstm_units=16, lstm_layers=layers, readout=readout).eval()
        assert m(x).shape == (4, 5)
    # channels meet first in the LSTM: its input is filters x channels
    assert DeepConvLSTM(6, 5, filters=8, lstm_units=16).lstm.input_size == 48


def test_augmentation_rotates_scales_and_warps():
    from ml.data.augment import Augment, random_rotations, triads

    ch = [f"left_wrist.{q}" for q in ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")]
    assert triads(ch) == [[0, 1, 2], [3, 4, 5]]
    R = random_rotations(64, 30.0, torch.Generator().manual_seed(0), "cpu")
    assert torch.allclose(R @ R.transpose(1, 2), torch.eye(3).expand(64, 3, 3), atol=1e-5)
    ang = torch.rad2deg(torch.arccos(((R.diagonal(dim1=1, dim2=2).sum(1) - 1) / 2).clamp(-1, 1)))
    assert ang.max() <= 30.01 and ang.max() > 10
    mean, std = np.array([0, 0, 9.8, 0, 0, 0], np.float32), np.array([2, 2, 2, 1, 1, 1], np.float32)
    raw = torch.randn(8, 40, 6) * 3
    x = (raw - torch.tensor(mean)) / torch.tensor(std)
    rot = Augment(ch, mean, std, rotation_deg=45, scale_sigma=0, warp_sigma=0)(x)
    back = rot * torch.tensor(std) + torch.tensor(mean)
    for t in ([0, 1, 2], [3, 4, 5]):               # a rotation keeps each triad's length, sample by sample
        assert torch.allclose(back[..., t].norm(dim=-1), raw[..., t].norm(dim=-1), atol=1e-4)
    assert not torch.allclose(back, raw, atol=1e-3)
    warp = Augment(ch, mean, std, rotation_deg=0, scale_sigma=0, warp_sigma=0.3)(x)
    assert torch.allclose(warp[:, 0], x[:, 0], atol=1e-5) and torch.allclose(warp[:, -1], x[:, -1], atol=1e-5)
    assert not torch.allclose(warp, x)
