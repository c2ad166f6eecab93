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


def register():
    from .ui import register as _register

    _register()


def unregister():
    from .ui import unregister as _unregister

    _unregister()
