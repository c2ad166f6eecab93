"""A T2M-GPT-compatible text-to-motion model (Zhang et al., CVPR 2023): a VQ-VAE over
HumanML3D 263-d motion features and a GPT over its codes, conditioned on a sentence feature.

Module and parameter names and shapes follow the released implementation, so its
checkpoints load as they are:
- `VQ/net_last.pth` {"net": state_dict} with keys `vqvae.encoder.model.*`,
  `vqvae.decoder.model.*`, `vqvae.quantizer.codebook` (512 codes × 512);
- `trans/net_best_fid.pth` {"trans": state_dict} with `trans_base.tok_emb`, `cond_emb`,
  `pos_embedding`, `pos_embed.embed`, `blocks.N.{ln1,ln2,attn.{key,query,value,proj,mask},mlp}`,
  `trans_head.{blocks,ln_f,head}`;
- `meta/mean.npy`, `meta/std.npy`: feature normalization.
The released GPT is conditioned on CLIP ViT-B/32 text features (512-d); WearTwin's own
models use the offline all-MiniLM-L6-v2 (384-d) instead (`TextCondition`).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


@dataclass
class T2MConfig:
    feat_dim: int = 263            # HumanML3D (KIT-ML: 251)
    nb_code: int = 512
    code_dim: int = 512
    output_emb_width: int = 512
    down_t: int = 2
    stride_t: int = 2
    width: int = 512
    depth: int = 3
    dilation_growth_rate: int = 3
    embed_dim: int = 1024          # GPT
    clip_dim: int = 512            # 512: CLIP ViT-B/32 (released); 384: all-MiniLM-L6-v2 (ours)
    block_size: int = 51
    num_layers: int = 9
    n_head: int = 16
    drop_out_rate: float = 0.1
    fc_rate: int = 4
    text_encoder: str = "clip"     # "clip" | "minilm"

    @classmethod
    def tiny(cls) -> "T2MConfig":
        return cls(nb_code=32, code_dim=16, output_emb_width=16, width=32, depth=1, embed_dim=32, clip_dim=384,
                   block_size=16, num_layers=1, n_head=2, text_encoder="minilm")


# -- VQ-VAE ------------------------------------------------------------------------------------
class ResConv1DBlock(nn.Module):
    def __init__(self, n_in, n_state, dilation=1):
        super().__init__()
        self.norm1, self.norm2 = nn.Identity(), nn.Identity()
        self.activation1, self.activation2 = nn.ReLU(), nn.ReLU()
        self.conv1 = nn.Conv1d(n_in, n_state, 3, 1, dilation, dilation)
        self.conv2 = nn.Conv1d(n_state, n_in, 1, 1, 0)

    def forward(self, x):
        h = self.conv1(self.activation1(self.norm1(x)))
        return x + self.conv2(self.activation2(self.norm2(h)))


class Resnet1D(nn.Module):
    def __init__(self, n_in, n_depth, dilation_growth_rate=1, reverse_dilation=True):
        super().__init__()
        blocks = [ResConv1DBlock(n_in, n_in, dilation=dilation_growth_rate ** d) for d in range(n_depth)]
        self.model = nn.Sequential(*(blocks[::-1] if reverse_dilation else blocks))

    def forward(self, x):
        return self.model(x)


class Encoder(nn.Module):
    def __init__(self, c: T2MConfig):
        super().__init__()
        ft, pt = c.stride_t * 2, c.stride_t // 2
        blocks = [nn.Conv1d(c.feat_dim, c.width, 3, 1, 1), nn.ReLU()]
        for _ in range(c.down_t):
            blocks.append(nn.Sequential(nn.Conv1d(c.width, c.width, ft, c.stride_t, pt),
                                        Resnet1D(c.width, c.depth, c.dilation_growth_rate)))
        blocks.append(nn.Conv1d(c.width, c.output_emb_width, 3, 1, 1))
        self.model = nn.Sequential(*blocks)

    def forward(self, x):
        return self.model(x)


class Decoder(nn.Module):
    def __init__(self, c: T2MConfig):
        super().__init__()
        blocks = [nn.Conv1d(c.output_emb_width, c.width, 3, 1, 1), nn.ReLU()]
        for _ in range(c.down_t):
            blocks.append(nn.Sequential(Resnet1D(c.width, c.depth, c.dilation_growth_rate, reverse_dilation=True),
                                        nn.Upsample(scale_factor=2, mode="nearest"),
                                        nn.Conv1d(c.width, c.width, 3, 1, 1)))
        blocks += [nn.Conv1d(c.width, c.width, 3, 1, 1), nn.ReLU(), nn.Conv1d(c.width, c.feat_dim, 3, 1, 1)]
        self.model = nn.Sequential(*blocks)

    def forward(self, x):
        return self.model(x)


class QuantizeEMAReset(nn.Module):
    """Nearest-code quantizer; the codebook follows an EMA of its assigned encodings and dead
    codes are reset to random encodings (as in the released training)."""

    def __init__(self, nb_code: int, code_dim: int, mu: float = 0.99):
        super().__init__()
        self.nb_code, self.code_dim, self.mu = nb_code, code_dim, mu
        self.register_buffer("codebook", torch.zeros(nb_code, code_dim))
        self.initialized = False

    def quantize(self, x):                     # x: (N, D) -> code ids (N,)
        d = (x.pow(2).sum(-1, keepdim=True) - 2 * x @ self.codebook.t() + self.codebook.pow(2).sum(-1)[None])
        return d.argmin(dim=-1)

    def dequantize(self, idx):
        return F.embedding(idx, self.codebook)

    @torch.no_grad()
    def _update(self, x, idx):
        if not self.initialized:
            rep = x[torch.randint(len(x), (self.nb_code,), device=x.device)]
            self.codebook.copy_(rep)
            self.code_sum, self.code_count = rep.clone(), torch.ones(self.nb_code, device=x.device)
            self.initialized = True
            return
        onehot = F.one_hot(idx, self.nb_code).float()
        self.code_sum.mul_(self.mu).add_((1 - self.mu) * onehot.t() @ x)
        self.code_count.mul_(self.mu).add_((1 - self.mu) * onehot.sum(0))
        usage = (self.code_count >= 1.0).float().unsqueeze(1)
        fresh = x[torch.randint(len(x), (self.nb_code,), device=x.device)]
        self.codebook.copy_(usage * self.code_sum / self.code_count.clamp(min=1e-6)[:, None] + (1 - usage) * fresh)

    def forward(self, x):                      # x: (B, D, T)
        B, D, T = x.shape
        flat = x.permute(0, 2, 1).reshape(-1, D)
        if self.training:
            self._update(flat.detach(), self.quantize(flat.detach()) if self.initialized else None)
        idx = self.quantize(flat)
        q = self.dequantize(idx)
        commit = F.mse_loss(flat, q.detach())
        q = flat + (q - flat).detach()         # straight-through
        perplexity = torch.exp(-(lambda p: (p * torch.log(p + 1e-10)).sum())(
            torch.bincount(idx, minlength=self.nb_code).float() / len(idx)))
        return q.view(B, T, D).permute(0, 2, 1), commit, perplexity


class VQVAE_251(nn.Module):
    def __init__(self, c: T2MConfig):
        super().__init__()
        self.encoder, self.decoder = Encoder(c), Decoder(c)
        self.quantizer = QuantizeEMAReset(c.nb_code, c.code_dim)

    def encode(self, x):                       # (B, T, feat) -> (B, T/4) code ids
        z = self.encoder(x.permute(0, 2, 1))
        B, D, T = z.shape
        return self.quantizer.quantize(z.permute(0, 2, 1).reshape(-1, D)).view(B, T)

    def forward(self, x):
        q, commit, perp = self.quantizer(self.encoder(x.permute(0, 2, 1)))
        return self.decoder(q).permute(0, 2, 1), commit, perp

    def forward_decoder(self, idx):            # (B, T') -> (B, 4T', feat)
        return self.decoder(self.quantizer.dequantize(idx).permute(0, 2, 1)).permute(0, 2, 1)


class HumanVQVAE(nn.Module):
    def __init__(self, c: T2MConfig):
        super().__init__()
        self.vqvae = VQVAE_251(c)

    def forward(self, x):
        return self.vqvae(x)


# -- GPT ---------------------------------------------------------------------------------------
def _sinusoid(length: int, dim: int) -> torch.Tensor:
    pos = torch.arange(length, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(length, dim)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


class PositionEmbedding(nn.Module):
    def __init__(self, seq_length, dim, dropout=0.0, grad=False):
        super().__init__()
        self.embed = nn.Parameter(_sinusoid(seq_length, dim), requires_grad=grad)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(x + self.embed[:x.shape[1]].unsqueeze(0))


class CausalCrossConditionalSelfAttention(nn.Module):
    def __init__(self, embed_dim, block_size, n_head, drop):
        super().__init__()
        self.key, self.query, self.value = (nn.Linear(embed_dim, embed_dim) for _ in range(3))
        self.attn_drop, self.resid_drop = nn.Dropout(drop), nn.Dropout(drop)
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.register_buffer("mask", torch.tril(torch.ones(block_size, block_size)).view(1, 1, block_size, block_size))
        self.n_head = n_head

    def forward(self, x):
        B, T, C = x.shape
        h = self.n_head
        k = self.key(x).view(B, T, h, C // h).transpose(1, 2)
        q = self.query(x).view(B, T, h, C // h).transpose(1, 2)
        v = self.value(x).view(B, T, h, C // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        y = self.attn_drop(F.softmax(att, dim=-1)) @ v
        return self.resid_drop(self.proj(y.transpose(1, 2).contiguous().view(B, T, C)))


class Block(nn.Module):
    def __init__(self, c: T2MConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(c.embed_dim), nn.LayerNorm(c.embed_dim)
        self.attn = CausalCrossConditionalSelfAttention(c.embed_dim, c.block_size, c.n_head, c.drop_out_rate)
        self.mlp = nn.Sequential(nn.Linear(c.embed_dim, c.fc_rate * c.embed_dim), nn.GELU(),
                                 nn.Linear(c.fc_rate * c.embed_dim, c.embed_dim), nn.Dropout(c.drop_out_rate))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CrossCondTransBase(nn.Module):
    def __init__(self, c: T2MConfig):
        super().__init__()
        self.tok_emb = nn.Embedding(c.nb_code + 2, c.embed_dim)
        self.cond_emb = nn.Linear(c.clip_dim, c.embed_dim)
        self.pos_embedding = nn.Embedding(c.block_size, c.embed_dim)
        self.drop = nn.Dropout(c.drop_out_rate)
        self.blocks = nn.Sequential(*[Block(c) for _ in range(c.num_layers)])
        self.pos_embed = PositionEmbedding(c.block_size, c.embed_dim, 0.0, False)

    def forward(self, idx, cond):
        x = self.cond_emb(cond).unsqueeze(1)
        if idx is not None and idx.shape[1]:
            x = torch.cat([x, self.tok_emb(idx)], dim=1)
        return self.blocks(self.pos_embed(x))


class CrossCondTransHead(nn.Module):
    def __init__(self, c: T2MConfig):
        super().__init__()
        self.blocks = nn.Sequential(*[Block(c) for _ in range(c.num_layers)])
        self.ln_f = nn.LayerNorm(c.embed_dim)
        self.head = nn.Linear(c.embed_dim, c.nb_code + 1, bias=False)

    def forward(self, x):
        return self.head(self.ln_f(self.blocks(x)))


class Text2Motion_Transformer(nn.Module):
    def __init__(self, c: T2MConfig):
        super().__init__()
        self.trans_base, self.trans_head = CrossCondTransBase(c), CrossCondTransHead(c)
        self.block_size, self.num_vq = c.block_size, c.nb_code

    def forward(self, idx, cond):
        return self.trans_head(self.trans_base(idx, cond))

    @torch.no_grad()
    def sample(self, cond, generator=None, greedy=False):
        """Codes until the end token (id nb_code) or the block size; cond: (1, clip_dim)."""
        idx = torch.zeros((1, 0), dtype=torch.long, device=cond.device)
        for _ in range(self.block_size - 1):
            logits = self.forward(idx, cond)[:, -1, :]
            probs = F.softmax(logits.float(), dim=-1)
            nxt = probs.argmax(-1, keepdim=True) if greedy else torch.multinomial(probs, 1, generator=generator)
            if int(nxt) == self.num_vq:
                break
            idx = torch.cat([idx, nxt], dim=1)
        return idx


# -- checkpoints in the released layout ---------------------------------------------------------
class T2MGPT:
    """VQ-VAE + GPT + normalization, saved and loaded in the released folder layout:
    DIR/VQ/net_last.pth, DIR/trans/net_best_fid.pth, DIR/meta/{mean,std}.npy, DIR/config.json."""

    def __init__(self, cfg: T2MConfig, mean=None, std=None):
        self.cfg = cfg
        self.vq = HumanVQVAE(cfg)
        self.trans = Text2Motion_Transformer(cfg)
        self.mean = np.zeros(cfg.feat_dim, np.float32) if mean is None else np.asarray(mean, np.float32)
        self.std = np.ones(cfg.feat_dim, np.float32) if std is None else np.asarray(std, np.float32)

    def save(self, folder) -> Path:
        d = Path(folder)
        for sub in ("VQ", "trans", "meta"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        torch.save({"net": self.vq.state_dict()}, d / "VQ" / "net_last.pth")
        torch.save({"trans": self.trans.state_dict()}, d / "trans" / "net_best_fid.pth")
        np.save(d / "meta" / "mean.npy", self.mean)
        np.save(d / "meta" / "std.npy", self.std)
        (d / "config.json").write_text(json.dumps(asdict(self.cfg), indent=1))
        return d

    @classmethod
    def load(cls, folder, cfg: T2MConfig | None = None) -> "T2MGPT":
        d = Path(folder)
        if cfg is None:
            cfg = T2MConfig(**json.loads((d / "config.json").read_text())) if (d / "config.json").is_file() \
                else T2MConfig()     # the released configuration
        vq_file = next((p for p in (d / "VQ" / "net_last.pth", d / "VQVAE" / "net_last.pth") if p.is_file()), None)
        tr_file = next((p for p in (d / "trans" / "net_best_fid.pth",
                                    d / "VQTransformer_corruption05" / "net_best_fid.pth") if p.is_file()), None)
        if vq_file is None or tr_file is None:
            raise FileNotFoundError(f"{d}: needs VQ/net_last.pth and trans/net_best_fid.pth (T2M-GPT layout)")
        model = cls(cfg)
        mean_f = next((p for p in (d / "meta" / "mean.npy", d / "mean.npy") if p.is_file()), None)
        if mean_f is not None:
            model.mean = np.load(mean_f, allow_pickle=False).astype(np.float32)
            model.std = np.load(mean_f.with_name("std.npy"), allow_pickle=False).astype(np.float32)
        # weights only: never unpickle arbitrary objects from a downloaded checkpoint
        net = torch.load(vq_file, map_location="cpu", weights_only=True)["net"]
        trans = torch.load(tr_file, map_location="cpu", weights_only=True)["trans"]
        _load(model.vq, net, vq_file)
        _load(model.trans, trans, tr_file)
        model.vq.vqvae.quantizer.initialized = True
        return model

    def to(self, device):
        self.vq.to(device)
        self.trans.to(device)
        return self

    @torch.no_grad()
    def generate(self, cond: torch.Tensor, seed: int = 0, greedy: bool = False) -> np.ndarray:
        """(T, feat_dim) de-normalized HumanML3D features for one condition vector."""
        self.vq.eval()
        self.trans.eval()
        g = torch.Generator(device=cond.device).manual_seed(seed)
        idx = self.trans.sample(cond.view(1, -1), generator=g, greedy=greedy)
        if idx.shape[1] == 0:                  # an immediate end token: keep one code
            idx = torch.zeros((1, 1), dtype=torch.long, device=cond.device)
        feats = self.vq.vqvae.forward_decoder(idx)[0].float().cpu().numpy()
        return feats * self.std + self.mean


def _load(module: nn.Module, state: dict, source: Path) -> None:
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    bad = [f"{k} {tuple(state[k].shape)} != {tuple(v.shape)}" for k, v in own.items()
           if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or bad:
        raise ValueError(f"{source}: not a compatible T2M-GPT checkpoint ("
                         + "; ".join(([f"missing {', '.join(missing[:3])}"] if missing else []) +
                                     ([f"shape {bad[0]}"] if bad else [])) + ")")
    module.load_state_dict({k: state[k] for k in own})


class TextCondition:
    """Sentence -> condition vector: CLIP ViT-B/32 (the released models; needs the `clip`
    package and its weights) or all-MiniLM-L6-v2 (bundled, offline)."""

    def __init__(self, kind: str, device="cpu"):
        self.kind, self.device = kind, device
        if kind == "clip":
            try:
                import clip  # noqa: F401
            except ImportError:
                raise ValueError("this checkpoint is conditioned on CLIP ViT-B/32 text features: install OpenAI's "
                                 "`clip` package (and its weights) to use it; models trained with WearTwin use "
                                 "the offline MiniLM encoder") from None

    def __call__(self, texts) -> torch.Tensor:
        if self.kind == "clip":
            import clip

            if getattr(self, "_clip", None) is None:    # load once, not per text
                self._clip, _ = clip.load("ViT-B/32", device=self.device)
            with torch.no_grad():
                return self._clip.encode_text(clip.tokenize(list(texts), truncate=True).to(self.device)).float()
        from ..data.text import embed

        return torch.from_numpy(embed(list(texts))).to(self.device)
