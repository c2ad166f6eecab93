"""Runs *inside* a GUI Blender started on a fresh user profile (tests/gui/test_first_session.py):
a new user's first session. Installs and enables the add-on from its zip, imports a motion and
bakes with whatever the sidebar offers (nothing added), as the Bake button does, then exports.

    blender start.blend --python tests/gui/first_session.py -- ZIP SITE MOTION RESULT.json [WALK]

WALK (a motion that travels): imported last; the 3D view must hold the whole walk.
"""
import json
import sys
import traceback
from pathlib import Path

import bpy

ARGS = sys.argv[sys.argv.index("--") + 1:]
ZIP, SITE, MOTION, RESULT = ARGS[:4]
WALK = ARGS[4] if len(ARGS) > 4 else None
OUT = {"steps": []}


def log(msg):
    OUT["steps"].append(msg)
    print("[first]", msg, flush=True)


def done():
    Path(RESULT).write_text(json.dumps(OUT, indent=1))
    bpy.ops.wm.quit_blender()
    return None


def guard(step):
    def run():
        try:
            return step()
        except Exception:
            OUT["error"] = traceback.format_exc()
            return done()
    return run


def install():
    # a Blender whose Python has numpy and scipy (the extension's wheels, or a distribution's
    # python3-scipy): the whole UI registers during the enable, in Blender's restricted context
    sys.path.append(SITE)
    bpy.ops.preferences.addon_install(filepath=ZIP)
    bpy.ops.preferences.addon_enable(module="weartwin")
    bpy.context.preferences.addons["weartwin"].preferences.python_path = SITE
    log("installed and enabled")
    bpy.app.timers.register(guard(offered), first_interval=1.0)   # back in the event loop, as a user is


def offered():
    s = bpy.context.scene.weartwin
    OUT["offered"] = {"sites": [x.name for x in s.sites], "pairs": [p.name for p in s.pairs],
                      "imu": s.use_imu, "impedance": s.use_impedance, "csv": s.csv, "preview": s.preview}
    log(f"the sidebar offers {OUT['offered']}")
    OUT["import"] = sorted(bpy.ops.weartwin.import_motion(filepath=MOTION))
    win = bpy.context.window_manager.windows[0]
    area = next(a for a in win.screen.areas if a.type == "VIEW_3D")
    with bpy.context.temp_override(window=win, screen=win.screen, area=area):
        OUT["bake"] = sorted(bpy.ops.weartwin.bake("INVOKE_DEFAULT"))       # the Bake button
    log(f"import {OUT['import']}, bake {OUT['bake']}")
    bpy.app.timers.register(guard(wait), first_interval=0.5)


def wait():
    s = bpy.context.scene.weartwin
    if s.baking:
        return 0.5
    OUT["status"] = s.status
    OUT["export"] = sorted(bpy.ops.weartwin.export())
    OUT["out_dir"] = bpy.path.abspath(s.out_dir)
    log(f"bake ended: {s.status}; export {OUT['export']} -> {OUT['out_dir']}")
    if WALK:
        bpy.ops.weartwin.import_motion(filepath=WALK)
        scene = bpy.context.scene
        arm = next(o for o in bpy.data.objects if o.type == "ARMATURE" and o.get("weartwin_role"))
        roots = []
        for f in (scene.frame_start, scene.frame_end):
            scene.frame_set(f)
            roots.append(list((arm.matrix_world @ arm.pose.bones[0].head)[:]))
        win = bpy.context.window_manager.windows[0]
        r3d = next(a for a in win.screen.areas if a.type == "VIEW_3D").spaces.active.region_3d
        OUT["walk"] = {"roots": roots, "view_location": list(r3d.view_location), "view_distance": r3d.view_distance}
        log(f"walk: {OUT['walk']}")
    return done()


bpy.app.timers.register(guard(install), first_interval=1.0)
