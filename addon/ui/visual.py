"""What the user sees after a bake: sensor frames as animated axes empties, the electrode
current path as an animated curve, and the plot of the channels in an Image Editor."""
from __future__ import annotations

import numpy as np
import bpy

from ..motion.rotations import matrix_to_quaternion
from ..scene.animate import _channelbag, _key_curve
from ..scene.build import ROLE

ROLES = ("sensor_axes", "current_path")


def add_sensor_axes(rec, coll, size: float = 0.09) -> list:
    frames = np.arange(len(rec.t), dtype=np.float32)
    out = []
    for name, pos in rec.debug.get("site_positions", {}).items():
        R = rec.debug["site_frames"][name]
        obj = bpy.data.objects.new(f"WT_IMU_{name}", None)
        obj.empty_display_type = "ARROWS"
        obj.empty_display_size = size
        obj.rotation_mode = "QUATERNION"
        obj.show_in_front = True          # visible through the skin
        obj.show_name = True
        obj[ROLE] = "sensor_axes"
        coll.objects.link(obj)
        _, bag = _channelbag(obj, f"WT_IMU_{name}")
        q = matrix_to_quaternion(R)          # (T,4) w,x,y,z
        for i in range(3):
            _key_curve(bag, "location", i, frames, pos[:, i], "Object Transforms")
        for i in range(4):
            _key_curve(bag, "rotation_quaternion", i, frames, q[:, i], "Object Transforms")
        obj.location = pos[0].tolist()
        obj.rotation_quaternion = q[0].tolist()
        out.append(obj)
    return out


def add_current_paths(rec, coll) -> list:
    frames = np.arange(len(rec.t), dtype=np.float32)
    out = []
    for pair, ch in rec.imp.items():
        path = ch.get("path")
        if path is None:
            continue
        n = path.shape[1]
        curve = bpy.data.curves.new(f"WT_path_{pair}", "CURVE")
        curve.dimensions = "3D"
        curve.bevel_depth = 0.006
        spline = curve.splines.new("POLY")
        spline.points.add(n - 1)
        co = np.concatenate([path[0], np.ones((n, 1))], axis=1).astype(np.float32)
        spline.points.foreach_set("co", co.ravel())
        obj = bpy.data.objects.new(f"WT_path_{pair}", curve)
        obj[ROLE] = "current_path"
        obj.show_in_front = True          # the path runs inside the body: draw it over the skin
        coll.objects.link(obj)
        mat = bpy.data.materials.get("WT_current") or bpy.data.materials.new("WT_current")
        mat.diffuse_color = (1.0, 0.55, 0.0, 1.0)
        curve.materials.append(mat)
        _, bag = _channelbag(curve, f"WT_path_{pair}", id_type="CURVE")
        for k in range(n):
            for i in range(3):
                _key_curve(bag, f"splines[0].points[{k}].co", i, frames, path[:, k, i], "Path")
        out.append(obj)
    return out


def show_image(context, path) -> bpy.types.Image:
    """Load (or reload) the plot and show it in an Image Editor: an open one, or a new window."""
    path = str(path)
    img = next((i for i in bpy.data.images if bpy.path.abspath(i.filepath) == path), None)
    if img is None:
        img = bpy.data.images.load(path)
    else:
        img.reload()
    if bpy.app.background or context.window is None:      # no interface: nothing to show
        return img
    area = next((a for w in context.window_manager.windows for a in w.screen.areas
                 if a.type == "IMAGE_EDITOR"), None)
    if area is None:
        bpy.ops.wm.window_new()
        win = context.window_manager.windows[-1]
        area = max(win.screen.areas, key=lambda a: a.width * a.height)
        area.type = "IMAGE_EDITOR"
    area.spaces.active.image = img
    area.tag_redraw()
    win = next(w for w in context.window_manager.windows if area in w.screen.areas[:])
    # fit once the editor has its size (a new window gets it on its first redraw)
    bpy.app.timers.register(lambda: fit_image(win, area), first_interval=0.2)
    return img


def fit_image(win, area) -> None:
    """Zoom the Image Editor so the whole plot (title and time axis included) is visible."""
    try:
        region = next(r for r in area.regions if r.type == "WINDOW")
        with bpy.context.temp_override(window=win, screen=win.screen, area=area, region=region):
            bpy.ops.image.view_all(fit_view=True)
    except (ReferenceError, StopIteration, RuntimeError):   # the editor was closed meanwhile
        pass
    return None
