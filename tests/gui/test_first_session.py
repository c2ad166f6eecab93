"""The first hour in a real Blender (Debian's `blender` 3.4; the GUI part under Xvfb), from a
fresh user profile: install, enable, import, Bake with what the panel offers, Export. And the
4.2+ extension zip installed by mistake into that older Blender refuses cleanly.

Skipped where `blender` or `xvfb-run` is missing (`apt-get install blender xvfb xauth`)."""
from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import need_shared

ROOT = Path(__file__).resolve().parents[2]
BLENDER = shutil.which("blender")
pytestmark = pytest.mark.skipif(BLENDER is None, reason="no `blender` on PATH (apt-get install blender)")


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    sys.path.insert(0, str(ROOT))
    from addon.build import build

    ext, legacy = build(tmp_path_factory.mktemp("dist"))
    return ext, legacy


def fresh_profile(tmp: Path) -> dict:
    """Environment of a user who never ran Blender: every user folder empty, under tmp."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLENDER_USER")}
    for kind in ("CONFIG", "SCRIPTS", "DATAFILES"):
        (tmp / kind.lower()).mkdir(parents=True, exist_ok=True)
        env[f"BLENDER_USER_{kind}"] = str(tmp / kind.lower())
    return env


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="no xvfb-run (apt-get install xvfb xauth)")
def test_first_session_bakes_with_what_the_panel_offers(zips, tmp_path):
    motion = need_shared("motion/amass/amass_sample.npz")
    env = fresh_profile(tmp_path / "profile")
    start = tmp_path / "start.blend"      # opening a file skips the splash screen, as screenshots.py
    subprocess.run([BLENDER, "-b", "--factory-startup", "--python-expr",
                    f"import bpy; bpy.ops.wm.save_as_mainfile(filepath={str(start)!r})"], check=True,
                   capture_output=True, env=env, timeout=300)
    walk = tmp_path / "walk.npz"          # a motion that travels ~10 m
    from conftest import run_cli

    assert run_cli("text2motion", "a person walks forward", "--out", walk).returncode == 0
    result = tmp_path / "result.json"
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", BLENDER, str(start), "--python",
           str(ROOT / "tests" / "gui" / "first_session.py"), "--", str(zips[1]), site.getsitepackages()[0],
           str(motion), str(result), str(walk)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    assert result.is_file(), r.stdout[-3000:] + r.stderr[-3000:]
    got = json.loads(result.read_text())
    assert "error" not in got, got.get("error")
    assert got["offered"]["sites"] == ["left_wrist", "right_wrist"] and got["offered"]["pairs"] == ["wrist_wrist"]
    assert got["import"] == ["FINISHED"] and got["bake"] == ["RUNNING_MODAL"], got
    assert got["status"].startswith("baked "), got
    assert got["export"] == ["FINISHED"]
    assert sorted(p.name for p in Path(got["out_dir"]).iterdir()) == ["amass_sample.npz"]
    # the view holds the whole walk: start and end are both well inside the viewing distance
    import numpy as np

    w = got["walk"]
    start, end = np.array(w["roots"])
    assert np.linalg.norm(end[:2] - start[:2]) > 5, w
    for p in (start, end):
        assert np.linalg.norm(p[:2] - np.array(w["view_location"][:2])) < 0.6 * w["view_distance"], w


def test_extension_zip_refuses_old_blender_cleanly(zips, tmp_path):
    """Preferences > Add-ons > Install… of the 4.2+ extension zip in Blender 3.4: one folder
    lands (nothing spills into the add-ons folder), and enabling it says which zip to use."""
    env = fresh_profile(tmp_path / "profile")
    code = (f"import bpy, os; bpy.ops.preferences.addon_install(filepath={str(zips[0])!r}); "
            "bpy.ops.preferences.addon_enable(module='weartwin'); "
            "d = os.path.join(bpy.utils.user_resource('SCRIPTS'), 'addons'); "
            "print('ADDONS', sorted(os.listdir(d))); print('OPS', hasattr(bpy.types, 'WEARTWIN_OT_bake'))")
    r = subprocess.run([BLENDER, "-b", "--factory-startup", "--python-expr", code], env=env, capture_output=True,
                       text=True, timeout=300)
    out = r.stdout + r.stderr
    assert "ADDONS ['weartwin']" in out and "OPS False" in out, out[-3000:]
    assert "install weartwin-0.1.0-legacy.zip instead" in out and "Traceback" not in out, out[-3000:]
