"""Small files written in the published layouts of public HAR datasets (for reader tests)
and a tiny synthetic activity dataset in the generic format (for training tests)."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np


def write_pamap2(root: Path, subjects=(101, 102), n=400) -> None:
    (root / "Protocol").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for s in subjects:
        x = np.full((n, 54), np.nan)
        x[:, 0] = 5.0 + np.arange(n) / 100.0
        x[:, 1] = np.where(np.arange(n) < n // 4, 0, np.where(np.arange(n) < n // 2, 4, 17))
        x[::9, 2] = 100.0                                     # heart rate at ~9 Hz
        for b in (3, 20, 37):
            x[:, b] = 30.0
            x[:, b + 1:b + 4] = rng.normal(0, 1, (n, 3)) + [0, 0, 9.81]   # acc16
            x[:, b + 4:b + 7] = x[:, b + 1:b + 4]                         # acc6
            x[:, b + 7:b + 10] = [0.1, 0.2, 0.3]                          # gyro rad/s
            x[:, b + 10:b + 17] = 0.0
        x[50:53, 4:7] = np.nan                                 # dropped packets
        np.savetxt(root / "Protocol" / f"subject{s}.dat", x, fmt="%.6f")


def write_mmfit(root: Path, workouts=("w00", "w01"), n=1600) -> None:
    for w in workouts:
        d = root / w
        d.mkdir(parents=True)
        (d / f"{w}_labels.csv").write_text("100,250,5,squats\n300,450,5,bicep_curls\n")
        frames = np.arange(n) * 0.3       # watch at 100 Hz, video frames at 30 Hz
        t = 1.6e12 + np.arange(n) * 10.0
        for side in ("l", "r"):
            acc = np.column_stack([frames, t, np.zeros(n), np.zeros(n), np.full(n, 9.81)])
            gyr = np.column_stack([frames, t + 3, np.full(n, 0.5), np.zeros(n), np.zeros(n)])
            np.save(d / f"{w}_sw_{side}_acc.npy", acc)
            np.save(d / f"{w}_sw_{side}_gyr.npy", gyr)


def write_openpack(root: Path, users=("U0101", "U0102"), n=300) -> None:
    for u in users:
        for dev in ("atr01", "atr02"):
            d = root / u / "atr" / dev
            d.mkdir(parents=True)
            t = 1.63e12 + np.arange(n) * (1000 / 30)
            lines = ["unixtime,accX,accY,accZ,gyroX,gyroY,gyroZ,quatW,quatX,quatY,quatZ"]
            lines += [f"{int(ti)},0.0,0.0,1.0,90.0,0.0,0.0,1,0,0,0" for ti in t]
            (d / "S0100.csv").write_text("\n".join(lines) + "\n")
        a = root / u / "annotation" / "openpack-operations"
        a.mkdir(parents=True)
        t0 = 1.63e12
        a.joinpath("S0100.csv").write_text(
            f"unixtime,operation,id\n{int(t0)},100,0\n{int(t0 + 4000)},300,1\n{int(t0 + 7000)},8100,2\n")


def _rw_csv(t, xyz) -> bytes:
    lines = ["id,attr_time,attr_x,attr_y,attr_z"]
    lines += [f"{i},{int(ti)},{v[0]},{v[1]},{v[2]}" for i, (ti, v) in enumerate(zip(t, xyz))]
    return ("\n".join(lines) + "\n").encode()


def write_realworld(root: Path, probands=(1, 2), n=200) -> None:
    for p in probands:
        d = root / f"proband{p}" / "data"
        d.mkdir(parents=True)
        for act in ("walking", "sitting"):
            t = 1.43e12 + np.arange(n) * 20.0
            acc = np.tile([0.0, 9.81 if act == "sitting" else 5.0, 0.0], (n, 1))
            with zipfile.ZipFile(d / f"acc_{act}_csv.zip", "w") as z:
                for pos in ("forearm", "chest"):
                    z.writestr(f"acc_{act}_{pos}.csv", _rw_csv(t, acc))
            with zipfile.ZipFile(d / f"gyr_{act}_csv.zip", "w") as z:
                for pos in ("forearm", "chest"):
                    z.writestr(f"Gyroscope_{act}_{pos}.csv", _rw_csv(t + 5, np.tile([0.0, 0.0, 1.0], (n, 1))))
        # a multi-session activity: a zip of zips
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as z:
            z.writestr("acc_climbingup_2_forearm.csv", _rw_csv(1.43e12 + np.arange(n) * 20.0, np.ones((n, 3))))
        with zipfile.ZipFile(d / "acc_climbingup_csv.zip", "w") as z:
            z.writestr("acc_climbingup_2_csv.zip", inner.getvalue())


def write_sp_sw_har(root: Path, subjects=("s01", "s02"), n=300) -> None:
    for s in subjects:
        d = root / s
        d.mkdir(parents=True)
        rows = ["x_acc,y_acc,z_acc,x_gyro,y_gyro,z_gyro,timestamp,label"]
        for i in range(n):
            lab = "SEATED" if i < n // 2 else "WALKING"
            rows.append(f"0.1,0.2,9.8,0.01,0.02,0.03,{1657533977810 + i * 10 + (i % 2)},{lab}")
        (d / f"{s}_01_sw.csv").write_text("\n".join(rows) + "\n")
        (d / f"{s}_01_sp.csv").write_text("\n".join(rows) + "\n")


def write_hmp(root: Path) -> None:
    for act, vol in (("Walk", "f1"), ("Walk", "m2"), ("Drink_glass", "f1")):
        d = root / act
        d.mkdir(parents=True, exist_ok=True)
        codes = np.tile([31, 31, 52], (64, 1))
        np.savetxt(d / f"Accelerometer-2011-03-24-10-24-39-{act.lower()}-{vol}.txt", codes, fmt="%d")


# -- a tiny activity dataset that a model can learn -------------------------------------------
CLASSES = ("circle", "shake", "still")


def activity_signal(cls: str, n: int, fps: float, rng, subject_gain: float = 1.0) -> np.ndarray:
    t = np.arange(n) / fps
    acc = np.tile([0.0, 0.0, 9.81], (n, 1)) + rng.normal(0, 0.3, (n, 3))
    gyro = rng.normal(0, 0.05, (n, 3))
    f = rng.uniform(0.8, 1.2)
    if cls == "circle":
        acc[:, 0] += 3 * subject_gain * np.sin(2 * np.pi * f * t)
        acc[:, 1] += 3 * subject_gain * np.cos(2 * np.pi * f * t)
        gyro[:, 2] += 2.0 * subject_gain
    elif cls == "shake":
        acc[:, 2] += 5 * subject_gain * np.sin(2 * np.pi * 4 * f * t)
        gyro[:, 0] += 3 * subject_gain * np.cos(2 * np.pi * 4 * f * t)
    return np.concatenate([acc, gyro], axis=1)


def write_generic(root: Path, subjects: int = 4, seconds: float = 24.0, fps: float = 50.0,
                  classes=CLASSES, seed: int = 0, permute_per_subject: bool = False) -> Path:
    """Generic-format dataset (DESIGN.md). With `permute_per_subject`, every subject uses its
    own class->pattern assignment: a model can only do well on a subject it has seen."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    index = ["file,subject,label"]
    for s in range(subjects):
        perm = rng.permutation(len(classes)) if permute_per_subject else np.arange(len(classes))
        for k, cls in enumerate(classes):
            n = int(seconds * fps)
            x = activity_signal(classes[perm[k]], n, fps, rng, subject_gain=rng.uniform(0.8, 1.2))
            name = f"p{s}_{cls}.csv"
            t = np.arange(n) / fps
            header = "t,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z"
            np.savetxt(root / name, np.column_stack([t, x]), delimiter=",", header=header, comments="", fmt="%.5f")
            index.append(f"{name},p{s},{cls}")
    (root / "index.csv").write_text("\n".join(index) + "\n")
    return root


def write_sim_exports(root: Path, bodies: int = 3, seconds: float = 12.0, fps: float = 25.0,
                      classes=CLASSES, seed: int = 7) -> Path:
    """WearTwin exports (the `.npz` schema of DESIGN.md: t, imu.<site>.acc/gyro, meta JSON with
    fps, label, text, body variant) carrying the same activity patterns as `write_generic`,
    one file per activity and body variant — simulated-data stand-ins without a Blender bake."""
    import json

    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for b in range(bodies):
        for cls in classes:
            n = int(seconds * fps)
            x = activity_signal(cls, n, fps, rng, subject_gain=rng.uniform(0.8, 1.2))
            meta = {"fps": fps, "label": cls, "text": f"a person does {cls} movements with the left arm",
                    "body": {"variant": f"b{b + 1:02d}"}}
            np.savez(root / f"{cls}__b{b + 1:02d}.npz", t=np.arange(n) / fps,
                     **{"imu.left_wrist.acc": x[:, :3].astype(np.float32),
                        "imu.left_wrist.gyro": x[:, 3:].astype(np.float32)}, meta=np.array(json.dumps(meta)))
    return root
