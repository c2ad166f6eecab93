"""Resampling, windowing, channel mapping and calibration on data with known answers."""
from __future__ import annotations

import numpy as np
import pytest

from ml.data import DataError, QuantileCalibration, Sequence, Standardizer, channel_names, extract, make_windows
from ml.data.resample import resample
from ml.data.sequence import imu_sequence


def _seq(n=500, fps=100.0, subject="a", labels=None):
    t = np.arange(n) / fps
    acc = np.column_stack([np.sin(2 * np.pi * t), np.zeros(n), np.full(n, 9.81)])
    gyro = np.column_stack([np.zeros(n), np.zeros(n), np.full(n, 2.0)])
    return imu_sequence(acc, gyro, fps, labels if labels is not None else "walk", subject)


def test_resample_keeps_signal_and_labels():
    labels = np.array(["a"] * 250 + ["b"] * 250, dtype=object)
    s = resample(_seq(labels=labels), 50.0)
    assert s.fps == 50.0 and len(s) == 250
    t = np.arange(len(s)) / 50.0
    assert np.allclose(s.data[:, 0], np.sin(2 * np.pi * t), atol=1e-3)
    assert s.labels[124] == "a" and s.labels[126] == "b"


def test_irregular_timestamps_to_grid():
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.uniform(0.009, 0.011, 1000))
    s = imu_sequence(np.column_stack([t, t, t]), None, t, "x", "s")
    assert s.fps == pytest.approx(100.0, rel=0.02)
    grid = t[0] + np.arange(len(s)) / s.fps
    assert np.allclose(s.data[:, 0], grid, atol=1e-4)          # linear signal interpolates exactly


def test_windows_majority_label_and_purity():
    labels = np.array(["a"] * 230 + ["b"] * 270, dtype=object)
    w = make_windows([_seq(labels=labels)], channel_names("imu"), fps=100, window_s=1.0, stride_s=0.5,
                     site_map={"wrist": "left_wrist"})
    assert w.x.shape == (9, 100, 6) and w.classes == ["a", "b"]
    # window [200,300): 30 a / 70 b -> b; window [150,250): 80 a -> a
    assert w.classes[w.y[3]] == "a" and w.classes[w.y[4]] == "b"
    un = np.array([""] * 500, dtype=object)
    with pytest.raises(DataError, match="no labelled windows"):
        make_windows([_seq(labels=un)], channel_names("imu"), fps=100, window_s=1.0)


def test_channel_mapping_and_orientation_invariance():
    s = _seq()
    names = channel_names("imu_mag", sites=["left_wrist"])
    a, present = extract(s, names)                              # wrist -> left_wrist by default
    assert present.all() and np.allclose(a[:, 1], 2.0)
    # rotate the device on the wrist: magnitudes do not change
    R = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))[0]
    rot = Sequence(np.concatenate([s.data[:, :3] @ R.T, s.data[:, 3:] @ R.T], 1), s.channels, s.fps, s.labels, "a")
    b, _ = extract(rot, names)
    assert np.allclose(a, b, atol=1e-4)
    with pytest.raises(DataError, match="no channel 'right_wrist.acc_x'"):
        extract(s, channel_names("imu", sites=["right_wrist"]))
    z, present = extract(s, channel_names("imu", sites=["left_wrist", "right_wrist"]), fill_missing=True)
    assert present[:6].all() and not present[6:].any() and (z[:, 6:] == 0).all()
    a2, _ = extract(s, channel_names("acc", sites=["right_wrist"]), site_map={"wrist": "right_wrist"})
    assert np.allclose(a2[:, 2], 9.81)


def test_quantile_calibration_matches_distributions():
    rng = np.random.default_rng(0)
    sim = rng.normal(0, 1, (400, 50, 2)).astype(np.float32)
    real = np.stack([rng.normal(5, 2, (300, 50)), rng.exponential(1.0, (300, 50))], -1).astype(np.float32)
    out = QuantileCalibration().fit(sim, real).transform(sim)
    for c in range(2):
        q = np.linspace(0.05, 0.95, 10)
        assert np.allclose(np.quantile(out[..., c], q), np.quantile(real[..., c], q), atol=0.1)
    # per class: each class gets its own map
    ys, yr = rng.integers(0, 2, 400), rng.integers(0, 2, 300)
    real2 = real.copy()
    real2[yr == 1] += 10
    out2 = QuantileCalibration(per_class=True).fit(sim, real2, ys, yr).transform(sim, ys)
    assert out2[ys == 1, :, 0].mean() - out2[ys == 0, :, 0].mean() == pytest.approx(10, abs=0.5)


def test_standardizer():
    x = np.random.default_rng(0).normal(3, 2, (100, 20, 4)).astype(np.float32)
    z = Standardizer().fit(x).transform(x)
    assert np.allclose(z.reshape(-1, 4).mean(0), 0, atol=1e-4) and np.allclose(z.reshape(-1, 4).std(0), 1, atol=1e-3)
