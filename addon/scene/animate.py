"""Keyframe a `BonePose` onto the armature (Blender 4.4+/5.x slotted actions), one key per frame.

Keys go in with `foreach_set`, so a 10-minute motion keys in well under a second. Bones whose
rotation never leaves identity get no F-curves.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..body.retarget import BonePose


def set_frame_rate(scene: bpy.types.Scene, fps: float, n_frames: int) -> None:
    whole = max(1, int(round(fps)))
    scene.render.fps = whole
    scene.render.fps_base = whole / fps
    scene.frame_start = 0
    scene.frame_end = n_frames - 1


def _channelbag(obj: bpy.types.ID, name: str, id_type: str = "OBJECT"):
    """A new action on `obj` (any animatable ID) and the container its F-curves go in."""
    action = bpy.data.actions.new(name)
    if not hasattr(action, "slots"):   # Blender < 4.4: F-curves live on the action itself
        (obj.animation_data or obj.animation_data_create()).action = action
        return action, action
    slot = action.slots.new(id_type=id_type, name=obj.name)
    ad = obj.animation_data or obj.animation_data_create()
    ad.action = action
    ad.action_slot = slot
    layer = action.layers.new("Layer")
    strip = layer.strips.new(type="KEYFRAME")
    return action, strip.channelbag(slot, ensure=True)


def _key_curve(bag, data_path: str, index: int, frames: np.ndarray, values: np.ndarray,
               group: str) -> None:
    if isinstance(bag, bpy.types.Action):   # legacy action API
        fc = bag.fcurves.new(data_path, index=index, action_group=group)
    else:
        fc = bag.fcurves.new(data_path, index=index, group_name=group)
    fc.keyframe_points.add(len(frames))
    co = np.empty(2 * len(frames), dtype=np.float32)
    co[0::2] = frames
    co[1::2] = values
    fc.keyframe_points.foreach_set("co", co)
    interp = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["LINEAR"].value
    fc.keyframe_points.foreach_set("interpolation", np.full(len(frames), interp, dtype=np.int32))
    fc.update()


def key_pose(arm: bpy.types.Object, pose: BonePose, first_frame: int = 0,
             bone_names: list[str] | None = None) -> bpy.types.Action:
    """`bone_names`: the bones in the order of `pose`'s columns (the asset's order); default
    Blender's order, which is depth-first and differs from the asset's for SMPL bodies."""
    T = pose.quaternions.shape[0]
    frames = np.arange(first_frame, first_frame + T, dtype=np.float32)
    action, bag = _channelbag(arm, f"{arm.name}Motion")
    names = list(bone_names) if bone_names is not None else [b.name for b in arm.data.bones]
    identity = np.array([1.0, 0, 0, 0])
    for b, name in enumerate(names):
        q = pose.quaternions[:, b]
        if np.allclose(q, identity, atol=1e-7):
            continue
        path = f'pose.bones["{name}"].rotation_quaternion'
        for i in range(4):
            _key_curve(bag, path, i, frames, q[:, i], name)
    root = next(b.name for b in arm.data.bones if b.parent is None)
    for i in range(3):
        _key_curve(bag, f'pose.bones["{root}"].location', i, frames, pose.root_location[:, i], root)
    return action
