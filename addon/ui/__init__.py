"""Add-on GUI: preferences, scene settings, operators `bpy.ops.weartwin.*`, sidebar panels.

The preferences register first and need nothing but Blender. The rest needs numpy and scipy;
where Blender lacks them (e.g. a distribution build), the sidebar says so and the UI appears
as soon as "Extra Python packages" in the preferences points at a site-packages that has them.
"""
import bpy

from . import prefs

_MODULES = []    # the full UI's modules, once registered


class WEARTWIN_PT_missing(bpy.types.Panel):
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "WearTwin"
    bl_label = "WearTwin"

    def draw(self, context):
        col = self.layout.column()
        col.label(text="Missing Python packages:", icon="ERROR")
        col.label(text=", ".join(prefs.missing_packages()))
        col.label(text="Set Preferences > Add-ons > WearTwin >")
        col.label(text="Extra Python packages (a Python 3.11 site-packages)")


def register():
    prefs.register()
    prefs.on_path_change = enable_full_ui
    if not enable_full_ui():
        bpy.utils.register_class(WEARTWIN_PT_missing)


def enable_full_ui() -> bool:
    if _MODULES:
        return True
    prefs.apply_python_path()
    if prefs.missing_packages(required_only=True):
        return False
    if hasattr(bpy.types, "WEARTWIN_PT_missing"):
        bpy.utils.unregister_class(WEARTWIN_PT_missing)
    from . import batch, operators, panels, props

    for m in (props, operators, batch, panels):
        m.register()
        _MODULES.append(m)
    _seed_defaults()
    return True


def unregister():
    import sys

    for h in list(bpy.app.handlers.load_post):
        if getattr(h, "__name__", "") == "weartwin_seed_defaults":
            bpy.app.handlers.load_post.remove(h)
    # the session (and numpy with it) exists only once the full UI was enabled: never import it
    # here, or disabling/quitting without the packages prints "No module named 'numpy'"
    session = sys.modules.get(__package__ + ".session")
    if session is not None:
        session.RESULTS.clear()
    while _MODULES:
        _MODULES.pop().unregister()
    if hasattr(bpy.types, "WEARTWIN_PT_missing"):
        bpy.utils.unregister_class(WEARTWIN_PT_missing)
    prefs.unregister()


def _seed_defaults():
    """New scenes start with the defaults of `weartwin bake` (session.seed_defaults). Enabling the
    add-on runs in a restricted context (no `bpy.data.scenes`): then a one-shot timer seeds the
    open file as soon as Blender is back in its event loop, and the Bake/Import operators seed on
    first use too, so the very first session has sensors. Loading a file seeds its scenes."""

    @bpy.app.handlers.persistent
    def weartwin_seed_defaults(*_):
        from .session import RESULTS, seed_defaults

        RESULTS.clear()   # results belong to the file that was open
        for scene in bpy.data.scenes:
            seed_defaults(scene.weartwin)

    def seed_open_file():
        try:
            from .session import seed_defaults

            for scene in bpy.data.scenes:
                seed_defaults(scene.weartwin)
        except AttributeError:     # still restricted, or the add-on went away: try again shortly
            return 0.5 if _MODULES else None
        return None

    if seed_open_file() is not None:
        bpy.app.timers.register(seed_open_file, first_interval=0.1, persistent=True)
    bpy.app.handlers.load_post.append(weartwin_seed_defaults)
