"""What `weartwin train ... --init` and `weartwin predict --zero-shot` need from a model folder.

- `device_channels` / `check_units`: the real device named once (`--site`) becomes the encoder's
  6 inputs (`SITE.acc_x` ... `SITE.gyro_z`; an acc-only device gets zeros for the gyroscope),
  resampled to the contract's rate; units are checked (m/s², rad/s) before anything trains.
- `device_windows`: every window of that device in unlabelled recordings (zero-shot, realism matching).
- `init_product_net`: the encoder's backbone weights into the product model (ResNet-1D blocks,
  SImpHARNet's encoder and text projections, DeepConvLSTM's convolutions and LSTM).
- `adapt_ssl`: SimCLR on unlabelled windows of the training subjects, starting from the encoder
  (the caller passes only training subjects' windows; protocol.py audits that).
- `zero_shot`: class probabilities by cosine similarity to the class names' text embeddings.
"""
from __future__ import annotations

import numpy as np

from ..data.sequence import DataError
from .contract import CHANNELS, Contract, EncoderFileError, load, read_contract, released_for


def features_of(net):
    """(B, W, C) -> (B, dim) of a product network (what --init initialises)."""
    if hasattr(net, "encoder") and not hasattr(net, "blocks") and not hasattr(net, "lstm"):
        return net.encoder
    return net.features


def device_channels(seqs, site: str) -> tuple[str, list[str]]:
    """The real device's site (`site`, or the only one the data have) and its 6 channel names."""
    sites = sorted({c.split(".", 1)[0] for s in seqs for c in s.channels if c.split(".", 1)[1].startswith("acc_")})
    if not site:
        if len(sites) != 1:
            raise DataError(f"the data have devices at {', '.join(sites) or 'no site'}: name the one the encoder "
                            "reads with --site")
        site = sites[0]
    elif site not in sites:
        raise DataError(f"--site {site}: the data have no accelerometer there (they have {', '.join(sites)})")
    return site, [f"{site}.{c}" for c in CHANNELS]


def device_windows(seqs, site: str, fps: float, window_s: float, stride_s: float):
    """Every full window of the device at `site` in every recording (labelled or not), physical units:
    (x (N, W, 6), gyro_missing (N,) bool, rows: where each window came from). An acc-only recording
    gets zeros for the gyroscope; a recording shorter than one window gives none."""
    from ..inference.predict import windows_for_prediction

    names = [f"{site}.{c}" for c in CHANNELS]
    xs, gm, rows = [], [], []
    for s in seqs:
        have_gyro = f"{site}.gyro_x" in s.channels
        try:
            x, r = windows_for_prediction([s], names if have_gyro else names[:3], fps, window_s, stride_s,
                                          {site: site}, {})
        except DataError:          # shorter than one window
            continue
        if not have_gyro:
            x = np.concatenate([x, np.zeros_like(x)], axis=-1)
        xs.append(x)
        gm.append(np.full(len(x), not have_gyro))
        rows += r
    if not xs:
        raise DataError(f"no window of {window_s:g} s in {len(seqs)} recordings")
    return np.concatenate(xs).astype(np.float32), np.concatenate(gm), rows


def check_units(x: np.ndarray, present: np.ndarray, where: str) -> None:
    """Windows (N, W, 6) of one device: acc must be m/s² (|acc| ≈ 9.8 on average), gyro rad/s."""
    if not len(x):
        return
    acc = float(np.median(np.linalg.norm(x[..., :3], axis=-1)))
    if not 3.0 <= acc <= 40.0:
        raise DataError(f"{where}: median |acc| is {acc:.3g}, not about 9.8 m/s² — the encoder needs m/s² "
                        "(specific force with gravity; data in g must be multiplied by 9.80665)")
    if present[3:].any():
        gyr = float(np.percentile(np.linalg.norm(x[..., 3:], axis=-1), 99))
        if gyr > 60.0:
            raise DataError(f"{where}: 99th percentile |gyro| is {gyr:.3g}, too large for rad/s — deg/s? "
                            "(the encoder needs rad/s)")


def contract_of(cfg) -> Contract:
    """The --init encoder's contract; a released NAME of another backbone becomes its NAME-<model> sibling."""
    try:
        cfg.init = released_for(cfg.init, cfg.model)
        return read_contract(cfg.init)
    except EncoderFileError as e:
        raise DataError(f"--init: {e}") from None


