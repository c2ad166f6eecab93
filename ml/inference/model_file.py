"""A trained model as one file that is safe to receive: `MODEL.npz` (numpy arrays only,
loaded with allow_pickle=False), plus `MODEL.ts` (TorchScript) for deep models.

Inside the npz:
- `meta`: JSON (format version, model name, the run's configuration, channels, classes,
  sampling rate, window and stride, the normalization's mean and std);
- deep models: `w/<parameter or buffer name>` for every entry of the state dict; the network
  is rebuilt from the configuration (`recipes.build_net`) and loaded weights-only;
- random forest: per tree `t<i>/left`, `right`, `feature`, `threshold`, `value` (scikit-learn's
  tree arrays) and `rf/classes`; prediction walks the trees in numpy, exactly as sklearn does
  (float32 features, `x <= threshold` goes left, class probabilities averaged over trees).
"""
from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np

FORMAT = "weartwin-model/1"
MAX_BYTES = 2 << 30


class ModelFileError(ValueError):
    pass


def save(path: Path, recipe, cfg, channels: list[str], classes: list[str], norm: dict, window: int) -> list[Path]:
    path = Path(path)
    meta = {"format": FORMAT, "model": cfg.model, "config": cfg.to_dict(), "channels": list(channels),
            "classes": list(classes), "fps": cfg.fps, "window_s": cfg.window, "stride_s": cfg.stride,
            "window": int(window), "normalization": norm}
    arrays = {}
    if cfg.model == "rf":
        rf = recipe.rf
        arrays["rf/classes"] = np.asarray(rf.classes_, dtype=np.int64)
        for i, est in enumerate(rf.estimators_):
            t = est.tree_
            arrays[f"t{i}/left"] = t.children_left.astype(np.int64)
            arrays[f"t{i}/right"] = t.children_right.astype(np.int64)
            arrays[f"t{i}/feature"] = t.feature.astype(np.int64)
            arrays[f"t{i}/threshold"] = t.threshold.astype(np.float64)
            arrays[f"t{i}/value"] = t.value[:, 0, :].astype(np.float64)
        meta["trees"] = len(rf.estimators_)
    else:
        for k, v in recipe.net.state_dict().items():
            arrays[f"w/{k}"] = v.detach().cpu().numpy()
    arrays["meta"] = np.array(json.dumps(meta))
    from addon.export.atomic import atomic_write

    atomic_write(path, lambda f: np.savez(f, **arrays))
    written = [path]
    if cfg.model != "rf":
        ts = path.with_suffix(".ts")
        if export_torchscript(recipe.net, ts, window, len(channels)):
            written.append(ts)
    return written


def export_torchscript(net, path: Path, window: int, n_channels: int) -> bool:
    import torch

    import warnings

    net = net.cpu().eval()
    try:
        with warnings.catch_warnings():      # shape checks inside nn.LSTM become constants: fine for a fixed window
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            traced = torch.jit.trace(net, torch.zeros(2, window, n_channels), check_trace=False)
        from addon.export.atomic import atomic_write

        atomic_write(path, lambda f: torch.jit.save(traced, f))
        return True
    except Exception as e:     # an architecture tracing cannot follow: the npz still holds the model
        print(f"warning: {path}: TorchScript export failed ({type(e).__name__}: {e})")
        return False


MAX_CLASSES = 10_000
MAX_CHANNELS = 10_000
MAX_WINDOW = 100_000           # samples per window
MAX_TREES = 10_000


def _number(meta: dict, key: str, lo: float, hi: float, integer: bool = False) -> float:
    v = meta.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and int(v) != v):
        raise ModelFileError(f"meta.{key} is {v!r}; expected a{'whole ' if integer else ' '}number")
    if not (math.isfinite(v) and lo <= v <= hi):
        raise ModelFileError(f"meta.{key} is {v!r}; expected {lo:g}..{hi:g}")
    return int(v) if integer else float(v)


def _names(meta: dict, key: str, lo: int, hi: int) -> list[str]:
    v = meta.get(key)
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ModelFileError(f"meta.{key} is not a list of names")
    if not lo <= len(v) <= hi:
        raise ModelFileError(f"meta.{key} has {len(v)} entries; expected {lo}..{hi}")
    return v


