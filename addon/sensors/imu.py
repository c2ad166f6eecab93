"""Virtual IMU physics: pure functions on numpy arrays (no Blender).

A sensor is a rigid frame (origin p(t), orientation R_ws(t) whose columns are the sensor's
x, y, z axes in the world). It measures
- specific force  f = R_wsᵀ (a_world − g),  g = (0, 0, −9.81) m/s² in the Z-up world, so a
  sensor at rest reads +9.81 m/s² along its up-pointing axis;
- angular velocity in the sensor frame, from the relative rotation of neighbouring frames:
  ω(t) = log(R(t−1)ᵀ R(t+1)) / 2Δt (one-sided at the ends), exact for constant rotation rate.

Derivatives (`BandFilter`, used by the bake): the central second difference of p(t) and the
central log-difference above, each followed by a zero-phase FIR low-pass that also undoes the
difference's own high-frequency loss: gain within 1% of 1 up to 0.9 × `passband`, 0.95 at
`passband`, below 5% from `stopband` on. The band is set from the rates:

    passband = min(20 Hz, 0.8 × source Nyquist, 0.8 × output Nyquist),
    stopband = min(passband + max(2 Hz, passband / 4), output Nyquist)

20 Hz bounds human movement (accelerations of daily activity lie within 0–20 Hz: Mathie et
al. 2004, Physiol. Meas. 25:R1; Bouten et al. 1997, IEEE TBME 44:136); above the source's
Nyquist frequency a mocap clip holds no information, only interpolation. So a 120 fps AMASS
clip baked at 60 Hz keeps 0–20 Hz, a 20 fps HumanML3D clip 0–8 Hz. (The former 0.1 s
Savitzky–Golay window kept 37% at 10 Hz and nothing at 15 Hz.) The DC gain is exactly 1:
constant accelerations and rotation rates come out exact. Ends: the signal is continued by
its odd reflection about the end point with the even-order part restored from a
least-squares fit over the last 0.25 s (`_extend`), exact for cubic positions / linear ω, so
the first/last readings carry no amplified jitter (the Savitzky–Golay ends were ~3× noisier).

`smoothing_window` + an int window is the former Savitzky–Golay path, kept for comparison
(`--imu-smoothing S` > 0).
"""
from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np

from ..motion.rotations import matrix_to_axis_angle

GRAVITY = np.array([0.0, 0.0, -9.81])
POLYORDER = 3


def smoothing_window(fps: float, seconds: float = 0.1) -> int:
    """Odd window length (samples) of about `seconds`, at least polyorder + 2."""
    n = int(round(seconds * fps))
    n = max(n, POLYORDER + 2)
    return n if n % 2 else n + 1


def frame_from_points(origin: np.ndarray, along: np.ndarray, side: np.ndarray,
                      outward: np.ndarray | None = None) -> np.ndarray:
    """Sensor orientations (T,3,3) from three points per frame (T,3) each.

    x: origin -> along; z: normal of the triangle (origin, along, side), flipped to agree with
    `outward` when given; y = z × x. Columns are the axes in world coordinates.
    """
    x = along - origin
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    z = np.cross(x, side - origin)
    z /= np.linalg.norm(z, axis=-1, keepdims=True)
    if outward is not None:
        flip = np.sum(z * outward, axis=-1) < 0
        z[flip] *= -1
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=-1)


HUMAN_BAND_HZ = 20.0
EDGE_SECONDS = 0.25


@dataclass(frozen=True)
class BandFilter:
    """Zero-phase derivative filter with a documented pass band (see the module docstring)."""

    fps: float
    passband: float
    stopband: float

    @classmethod
    def for_rates(cls, fps: float, source_fps: float | None = None,
                  passband: float | None = None) -> "BandFilter":
        nyq = fps / 2.0
        src_nyq = (source_fps or fps) / 2.0
        fp = passband if passband else min(HUMAN_BAND_HZ, 0.8 * src_nyq, 0.8 * nyq)
        fp = min(fp, 0.8 * nyq)
        fs = min(fp + max(2.0, fp / 4.0), nyq)
        return cls(float(fps), float(fp), float(fs))

    @property
    def taps(self) -> int:
        """Odd FIR length for the transition (Hamming window: Δf ≈ 3.3 fs / N)."""
        n = int(np.ceil(3.3 * self.fps / max(self.stopband - self.passband, 1e-3)))
        return n + 1 - n % 2

    def kernel(self, order: int) -> np.ndarray:
        """FIR (odd length, symmetric) that follows a central difference of `order` 1 or 2:
        gain = 1/H_diff(f) in the pass band (H_diff = sin x / x or (sin(x/2)/(x/2))², x = 2πf/fs),
        a raised-cosine taper to 0 at the stop band, DC gain exactly 1."""
        return _kernel(self.fps, self.passband, self.stopband, self.taps, order)

    def describe(self) -> dict:
        return {"kind": "central difference + zero-phase FIR low-pass (Hamming)",
                "passband_hz": round(self.passband, 3), "stopband_hz": round(self.stopband, 3),
                "taps": self.taps, "edges": f"odd reflection + least-squares quadratic/linear over {EDGE_SECONDS} s"}