def init_product_net(net, cfg, gyro_present: bool) -> dict:
    """Copy the encoder's backbone into `net` (the product model of cfg.model); returns what was copied."""
    import torch

    try:
        contract, enc = load(cfg.init)
    except EncoderFileError as e:
        raise DataError(f"--init: {e}") from None
    model = cfg.model
    if model != contract.arch:
        hint = f"weartwin train {contract.arch} --init ..." if contract.arch in ("resnet", "simpharnet", "dcl") else ""
        raise DataError(f"--init {cfg.init}: the encoder is a {contract.arch} backbone, not {model}"
                        + (f"; fine-tune it with `{hint}`" if hint else ""))
    src = enc.backbone.state_dict()
    if model == "simpharnet":
        dst_mod = net.encoder
    else:
        dst_mod = net
    dst = dst_mod.state_dict()
    copied = {}
    for k, v in src.items():
        if k not in dst or tuple(dst[k].shape) != tuple(v.shape):
            raise DataError(f"--init {cfg.init}: the encoder's {contract.arch} ({contract.params}) does not fit this "
                            f"run's {model} (weight {k}: {tuple(v.shape)} vs {tuple(dst[k].shape) if k in dst else 'absent'}); "
                            "use the encoder's sizes (see its contract.json)")
        copied[k] = v
    with torch.no_grad():
        missing = dst_mod.load_state_dict(copied, strict=False)
        if model == "simpharnet":
            if not gyro_present:                  # acc-only device: the flag folded into the encoder's bias
                net.encoder.out.bias.add_(enc.gyro_missing)
            for name in ("signal_proj", "text_proj"):
                s, d = getattr(enc, name).state_dict(), getattr(net, name).state_dict()
                if all(k in d and d[k].shape == v.shape for k, v in s.items()):
                    getattr(net, name).load_state_dict(s)
                    copied.update({f"{name}.{k}": v for k, v in s.items()})
    left = [k for k in missing.missing_keys if not k.startswith("head")]
    if model != "simpharnet" and left:
        raise DataError(f"--init {cfg.init}: the encoder lacks {left[:3]}")
    return {"arch": contract.arch, "copied": len(copied), "contract": contract}


def _simclr_views(x, gen, rot_deg=30.0):
    import math

    import torch

    B = x.shape[0]
    axis = torch.nn.functional.normalize(torch.randn(B, 3, generator=gen, device=x.device), dim=-1)
    ang = (torch.rand(B, generator=gen, device=x.device) * 2 - 1) * math.radians(rot_deg)
    K = torch.zeros(B, 3, 3, device=x.device)
    K[:, 0, 1], K[:, 0, 2], K[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    K = K - K.transpose(1, 2)
    R = torch.eye(3, device=x.device) + ang.sin()[:, None, None] * K + (1 - ang.cos())[:, None, None] * K @ K
    from .train import rotate_device

    x = rotate_device(x, R)
    x = x * (1 + 0.1 * torch.randn(B, 1, x.shape[-1], generator=gen, device=x.device))
    return x + 0.05 * torch.randn(x.shape, generator=gen, device=x.device)


def adapt_ssl(net, x_unlabelled: np.ndarray, epochs: int, device, seed: int = 0, batch: int = 128,
              lr: float = 5e-4, log=None) -> dict:
    """SimCLR (NT-Xent, τ 0.1) of the network's features on unlabelled windows (already scaled as
    the contract says), starting from the current weights; a throw-away projection head."""
    import time

    import torch
    from torch import nn
    from torch.nn import functional as F

    t0 = time.perf_counter()
    feats = features_of(net)
    net.to(device).train()
    with torch.no_grad():
        dim = feats(torch.zeros(2, x_unlabelled.shape[1], x_unlabelled.shape[2], device=device)).shape[-1]
    head = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, 64)).to(device)
    params = [p for p in net.parameters()] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    gen = torch.Generator(device=device).manual_seed(seed + 4242)
    X = torch.from_numpy(np.ascontiguousarray(x_unlabelled, dtype=np.float32)).to(device)
    n = len(X)
    b = min(batch, n)
    steps = max(1, n // b)
    losses = []
    for ep in range(epochs):
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 31 + ep)).to(device)
        tot = 0.0
        for s in range(steps):
            xb = X[perm[s * b:(s + 1) * b]]
            if len(xb) < 2:
                continue
            z = F.normalize(head(feats(torch.cat([_simclr_views(xb, gen), _simclr_views(xb, gen)]))).float(), dim=-1)
            m = len(xb)
            sim = z @ z.t() / 0.1
            sim = sim.masked_fill(torch.eye(2 * m, dtype=torch.bool, device=device), -1e9)
            target = torch.cat([torch.arange(m, 2 * m), torch.arange(0, m)]).to(device)
            loss = F.cross_entropy(sim, target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += float(loss)
        losses.append(tot / steps)
        if log:
            log(f"ssl adaptation epoch {ep + 1}/{epochs}: loss {losses[-1]:.3f}")
    return {"epochs": epochs, "windows": n, "loss": losses, "seconds": time.perf_counter() - t0}


def zero_shot(folder, x_raw: np.ndarray, gyro_missing: np.ndarray, classes: list[str], batch: int = 512):
    """(N, K) probabilities of windows in physical units (N, W, 6) over `classes` by their names."""
    import torch

    from ..training.recipes import class_text_embeddings

    contract, net = load(folder)
    scale = contract.scale_array()
    out = []
    with torch.no_grad():
        te = net.embed_text(torch.from_numpy(class_text_embeddings(classes)))
        for i in range(0, len(x_raw), batch):
            x = torch.from_numpy((x_raw[i:i + batch] * scale).astype(np.float32))
            g = torch.from_numpy(gyro_missing[i:i + batch].astype(np.float32))
            out.append((net.logit_scale() * net.embed_signal(x, g) @ te.t()).softmax(-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, len(classes)))
