"""The T2M-GPT-compatible model: the released parameter names and shapes, a checkpoint in
the released folder layout loads, tiny models train on HumanML3D-layout data, and sampled
motion becomes a `Motion` through the t2m-gpt backend."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from conftest import need_shared, run_cli

from ml.text2motion.t2mgpt import T2MConfig, T2MGPT

RELEASED = {   # key -> shape in the released HumanML3D checkpoints (VQ: nb-code 512, down-t 2; GPT: 9+9 layers)
    "vqvae.encoder.model.0.weight": (512, 263, 3),
    "vqvae.encoder.model.2.0.weight": (512, 512, 4),
    "vqvae.encoder.model.2.1.model.0.conv1.weight": (512, 512, 3),
    "vqvae.encoder.model.4.weight": (512, 512, 3),
    "vqvae.decoder.model.2.2.weight": (512, 512, 3),
    "vqvae.decoder.model.6.weight": (263, 512, 3),
    "vqvae.quantizer.codebook": (512, 512),
    "trans_base.tok_emb.weight": (514, 1024),
    "trans_base.cond_emb.weight": (1024, 512),
    "trans_base.pos_embedding.weight": (51, 1024),
    "trans_base.pos_embed.embed": (51, 1024),
    "trans_base.blocks.8.attn.mask": (1, 1, 51, 51),
    "trans_base.blocks.0.mlp.0.weight": (4096, 1024),
    "trans_head.blocks.8.attn.proj.weight": (1024, 1024),
    "trans_head.head.weight": (513, 1024),
}


def test_released_names_and_shapes():
    with torch.device("meta"):
        m = T2MGPT(T2MConfig())
    shapes = {k: tuple(v.shape) for k, v in {**m.vq.state_dict(), **m.trans.state_dict()}.items()}
    for k, shape in RELEASED.items():
        assert shapes.get(k) == shape, k


def _h3d(tmp_path):
    root = tmp_path / "h3d"
    (root / "new_joint_vecs").mkdir(parents=True)
    (root / "texts").mkdir()
    for f, cap in (("000612_new_joint_vecs.npy", "a person walks forward and pushes with one hand"),
                   ("012314_new_joint_vecs.npy", "a person serves a tennis ball")):
        shutil.copy(need_shared(f"motion/humanml3d/{f}"), root / "new_joint_vecs" / f.replace("_new_joint_vecs", ""))
        (root / "texts" / f.replace("_new_joint_vecs.npy", ".txt")).write_text(f"{cap}#a/DET#0.0#0.0\n")
    return root


def test_tiny_model_trains_saves_in_released_layout_and_loads(tmp_path):
    from ml.text2motion.train import train_gpt, train_vq

    root = _h3d(tmp_path)
    model, vq_loss = train_vq(root, tmp_path / "ck", T2MConfig.tiny(), steps=80, batch=8, log=None)
    assert np.mean(vq_loss[-10:]) < np.mean(vq_loss[:10])
    model, gpt_loss = train_gpt(root, tmp_path / "ck", tmp_path / "ck", steps=80, batch=8, log=None)
    assert np.mean(gpt_loss[-10:]) < np.mean(gpt_loss[:10])
    for f in ("VQ/net_last.pth", "trans/net_best_fid.pth", "meta/mean.npy", "meta/std.npy"):
        assert (tmp_path / "ck" / f).is_file()
    net = torch.load(tmp_path / "ck" / "VQ" / "net_last.pth", weights_only=True)
    assert set(net) == {"net"} and "vqvae.quantizer.codebook" in net["net"]
    again = T2MGPT.load(tmp_path / "ck")
    cond = torch.randn(384)
    a, b = model.generate(cond, seed=3), again.generate(cond, seed=3)
    assert a.shape[1] == 263 and np.allclose(a, b, atol=1e-5)
    # a checkpoint of another shape is refused with the file and the first mismatch named
    with pytest.raises(ValueError, match="net_last.pth: not a compatible T2M-GPT checkpoint"):
        T2MGPT.load(tmp_path / "ck", T2MConfig.tiny().__class__(**{**T2MConfig.tiny().__dict__, "width": 48}))


def test_t2m_gpt_backend_makes_a_motion(tmp_path):
    root = _h3d(tmp_path)
    import subprocess
    import sys

    for cmd in (["train-vq", "--data", root, "--out", tmp_path / "ck", "--tiny", "--steps", "20", "--batch", "4"],
                ["train-gpt", "--data", root, "--vq", tmp_path / "ck", "--out", tmp_path / "ck", "--steps", "20",
                 "--batch", "4"]):
        p = subprocess.run([sys.executable, "-m", "ml", "t2m", *map(str, cmd)], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr[-1500:]
    from addon.text2motion import make_backend

    m = make_backend("t2m-gpt", checkpoint=str(tmp_path / "ck")).generate("a person walks forward", seed=1)
    assert m.rotations.shape[1:] == (22, 3) and np.isfinite(m.rotations).all() and m.fps == 20.0
    out = run_cli("text2motion", "a person walks", "--backend", "t2m-gpt", "--checkpoint", tmp_path / "nope",
                  "--out", tmp_path / "x.npz")
    assert out.returncode == 1 and "T2M-GPT layout" in out.stderr and not (tmp_path / "x.npz").exists()
