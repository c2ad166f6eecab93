"""The encoder's input contract and its model folder.

A model folder holds
- `encoder.pt`: the pretraining network's state dict (tensors only; `torch.load(weights_only=True)`),
- `contract.json`: what the encoder expects and what it is (see `Contract`),
- `MODEL_CARD.md`: corpus, hours per activity and site, recipe, figures, the rebuilding command.

Input: ONE device, 6 channels acc_x, acc_y, acc_z (m/s², specific force, gravity included) and
gyro_x, gyro_y, gyro_z (rad/s), resampled to `fps`, windows of `window_s`. Normalisation is fixed
and physical (no dataset statistic, so every site and dataset is scaled alike): acc / 9.80665 (g),
gyro / 2 rad/s. A device without a gyroscope gives zeros there and the network is told
(`gyro_missing`), as in pretraining, where the gyroscope is dropped at random.

Folders from strangers are hostile: file sizes, the JSON's types and every architecture
hyper-parameter are bounded, and the weights' names and shapes are checked against the network
the contract describes (built on torch's `meta` device, without memory) before anything is built.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

FORMAT = "weartwin-encoder/1"
G = 9.80665
GYRO_UNIT = 2.0                      # rad/s per normalised unit
CHANNELS = ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
SCALE = (1 / G,) * 3 + (1 / GYRO_UNIT,) * 3
MAX_CONTRACT_BYTES = 8 << 20
MAX_WEIGHT_BYTES = 512 << 20
PRETRAINED = Path(__file__).resolve().parents[1] / "pretrained"   # released encoders: ml/pretrained/<NAME>/

# architecture hyper-parameters a contract may give, with their bounds (anything else is refused)
ARCHS = {
    "resnet": {"widths": ("ints", 1, 6, 1, 1024)},
    "simpharnet": {"widths": ("ints", 1, 6, 1, 1024), "kernel": ("int", 1, 31), "dim": ("int", 1, 2048)},
    "dcl": {"filters": ("int", 1, 256), "kernel": ("int", 1, 31), "lstm_units": ("int", 1, 1024),
            "lstm_layers": ("int", 1, 4)},
}
DEFAULT_PARAMS = {"resnet": {"widths": [64, 128, 128]}, "simpharnet": {"widths": [64, 128, 128], "kernel": 5, "dim": 128},
                  "dcl": {"filters": 64, "kernel": 5, "lstm_units": 128, "lstm_layers": 1}}


class EncoderFileError(ValueError):
    """A model folder cannot be used; the message is one line naming it."""


@dataclass
class Contract:
    arch: str = "resnet"
    params: dict = field(default_factory=lambda: dict(DEFAULT_PARAMS["resnet"]))
    dim: int = 128                     # backbone feature size (derived from params, checked)
    proj: int = 128                    # signal/text projection size
    fps: float = 50.0
    window_s: float = 2.0
    classes: list = field(default_factory=list)
    class_text_emb: list = field(default_factory=list)   # (K, 384): each class' description embedding
    channels: list = field(default_factory=lambda: list(CHANNELS))
    units: dict = field(default_factory=lambda: {"acc": "m/s^2 (specific force, gravity included)", "gyro": "rad/s"})
    scale: list = field(default_factory=lambda: [round(s, 8) for s in SCALE])
    normalisation: str = "x * scale per channel: acc / 9.80665 m/s^2, gyro / 2 rad/s; no dataset statistics"
    gyro_missing: str = "a device without a gyroscope: gyro channels 0 and the network's gyro_missing flag on"
    recipe: dict = field(default_factory=dict)
    corpus: dict = field(default_factory=dict)
    command: str = ""
    format: str = FORMAT

    @property
    def window(self) -> int:
        return int(round(self.window_s * self.fps))

    def scale_array(self) -> np.ndarray:
        return np.asarray(self.scale, np.float32)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @staticmethod
    def from_dict(d: dict, where: str = "contract.json") -> "Contract":
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise EncoderFileError(f"{where}: not a WearTwin encoder contract (format "
                                   f"{d.get('format') if isinstance(d, dict) else '?'!r}, expected {FORMAT})")
        names = set(Contract.__dataclass_fields__)
        c = Contract(**{k: v for k, v in d.items() if k in names})
        c.validate(where)
        return c

    def validate(self, where: str = "contract.json") -> None:
        def bad(msg):
            raise EncoderFileError(f"{where}: {msg}")

        if self.arch not in ARCHS:
            bad(f"unknown arch {self.arch!r} (known: {', '.join(ARCHS)})")
        if not isinstance(self.params, dict) or set(self.params) != set(ARCHS[self.arch]):
            bad(f"{self.arch} needs exactly the parameters {sorted(ARCHS[self.arch])}")
        for k, (kind, *b) in ARCHS[self.arch].items():
            v = self.params[k]
            if kind == "int":
                if type(v) is not int or not b[0] <= v <= b[1]:
                    bad(f"{k} must be an integer in {b[0]}..{b[1]}, got {v!r}")
            else:
                lo_n, hi_n, lo, hi = b
                if not isinstance(v, list) or not lo_n <= len(v) <= hi_n or \
                        any(type(x) is not int or not lo <= x <= hi for x in v):
                    bad(f"{k} must be {lo_n}..{hi_n} integers in {lo}..{hi}, got {str(v)[:60]}")
        for k, lo, hi in (("dim", 1, 4096), ("proj", 1, 4096)):
            v = getattr(self, k)
            if type(v) is not int or not lo <= v <= hi:
                bad(f"{k} must be an integer in {lo}..{hi}, got {v!r}")
        if self.dim != feature_dim(self.arch, self.params):
            bad(f"dim {self.dim} does not match the {self.arch} parameters (features {feature_dim(self.arch, self.params)})")
        for k, lo, hi in (("fps", 1.0, 1000.0), ("window_s", 0.1, 60.0)):
            v = getattr(self, k)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
                bad(f"{k} must be in {lo:g}..{hi:g}, got {v!r}")
        if not 4 <= self.window <= 20000:
            bad(f"window of {self.window} samples is out of bounds (4..20000)")
        if list(self.channels) != list(CHANNELS):
            bad(f"channels must be {list(CHANNELS)}")
        if not isinstance(self.scale, list) or len(self.scale) != 6 or \
                any(not isinstance(s, (int, float)) or not 0 < s < 1e3 for s in self.scale):
            bad("scale must be 6 positive numbers")
        if not isinstance(self.classes, list) or len(self.classes) > 10000 or \
                any(not isinstance(c, str) or not 0 < len(c) <= 200 for c in self.classes):
            bad("classes must be up to 10000 names of 1..200 characters")
        e = self.class_text_emb
        if not isinstance(e, list) or len(e) != len(self.classes) or \
                any(not isinstance(r, list) or len(r) != 384 or not all(isinstance(x, (int, float)) for x in r) for r in e):
            bad("class_text_emb must be one 384-number row per class")
        for k, kind in (("recipe", dict), ("corpus", dict), ("command", str)):
            v = getattr(self, k, None)
            if v is not None and not isinstance(v, kind):
                bad(f"{k} must be {'an object' if kind is dict else 'a string'}, got {type(v).__name__}")


def feature_dim(arch: str, params: dict) -> int:
    if arch == "dcl":
        return int(params["lstm_units"])
    if arch == "simpharnet":
        return int(params["dim"])
    return int(params["widths"][-1])


# ---------------------------------------------------------------------------------------------
# model folders

def resolve(name_or_path) -> Path:
    """A model folder: a path, or NAME of a released encoder under ml/pretrained/NAME/."""
    p = Path(name_or_path)
    if p.is_dir():
        return p
    s = str(name_or_path)
    if s and "/" not in s and "\\" not in s and s not in (".", "..") and (PRETRAINED / s).is_dir():
        return PRETRAINED / s
    known = sorted(d.name for d in PRETRAINED.iterdir() if d.is_dir()) if PRETRAINED.is_dir() else []
    raise EncoderFileError(f"{name_or_path}: no such model folder or released encoder "
                           f"(released: {', '.join(known) or 'none'})")


def released_for(name_or_path, arch: str) -> str:
    """`--init NAME` for a model of `arch`: a released NAME whose backbone is another architecture
    stands for its sibling NAME-<arch> when one is released (weartwin-imu-v1 is the simpharnet
    encoder, weartwin-imu-v1-resnet and weartwin-imu-v1-dcl the same recipe for those backbones)."""
    s = str(name_or_path)
    if Path(s).is_dir() or "/" in s or "\\" in s or not (PRETRAINED / s).is_dir():
        return s
    try:
        own = read_contract(PRETRAINED / s).arch
    except EncoderFileError:
        return s
    sibling = f"{s}-{arch}"
    return sibling if own != arch and (PRETRAINED / sibling).is_dir() else s


def _regular(folder: Path, name: str, limit: int) -> Path:
    f = folder / name
    if f.is_symlink() or not f.is_file():
        raise EncoderFileError(f"{f}: missing (a model folder holds encoder.pt and contract.json as plain files)")
    if f.stat().st_size > limit:
        raise EncoderFileError(f"{f}: larger than {limit >> 20} MiB")
    return f


def read_contract(folder) -> Contract:
    folder = resolve(folder)
    f = _regular(folder, "contract.json", MAX_CONTRACT_BYTES)
    try:
        d = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EncoderFileError(f"{f}: not JSON ({e.__class__.__name__})") from None
    return Contract.from_dict(d, str(f))


def load(folder, device="cpu"):
    """(contract, network) of a model folder, validated; the network in eval mode."""
    import torch

    from .network import build

    folder = resolve(folder)
    contract = read_contract(folder)
    f = _regular(folder, "encoder.pt", MAX_WEIGHT_BYTES)
    try:
        state = torch.load(f, map_location="cpu", weights_only=True)
    except Exception as e:      # weights_only refuses anything but tensors and plain containers
        raise EncoderFileError(f"{f}: not a weights-only state dict ({e.__class__.__name__}: "
                               f"{str(e).splitlines()[0][:100] if str(e) else ''})") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise EncoderFileError(f"{f}: not a state dict of tensors")
    with torch.device("meta"):       # shapes only: no memory is allocated for what the contract says
        expect = build(contract).state_dict()
    if set(expect) != set(state):
        diff = sorted(set(expect) ^ set(state))
        raise EncoderFileError(f"{f}: weights do not match the contract's {contract.arch} "
                               f"({len(diff)} names differ, e.g. {diff[0]!r})")
    for k, v in expect.items():
        if tuple(v.shape) != tuple(state[k].shape):
            raise EncoderFileError(f"{f}: weight {k!r} has shape {tuple(state[k].shape)}, the contract's "
                                   f"{contract.arch} needs {tuple(v.shape)}")
        if state[k].is_floating_point() and not torch.isfinite(state[k]).all():
            raise EncoderFileError(f"{f}: weight {k!r} is not finite")
    net = build(contract)
    net.load_state_dict(state)
    return contract, net.to(device).eval()


def write_folder(folder: Path, contract: Contract, state: dict, card: str) -> None:
    """encoder.pt, contract.json, MODEL_CARD.md; each written whole (temp file, then renamed)."""
    import os

    import torch

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    contract.validate(str(folder / "contract.json"))
    tmp = folder / ".encoder.pt.part"
    torch.save({k: v.detach().cpu().contiguous() for k, v in state.items()}, tmp)
    os.replace(tmp, folder / "encoder.pt")
    for name, text in (("contract.json", contract.to_json()), ("MODEL_CARD.md", card)):
        t = folder / f".{name}.part"
        t.write_text(text, encoding="utf-8")
        os.replace(t, folder / name)