_KERNELS: dict = {}


def _kernel(fps, fp, fs, taps, order):
    key = (fps, fp, fs, taps, order)
    if key not in _KERNELS:
        nyq = fps / 2.0
        f = np.linspace(0.0, nyq, 2049)
        x = 2 * np.pi * f / fps
        if order == 1:
            inv = np.where(x > 1e-9, x / np.maximum(np.sin(x), 1e-9), 1.0)
        else:
            inv = np.where(x > 1e-9, ((x / 2) / np.maximum(np.sin(x / 2), 1e-9)) ** 2, 1.0)
        taper = np.clip((fs - f) / max(fs - fp, 1e-9), 0.0, 1.0)
        taper = np.where(f <= fp, 1.0, 0.5 - 0.5 * np.cos(np.pi * taper))
        gain = np.where(f >= fs, 0.0, inv * taper)
        gain[-1] = 0.0  # type I FIR: any gain at Nyquist is allowed, but keep it clean
        h = _firwin2_hamming(taps, f, gain, fps)
        _KERNELS[key] = h / h.sum()
    return _KERNELS[key]


# The band filter in numpy: importing scipy.signal costs ~0.4 s of every bake's start-up.
# `tests/test_imu_filter.py` checks both against scipy.signal (firwin2, oaconvolve) for many rates:
# equal to float64 precision (numpy's and scipy's FFTs round differently in the last bit).

def _firwin2_hamming(numtaps: int, freq: np.ndarray, gain: np.ndarray, fs: float) -> np.ndarray:
    """`scipy.signal.firwin2(numtaps, freq, gain, fs=fs, window="hamming")` for an odd `numtaps`
    and strictly increasing `freq` from 0 to fs/2, step by step: the gain interpolated on a
    uniform grid of 2^k + 1 frequencies, phase-shifted so the first `numtaps` samples of its
    inverse real FFT are the filter, times the symmetric Hamming window."""
    nyq = 0.5 * fs
    nfreqs = 1 + 2 ** int(math.ceil(math.log(numtaps, 2)))
    x = np.linspace(0.0, nyq, nfreqs)
    fx = np.interp(x, freq, gain)
    shift = np.exp(-(numtaps - 1) / 2. * 1j * np.pi * x / nyq)
    out_full = np.fft.irfft(fx * shift)
    fac = np.linspace(-np.pi, np.pi, numtaps)       # Hamming: 0.54 + 0.46 cos(fac), as scipy sums it
    window = np.zeros(numtaps)
    window += 0.54 * np.cos(0 * fac)
    window += 0.46 * np.cos(1 * fac)
    return out_full[:numtaps] * window


