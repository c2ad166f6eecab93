"""WearTwin: simulated wearable-sensor signals (wrist IMU, bio-impedance) from human motion.

This package is both the Blender add-on/extension (`register()` / `unregister()`) and the
core that the headless runner calls. Layout, one layer per folder:
  motion/   motion files -> `Motion` (numpy)          body/    body models -> `BodyAsset`, retargeting
  scene/    the only bpy code: build, key, evaluate     sensors/ IMU and impedance physics (numpy)
  export/   `Recording` -> .npz / .csv / .png           ui/      add-on operators, panels, properties
  bake.py   the one bake path used by every face        config.py  every bake option and default
"""
__version__ = "0.1.0"

bl_info = {
    "name": "WearTwin",
    "author": "WearTwin developers",
    "version": (0, 1, 0),
    "blender": (3, 4, 0),
    "location": "View3D > Sidebar > WearTwin; File > Import > WearTwin motion",
    "description": "Simulate wrist IMU and bio-impedance signals from human motion",
    "category": "Animation",
}


_REFUSED = []    # the notice panel, when this build is for a newer Blender


def register():
    import bpy

    # Blender 4.2+ drops `bl_info` of an extension (its manifest rules there): no check then
    need = tuple(globals().get("bl_info", {}).get("blender", (0, 0, 0)))
    if tuple(bpy.app.version) < need:   # the 4.2+ extension zip installed into an older Blender
        _refuse(bpy, need)
        return
    from .ui import register as _register

    _register()


def unregister():
    if _REFUSED:
        import bpy

        bpy.utils.unregister_class(_REFUSED.pop())
        return
    from .ui import unregister as _unregister

    _unregister()


def _refuse(bpy, need) -> None:
    """Register nothing but a sidebar notice, and say why in one line."""
    msg = (f"WearTwin: this is the extension build for Blender {'.'.join(map(str, need))}+; in Blender "
           f"{bpy.app.version_string} remove it and install weartwin-{__version__}-legacy.zip instead")
    print(msg)

    class WEARTWIN_PT_wrong_build(bpy.types.Panel):
        bl_space_type, bl_region_type, bl_category, bl_label = "VIEW_3D", "UI", "WearTwin", "WearTwin"

        def draw(self, context):
            col = self.layout.column()
            col.label(text=f"Extension build for Blender {'.'.join(map(str, need))}+", icon="ERROR")
            col.label(text=f"Install weartwin-{__version__}-legacy.zip instead")

    bpy.utils.register_class(WEARTWIN_PT_wrong_build)
    _REFUSED.append(WEARTWIN_PT_wrong_build)
