"""Add-on GUI: preferences, scene settings, operators `bpy.ops.weartwin.*`, sidebar panels.

Registration order matters: settings before the operators and panels that read them."""
from . import operators, panels, prefs, props

MODULES = (prefs, props, operators, panels)


def register():
    for m in MODULES:
        m.register()
    prefs.apply_python_path()
    _seed_defaults()


def unregister():
    import bpy

    for h in list(bpy.app.handlers.load_post):
        if getattr(h, "__name__", "") == "weartwin_seed_defaults":
            bpy.app.handlers.load_post.remove(h)
    from .session import RESULTS

    RESULTS.clear()
    for m in reversed(MODULES):
        m.unregister()


def _seed_defaults():
    """New scenes start with the defaults of `weartwin bake`: both wrist IMUs, wrist-wrist pair."""
    import bpy

    @bpy.app.handlers.persistent
    def weartwin_seed_defaults(*_):
        from .session import RESULTS

        RESULTS.clear()   # results belong to the file that was open
        for scene in bpy.data.scenes:
            s = scene.weartwin
            if not s.sites and not s.pairs and not s.get("seeded"):
                for name in ("left_wrist", "right_wrist"):
                    it = s.sites.add()
                    it.name, it.spec = name, "preset"
                s.pairs.add().name = "wrist_wrist"
                s["seeded"] = True

    try:
        weartwin_seed_defaults()
    except AttributeError:   # restricted context during add-on enable: the load handler does it
        pass
    bpy.app.handlers.load_post.append(weartwin_seed_defaults)
