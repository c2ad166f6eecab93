"""Start-up of a fast-engine bake (issue 26): what the command imports before it bakes. Heavy
modules not needed for the bake stay unimported (scipy.signal, scipy.interpolate and
scipy.spatial, Blender, torch, matplotlib); resampling imports scipy's splines only when output
times fall between source frames (120 -> 60 fps takes every other frame, 100 -> 60 needs them).
The time itself is measured by `benchmarks/bench_startup.py`, not asserted here."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bad_inputs import good_amass
from conftest import ROOT

HEAVY = ("scipy.signal", "scipy.interpolate", "scipy.spatial", "scipy.stats", "bpy", "torch", "matplotlib")
PROBE = """
import json, sys
from headless.cli import main
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "modules": sorted(m for m in sys.modules if m.split(".")[0] in
                                              ("scipy", "bpy", "torch", "matplotlib"))}))
"""


def _bake(clip: Path, out: Path) -> dict:
    r = subprocess.run([sys.executable, "-c", PROBE, "bake", str(clip), "--out", str(out), "--sensors", "imu",
                        "--engine", "fast", "--workers", "1", "--quiet"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def _loaded(modules: list[str], name: str) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


@pytest.mark.parametrize("source_fps,resampled", [(60.0, False), (120.0, False), (100.0, True)])
def test_fast_bake_imports_only_what_it_uses(tmp_path, source_fps, resampled):
    clip = good_amass(tmp_path / "clip.npz", T=int(2 * source_fps), fps=source_fps)
    res = _bake(clip, tmp_path / "out")
    assert res["rc"] == 0
    with np.load(tmp_path / "out" / "clip.npz") as z:
        assert any(k.startswith("imu") for k in z.files)
    never = [m for m in HEAVY if m not in ("scipy.interpolate", "scipy.spatial")] if resampled else HEAVY
    assert not [m for m in never if _loaded(res["modules"], m)], res["modules"]
    if resampled:   # the splines are scipy's: imported when (and only when) they are needed
        assert _loaded(res["modules"], "scipy.spatial.transform")
