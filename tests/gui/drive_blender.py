"""Runs *inside* a GUI Blender (see screenshots.py): installs the add-on from its zip, drives
the workflow through the operators and the interface, and saves screenshots.

    blender start.blend --enable-event-simulate --python tests/gui/drive_blender.py -- ZIP SITE MOTION OUT LOGDIR [ROUNDS]

The bake-time comparison runs ROUNDS (default 3) pairs, each a modal bake started as the Bake
button does, then the same bake called from a script, so both see the same machine load.
"""
import sys
import traceback
from pathlib import Path

import bpy

ARGS = sys.argv[sys.argv.index("--") + 1:]
ZIP, SITE, MOTION, OUT, LOGDIR = ARGS[:5]
ROUNDS = int(ARGS[5]) if len(ARGS) > 5 else 3
OUT, LOGDIR = Path(OUT), Path(LOGDIR)
LOG = []
PANEL = {"at_click": None}


def panel_draws() -> int:
    """How often the WearTwin tab's first panel has drawn (the add-on counts it)."""
    return sys.modules["weartwin.ui.panels"].DRAWS["count"]


def log(msg):
    LOG.append(msg)
    print("[drive]", msg, flush=True)


def areas(kind):
    win = bpy.context.window_manager.windows[0]
    return win, [a for a in win.screen.areas if a.type == kind]


def shot(name, area=None):
    win = bpy.context.window_manager.windows[0]
    path = str(OUT / name)
    with bpy.context.temp_override(window=win, screen=win.screen, area=area or win.screen.areas[0]):
        if area is None:
            bpy.ops.screen.screenshot(filepath=path)
        else:
            bpy.ops.screen.screenshot_area(filepath=path)
    log(f"screenshot {path}")


def setup():
    bpy.ops.preferences.addon_install(filepath=ZIP, overwrite=True)
    bpy.ops.preferences.addon_enable(module="weartwin")
    prefs = bpy.context.preferences.addons["weartwin"].preferences
    prefs.python_path = SITE        # the update callback brings up the full UI
    assert hasattr(bpy.ops.weartwin, "bake"), "full UI did not register"
    log("add-on installed and enabled: " + ", ".join(m for m in dir(bpy.ops.weartwin) if not m.startswith("_")))
    s = bpy.context.scene.weartwin
    res = bpy.ops.weartwin.import_motion(filepath=MOTION, fps=30.0)
    log(f"import_motion: {res}")
    cube = bpy.data.objects.get("Cube")      # the default scene's cube stays, hidden, not deleted
    log(f"default cube: {'hidden' if cube is not None and cube.hide_get() else 'VISIBLE - FAILED'}")
    import numpy as np   # available now: the preferences point at a site-packages with it

    body = next(o for o in bpy.data.objects if o.get("weartwin_role") == "body")
    v = np.array([tuple(x.co) for x in body.data.vertices])
    band = np.nonzero((np.abs(v[:, 0]) < 0.04) & (v[:, 2] > 1.22) & (v[:, 2] < 1.3))[0]
    mask = np.zeros(len(v), dtype=bool)
    mask[band[np.argsort(v[band, 1])[:6]]] = True
    body.data.vertices.foreach_set("select", mask)
    log(f"add_site from selection: {bpy.ops.weartwin.add_site(source='SELECTED', name='chest')}")
    s.pair_preset = "left_wrist_elbow"
    bpy.ops.weartwin.add_pair(source="PRESET")
    import tempfile

    export_dir = Path(tempfile.mkdtemp(prefix="weartwin_export_"))
    s.out_dir = str(export_dir)
    res = bpy.ops.weartwin.bake()
    log(f"bake: {res} ({s.status})")
    res = bpy.ops.weartwin.export()
    log(f"export: {res} -> {sorted(p.name for p in export_dir.iterdir())}")
    bpy.context.scene.frame_set(150)

    win, views = areas("VIEW_3D")
    view = views[0]
    space = view.spaces.active
    space.show_region_ui = True
    space.shading.type = "SOLID"
    space.overlay.show_floor = True
    for region in view.regions:
        if region.type == "UI":
            try:
                region.active_panel_category = "WearTwin"
            except (AttributeError, TypeError) as e:
                log(f"cannot pick the sidebar tab: {e}")
    # the view is the add-on's own framing (session.frame_body), as a new user sees it


def click_sidebar_tab():
    """Open the WearTwin tab of the sidebar: a simulated click on its tab (Blender 3.x has no
    API for the active tab). Needs Blender started with --enable-event-simulate."""
    win, views = areas("VIEW_3D")
    ui = next(r for r in views[0].regions if r.type == "UI")
    x = ui.x + ui.width - 9
    y = ui.y + ui.height - 190
    log(f"sidebar region x={ui.x} y={ui.y} w={ui.width} h={ui.height}; clicking ({x}, {y})")
    win.event_simulate(type="MOUSEMOVE", value="NOTHING", x=x, y=y)
    win.event_simulate(type="LEFTMOUSE", value="PRESS", x=x, y=y)
    win.event_simulate(type="LEFTMOUSE", value="RELEASE", x=x, y=y)
    win.event_simulate(type="MOUSEMOVE", value="NOTHING", x=400, y=400)
    PANEL["at_click"] = panel_draws()
    ui.tag_redraw()         # the sidebar draws its active tab's panels again before step1
    return None


