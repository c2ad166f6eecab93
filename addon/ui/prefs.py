"""Add-on preferences: licensed model paths and where extra Python packages live.

Nothing is ever written into the add-on folder: caches go to ~/.cache/weartwin and
~/.cache/anny, exports where the user says."""

import sys

import bpy
from bpy.props import StringProperty

ROOT_PACKAGE = __package__.rsplit(".", 1)[0]   # "addon", "weartwin" or "bl_ext.<repo>.weartwin"
REQUIRED = ("numpy", "scipy")
OPTIONAL = ("matplotlib",)      # plots
on_path_change = None           # set by ui.register: shows the full UI once packages are found


def _path_changed(self, context):
    if on_path_change is not None:
        on_path_change()


class WEARTWIN_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = ROOT_PACKAGE

    smpl_model: StringProperty(
        name="SMPL-family model", subtype="FILE_PATH",
        description="your licensed SMPL / SMPL-H / SMPL-X model file (.npz or .pkl) or folder; never bundled")
    python_path: StringProperty(
        name="Extra Python packages", subtype="DIR_PATH",
        description="a Python 3.11 site-packages with scipy, matplotlib (and anny + torch for custom shapes), "
                    "e.g. <venv>/lib/python3.11/site-packages; for Blender builds without bundled wheels",
        update=_path_changed)

    def draw(self, context):
        col = self.layout.column()
        col.prop(self, "smpl_model")
        col.prop(self, "python_path")
        missing = missing_packages()
        if missing:
            col.label(text=f"Missing packages: {', '.join(missing)} (set the path above)", icon="ERROR")
        else:
            col.label(text="All required packages found", icon="CHECKMARK")


def prefs():
    addon = bpy.context.preferences.addons.get(ROOT_PACKAGE)
    return addon.preferences if addon else None


def apply_python_path() -> None:
    p = prefs()
    path = bpy.path.abspath(p.python_path) if p and p.python_path else ""
    if path and path not in sys.path:
        sys.path.append(path)   # after Blender's own packages: its numpy stays first


def missing_packages(required_only: bool = False) -> list[str]:
    import importlib.util

    apply_python_path()
    names = REQUIRED if required_only else REQUIRED + OPTIONAL
    return [m for m in names if importlib.util.find_spec(m) is None]


CLASSES = (WEARTWIN_AP_preferences,)


register, unregister = bpy.utils.register_classes_factory(CLASSES)
