"""The add-on's link to the core: scene settings -> `BakeConfig`, body variant and motion, and
the one `Baker` whose `setup` / `frames` the headless runner uses too."""
from __future__ import annotations

from pathlib import Path

import bpy

from ..bake import Baker
from ..body.variants import BodyVariant, variants_for
from ..config import BakeConfig, ConfigError
from ..motion import load_motion
from ..motion.procedural import demo_motion
from ..scene.build import ROLE
from .prefs import apply_python_path, prefs

COLLECTION = "WearTwin"
DEMO = "builtin:demo"
_BAKER: Baker | None = None
RESULTS: dict = {}    # scene name -> {"recording", "stem", "plot"}


class SettingsError(ValueError):
    """Settings that cannot be baked; the message is one line for the status bar."""


def baker(cfg: BakeConfig) -> Baker:
    global _BAKER
    if _BAKER is None:
        _BAKER = Baker(cfg)
    _BAKER.config = cfg
    return _BAKER


def seed_defaults(s) -> bool:
    """Give scene settings `s` the sensors of `weartwin bake` (its default IMU sites and electrode
    pairs, from BakeConfig) once: a scene the user has emptied on purpose stays empty."""
    if s.get("seeded") or s.sites or s.pairs:
        return False
    defaults = BakeConfig()
    for name in defaults.imu_sites:
        it = s.sites.add()
        it.name, it.spec = name, "preset"
    for name in defaults.electrodes:
        s.pairs.add().name = name
    s["seeded"] = True
    return True


def config_from_settings(s) -> BakeConfig:
    sensors = tuple(n for n, on in (("imu", s.use_imu), ("impedance", s.use_impedance)) if on)
    if not sensors:
        raise SettingsError("switch on at least one sensor (IMU or impedance)")
    sites = tuple(x.name for x in s.sites)
    if "imu" in sensors and not sites:
        raise SettingsError("add at least one IMU site, or switch IMU off")
    pairs = tuple(p.name for p in s.pairs)
    if "impedance" in sensors and not pairs:
        raise SettingsError("add at least one electrode pair, or switch impedance off")
    cfg = BakeConfig(fps=f32(s.fps), body=body_model(s), height=f32(s.height), sensors=sensors,
                     imu_sites=sites or ("left_wrist",),
                     imu_site_defs={x.name: x.spec for x in s.sites if x.spec.startswith("vertices:")},
                     electrodes=pairs or ("wrist_wrist",),
                     electrode_defs={e.name: e.spec for e in s.electrodes},
                     frequencies=(float(f"{f32(s.frequency_khz) * 1e3:.12g}"),), softbody=s.softbody,
                     softbody_stiffness=f32(s.softbody_stiffness), seed=s.seed,
                     source_fps=f32(s.source_fps) or None, imu_noise=s.imu_noise, imu_axes=s.imu_axes,
                     electrode_type=s.electrode_type,
                     contact_distance=f32(s.contact_distance), save_path=True, csv=s.csv, preview=s.preview)
    try:
        return cfg.validated()   # the same check as the command line and manifests
    except ConfigError as e:
        raise SettingsError(str(e)) from None


def f32(x: float) -> float:
    """The value a user typed, back from Blender's float32 property (1.7000000476837158 -> 1.7):
    the shortest decimal that is the same float32, so the GUI's config hashes as the CLI's does."""
    import numpy as np

    return float(np.format_float_positional(np.float32(x), unique=True, trim="0"))


def cli_recording(entry: dict, csv: bool, preview: bool):
    """The baked recording as `weartwin bake` writes it for the same options: without the
    current path the viewport draws (`save_path`) and with the CLI's config and hash, so the
    command line finds a GUI export up to date instead of baking it again."""
    import dataclasses

    from ..export.recording import Recording

    rec, cfg = entry["recording"], entry["config"]
    cli = dataclasses.replace(cfg, save_path=False, csv=csv, preview=preview)
    imp = {pair: {k: v for k, v in ch.items() if k != "path"} for pair, ch in rec.imp.items()}
    meta = {**rec.meta, "config": cli.to_dict(), "config_hash": cli.signal_hash()}
    return Recording(t=rec.t, imu=rec.imu, imp=imp, pose=rec.pose, meta=meta)


def body_model(s) -> str:
    if s.body_model == "anny":
        return "anny"
    p = prefs()
    path = bpy.path.abspath(p.smpl_model) if p and p.smpl_model else ""
    if not path:
        raise SettingsError("set your SMPL-family model file in Preferences > Add-ons > WearTwin")
    return path


def motion_stem(s) -> str:
    return "demo" if s.motion_path == DEMO else Path(bpy.path.abspath(s.motion_path)).stem


def variant_from_settings(s) -> BodyVariant:
    model = body_model(s)
    if s.shape_mode == "variant":
        return variants_for(motion_stem(s), model, f32(s.height), s.variant, s.seed)[-1]
    if s.shape_mode == "custom":
        if model != "anny":
            raise SettingsError("custom phenotype sliders are for the Anny body")
        params = {k: round(float(getattr(s, k)), 3) for k in ("gender", "age", "muscle", "weight", "proportions")}
        return BodyVariant("custom", "anny", params, f32(s.height))
    return BodyVariant("", model, {}, f32(s.height))


