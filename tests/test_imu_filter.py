"""The IMU band filter's numpy implementation (`addon/sensors/imu.py`) against scipy.signal, which
it replaced to keep scipy.signal's ~0.4 s import out of every bake's start-up: the filter must
not change. Equal to float64 precision (a few units in the last place of the signal's scale;
numpy's and scipy's FFTs round differently), far below the float32 the exports store."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import firwin2, oaconvolve

from addon.sensors.imu import (EDGE_SECONDS, BandFilter, _extend, _fft_size, _kernel, _lowpass, specific_force,
                               world_acceleration)

EPS = np.finfo(float).eps
# (output fps, source fps): AMASS 120 -> 60/100/200, HumanML3D 20, Bandai 30, phones 50, odd rates, 1 kHz
RATES = [(60, 120), (60, None), (100, 120), (50, 20), (30, None), (200, 120), (1000, 120), (25, 250),
         (120, 30), (17, None), (59.94, 29.97)]


def scipy_kernel(b: BandFilter, order: int) -> np.ndarray:
    """`_kernel` as it was written with scipy.signal.firwin2 (the reference)."""
    f = np.linspace(0.0, b.fps / 2.0, 2049)
    x = 2 * np.pi * f / b.fps
    if order == 1:
        inv = np.where(x > 1e-9, x / np.maximum(np.sin(x), 1e-9), 1.0)
    else:
        inv = np.where(x > 1e-9, ((x / 2) / np.maximum(np.sin(x / 2), 1e-9)) ** 2, 1.0)
    taper = np.clip((b.stopband - f) / max(b.stopband - b.passband, 1e-9), 0.0, 1.0)
    taper = np.where(f <= b.passband, 1.0, 0.5 - 0.5 * np.cos(np.pi * taper))
    gain = np.where(f >= b.stopband, 0.0, inv * taper)
    gain[-1] = 0.0
    h = firwin2(b.taps, f, gain, fs=b.fps, window="hamming")
    return h / h.sum()


@pytest.mark.parametrize("fps,source", RATES)
@pytest.mark.parametrize("order", [1, 2])
def test_kernel_equals_scipy_firwin2(fps, source, order):
    b = BandFilter.for_rates(fps, source)
    ref = scipy_kernel(b, order)
    h = _kernel(b.fps, b.passband, b.stopband, b.taps, order)
    assert h.shape == ref.shape
    np.testing.assert_allclose(h, ref, rtol=0, atol=8 * EPS * np.abs(ref).max())
    assert abs(h.sum() - 1.0) < 8 * EPS


@pytest.mark.parametrize("fps,source", RATES)
def test_lowpass_equals_scipy_oaconvolve(fps, source):
    rng = np.random.default_rng(int(fps))
    h = BandFilter.for_rates(fps, source).kernel(2)
    for n in (len(h), len(h) + 1, len(h) + 37, 3601, 20011):
        x = rng.normal(0.0, 30.0, (n, 3)) + np.array([0.0, 0.0, 9.81])
        ref = oaconvolve(x, h[:, None], mode="valid", axes=0)
        y = _lowpass(x, h)
        assert y.shape == ref.shape == (n - len(h) + 1, 3)
        np.testing.assert_allclose(y, ref, rtol=0, atol=16 * EPS * np.abs(x).max())


@pytest.mark.parametrize("fps,source", [(60, 120), (100, 20), (200, None)])
def test_acceleration_equals_the_scipy_filter(fps, source):
    """End to end: the band-limited acceleration of a smooth path with the numpy filter and with
    the same steps on scipy's kernel and convolution."""
    b = BandFilter.for_rates(fps, source)
    t = np.arange(int(4 * fps)) / fps
    pos = np.stack([0.3 * np.sin(2 * np.pi * 1.3 * t), 0.2 * np.cos(2 * np.pi * 0.7 * t), 0.05 * t ** 2], 1)
    h = scipy_kernel(b, 2)
    ext = _extend(pos, len(h) // 2 + 1, 2, int(EDGE_SECONDS * fps))
    ref = oaconvolve((ext[2:] - 2 * ext[1:-1] + ext[:-2]) * fps ** 2, h[:, None], mode="valid", axes=0)
    acc = world_acceleration(pos, b)
    np.testing.assert_allclose(acc, ref, rtol=0, atol=64 * EPS * np.abs(ref).max())
    rot = np.broadcast_to(np.eye(3), (len(t), 3, 3))
    np.testing.assert_allclose(specific_force(pos, rot, fps, b), acc + [0, 0, 9.81], rtol=0, atol=1e-12)


def test_fft_size_is_the_smallest_5_smooth_length():
    def smooth(m):
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        return m == 1

    for n in list(range(1, 3000)) + [20011, 65537, 360001]:
        m = _fft_size(n)
        assert m >= n and smooth(m)
        assert not any(smooth(k) for k in range(n, m)), n