def step1():
    try:
        n = panel_draws() - (PANEL["at_click"] or 0)
        if PANEL["at_click"] is None or n == 0:
            log(f"FAILED: the WearTwin sidebar panel was not drawn after clicking its tab (another tab is "
                f"showing; {panel_draws()} draws in all)")
        else:
            log(f"WearTwin panel drawn {n} time(s) since the tab click")
        shot("gui_workflow.png")
        _, views = areas("VIEW_3D")
        shot("gui_viewport.png", views[0])
    except Exception:
        log(traceback.format_exc())
    return None


def step2():
    try:
        win, views = areas("VIEW_3D")
        view = views[0]
        view.type = "IMAGE_EDITOR"
        win, eds = areas("IMAGE_EDITOR")
        bpy.ops.weartwin.show_plot()
        ed = eds[0]
        img = next(i for i in bpy.data.images if i.filepath.endswith(".png"))
        ed.spaces.active.image = img
        region = next(r for r in ed.regions if r.type == "WINDOW")
        with bpy.context.temp_override(window=win, screen=win.screen, area=ed, region=region):
            bpy.ops.image.view_all(fit_view=True)
    except Exception:
        log(traceback.format_exc())
    return None


def step3():
    try:
        shot("gui_plot.png")
        _, eds = areas("IMAGE_EDITOR")
        eds[0].type = "VIEW_3D"     # the modal bakes below run with the body in view, as a user has it
    except Exception:
        log(traceback.format_exc())
    return None


MODAL = {"polls": 0, "seen": [], "round": 0}


def modal_start(cancel: bool):
    """Start the bake as the Bake button does (INVOKE: modal, timer-driven)."""
    win, views = areas("IMAGE_EDITOR")
    area = views[0] if views else win.screen.areas[0]
    with bpy.context.temp_override(window=win, screen=win.screen, area=area):
        res = bpy.ops.weartwin.bake("INVOKE_DEFAULT")
    log(f"modal bake started ({'to cancel' if cancel else 'to finish'}): {res}")
    MODAL["polls"], MODAL["seen"] = 0, []
    return None


def modal_poll(then):
    def poll():
        s = bpy.context.scene.weartwin
        MODAL["polls"] += 1
        MODAL["seen"].append(round(s.progress, 2))
        if s.baking and MODAL["polls"] < 600:
            return 0.1
        log(f"modal bake ended: status '{s.status}', progress seen {sorted(set(MODAL['seen']))[:6]}..")
        bpy.app.timers.register(then, first_interval=0.2)
        return None
    return poll


def press_esc():
    win = bpy.context.window_manager.windows[0]
    s = bpy.context.scene.weartwin
    log(f"pressing Esc at progress {s.progress:.2f} (baking={s.baking})")
    win.event_simulate(type="ESC", value="PRESS", x=400, y=400)
    win.event_simulate(type="ESC", value="RELEASE", x=400, y=400)
    return None


def finish():
    (LOGDIR / "drive.log").write_text("\n".join(LOG) + "\n")
    bpy.ops.wm.quit_blender()


def step4():
    """One round: a modal bake to the end, then the scripted bake right after it."""
    MODAL["round"] += 1
    modal_start(cancel=False)
    bpy.app.timers.register(modal_poll(scripted_bake), first_interval=0.1)


def scripted_bake():
    try:
        res = bpy.ops.weartwin.bake()
        log(f"round {MODAL['round']} scripted bake: {res} ({bpy.context.scene.weartwin.status})")
    except Exception:
        log(traceback.format_exc())
    bpy.app.timers.register(step4 if MODAL["round"] < ROUNDS else step5, first_interval=0.5)
    return None


def step5():
    modal_start(cancel=True)
    bpy.app.timers.register(press_esc, first_interval=1.0)
    bpy.app.timers.register(modal_poll(finish), first_interval=0.1)


def start():
    try:
        setup()
    except Exception:
        log(traceback.format_exc())
        (LOGDIR / "drive.log").write_text("\n".join(LOG) + "\n")
        bpy.ops.wm.quit_blender()
        return None
    bpy.app.timers.register(click_sidebar_tab, first_interval=0.8)
    bpy.app.timers.register(when_panel_drawn(then(step1, then(step2, then(step3, step4)))), first_interval=1.0)
    return None


def then(first, after, delay: float = 1.5):
    """Run `first`, then `after` `delay` seconds later (the interface redraws in between)."""
    def run():
        first()
        bpy.app.timers.register(after, first_interval=delay)
        return None
    return run


def when_panel_drawn(next_step, timeout: float = 120.0):
    """Go on once the sidebar has drawn the WearTwin tab after the click (a busy machine can take
    many seconds to draw the first frames); step1 then fails loudly if it never did."""
    import time

    t0 = time.monotonic()

    def poll():
        drawn = PANEL["at_click"] is not None and panel_draws() > PANEL["at_click"]
        if not drawn and time.monotonic() - t0 < timeout:
            return 0.25
        bpy.app.timers.register(next_step, first_interval=1.0)   # one more redraw of the viewport
        return None
    return poll


bpy.app.timers.register(start, first_interval=1.0)