def load_settings_motion(s):
    if not s.motion_path:
        raise SettingsError("import a motion first (File > Import > WearTwin motion, or the Demo button)")
    if s.motion_path == DEMO:
        return demo_motion(fps=60.0)
    return load_motion(bpy.path.abspath(s.motion_path), source_fps=f32(s.source_fps) or None,
                       bvh_map=getattr(s, "bvh_map", "") or None, bvh_scale=getattr(s, "bvh_scale", 0.0) or None)


def collection(context) -> bpy.types.Collection:
    coll = bpy.data.collections.get(COLLECTION)
    if coll is None:
        coll = bpy.data.collections.new(COLLECTION)
    if coll.name not in context.scene.collection.children:
        context.scene.collection.children.link(coll)
    return coll


def clear_collection(coll, roles=None) -> None:
    """Remove the collection's objects (or those with the given roles) and their orphaned data."""
    datas = []
    for obj in list(coll.objects):
        if roles is None or obj.get(ROLE) in roles:
            if obj.data is not None:
                datas.append(obj.data)
            bpy.data.objects.remove(obj, do_unlink=True)
    for d in datas:
        if d.users == 0:
            for store in (bpy.data.meshes, bpy.data.armatures, bpy.data.curves):
                if store.get(d.name) == d:
                    store.remove(d)
                    break


def build_rig(context, cfg: BakeConfig | None = None):
    """(Re)build the body with the current settings in the WearTwin collection."""
    apply_python_path()
    s = context.scene.weartwin
    cfg = cfg or _preview_config(s)
    motion = load_settings_motion(s)
    variant = variant_from_settings(s)
    coll = collection(context)
    clear_collection(coll)
    if context.object and context.object.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    rig = baker(cfg).setup(motion, variant, coll)
    context.scene.frame_set(0)
    rig.arm.show_in_front = True              # the skeleton stays visible through the skin
    rig.arm.data.display_type = "STICK"
    hide_default_cube(context)
    frame_body(context, variant.height, root_path(context, rig.arm))
    return rig


def hide_default_cube(context) -> list[str]:
    """The factory startup cube (2 m, at the origin) would swallow the body up to its neck:
    hide it (viewport and render; nothing is deleted). Other objects are the user's business."""
    hidden = []
    for obj in context.scene.objects:
        if (obj.type == "MESH" and obj.name.startswith("Cube") and len(obj.data.vertices) == 8
                and obj.matrix_world.translation.length < 1.0 and max(obj.dimensions) <= 2.5
                and not obj.hide_get()):
            obj.hide_set(True)
            obj.hide_render = True
            hidden.append(obj.name)
    return hidden


def root_path(context, arm, samples: int = 12):
    """(N,2) ground-plane positions of the body's root bone at N frames spread over the motion
    (a walk travels metres: the view must hold all of it), or None without a window."""
    import numpy as np

    if getattr(context, "screen", None) is None or arm is None or not arm.pose.bones:
        return None
    scene = context.scene
    frames = np.unique(np.linspace(scene.frame_start, scene.frame_end, samples).round().astype(int))
    now, pts = scene.frame_current, []
    for f in frames:
        scene.frame_set(int(f))
        pts.append(tuple((arm.matrix_world @ arm.pose.bones[0].head)[:2]))
    scene.frame_set(now)
    return np.array(pts)


def frame_body(context, height: float, path=None) -> None:
    """Point every 3D viewport of the window at the whole body over its whole motion: the
    middle of the ground it covers (`path`, from root_path), far enough to see all of it."""
    from mathutils import Euler

    screen = getattr(context, "screen", None)
    if screen is None:          # background / no window
        return
    cx = cy = extent = 0.0
    if path is not None and len(path):
        lo, hi = path.min(axis=0), path.max(axis=0)
        cx, cy = (float(v) for v in 0.5 * (lo + hi))
        extent = float(max(hi - lo))
    for area in screen.areas:
        if area.type != "VIEW_3D":
            continue
        r3d = area.spaces.active.region_3d
        r3d.view_location = (cx, cy, 0.5 * height)
        r3d.view_distance = 1.7 * height + 1.1 * extent
        if r3d.view_perspective != "CAMERA":
            r3d.view_rotation = Euler((1.35, 0.0, 0.45)).to_quaternion()
        area.tag_redraw()


def _preview_config(s) -> BakeConfig:
    try:
        return config_from_settings(s)
    except SettingsError:   # sensors are not needed to look at the motion
        return BakeConfig(fps=f32(s.fps), body=body_model(s), height=f32(s.height), sensors=("imu",),
                          softbody=False, source_fps=f32(s.source_fps) or None)


def body_object(context):
    coll = bpy.data.collections.get(COLLECTION)
    if coll is None:
        return None
    return next((o for o in coll.objects if o.get(ROLE) == "body"), None)


def selected_vertices(context) -> list[int]:
    """Indices of the selected vertices of the WearTwin body (edit or object mode)."""
    import numpy as np

    body = body_object(context)
    if body is None:
        raise SettingsError("no WearTwin body in the scene: import a motion first")
    if body.mode == "EDIT":
        body.update_from_editmode()
    sel = np.zeros(len(body.data.vertices), dtype=bool)
    body.data.vertices.foreach_get("select", sel)
    ids = np.nonzero(sel)[0].tolist()
    if not ids:
        raise SettingsError("select vertices on the WearTwin body (Edit Mode) first")
    return ids
