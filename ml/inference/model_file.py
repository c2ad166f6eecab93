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
import os
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)
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
        tmp = path.with_name(f".{path.name}.part")
        traced.save(str(tmp))
        os.replace(tmp, path)
        return True
    except Exception as e:     # an architecture tracing cannot follow: the npz still holds the model
        print(f"warning: {path}: TorchScript export failed ({type(e).__name__}: {e})")
        return False


class LoadedModel:
    def __init__(self, meta: dict, arrays: dict):
        self.meta = meta
        self.channels, self.classes = meta["channels"], meta["classes"]
        self.mean = np.asarray(meta["normalization"]["mean"], np.float32)
        self.std = np.asarray(meta["normalization"]["std"], np.float32)
        self.kind = meta["model"]
        if self.kind == "rf":
            self.trees = [(arrays[f"t{i}/left"], arrays[f"t{i}/right"], arrays[f"t{i}/feature"],
                           arrays[f"t{i}/threshold"], arrays[f"t{i}/value"]) for i in range(meta["trees"])]
            self.rf_classes = arrays["rf/classes"]
        else:
            import torch

            from ..config import CONFIGS
            from ..training.recipes import build_net

            cfg = CONFIGS[self.kind].from_dict({k: v for k, v in meta["config"].items() if k != "model"})
            self.net = build_net(cfg, len(self.channels), len(self.classes), meta["window"])
            state = {k[2:]: torch.from_numpy(np.array(v)) for k, v in arrays.items() if k.startswith("w/")}
            missing = set(self.net.state_dict()) - set(state)
            if missing:
                raise ModelFileError(f"missing weights {sorted(missing)[:3]}")
            self.net.load_state_dict(state)
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
        if path.stat().st_size > MAX_BYTES:
            raise ModelFileError(f"{path}: larger than {MAX_BYTES >> 30} GiB")
        with zipfile.ZipFile(path) as zf:       # declared sizes, before anything is decompressed
            if sum(i.file_size for i in zf.infolist()) > MAX_BYTES:
                raise ModelFileError(f"{path}: unpacks to more than {MAX_BYTES >> 30} GiB")
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
    except ModelFileError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path}: not a WearTwin model file ({type(e).__name__}: "
                             f"{str(e).splitlines()[0][:100] if str(e) else ''})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a WearTwin model file (format {meta.get('format') if isinstance(meta, dict) else '?'})")
    try:
        return LoadedModel(meta, arrays)
    except (KeyError, ValueError, RuntimeError, TypeError) as e:
        raise ModelFileError(f"{path}: broken model file ({type(e).__name__}: {str(e)[:120]})") from None