def check_meta(meta: dict) -> None:
    """Every number in a model's meta that sizes an allocation or enters the arithmetic, checked
    before anything is built (ModelFileError, one line)."""
    from addon import limits

    if meta.get("model") not in ("rf", "dcl", "resnet", "simpharnet", "multi3net"):
        raise ModelFileError(f"meta.model is {meta.get('model')!r}; not a model WearTwin trains")
    _names(meta, "channels", 1, MAX_CHANNELS)
    _names(meta, "classes", 2, MAX_CLASSES)
    fps = _number(meta, "fps", 1e-3, limits.limit("rate_hz"))
    _number(meta, "window_s", 1e-3, 3600)
    _number(meta, "stride_s", 1e-3, 3600)
    _number(meta, "window", 2, MAX_WINDOW, integer=True)
    if round(meta["window_s"] * fps) > MAX_WINDOW:
        raise ModelFileError(f"meta.window_s x fps is {meta['window_s'] * fps:.0f} samples; the limit is {MAX_WINDOW:,}")
    norm = meta.get("normalization")
    if not isinstance(norm, dict):
        raise ModelFileError("meta.normalization is missing or not an object")
    for k in ("mean", "std"):
        v = norm.get(k)
        try:
            a = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            raise ModelFileError(f"meta.normalization.{k} is not a list of numbers") from None
        if a.shape != (len(meta["channels"]),):
            raise ModelFileError(f"meta.normalization.{k} has shape {a.shape}; the model has {len(meta['channels'])} channels")
        if not np.all(np.isfinite(a)) or (k == "std" and not np.all(a > 0)):
            raise ModelFileError(f"meta.normalization.{k} holds NaN, inf" + (" or a value <= 0" if k == "std" else ""))
    if not isinstance(meta.get("config"), dict):
        raise ModelFileError("meta.config is missing or not an object")


def check_tree(i: int, left, right, feature, threshold, value, n_features: int, n_values: int) -> None:
    """A proper binary tree, as scikit-learn writes one: node 0 is the root; an internal node's
    children come after it (so no walk can cycle) and every other node is the child of exactly
    one node; leaves have no children; features index the feature vector; values are finite."""
    arrs = {"left": left, "right": right, "feature": feature, "threshold": threshold}
    n = len(left)
    for k, a in arrs.items():
        if a.ndim != 1 or len(a) != n:
            raise ModelFileError(f"tree {i}: '{k}' has shape {a.shape}; expected ({n},)")
    if n == 0:
        raise ModelFileError(f"tree {i}: no nodes")
    for k in ("left", "right", "feature"):
        if arrs[k].dtype.kind not in "iu":
            raise ModelFileError(f"tree {i}: '{k}' is not integer")
    if value.shape != (n, n_values) or value.dtype.kind != "f":
        raise ModelFileError(f"tree {i}: 'value' has shape {value.shape}; expected ({n}, {n_values})")
    internal = left != -1
    idx = np.arange(n)
    if np.any((right != -1) != internal):
        raise ModelFileError(f"tree {i}: a node has one child only")
    kids = np.concatenate([left[internal], right[internal]]).astype(np.int64)
    if np.any(kids <= np.concatenate([idx[internal], idx[internal]])) or np.any(kids >= n):
        raise ModelFileError(f"tree {i}: a child index points back up the tree or outside it (a cycle?)")
    if len(kids) != n - 1 or len(np.unique(kids)) != n - 1:
        raise ModelFileError(f"tree {i}: not a tree (a node has several parents, or some are unreachable)")
    f = feature[internal]
    if np.any((f < 0) | (f >= n_features)):
        raise ModelFileError(f"tree {i}: a feature index is outside 0..{n_features - 1}")
    if not np.all(np.isfinite(threshold[internal])) or not np.all(np.isfinite(value)) or np.any(value < 0):
        raise ModelFileError(f"tree {i}: NaN, inf or negative values in its thresholds or leaf values")