def _fft_size(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n (a fast FFT length)."""
    best = 1 << max(n - 1, 0).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _extend(x: np.ndarray, n: int, degree: int, m: int) -> np.ndarray:
    """x (T,C) extended by n samples at both ends: the odd reflection about the end point
    (2·x₀ − x_k, exact for odd-order terms), with the even-order term restored from a
    least-squares polynomial fitted to the first/last m samples (degree 2: + x''·k², pivot the
    end sample; degree 1: pivot the fitted end value). Exact up to cubic (degree 2) / linear
    (degree 1) signals; the edge readings see the fit, not single noisy samples. Falls back to
    evaluating the fitted polynomial when the signal is shorter than n + 1."""
    T = len(x)
    deg = min(degree, T - 1)
    m = min(max(m, deg + 1), T)
    k = np.arange(m, dtype=float)
    V = np.vander(k, deg + 1)
    head = np.linalg.lstsq(V, x[:m], rcond=None)[0]
    tail = np.linalg.lstsq(V, x[T - m:][::-1], rcond=None)[0]  # fitted outward from the end
    if T <= n or deg < degree:
        before = np.vander(np.arange(-n, 0, dtype=float), deg + 1) @ head
        after = np.vander(-np.arange(1, n + 1, dtype=float), deg + 1) @ tail
        return np.concatenate([before, x, after])
    kk = np.arange(1, n + 1, dtype=float)[:, None]
    if degree == 2:
        before = 2 * x[0] - x[1:n + 1] + 2 * head[0] * kk ** 2
        after = 2 * x[-1] - x[-2:-n - 2:-1] + 2 * tail[0] * kk ** 2
    else:
        before = 2 * head[-1] - x[1:n + 1]
        after = 2 * tail[-1] - x[-2:-n - 2:-1]
    return np.concatenate([before[::-1], x, after])


def _lowpass(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Zero-phase FIR (symmetric h) along axis 0 of an already extended signal; the 'valid' part
    of the convolution (`scipy.signal.oaconvolve(x, h[:, None], "valid", axes=0)`), by one FFT of
    a length >= len(x): the circular wrap-around touches only the discarded first len(h) - 1."""
    n, m = len(x), len(h)
    size = _fft_size(n)
    y = np.fft.irfft(np.fft.rfft(x, size, axis=0) * np.fft.rfft(h, size)[:, None], size, axis=0)
    return y[m - 1:n]


def world_acceleration(positions: np.ndarray, filt: BandFilter) -> np.ndarray:
    """(T,3) band-limited second derivative of positions (T,3), m/s²."""
    h = filt.kernel(2)
    n = len(h) // 2 + 1
    ext = _extend(np.asarray(positions, float), n, 2, int(EDGE_SECONDS * filt.fps))
    d2 = (ext[2:] - 2 * ext[1:-1] + ext[:-2]) * filt.fps ** 2
    return _lowpass(d2, h)


def specific_force(positions: np.ndarray, rotations: np.ndarray, fps: float,
                   window: "int | BandFilter") -> np.ndarray:
    """(T,3) accelerometer reading in the sensor frame, m/s². `window`: a `BandFilter` (the
    bake) or an odd Savitzky–Golay window in samples (the former method)."""
    if isinstance(window, BandFilter):
        a_world = world_acceleration(positions, window)
    else:
        from scipy.signal import savgol_filter

        window = min(window, _largest_odd(len(positions)))
        a_world = savgol_filter(positions, window, min(POLYORDER, window - 1), deriv=2,
                                delta=1.0 / fps, axis=0, mode="interp")
    return np.einsum("tji,tj->ti", rotations, a_world - GRAVITY)


def angular_velocity(rotations: np.ndarray, fps: float, window: "int | BandFilter | None" = None) -> np.ndarray:
    """(T,3) gyroscope reading in the sensor frame, rad/s."""
    T = len(rotations)
    prev = np.concatenate([rotations[:1], rotations[:-2], rotations[-2:-1]])
    nxt = np.concatenate([rotations[1:2], rotations[2:], rotations[-1:]])
    span = np.full(T, 2.0)
    span[0] = span[-1] = 1.0
    rel = np.swapaxes(prev, -1, -2) @ nxt
    w = matrix_to_axis_angle(rel) * (fps / span)[:, None]
    if isinstance(window, BandFilter):
        h = window.kernel(1)
        n = len(h) // 2
        # the one-sided end values are replaced by the linear extension of the interior
        inner = w[1:-1] if T >= 4 else w
        ext = _extend(inner, n + (1 if T >= 4 else 0), 1, int(EDGE_SECONDS * fps))
        return _lowpass(ext, h)
    if window and T >= 5:
        from scipy.signal import savgol_filter

        window = min(window, _largest_odd(T))
        w = savgol_filter(w, window, min(POLYORDER, window - 1), axis=0, mode="interp")
    return w


def _largest_odd(n: int) -> int:
    return n if n % 2 else n - 1


@dataclass
class ImuNoise:
    """A MEMS error model, seeded for reproducibility: per recording a constant bias and a
    per-axis scale error, per sample white noise of the datasheet noise density over the
    output band (fps/2), then saturation at the range and quantization to `bits`.

    Datasheet "±" offsets are taken as 3σ of the bias distribution. The defaults (used by
    `ImuNoise(enabled=True)`) are the `phone` preset. Presets: `NOISE_PRESETS`.
    """

    enabled: bool = False
    acc_noise_density: float = 180e-6 * 9.81       # m/s²/√Hz
    gyro_noise_density: float = np.radians(0.007)  # rad/s/√Hz
    acc_bias_sd: float = 0.040 * 9.81 / 3          # m/s², constant per recording
    gyro_bias_sd: float = np.radians(3.0) / 3      # rad/s
    scale_error_sd: float = 0.01 / 3               # relative, per axis
    acc_range: float = 16 * 9.81
    gyro_range: float = np.radians(2000)
    bits: int = 16
    name: str = "phone"

    def describe(self) -> dict:
        if not self.enabled:
            return {"preset": "none"}
        return {"preset": self.name, "acc_noise_density_ug_rthz": round(self.acc_noise_density / 9.81e-6, 2),
                "gyro_noise_density_dps_rthz": round(float(np.degrees(self.gyro_noise_density)), 5),
                "acc_bias_sd_mg": round(self.acc_bias_sd / 9.81e-3, 3),
                "gyro_bias_sd_dps": round(float(np.degrees(self.gyro_bias_sd)), 4),
                "scale_error_sd": self.scale_error_sd, "acc_range_g": round(self.acc_range / 9.81, 2),
                "gyro_range_dps": round(float(np.degrees(self.gyro_range))), "bits": self.bits,
                "source": NOISE_SOURCES.get(self.name, "")}

    def apply(self, acc: np.ndarray, gyro: np.ndarray, fps: float, rng: np.random.Generator):
        if not self.enabled:
            return acc, gyro
        out = []
        for x, density, bias_sd, rng_max in ((acc, self.acc_noise_density, self.acc_bias_sd, self.acc_range),
                                             (gyro, self.gyro_noise_density, self.gyro_bias_sd, self.gyro_range)):
            scale = 1.0 + rng.normal(0, self.scale_error_sd, 3)
            bias = rng.normal(0, bias_sd, 3)
            white = rng.normal(0, density * np.sqrt(fps / 2.0), x.shape)
            y = np.clip(x * scale + bias + white, -rng_max, rng_max)
            lsb = 2 * rng_max / 2 ** self.bits
            out.append(np.round(y / lsb) * lsb)
        return out[0], out[1]


_G, _DPS = 9.81, np.radians(1.0)
# Device classes. Typical datasheet values; "±" offsets read as 3σ.
NOISE_PRESETS: dict[str, ImuNoise] = {
    # ST LSM6DSO (DS12140): acc noise density 70 µg/√Hz (high-performance mode), gyro rate
    # noise density 3.8 mdps/√Hz, zero-g offset ±20 mg, zero-rate level ±1 dps, sensitivity
    # tolerance ±1%; a watch runs it at ±8 g, ±2000 dps, 16 bit. The IMU class of current
    # Wear OS watches.
    "smartwatch": ImuNoise(True, 70e-6 * _G, 3.8e-3 * _DPS, 0.020 * _G / 3, 1.0 * _DPS / 3, 0.01 / 3,
                           8 * _G, 2000 * _DPS, 16, "smartwatch"),
    # Bosch BMI160 (BST-BMI160-DS000-07): acc 180 µg/√Hz, gyro 0.007 °/s/√Hz, zero-g offset
    # ±40 mg, zero-rate offset ±3 °/s, sensitivity tolerance ±1%, ±16 g, ±2000 °/s, 16 bit:
    # a phone / older-watch class IMU.
    "phone": ImuNoise(True, 180e-6 * _G, 0.007 * _DPS, 0.040 * _G / 3, 3.0 * _DPS / 3, 0.01 / 3,
                      16 * _G, 2000 * _DPS, 16, "phone"),
    # A research IMU after its per-unit calibration (the way lab sensors such as Xsens or
    # Shimmer units are delivered/used): the LSM6DSO-class noise density, with offsets and
    # scale calibrated down to residuals of 2 mg, 0.1 °/s and 0.1%.
    "research-grade": ImuNoise(True, 70e-6 * _G, 3.8e-3 * _DPS, 0.002 * _G, 0.1 * _DPS, 0.001,
                               16 * _G, 2000 * _DPS, 16, "research-grade"),
}
NOISE_SOURCES = {
    "smartwatch": "ST LSM6DSO datasheet DS12140 (typical values)",
    "phone": "Bosch BMI160 datasheet BST-BMI160-DS000-07 (typical values)",
    "research-grade": "LSM6DSO-class noise density; offsets/scale after per-unit calibration (assumed residuals)",
}
from ..config import NOISE_CHOICES  # noqa: E402 - the choices are owned by BakeConfig

assert NOISE_CHOICES == ("none",) + tuple(NOISE_PRESETS), "addon/config.py NOISE_CHOICES and NOISE_PRESETS differ"


def noise_preset(value) -> ImuNoise:
    """The noise model for a `--imu-noise` value: a preset name, or a bool (True: smartwatch,
    the former on/off switch)."""
    if value is True:
        value = "smartwatch"
    if value in (None, False, "", "none", "off"):
        return ImuNoise(enabled=False, name="none")
    if value not in NOISE_PRESETS:
        raise ValueError(f"unknown IMU noise preset '{value}' (choices: {', '.join(NOISE_CHOICES)})")
    return NOISE_PRESETS[value]
