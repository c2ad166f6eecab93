"""A corpus of broken and hostile motion files, written fresh for each test."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np


class CodeCarrier:
    """Unpickling this would run `touch <marker>` — the restricted unpickler must refuse it."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch '{self.marker}'",))


def good_amass(path: Path, T: int = 40, fps: float = 60.0) -> Path:
    rng = np.random.default_rng(1)
    poses = rng.normal(0, 0.1, (T, 156))
    poses[:, :3] = [np.pi / 2, 0, 0]
    np.savez(path, poses=poses, trans=np.zeros((T, 3)), mocap_framerate=fps, gender="male", betas=np.zeros(16))
    return path


def write_bad_corpus(d: Path, marker: Path) -> dict[str, str]:
    """Returns {file name: fragment of the expected reason}."""
    d.mkdir(parents=True, exist_ok=True)
    expect = {}
    good_amass(d / "full.npz")
    raw = (d / "full.npz").read_bytes()
    (d / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    os.remove(d / "full.npz")
    expect["truncated.npz"] = "not a valid .npz"
    np.savez(d / "wrong_shape.npz", poses=np.zeros((10, 50)), trans=np.zeros((10, 3)), mocap_framerate=60.0)
    expect["wrong_shape.npz"] = "50 columns"
    p = np.zeros((10, 156))
    p[3, 7] = np.nan
    np.savez(d / "nan.npz", poses=p, trans=np.zeros((10, 3)), mocap_framerate=60.0)
    expect["nan.npz"] = "NaN"
    np.savez(d / "zero_frames.npz", poses=np.zeros((0, 156)), trans=np.zeros((0, 3)), mocap_framerate=60.0)
    expect["zero_frames.npz"] = "0 frame"
    np.savez(d / "one_frame.npz", poses=np.zeros((1, 156)), trans=np.zeros((1, 3)), mocap_framerate=60.0)
    expect["one_frame.npz"] = "1 frame"
    np.savez(d / "no_fps.npz", poses=np.zeros((10, 156)), trans=np.zeros((10, 3)))
    expect["no_fps.npz"] = "no frame rate"
    np.savez(d / "zero_fps.npz", poses=np.zeros((10, 156)), trans=np.zeros((10, 3)), mocap_framerate=0.0)
    expect["zero_fps.npz"] = "must be positive"
    np.savez(d / "missing_key.npz", trans=np.zeros((10, 3)), mocap_framerate=60.0)
    expect["missing_key.npz"] = "missing key 'poses'"
    (d / "text.npz").write_text("this is not a motion file\n")
    expect["text.npz"] = "not a valid .npz"
    with open(d / "evil.pkl", "wb") as f:
        pickle.dump({"smpl_poses": CodeCarrier(marker), "smpl_trans": np.zeros((3, 3))}, f)
    expect["evil.pkl"] = "refused to load 'posix.system'"
    np.savez(d / "evil_object.npz", poses=np.array([CodeCarrier(marker)], dtype=object),
             trans=np.zeros((2, 3)), mocap_framerate=60.0)
    expect["evil_object.npz"] = "refused to load"
    u = d / "unreadable.npz"
    if os.geteuid() == 0:  # root reads any mode: make it unreadable by pointing nowhere
        u.symlink_to(d / "gone" / "nothing.npz")
        expect["unreadable.npz"] = "broken link"
    else:
        good_amass(u)
        os.chmod(u, 0)
        expect["unreadable.npz"] = "permission denied"
    return expect
