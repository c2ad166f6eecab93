"""Calibration of simulated impedance onto a real device ("neural calibration" of Pose2Imp).

`weartwin calibrate` fits, from paired recordings (a simulated export + the device's measured
CSV with time stamps, aligned by time), a map from simulated features to measured |Z| and
phase:
- `affine`: least squares on the standardized features;
- `cnn` (default): the affine map plus a small non-causal 1-D CNN residual (two dilated
  convolutions, 32 channels, ±0.5 s receptive field at 60 Hz) that learns nonlinear and
  temporal effects (electrode settling, sweat, device filtering). Trained with PyTorch in
  `ml/calibration/impedance.py` (`fit`); this module only reads the data, and loads and
  applies a calibration with numpy (the add-on never needs torch or training code).

Features per sample (`FEATURES`): simulated |Z| and phase, path length, geometry factor,
smallest and mean cross-section, contact flag, and the rates of change of |Z| and length.
The calibration file is an `.npz` of plain arrays plus JSON (no pickles).
Measured CSV: columns `t` (s) and `mag` (ohm), optionally `phase` (degrees); the simulated
export and the CSV share a time origin (shift with `--time-offset`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FEATURES = ("mag", "phase", "length", "kfactor", "area_min", "area_mean", "contact", "dmag", "dlength")
TARGETS = ("mag", "phase")
KERNEL, DILATIONS, HIDDEN = 9, (1, 4), 32


class CalibrationError(ValueError):
    pass


def features_from_channels(ch: dict, fps: float, freq_index: int = 0) -> np.ndarray:
    """(T, len(FEATURES)) from one pair's channels (`imp.<pair>.*` without the prefix)."""
    def col(a):
        a = np.asarray(a, dtype=np.float64)
        return a[:, freq_index] if a.ndim == 2 else a

    mag, ph = col(ch["mag"]), col(ch["phase"])
    need = ("length", "kfactor", "area_min", "area_mean", "contact")
    missing = [k for k in need if k not in ch]
    if missing:
        raise CalibrationError(f"export lacks imp channels {missing} (bake it with this WearTwin version)")
    cols = [mag, ph] + [col(ch[k]) for k in need]
    cols += [np.gradient(mag) * fps if len(mag) > 1 else np.zeros_like(mag),
             np.gradient(col(ch["length"])) * fps if len(mag) > 1 else np.zeros_like(mag)]
    return np.stack(cols, axis=1)


def read_pair(export_path, csv_path, pair: str, time_offset: float = 0.0, freq_index: int = 0):
    """Aligned (features (N,F), targets (N,2) with NaN where no phase) for one recording pair."""
    from ...export.recording import read_export

    arrays, meta = read_export(export_path)
    prefix = f"imp.{pair}."
    ch = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
    if "mag" not in ch:
        pairs = sorted({k.split(".")[1] for k in arrays if k.startswith("imp.")})
        raise CalibrationError(f"{export_path}: no impedance pair '{pair}' (has: {pairs or 'none'})")
    X = features_from_channels(ch, float(meta["fps"]), freq_index)
    t_sim = arrays["t"]
    if not Path(csv_path).is_file():
        raise CalibrationError(f"{csv_path}: no such file" if not Path(csv_path).exists() else
                               f"{csv_path}: not a file")
    try:
        table = np.genfromtxt(csv_path, delimiter=",", names=True)
    except (OSError, ValueError) as e:
        raise CalibrationError(f"{csv_path}: cannot read CSV ({e})") from None
    names = table.dtype.names or ()
    if "t" not in names or "mag" not in names:
        raise CalibrationError(f"{csv_path}: needs columns t and mag (and optionally phase), has {list(names)}")
    t = np.atleast_1d(table["t"]) - time_offset
    keep = (t >= t_sim[0]) & (t <= t_sim[-1]) & np.isfinite(np.atleast_1d(table["mag"]))
    if keep.sum() < 10:
        raise CalibrationError(f"{csv_path}: fewer than 10 measured samples overlap the simulated time span")
    # measured samples -> simulated time grid (keeps the sequence regular for the CNN)
    grid = t_sim[(t_sim >= t[keep].min()) & (t_sim <= t[keep].max())]
    Xg = X[(t_sim >= t[keep].min()) & (t_sim <= t[keep].max())]
    mag = np.interp(grid, t[keep], np.atleast_1d(table["mag"])[keep])
    phase = (np.interp(grid, t[keep], np.atleast_1d(table["phase"])[keep]) if "phase" in names
             else np.full(len(grid), np.nan))
    return Xg, np.stack([mag, phase], axis=1)


