"""Soft-body flesh: Blender's soft-body solver on a low-resolution proxy cage, its motion
carried to the full body by a Surface Deform modifier.

- The cage is the body mesh decimated (Decimate, collapse) to ~`cage_faces` triangles, skinned
  like the body (each cage vertex takes the bone weights of the nearest body vertex) and driven
  by the same armature.
- Soft body on the cage: goal = the skinned position; goal weights are stiff near the bone and
  soft in the flesh (1 within 3 cm of the bone axis, falling linearly to `stiffness` at 12 cm; head,
  hands and feet rigid),
  edge springs keep the surface together; no self-collision (contacts are found by the
  impedance graph on the final mesh, with or without soft body).
- The full body keeps its Armature modifier; a Surface Deform bound to the cage replaces the
  position of fleshy vertices (vertex group "weartwin_flesh" = how soft the nearest cage
  vertex is), so hands, feet and head stay exactly skinned.
- Frames are stepped in order from frame 0, which fills the soft body's point cache like a
  bake; the cache belongs to the scene the bake builds and is freed with it.
"""
from __future__ import annotations

from dataclasses import dataclass

import bpy
import numpy as np

from ..body.asset import BodyAsset
from .build import ROLE, build_mesh


@dataclass
class SoftBodySettings:
    stiffness: float = 0.7        # goal weight in the softest flesh (1 = rigid skinning)
    goal_spring: float = 0.9      # goal stiffness
    goal_friction: float = 10.0   # goal damping
    edge_spring: float = 0.0      # pull/push of edge springs (0: off; their rest lengths are the A-pose)
    mass: float = 0.2
    cage_faces: int = 1200


def _bone_distance(asset: BodyAsset, points: np.ndarray, bones: np.ndarray) -> np.ndarray:
    h = asset.bone_heads.astype(np.float64)[bones]
    t = asset.bone_tails.astype(np.float64)[bones]
    d = t - h
    s = np.clip(((points - h) * d).sum(1) / np.maximum((d * d).sum(1), 1e-12), 0, 1)
    return np.linalg.norm(points - (h + s[:, None] * d), axis=1)


def goal_weights(asset: BodyAsset, points: np.ndarray, bones: np.ndarray, stiffness: float) -> np.ndarray:
    d = _bone_distance(asset, points, bones)
    return 1.0 - (1.0 - stiffness) * np.clip((d - 0.03) / 0.09, 0.0, 1.0)


BIND_REACH_M = 0.06     # cage vertices this close (posed) may take part in a vertex's binding...
APART_AT_REST_M = 0.15  # ...and belong to another body part when they are this far apart at rest


def _evaluated_world(obj: bpy.types.Object) -> np.ndarray:
    ev = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    co = np.empty(len(ev.data.vertices) * 3, dtype=np.float32)
    ev.data.vertices.foreach_get("co", co)
    mw = np.array(ev.matrix_world, dtype=np.float64)
    return co.reshape(-1, 3).astype(np.float64) @ mw[:3, :3].T + mw[:3, 3]


def _touching_other_parts(body, cage, body_rest: np.ndarray, cage_rest: np.ndarray) -> np.ndarray:
    """Body vertices that, in the current pose, lie within BIND_REACH_M of a cage vertex that is
    more than APART_AT_REST_M away from them at rest (skin of another limb touching them)."""
    from scipy.spatial import cKDTree

    posed_body, posed_cage = _evaluated_world(body), _evaluated_world(cage)
    out = np.zeros(len(body_rest), dtype=bool)
    for i, near in enumerate(cKDTree(posed_cage).query_ball_point(posed_body, BIND_REACH_M)):
        if near and np.max(np.linalg.norm(cage_rest[near] - body_rest[i], axis=1)) > APART_AT_REST_M:
            out[i] = True
    return out


