"""The add-on in Blender (pip `bpy`): registration, every operator on a real scene, the same
arrays as the headless runner, errors as Blender reports."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import need_shared

bpy = pytest.importorskip("bpy")

import addon  # noqa: E402
from addon.ui import session  # noqa: E402


@pytest.fixture
def gui():
    bpy.ops.wm.read_homefile(use_empty=False)     # the default startup scene (cube, camera, light)
    addon.register()
    yield bpy.context.scene.weartwin
    addon.unregister()


def test_register_unregister_twice():
    for _ in range(2):
        addon.register()
        assert hasattr(bpy.types.Scene, "weartwin") and hasattr(bpy.types, "WEARTWIN_PT_bake")
        assert bpy.ops.weartwin.bake.idname() == "WEARTWIN_OT_bake"
        addon.unregister()
        assert not hasattr(bpy.types.Scene, "weartwin") and not hasattr(bpy.types, "WEARTWIN_PT_bake")


def _select(body, ids):
    mask = np.zeros(len(body.data.vertices), dtype=bool)
    mask[ids] = True
    body.data.vertices.foreach_set("select", mask)


def test_gui_workflow_matches_headless(gui, tmp_path):
    clip = need_shared("motion/amass/amass_sample.npz")
    s = gui
    assert [x.name for x in s.sites] == ["left_wrist", "right_wrist"] and [p.name for p in s.pairs] == ["wrist_wrist"]
    assert bpy.ops.weartwin.import_motion(filepath=str(clip), fps=30.0) == {"FINISHED"}
    body = session.body_object(bpy.context)
    assert body is not None and "Cube" in bpy.data.objects          # the user's scene is kept
    assert bpy.data.objects["Cube"].hide_get()     # but the default cube no longer swallows the body
    # an electrode on the chest and an IMU site on the left upper arm, from selected vertices
    v = np.array([tuple(x.co) for x in body.data.vertices])
    band = np.nonzero((np.abs(v[:, 0]) < 0.04) & (v[:, 2] > 1.22) & (v[:, 2] < 1.3))[0]
    chest = band[np.argsort(v[band, 1])[:6]]          # skin on the torso's midline
    assert len(chest) == 6
    _select(body, chest)
    assert bpy.ops.weartwin.add_electrode(source="SELECTED", name="chest") == {"FINISHED"}
    s.pair_a, s.pair_b = "left_wrist", "chest"
    assert bpy.ops.weartwin.add_pair(source="AB") == {"FINISHED"}
    _select(body, [int(chest[0])])
    assert bpy.ops.weartwin.add_site(source="SELECTED", name="sternum") == {"FINISHED"}
    assert bpy.ops.weartwin.bake() == {"FINISHED"}
    entry = session.RESULTS[bpy.context.scene.name]
    rec = entry["recording"]
    assert set(rec.imu) == {"left_wrist", "right_wrist", "sternum"} and set(rec.imp) == {"wrist_wrist", "left_wrist:chest"}
    roles = [o.get("weartwin_role") for o in bpy.data.collections["WearTwin"].objects]
    assert roles.count("sensor_axes") == 3 and roles.count("current_path") == 2
    axes = bpy.data.objects["WT_IMU_left_wrist"]
    bpy.context.scene.frame_set(10)
    assert np.allclose(tuple(axes.matrix_world.translation), rec.debug["site_positions"]["left_wrist"][10], atol=1e-4)
    assert entry["plot"].is_file() and any(i.filepath.endswith(entry["plot"].name) for i in bpy.data.images)
    out = tmp_path / "gui"
    s.csv = s.preview = True          # off by default, as `weartwin bake`
    assert bpy.ops.weartwin.export(directory=str(out)) == {"FINISHED"}
    assert {p.name for p in out.iterdir()} == {"amass_sample.npz", "amass_sample.csv", "amass_sample.png"}

    # the headless runner, same options, fresh process state
    from addon.bake import Baker
    from addon.export.recording import read_export

    import dataclasses

    cfg = dataclasses.replace(session.config_from_settings(s), save_path=False)   # as `weartwin bake`
    Baker(cfg).bake_file(clip, tmp_path / "headless" / "amass_sample")
    a, meta_a = read_export(out / "amass_sample.npz")
    b, meta_b = read_export(tmp_path / "headless" / "amass_sample.npz")
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=1e-5, err_msg=k)
    assert meta_a["config_hash"] == meta_b["config_hash"]


def test_fresh_scene_bakes_the_cli_file(gui, tmp_path):
    """A new user's first bake: the sensors the panel offers out of the box are `weartwin bake`'s,
    and the export is the command line's file (same keys, same config hash, no extra files), so
    `weartwin bake` on the same motion and folder finds it up to date instead of baking again."""
    import json
    import os
    import subprocess
    import sys

    from addon.config import BakeConfig
    from addon.export.recording import read_export

    clip = need_shared("motion/amass/amass_sample.npz")
    s = gui
    defaults = BakeConfig()
    assert tuple(x.name for x in s.sites) == defaults.imu_sites and tuple(p.name for p in s.pairs) == defaults.electrodes
    assert not s.csv and not s.preview
    bpy.ops.wm.read_homefile(use_empty=False)          # File > New: the load handler seeds it too
    s = bpy.context.scene.weartwin
    assert tuple(x.name for x in s.sites) == defaults.imu_sites
    assert bpy.ops.weartwin.import_motion(filepath=str(clip), fps=60.0) == {"FINISHED"}
    assert bpy.ops.weartwin.bake() == {"FINISHED"}
    out = tmp_path / "out"
    assert bpy.ops.weartwin.export(directory=str(out)) == {"FINISHED"}
    assert sorted(p.name for p in out.iterdir()) == ["amass_sample.npz"]
    arrays, meta = read_export(out / "amass_sample.npz")
    assert not any(k.endswith(".path") for k in arrays)
    assert meta["config"]["height"] == 1.7 and meta["config"]["contact_distance"] == 0.002
    assert meta["config_hash"] == defaults.signal_hash(), meta["config"]
    r = subprocess.run([sys.executable, "-m", "headless.cli", "bake", str(clip), "--out", str(out)],
                       capture_output=True, text=True, timeout=600,
                       env={**os.environ, "PYTHONPATH": str(Path(addon.__file__).parents[1])})
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["done"] == [] and [x["reason"] for x in summary["skipped"]] == ["up to date"], summary


def test_bad_input_is_a_blender_error(gui, tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(RuntimeError) as e:
        bpy.ops.weartwin.import_motion(filepath=str(bad))
    msg = str(e.value)
    assert "broken.npz" in msg and "Traceback" not in msg and len(msg.strip().splitlines()) == 1
    assert gui.motion_path == ""                                    # nothing changed
    with pytest.raises(RuntimeError, match="import a motion first"):
        bpy.ops.weartwin.bake()
    with pytest.raises(RuntimeError, match="select vertices|import a motion"):
        bpy.ops.weartwin.add_site(source="SELECTED")
    assert bpy.ops.weartwin.demo_motion() == {"FINISHED"}
    gui.sites.clear()
    with pytest.raises(RuntimeError, match="add at least one IMU site"):
        bpy.ops.weartwin.bake()
    with pytest.raises(RuntimeError, match="nothing baked yet"):
        bpy.ops.weartwin.export(directory=str(tmp_path / "x"))
    assert not (tmp_path / "x").exists()


def test_extension_zip_installs_in_blender(tmp_path):
    """Build the extension zip and install it through Blender's extension system (isolated
    user folder, fresh process): it enables and bakes."""
    import os
    import subprocess
    import sys

    from addon.build import build

    ext, legacy = build(tmp_path / "dist")
    import zipfile

    names = zipfile.ZipFile(ext).namelist()
    assert {"weartwin/blender_manifest.toml", "weartwin/__init__.py", "weartwin/scene/build.py"} <= set(names)
    assert {n.split("/")[0] for n in names} == {"weartwin"}      # one folder: an old Blender spills nothing
    assert "weartwin/__init__.py" in zipfile.ZipFile(legacy).namelist()
    # Blender's own manifest validator (shipped in the bpy wheel; `blender --command extension
    # validate` runs the same code), strict: the limits Blender enforces on extensions.org
    validator = Path(bpy.utils.system_resource("SCRIPTS")) / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"
    for src in (ext, Path(addon.__file__).parent):
        v = subprocess.run([sys.executable, str(validator), "validate", str(src)], capture_output=True, text=True,
                           timeout=120)
        assert v.returncode == 0, f"{src}: {v.stdout}{v.stderr}"
    code = (f"import bpy; bpy.ops.extensions.package_install_files(filepath={str(ext)!r}, repo='user_default', "
            "enable_on_install=True); bpy.ops.weartwin.demo_motion(); s = bpy.context.scene.weartwin; "
            "s.use_impedance = False; print('RESULT', bpy.ops.weartwin.bake())")
    env = {**os.environ, "BLENDER_USER_RESOURCES": str(tmp_path / "user")}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600,
                       cwd=tmp_path)
    assert "RESULT {'FINISHED'}" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
    assert (tmp_path / "user" / "extensions" / "user_default" / "weartwin" / "blender_manifest.toml").is_file()
    assert "WearTwin: this is the extension build" not in r.stdout   # 4.2+ enables it fully


def test_batch_and_study_from_the_gui(gui, tmp_path):
    """The Batches & Studies panel runs `weartwin bake` on a folder with the sidebar's settings,
    and `weartwin synth` on a study spec, as child processes; bad input is one line."""
    import json
    import shutil

    from addon.export.recording import read_export

    clip = need_shared("motion/amass/dmpl_sample.npz")
    src = tmp_path / "motions"
    src.mkdir()
    shutil.copy(clip, src / clip.name)
    (src / "notes.txt").write_text("not a motion")
    s = gui
    s.use_impedance, s.fps = False, 25.0          # the sidebar's settings go to the batch
    s.batch_input, s.batch_out = str(src), str(tmp_path / "out")
    assert bpy.ops.weartwin.bake_batch() == {"FINISHED"}
    assert s.batch_status.startswith("baked 1") and not s.batch_running, s.batch_status
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [x["input"] for x in summary["skipped"]] == [str(src / "notes.txt")]
    arrays, meta = read_export(tmp_path / "out" / "dmpl_sample.npz")
    assert meta["config"]["fps"] == 25.0 and meta["config"]["sensors"] == ["imu"] and meta["engine"] == "fast"
    assert not any(k.startswith("imp.") for k in arrays)

    spec = tmp_path / "study.yaml"
    spec.write_text("activities:\n  - name: sitting_down\n    count: 1\nvary_body: 1\nfps: 25\n"
                    "imu_sites: [left_wrist]\n")
    s.batch_input, s.batch_out = str(spec), str(tmp_path / "study")
    assert bpy.ops.weartwin.bake_batch() == {"FINISHED"}, s.batch_status
    assert len(list((tmp_path / "study" / "exports").rglob("*.npz"))) == 1

    s.batch_input = str(tmp_path / "missing")
    with pytest.raises(RuntimeError, match="no such file or folder"):
        bpy.ops.weartwin.bake_batch()
    bad = tmp_path / "bad.yaml"
    bad.write_text("activities: 7\n")
    s.batch_input = str(bad)
    with pytest.raises(RuntimeError) as e:
        bpy.ops.weartwin.bake_batch()
    assert "bad.yaml" in str(e.value) and "Traceback" not in str(e.value)


def test_build_errors_are_one_line(tmp_path):
    """`python -m addon.build --wheels` that pip cannot serve says so in one line, exit 1."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "addon.build", "--wheels", "--platform", "no_such_platform_tag",
                        "--out", str(tmp_path / "d")], capture_output=True, text=True, timeout=300,
                       cwd=Path(addon.__file__).parents[1])
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("python -m addon.build: error: pip could not download the wheels for "
                               "no_such_platform_tag") and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_bake_slice_follows_the_interface_time():
    """Slices of 6x the interface time, 0.1-2 s while the interface is quick; when a redraw takes
    seconds (a loaded machine) the slice may grow to 3 interface times, never past 10 s."""
    from types import SimpleNamespace

    from addon.ui import operators as op

    def slice_after(ui_s: float) -> float:
        s = SimpleNamespace(_slice_end=None, _ui_s=None)
        assert op.WEARTWIN_OT_bake._slice_seconds(s, 0.0) == op.SLICE_FIRST_S     # nothing measured yet
        s._slice_end = 100.0
        return op.WEARTWIN_OT_bake._slice_seconds(s, 100.0 + ui_s)

    assert slice_after(0.001) == pytest.approx(0.1)         # a quick interface: the floor
    assert slice_after(0.05) == pytest.approx(0.3)          # 6 x
    assert slice_after(0.5) == pytest.approx(2.0)           # capped at 2 s while redraws are short
    assert slice_after(1.0) == pytest.approx(3.0)           # a 1 s redraw: 3 x
    assert slice_after(20.0) == pytest.approx(10.0)         # never past 10 s
