"""Build the body in Blender from a `BodyAsset`: mesh + armature + skin weights (vertex groups).

The only module that turns arrays into datablocks; everything above it stays numpy.
Objects are tagged with custom properties (`weartwin_role`) rather than recognised by name.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..body.asset import BodyAsset

ROLE = "weartwin_role"


def empty_scene() -> bpy.types.Scene:
    """Start from an empty factory scene (no cube, camera or light)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    return bpy.context.scene


def _link(obj: bpy.types.Object, collection: bpy.types.Collection) -> None:
    collection.objects.link(obj)


def build_mesh(name: str, vertices: np.ndarray, faces: np.ndarray) -> bpy.types.Mesh:
    mesh = bpy.data.meshes.new(name)
    mesh.vertices.add(len(vertices))
    mesh.vertices.foreach_set("co", np.ascontiguousarray(vertices, dtype=np.float32).ravel())
    n = len(faces)
    mesh.loops.add(3 * n)
    mesh.loops.foreach_set("vertex_index", np.ascontiguousarray(faces, dtype=np.int32).ravel())
    mesh.polygons.add(n)
    mesh.polygons.foreach_set("loop_start", np.arange(0, 3 * n, 3, dtype=np.int32))
    if not bpy.types.MeshPolygon.bl_rna.properties["loop_total"].is_readonly:   # Blender < 4.0
        mesh.polygons.foreach_set("loop_total", np.full(n, 3, dtype=np.int32))
    mesh.update(calc_edges=True)
    mesh.validate(clean_customdata=False)
    return mesh


def build_body(asset: BodyAsset, collection: bpy.types.Collection | None = None,
               name: str = "WearTwinBody") -> tuple[bpy.types.Object, bpy.types.Object]:
    """Returns (armature object, mesh object). The mesh is parented to the armature and
    deformed by an Armature modifier (linear blend skinning, Blender's own)."""
    collection = collection or bpy.context.scene.collection
    arm_data = bpy.data.armatures.new(f"{name}Rig")
    arm = bpy.data.objects.new(f"{name}Rig", arm_data)
    arm[ROLE] = "armature"
    _link(arm, collection)
    view_layer = bpy.context.view_layer
    prev_active = view_layer.objects.active
    view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    edit = arm_data.edit_bones
    made = []
    for b, bname in enumerate(asset.bone_names):
        eb = edit.new(bname)
        eb.head = asset.bone_heads[b].tolist()
        eb.tail = asset.bone_tails[b].tolist()
        eb.roll = 0.0
        made.append(eb)
    for b, p in enumerate(asset.bone_parents):
        if p >= 0:
            made[b].parent = made[p]
            made[b].use_connect = False
    bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = prev_active

    mesh = build_mesh(name, asset.vertices, asset.faces)
    body = bpy.data.objects.new(name, mesh)
    body[ROLE] = "body"
    _link(body, collection)
    body.parent = arm
    groups = [body.vertex_groups.new(name=n) for n in asset.bone_names]
    # One call per (bone, distinct weight): far fewer calls than one per vertex influence.
    wb, w = asset.weight_bones, asset.weights
    nz = w > 1e-6
    rows = np.nonzero(nz)[0]
    bones_nz, w_nz = wb[nz], np.round(w[nz], 4)
    order = np.lexsort((w_nz, bones_nz))
    bones_nz, w_nz, rows = bones_nz[order], w_nz[order], rows[order]
    cut = np.nonzero((np.diff(bones_nz) != 0) | (np.diff(w_nz) != 0))[0] + 1
    for start, stop in zip(np.r_[0, cut], np.r_[cut, len(rows)]):
        groups[bones_nz[start]].add(rows[start:stop].tolist(), float(w_nz[start]), "REPLACE")
    mod = body.modifiers.new("Armature", "ARMATURE")
    mod.object = arm
    mod.use_vertex_groups = True
    for pb in arm.pose.bones:
        pb.rotation_mode = "QUATERNION"
    return arm, body


def rest_rotations(arm: bpy.types.Object, bone_names: list[str] | None = None) -> np.ndarray:
    """(B,3,3) rest orientation of each bone in armature space, in the order of `bone_names`
    (the asset's order; default: Blender's, which lists bones depth-first and so differs from
    the asset's for e.g. SMPL, where the asset lists them breadth-first)."""
    bones = arm.data.bones
    m = np.empty(len(bones) * 16, dtype=np.float32)
    bones.foreach_get("matrix_local", m)
    # foreach_get flattens Blender matrices column by column
    R = m.reshape(-1, 4, 4).transpose(0, 2, 1)[:, :3, :3].astype(np.float64)
    if bone_names is not None:
        index = {b.name: i for i, b in enumerate(bones)}
        R = R[[index[n] for n in bone_names]]
    return R
