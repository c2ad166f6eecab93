"""Fine-tuning as the papers do it: frozen until plateau then unfrozen at a smaller rate, a
linear probe, SImpHARNet's text-initialised head, Multi3Net+ with the wrists the data have and a
reconstruction bottleneck."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from ml_layouts import write_generic

from ml import train
from ml.api import load_windows
from ml.config import SImpHARConfig
from ml.training.protocol import make_folds, prepare_fold
from ml.training.recipes import SImpHARRecipe, class_text_embeddings

TINY = dict(progress=False, window=2.0, stride=1.0, fps=25.0, batch_size=32)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_generic(tmp_path_factory.mktemp("t") / "real", subjects=4, seconds=16)


def _fold(data, **kw):
    cfg = SImpHARConfig(data=[str(data)], inputs="imu", dim=16, pretrain_epochs=2, **TINY, **kw)
    real, _ = load_windows(cfg)
    fold = make_folds(real.subjects, "loso", 0)[0]
    tr, va, te, _, _ = prepare_fold(real, None, fold, cfg, seed=0, budget=1.0)
    sim = tr.subset(np.arange(len(tr)))          # stands in for simulated windows (texts from the labels)
    return cfg, real, tr, va, sim


def _encoder_state(net):
    return {k: v.clone() for k, v in net.encoder.state_dict().items()}


@pytest.mark.parametrize("mode", ["linear", "plateau"])
def test_frozen_until_plateau_and_linear_probe(data, tmp_path, mode):
    cfg, real, tr, va, sim = _fold(data, finetune=mode, freeze_patience=2, patience=100, epochs=10,
                                   encoder_lr_mult=0.5, text_head=False, min_steps=0)   # one pass per epoch
    r = SImpHARRecipe(cfg, real.channels, real.classes, 0, tmp_path)
    r.fit(tr, va, sim)
    pre = torch.load(tmp_path / "pretrain.pt", weights_only=True)["model"]
    before = {k[len("net.encoder."):]: v for k, v in pre.items() if k.startswith("net.encoder.")}
    after = _encoder_state(r.net)
    same = all(torch.equal(before[k], v.cpu()) for k, v in after.items())
    assert r.history["finetune_mode"] == mode
    if mode == "linear":
        assert same and "unfrozen_at_epoch" not in r.history
    else:
        assert "unfrozen_at_epoch" in r.history and not same
        assert r.history["finetune"]["plateau_epoch"] + 1 == r.history["unfrozen_at_epoch"]


def test_text_head_is_the_zero_shot_classifier(data, tmp_path):
    from ml.models import SImpHARNet

    classes = ["circle", "shake", "still"]
    e = torch.from_numpy(class_text_embeddings(classes))
    assert e.shape == (3, 384) and torch.allclose(e.norm(dim=1), torch.ones(3), atol=1e-5)
    net = SImpHARNet(6, 3, dim=16, text_head=True).eval()
    net.init_text_head(e)
    x = torch.randn(5, 50, 6)
    z = net.embed_signal(x)
    t = torch.nn.functional.normalize(net.text_proj(e), dim=-1)
    assert torch.allclose(net(x), net.logit_scale() * z @ t.T, atol=1e-4)   # cosine to each class text


def test_multi3net_uses_the_wrists_the_data_have(data, tmp_path):
    m = train("multi3net", out=tmp_path / "m3", data=[str(data)], dim=16, layers=1, heads=2, experts=3, epochs=2,
              max_folds=1, **TINY)
    assert m["config"]["sites"] == ["left_wrist"] and len(m["channels"]) == 6
    assert json.loads((tmp_path / "m3" / "config.json").read_text())["sites"] == ["left_wrist"]


def test_multi3net_reconstruction_bottleneck():
    from ml.models import Multi3Net

    net = Multi3Net(1, 6, 3, dim=16, max_frames=50, layers=1, heads=2, n_experts=16)
    assert net.recon[0][-1].out_features == 50 * 6 and net.head.n == 16
    imu, pose = torch.randn(4, 50, 6), torch.randn(4, 50, 22, 6)
    losses = net.pretrain_losses(imu, pose, torch.randn(4, 384))
    assert torch.isfinite(losses["recon"]) and net.reconstruct(net.recon[0], torch.randn(4, 16), 40).shape == (4, 40, 6)


def test_min_steps_repeat_few_windows_and_keep_one_pass_for_many():
    """10 labelled windows in batches of 64: 5 epochs are 5 steps in one pass each; --min-steps 50 makes
    them 50 steps of 10 windows, every window once per permutation."""
    from ml.training.loop import Schedule, fit

    for n, min_steps, want in ((10, 0, 5), (10, 50, 50), (640, 50, 50), (6400, 50, 500)):
        net = torch.nn.Linear(3, 2)
        seen = []

        def loss_fn(m, idx):
            seen.append(np.asarray(idx).copy())
            return m(torch.zeros(len(idx), 3)).sum()

        fit(net, n, loss_fn, Schedule(epochs=5, batch_size=64, progress=False, min_steps=min_steps, amp=False),
            torch.device("cpu"))
        assert len(seen) == want, (n, min_steps)
        if n == 10:                       # each step: all 10 windows, a fresh permutation
            assert all(sorted(i.tolist()) == list(range(10)) for i in seen)
        else:                             # batches of 64, every window once per pass
            assert {len(i) for i in seen} == {64} and len(np.unique(np.concatenate(seen[:n // 64]))) == n
