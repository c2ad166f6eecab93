"""`python -m ml t2m sample|train-vq|train-gpt` — the T2M-GPT-compatible text-to-motion model.

    python -m ml t2m sample --checkpoint DIR --text "a person waves" --out wave_new_joint_vecs.npy
    python -m ml t2m train-vq  --data HUMANML3D --out DIR [--tiny]
    python -m ml t2m train-gpt --data HUMANML3D --vq DIR --out DIR
`weartwin text2motion --backend t2m-gpt --checkpoint DIR` runs `sample` and converts the
HumanML3D features to a motion (joints -> inverse kinematics).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m ml t2m", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample", help="generate HumanML3D features (.npy) from a text")
    s.add_argument("--checkpoint", required=True)
    s.add_argument("--text", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--greedy", action="store_true")
    s.add_argument("--device", default="auto")
    for name in ("train-vq", "train-gpt"):
        t = sub.add_parser(name, help=f"stage {'1 (VQ-VAE)' if name == 'train-vq' else '2 (GPT)'} on HumanML3D")
        t.add_argument("--data", required=True, help="HumanML3D folder (new_joint_vecs/, texts/)")
        t.add_argument("--out", required=True, help="checkpoint folder (T2M-GPT layout)")
        t.add_argument("--steps", type=int, default=2000)
        t.add_argument("--batch", type=int, default=32)
        t.add_argument("--device", default="auto")
        t.add_argument("--seed", type=int, default=0)
        if name == "train-vq":
            t.add_argument("--tiny", action="store_true", help="a tiny model (tests, CPU)")
            t.add_argument("--clip-dim", type=int, default=384, help="text feature size for stage 2 (MiniLM 384)")
        else:
            t.add_argument("--vq", required=True, help="stage-1 checkpoint folder")
    a = p.parse_args(argv)
    import numpy as np

    from ..training.loop import pick_device
    from .t2mgpt import T2MConfig, T2MGPT, TextCondition

    device = pick_device(a.device)
    try:
        if a.cmd == "sample":
            model = T2MGPT.load(a.checkpoint).to(device)
            cond = TextCondition(model.cfg.text_encoder, device)([a.text])[0]
            feats = model.generate(cond, seed=a.seed, greedy=a.greedy)
            out = Path(a.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            np.save(out, feats.astype(np.float32))
            print(f"wrote {out}: {len(feats)} frames of HumanML3D features (20 fps)")
        elif a.cmd == "train-vq":
            from .train import train_vq

            cfg = T2MConfig.tiny() if a.tiny else T2MConfig(clip_dim=a.clip_dim, text_encoder="minilm")
            train_vq(a.data, a.out, cfg, a.steps, a.batch, device=device, seed=a.seed)
        else:
            from .train import train_gpt

            train_gpt(a.data, a.vq, a.out, a.steps, a.batch, device=device, seed=a.seed)
    except (ValueError, FileNotFoundError, OSError, KeyError, RuntimeError) as e:
        print(f"python -m ml t2m: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 1
    return 0
