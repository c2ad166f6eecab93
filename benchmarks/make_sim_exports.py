"""Bake WearTwin exports of the shared motion clips for pretraining benchmarks.

Each clip gets an activity label and a description (a bake manifest), and N body-shape
variants (human-attribute augmentation). IMU on both wrists; impedance with --impedance.

    python benchmarks/make_sim_exports.py --out /tmp/sim --vary-body 6
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.shared_data import shared_data  # noqa: E402

MOTION = shared_data("motion")       # $WEARTWIN_SHARED/data/motion, else ../shared/data/motion
CLIPS = {   # file -> (label, description)
    "amass/hbp_amass_sample.npz": ("walking", "a person walks forward at a normal pace, arms swinging"),
    "humanml3d/000612_new_joint_vecs.npy": ("walking", "a person walks and pushes something with one hand"),
    "amass/amass_sample.npz": ("standing", "a person stands still with small movements"),
    "amass/dmpl_sample.npz": ("moving", "a person moves their arms and legs and shifts their weight"),
    "aistpp/gWA_sFM_cAll_d27_mWA5_ch20.pkl": ("dancing", "a person dances energetically, street dance"),
    "humanml3d/012314_new_joints.npy": ("tennis_serve", "a person serves a tennis ball overhead"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vary-body", type=int, default=6)
    ap.add_argument("--fps", type=float, default=50.0)
    ap.add_argument("--impedance", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.jsonl"
    with open(manifest, "w") as f:
        for rel, (label, text) in CLIPS.items():
            f.write(json.dumps({"input": str(MOTION / rel), "output": Path(rel).stem, "label": label,
                                "text": text}) + "\n")
    sensors = "imu,impedance" if a.impedance else "imu"
    cmd = [sys.executable, "-m", "headless", "bake", str(manifest), "--out", str(out / "exports"),
           "--vary-body", str(a.vary_body), "--fps", str(a.fps), "--sensors", sensors,
           "--imu-sites", "left_wrist,right_wrist", "--workers", str(a.workers)]
    print(" ".join(cmd))
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