# ---- the model --------------------------------------------------------------------------------

def _conv1d(x: np.ndarray, w: np.ndarray, b: np.ndarray, dilation: int) -> np.ndarray:
    """'same' 1-D convolution, x (T,Cin), w (Cout,Cin,K) as in torch.nn.Conv1d."""
    K = w.shape[2]
    pad = dilation * (K - 1) // 2
    xp = np.pad(x, ((pad, pad), (0, 0)), mode="edge")
    T = x.shape[0]
    taps = np.stack([xp[k * dilation:k * dilation + T] for k in range(K)], axis=2)  # (T,Cin,K)
    return np.einsum("tck,ock->to", taps, w) + b


@dataclass
class Calibration:
    kind: str
    pair: str
    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: np.ndarray
    y_std: np.ndarray
    affine_w: np.ndarray            # (F,2)
    affine_b: np.ndarray            # (2,)
    conv: list = field(default_factory=list)  # [(w, b, dilation)]
    has_phase: bool = True
    report: dict = field(default_factory=dict)

    def predict(self, X: np.ndarray) -> np.ndarray:
        z = (X - self.x_mean) / self.x_std
        y = z @ self.affine_w + self.affine_b
        if self.kind == "cnn" and self.conv:
            h = z
            for i, (w, b, d) in enumerate(self.conv):
                h = _conv1d(h, w, b, d)
                if i < len(self.conv) - 1:
                    h = np.maximum(h, 0)
            y = y + h
        return y * self.y_std + self.y_mean

    def save(self, path) -> Path:
        from ...export.atomic import atomic_write

        arrays = {"x_mean": self.x_mean, "x_std": self.x_std, "y_mean": self.y_mean, "y_std": self.y_std,
                  "affine_w": self.affine_w, "affine_b": self.affine_b}
        for i, (w, b, _) in enumerate(self.conv):
            arrays[f"conv{i}_w"], arrays[f"conv{i}_b"] = w, b
        meta = {"format": "weartwin-impedance-calibration", "version": 1, "kind": self.kind, "pair": self.pair,
                "features": list(FEATURES), "targets": list(TARGETS), "has_phase": self.has_phase,
                "dilations": [d for _, _, d in self.conv], "report": self.report}
        arrays["meta"] = np.array(json.dumps(meta))
        atomic_write(Path(path), lambda f: np.savez(f, **arrays))
        return Path(path)

    @classmethod
    def load(cls, path) -> "Calibration":
        try:
            from ...motion.safe_pickle import check_npz

            check_npz(path)  # a calibration file may come from someone else: sizes first
            with np.load(path, allow_pickle=False) as d:
                a = {k: d[k] for k in d.files}
            meta = json.loads(str(a["meta"]))
        except Exception as e:  # noqa: BLE001 - any unreadable file is the same user error
            raise CalibrationError(f"{path}: not a WearTwin calibration file ({e})") from None
        if (not isinstance(meta, dict) or meta.get("format") != "weartwin-impedance-calibration"
                or tuple(meta.get("features") or ()) != FEATURES):
            raise CalibrationError(f"{path}: not a WearTwin calibration file for this version")
        try:
            conv = [(a[f"conv{i}_w"], a[f"conv{i}_b"], d) for i, d in enumerate(meta["dilations"])]
            cal = cls(meta["kind"], meta["pair"], a["x_mean"], a["x_std"], a["y_mean"], a["y_std"],
                      a["affine_w"], a["affine_b"], conv, meta["has_phase"], meta.get("report", {}))
            cal.validate()
        except (KeyError, TypeError, ValueError) as e:
            raise CalibrationError(f"{path}: damaged calibration file ({e})") from None
        return cal

    def validate(self) -> None:
        """Shapes, sizes and values a stranger's file could get wrong (a huge dilation would pad
        the signal by terabytes), checked before anything is computed."""
        F = len(FEATURES)
        if self.kind not in ("affine", "cnn") or not isinstance(self.pair, str):
            raise ValueError("unknown model kind or pair")
        shapes = {"x_mean": (F,), "x_std": (F,), "y_mean": (2,), "y_std": (2,), "affine_w": (F, 2),
                  "affine_b": (2,)}
        for k, shape in shapes.items():
            v = np.asarray(getattr(self, k))
            if v.shape != shape or v.dtype.kind not in "fiu" or not np.all(np.isfinite(v)):
                raise ValueError(f"'{k}' must be {shape} finite numbers")
        if np.any(np.asarray(self.x_std) == 0) or np.any(np.asarray(self.y_std) == 0):
            raise ValueError("zero scale")
        cin = F
        for i, (w, b, d) in enumerate(self.conv):
            w, b = np.asarray(w), np.asarray(b)
            if (w.ndim != 3 or w.shape[1] != cin or not 1 <= w.shape[2] <= 64 or not 1 <= w.shape[0] <= 1024
                    or b.shape != (w.shape[0],) or not isinstance(d, int) or not 1 <= d <= 1024
                    or not (np.all(np.isfinite(w)) and np.all(np.isfinite(b)))):
                raise ValueError(f"convolution {i} has bad shape, kernel, dilation or values")
            cin = w.shape[0]
        if self.conv and cin != 2:
            raise ValueError("the last convolution must give 2 outputs")


