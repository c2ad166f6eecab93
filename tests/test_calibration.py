"""Pose2Imp calibration: recover a known nonlinear, temporal map from synthetic paired
recordings (no public recorded impedance data exists), through the API and `weartwin calibrate`,
then apply it in a real bake with `--calibration`."""
from __future__ import annotations

import numpy as np
import pytest

from addon.export.recording import Recording, read_export, write_npz
from addon.sensors.impedance.calibration import Calibration, CalibrationError, read_pair, score
from ml.calibration.impedance import fit
from tests.conftest import run_cli

FPS = 60.0


def _smooth(rng, T, scale_s):
    x = rng.normal(size=T + 200)
    k = np.exp(-0.5 * (np.arange(-100, 101) / (scale_s * FPS)) ** 2)
    return np.convolve(x, k / np.sqrt((k ** 2).sum()), mode="same")[100:-100]


def _lowpass(x, tau_s):
    a = 1 - np.exp(-1 / (tau_s * FPS))
    y = np.empty_like(x)
    acc = x[0]
    for i, v in enumerate(x):
        acc += a * (v - acc)
        y[i] = acc
    return y


def synthetic_pair(tmp_path, k, T=900):
    """A simulated export and the 'device' CSV: |Z| through a saturating nonlinearity of path
    length, contact with electrode settling (low-pass), phase from the rate of change."""
    rng = np.random.default_rng(k)
    L = 1.0 + 0.12 * _smooth(rng, T, 0.4)
    contact = (_smooth(rng, T, 0.5) > 1.0).astype(float)
    L = np.where(contact > 0, 0.3 + 0.05 * L, L)
    area = 0.01 + 0.002 * _smooth(rng, T, 0.6)
    K = L / area * 2.2
    mag = 1.69 * K + rng.normal(0, 2, T)
    phase = -7 - 3 * contact + rng.normal(0, 0.2, T)
    rec = Recording(t=np.arange(T) / FPS)
    rec.imp["wrist_wrist"] = {"mag": mag, "phase": phase, "length": L, "kfactor": K, "area_min": area * 0.5,
                              "area_mean": area, "contact": contact}
    rec.meta = {"fps": FPS}
    sim = write_npz(rec, tmp_path / f"sim{k}.npz")
    dL = np.gradient(L) * FPS
    meas_mag = 150 + 0.5 * mag + 80 * np.tanh((L - 1.0) / 0.04) + 0.01 * (mag - 370) ** 2 - 40 * _lowpass(contact, 0.1)
    meas_phase = -5 + 0.5 * phase - 4 * np.tanh(dL / 0.5)
    t_dev = np.arange(0, T / FPS, 1 / 50.0)  # the device samples at 50 Hz
    csv = tmp_path / f"meas{k}.csv"
    np.savetxt(csv, np.c_[t_dev, np.interp(t_dev, rec.t, meas_mag), np.interp(t_dev, rec.t, meas_phase)],
               delimiter=",", header="t,mag,phase", comments="")
    return sim, csv


def test_neural_calibration_recovers_a_nonlinear_map(tmp_path):
    files = [synthetic_pair(tmp_path, k) for k in range(5)]
    data = [read_pair(s, c, "wrist_wrist") for s, c in files]
    train, test = data[:4], data[4:]
    Xs, Ys = [d[0] for d in train], [d[1] for d in train]
    Xt, Yt = [d[0] for d in test], [d[1] for d in test]
    raw = score(None, Xt, Yt)
    affine = score(fit(Xs, Ys, "wrist_wrist", "affine"), Xt, Yt)
    cnn_cal = fit(Xs, Ys, "wrist_wrist", "cnn", epochs=300)
    cnn = score(cnn_cal, Xt, Yt)
    assert cnn["mag_r2"] > 0.95 and cnn["mag_r2"] > affine["mag_r2"] and affine["mag_r2"] > raw["mag_r2"]
    assert cnn["phase_rmse_deg"] < 0.7 * affine["phase_rmse_deg"]
    # saved and loaded (plain arrays, numpy inference) gives the same predictions
    path = cnn_cal.save(tmp_path / "cal.npz")
    again = Calibration.load(path)
    np.testing.assert_allclose(again.predict(Xt[0]), cnn_cal.predict(Xt[0]), rtol=1e-9)


def test_calibrate_command_and_bake_with_calibration(tmp_path):
    files = [synthetic_pair(tmp_path, k, T=600) for k in range(3)]
    out = tmp_path / "device.npz"
    r = run_cli("calibrate", "--sim", *[f[0] for f in files], "--measured", *[f[1] for f in files],
                "--epochs", "60", "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "raw_simulation" in r.stdout and "cnn" in r.stdout and out.exists()

    from addon.bake import Baker
    from addon.body.variants import BodyVariant
    from addon.config import BakeConfig
    from tests.test_impedance import _pose

    rec = Baker(BakeConfig(calibration=str(out))).bake(_pose(), BodyVariant("", "anny", {}, 1.7))
    ch = rec.imp["wrist_wrist"]
    assert "mag_sim" in ch and not np.allclose(ch["mag"], ch["mag_sim"])
    assert rec.meta["pairs"]["wrist_wrist"]["calibration"]["kind"] == "cnn"
    write_npz(rec, tmp_path / "calibrated.npz")
    arrays, _ = read_export(tmp_path / "calibrated.npz")
    assert "imp.wrist_wrist.mag_sim" in arrays


def test_calibration_input_errors(tmp_path):
    sim, csv = synthetic_pair(tmp_path, 0, T=200)
    bad = tmp_path / "bad.csv"
    bad.write_text("time,impedance\n0,1\n")
    with pytest.raises(CalibrationError, match="needs columns t and mag"):
        read_pair(sim, bad, "wrist_wrist")
    with pytest.raises(CalibrationError, match="no impedance pair 'chest'"):
        read_pair(sim, csv, "chest")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(CalibrationError, match="not a WearTwin calibration file"):
        Calibration.load(junk)
    r = run_cli("calibrate", "--sim", sim, "--measured", bad, "--out", tmp_path / "x.npz")
    assert r.returncode == 1 and "needs columns t and mag" in r.stderr and not (tmp_path / "x.npz").exists()