def add_soft_flesh(arm: bpy.types.Object, body: bpy.types.Object, asset: BodyAsset,
                   frames: int, settings: SoftBodySettings | None = None) -> bpy.types.Object:
    """Add the cage (armature + soft body) and bind the body to it; call with the scene on
    frame 0 and the armature in its final place. Returns the cage object."""
    from scipy.spatial import cKDTree

    s = settings or SoftBodySettings()
    scene = bpy.context.scene
    dg = bpy.context.evaluated_depsgraph_get()

    # 1. cage geometry: the rest mesh, decimated
    tmp = bpy.data.objects.new("WearTwinCageSrc", build_mesh("WearTwinCageSrc", asset.vertices, asset.faces))
    scene.collection.objects.link(tmp)
    dec = tmp.modifiers.new("Decimate", "DECIMATE")
    dec.decimate_type = "COLLAPSE"
    dec.ratio = min(1.0, s.cage_faces / len(asset.faces))
    dec.use_collapse_triangulate = True
    dg.update()
    cage_mesh = bpy.data.meshes.new_from_object(tmp.evaluated_get(dg))
    bpy.data.objects.remove(tmp)
    cage_mesh.name = "WearTwinCage"
    cage = bpy.data.objects.new("WearTwinCage", cage_mesh)
    cage[ROLE] = "softbody_cage"
    (arm.users_collection[0] if arm.users_collection else scene.collection).objects.link(cage)
    cage.parent = arm
    cage.hide_render = True
    cage.display_type = "WIRE"

    n = len(cage_mesh.vertices)
    cv = np.empty(n * 3, dtype=np.float32)
    cage_mesh.vertices.foreach_get("co", cv)
    cv = cv.reshape(n, 3).astype(np.float64)
    body_v = asset.vertices.astype(np.float64)
    _, nearest = cKDTree(body_v).query(cv)

    # 2. skin the cage like the body; goal weights from the distance to the dominant bone
    wb, w = asset.weight_bones[nearest], asset.weights[nearest]
    groups = {}
    for k in range(wb.shape[1]):
        for b in np.unique(wb[w[:, k] > 1e-4, k]):
            rows = np.nonzero((wb[:, k] == b) & (w[:, k] > 1e-4))[0]
            name = asset.bone_names[b]
            if name not in groups:
                groups[name] = cage.vertex_groups.new(name=name)
            for r in rows:
                groups[name].add([int(r)], float(w[r, k]), "ADD")
    dominant = wb[np.arange(n), np.argmax(w, axis=1)]
    goal = goal_weights(asset, cv, dominant, s.stiffness)
    from ..sensors.impedance.graph import segment_labels

    labels, names = segment_labels(asset)
    rigid = [names.index(x) for x in names if x == "head" or x.endswith(("_hand", "_foot"))]
    goal[np.isin(labels[nearest], rigid)] = 1.0  # skull, hands and feet have no jiggling flesh
    g = cage.vertex_groups.new(name="weartwin_goal")
    for value in np.unique(np.round(goal, 3)):
        g.add(np.nonzero(np.round(goal, 3) == value)[0].tolist(), float(value), "REPLACE")
    am = cage.modifiers.new("Armature", "ARMATURE")
    am.object = arm
    sb_mod = cage.modifiers.new("Softbody", "SOFT_BODY")
    sb = cage.soft_body
    sb.use_goal = True
    sb.vertex_group_goal = "weartwin_goal"
    sb.goal_default = 1.0
    sb.goal_min, sb.goal_max = 0.0, 1.0
    sb.goal_spring = s.goal_spring
    sb.goal_friction = s.goal_friction
    sb.use_edges = s.edge_spring > 0
    sb.pull = sb.push = s.edge_spring
    sb.damping = 0.5
    sb.mass = s.mass
    sb.use_self_collision = False
    sb.use_stiff_quads = False
    sb_mod.point_cache.frame_start = scene.frame_start
    sb_mod.point_cache.frame_end = scene.frame_start + frames - 1

    # 3. body: Surface Deform onto the cage for fleshy vertices
    _, near_cage = cKDTree(cv).query(body_v)
    flesh = np.clip((1.0 - goal[near_cage]) / max(1e-6, 1.0 - s.stiffness), 0.0, 1.0)
    # The binding happens on frame 0's pose. Where another body part touches there (arms hanging:
    # the hand beside the thigh), Surface Deform would also bind to that part's cage faces and
    # the flesh would follow the hand away (30 cm jumps): such vertices stay rigidly skinned.
    scene.frame_set(scene.frame_start)
    flesh[_touching_other_parts(body, cage, body_v, cv)] = 0.0
    fg = body.vertex_groups.new(name="weartwin_flesh")
    for value in np.unique(np.round(flesh, 2)):
        if value > 0:
            fg.add(np.nonzero(np.round(flesh, 2) == value)[0].tolist(), float(value), "REPLACE")
    sd = body.modifiers.new("SurfaceDeform", "SURFACE_DEFORM")
    sd.target = cage
    sd.vertex_group = "weartwin_flesh"
    scene.frame_set(scene.frame_start)
    with bpy.context.temp_override(object=body, active_object=body):
        bpy.ops.object.surfacedeform_bind(modifier=sd.name)
    bpy.context.evaluated_depsgraph_get().update()
    if not sd.is_bound:
        raise RuntimeError("soft body: the body could not be bound to its proxy cage")
    return cage