def score(cal_or_none, Xs, Ys) -> dict:
    """RMSE of |Z| (ohm) and phase (deg), and R² of |Z|: the raw simulation when `cal_or_none` is None."""
    P = [X[:, :2] if cal_or_none is None else cal_or_none.predict(X) for X in Xs]
    P, Y = np.concatenate(P), np.concatenate(Ys)
    out = {"mag_rmse_ohm": float(np.sqrt(np.mean((P[:, 0] - Y[:, 0]) ** 2))),
           "mag_r2": float(1 - np.mean((P[:, 0] - Y[:, 0]) ** 2) / max(np.var(Y[:, 0]), 1e-12))}
    ok = np.isfinite(Y[:, 1])
    if ok.any():
        out["phase_rmse_deg"] = float(np.sqrt(np.mean((P[ok, 1] - Y[ok, 1]) ** 2)))
    return out


def apply_to_channels(cal: Calibration, ch: dict, fps: float, freq_index: int = 0) -> dict:
    """Calibrated copy of one pair's channels: `mag`/`phase` replaced (at `freq_index`), the
    simulated values kept as `mag_sim`/`phase_sim`."""
    X = features_from_channels(ch, fps, freq_index)
    Y = cal.predict(X)
    out = dict(ch)
    mag, ph = np.array(ch["mag"], dtype=np.float64), np.array(ch["phase"], dtype=np.float64)
    out["mag_sim"], out["phase_sim"] = ch["mag"], ch["phase"]
    if mag.ndim == 2:
        mag[:, freq_index] = Y[:, 0]
        if cal.has_phase:
            ph[:, freq_index] = Y[:, 1]
    else:
        mag = Y[:, 0]
        if cal.has_phase:
            ph = Y[:, 1]
    out["mag"], out["phase"] = mag, ph
    return out