class LoadedModel:
    def __init__(self, meta: dict, arrays: dict):
        check_meta(meta)
        self.meta = meta
        self.channels, self.classes = meta["channels"], meta["classes"]
        self.mean = np.asarray(meta["normalization"]["mean"], np.float32)
        self.std = np.asarray(meta["normalization"]["std"], np.float32)
        self.kind = meta["model"]
        if self.kind == "rf":
            n_trees = _number(meta, "trees", 1, MAX_TREES, integer=True)
            self.rf_classes = np.asarray(arrays["rf/classes"])
            if (self.rf_classes.ndim != 1 or self.rf_classes.dtype.kind not in "iu" or not len(self.rf_classes)
                    or np.any(self.rf_classes < 0) or np.any(self.rf_classes >= len(self.classes))):
                raise ModelFileError(f"'rf/classes' must be indices into the {len(self.classes)} classes")
            from ..training.recipes import window_features

            n_features = window_features(np.zeros((1, 2, len(self.channels)), np.float32)).shape[1]
            self.trees = [(arrays[f"t{i}/left"], arrays[f"t{i}/right"], arrays[f"t{i}/feature"],
                           arrays[f"t{i}/threshold"], arrays[f"t{i}/value"]) for i in range(n_trees)]
            for i, t in enumerate(self.trees):
                check_tree(i, *t, n_features=n_features, n_values=len(self.rf_classes))
        else:
            import torch

            from ..config import CONFIGS
            from ..training.recipes import build_net

            cfg = CONFIGS[self.kind].from_dict({k: v for k, v in meta["config"].items() if k != "model"})
            state = {k[2:]: v for k, v in arrays.items() if k.startswith("w/")}
            # the network is first built without memory (meta device) and its every parameter's
            # shape checked against the file's weights: a config cannot ask for more than it holds
            with torch.device("meta"):
                shape_only = build_net(cfg, len(self.channels), len(self.classes), meta["window"])
            want = {k: tuple(v.shape) for k, v in shape_only.state_dict().items()}
            del shape_only
            missing = set(want) - set(state)
            if missing:
                raise ModelFileError(f"missing weights {sorted(missing)[:3]}")
            wrong = [k for k in want if tuple(state[k].shape) != want[k]]
            if wrong:
                k = wrong[0]
                raise ModelFileError(f"weight '{k}' has shape {tuple(state[k].shape)}; the configuration "
                                     f"builds {want[k]}")
            if any(v.dtype.kind == "f" and not np.all(np.isfinite(v)) for v in state.values()):
                raise ModelFileError("NaN or inf in the weights")
            self.net = build_net(cfg, len(self.channels), len(self.classes), meta["window"])
            self.net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
            self.net.eval()

    def proba(self, x_raw: np.ndarray) -> np.ndarray:
        """Class probabilities (N, K) of windows in physical units (N, W, C)."""
        x = ((x_raw - self.mean) / self.std).astype(np.float32)
        if self.kind == "rf":
            from ..training.recipes import window_features

            f = window_features(x).astype(np.float32)
            out = np.zeros((len(x), len(self.classes)))
            for left, right, feat, thr, value in self.trees:
                node = np.zeros(len(f), dtype=np.int64)
                active = left[node] != -1
                while active.any():
                    n = node[active]
                    go_left = f[active, feat[n]] <= thr[n]
                    node[active] = np.where(go_left, left[n], right[n])
                    active = left[node] != -1
                v = value[node]
                out[:, self.rf_classes] += v / np.maximum(v.sum(1, keepdims=True), 1e-300)
            return out / len(self.trees)
        import torch

        with torch.no_grad():
            logits = np.concatenate([self.net(torch.from_numpy(x[i:i + 512])).float().numpy()
                                     for i in range(0, len(x), 512)]) if len(x) else np.zeros((0, len(self.classes)))
        e = np.exp(logits - logits.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)


def load(path: Path) -> LoadedModel:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file" if not path.exists() else
                             f"{path}: not a file (the model is RUN/model.npz of `weartwin train ... --final`)")
    try:
        from addon import limits

        cap = min(MAX_BYTES, int(limits.limit("input_bytes")))
        if path.stat().st_size > cap:
            raise ModelFileError(f"{path}: larger than {cap:,} bytes (WEARTWIN_MAX_INPUT_BYTES)")
        with zipfile.ZipFile(path) as zf:       # declared sizes, before anything is decompressed
            if sum(i.file_size for i in zf.infolist()) > cap:
                raise ModelFileError(f"{path}: unpacks to more than {cap:,} bytes (WEARTWIN_MAX_INPUT_BYTES)")
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
    except ModelFileError:
        raise
    except zipfile.LargeZipFile as e:
        raise ModelFileError(f"{path}: not a WearTwin model file ({e})") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: not a WearTwin model file ({type(e).__name__}: "
                             f"{str(e).splitlines()[0][:100] if str(e) else ''})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a WearTwin model file (format {meta.get('format') if isinstance(meta, dict) else '?'})")
    try:
        return LoadedModel(meta, arrays)
    except ModelFileError as e:
        raise ModelFileError(f"{path}: broken model file ({e})") from None
    except (KeyError, ValueError, RuntimeError, TypeError, AttributeError, IndexError, OverflowError) as e:
        raise ModelFileError(f"{path}: broken model file ({type(e).__name__}: {str(e).splitlines()[0][:120] if str(e) else ''})") from None
