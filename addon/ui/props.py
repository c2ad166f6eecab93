"""Scene settings of the add-on (`scene.weartwin`). The bake options take their default, range and
tooltip from `BakeConfig` (addon/config.py owns them); `session.config_from_settings` builds and
validates the BakeConfig."""

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty,
                       PointerProperty, StringProperty)

from ..config import option
from ..sensors.impedance.electrodes import PRESET_ELECTRODES, PRESET_PAIRS
from ..sensors.sites import PRESET_SITES


class WEARTWIN_PG_site(bpy.types.PropertyGroup):
    name: StringProperty(name="Name")
    spec: StringProperty(name="Definition", description="'preset' or vertices:I[,J,K] on the body mesh")


class WEARTWIN_PG_electrode(bpy.types.PropertyGroup):
    name: StringProperty(name="Name")
    spec: StringProperty(name="Definition", description="vertices:I,J,.. or bone:BONE:OFFSET")


class WEARTWIN_PG_pair(bpy.types.PropertyGroup):
    name: StringProperty(name="Pair", description="a preset pair or A:B with electrode names")


def _bake(name: str, scale: float = 1.0, **kw) -> dict:
    """Default, min, max and description of BakeConfig field `name` (times `scale`, e.g. Hz -> kHz)."""
    m = option(name)
    default = m["default"][0] if isinstance(m["default"], tuple) else m["default"]
    lo = m["min"] if m["min"] is not None else m["gt"]

    def scaled(x):
        return x * scale if scale != 1.0 else x

    out = {"default": default if isinstance(default, bool) else scaled(default or 0), "description": m["help"]}
    if lo is not None:
        out["min"] = scaled(lo)
    if m["max"] is not None:
        out["max"] = scaled(m["max"])
    return {**out, **kw}


def _choice(name: str) -> dict:
    """Items, default and description of BakeConfig's string option `name` (its `choices`)."""
    m = option(name)
    return {"items": [(c, c.replace("-", " ").capitalize(), "") for c in m["choices"]], "default": m["default"],
            "description": m["help"]}


def _presets(items):
    return [(k, k.replace("_", " "), "") for k in items]


class WEARTWIN_PG_settings(bpy.types.PropertyGroup):
    motion_path: StringProperty(name="Motion file", subtype="FILE_PATH")
    fps: FloatProperty(name="Output fps", **_bake("fps"))
    source_fps: FloatProperty(name="Source fps", **_bake("source_fps", min=0.0,
                              description="frame rate for files that do not store one (0: from the file)"))
    height: FloatProperty(name="Height", unit="LENGTH", **_bake("height"))
    body_model: EnumProperty(name="Body", items=[
        ("anny", "Anny (free)", "NAVER's Anny body model, shipped"),
        ("smpl", "SMPL-family file", "your licensed SMPL/SMPL-H/SMPL-X file (set in the add-on preferences)")])
    shape_mode: EnumProperty(name="Shape", items=[
        ("default", "Default", "the default body"),
        ("variant", "Seeded variant", "the N-th seeded body-shape variant, as `weartwin bake --vary-body`"),
        ("custom", "Custom (Anny)", "your own Anny phenotype")])
    variant: IntProperty(name="Variant", default=1, min=1, max=99)
    seed: IntProperty(name="Seed", **_bake("seed"))
    gender: FloatProperty(name="Gender", default=0.5, min=0.0, max=1.0, description="0 female .. 1 male")
    age: FloatProperty(name="Age", default=0.5, min=0.0, max=1.0)
    muscle: FloatProperty(name="Muscle", default=0.5, min=0.0, max=1.0)
    weight: FloatProperty(name="Weight", default=0.5, min=0.0, max=1.0)
    proportions: FloatProperty(name="Proportions", default=0.5, min=0.0, max=1.0)

    use_imu: BoolProperty(name="IMU", default=True)
    use_impedance: BoolProperty(name="Impedance", default=True)
    sites: CollectionProperty(type=WEARTWIN_PG_site)
    site_index: IntProperty()
    electrodes: CollectionProperty(type=WEARTWIN_PG_electrode)
    electrode_index: IntProperty()
    pairs: CollectionProperty(type=WEARTWIN_PG_pair)
    pair_index: IntProperty()
    site_preset: EnumProperty(name="Site preset", items=_presets(PRESET_SITES))
    electrode_preset: EnumProperty(name="Electrode preset", items=_presets(PRESET_ELECTRODES))
    pair_preset: EnumProperty(name="Pair preset", items=_presets(PRESET_PAIRS))
    pair_a: StringProperty(name="A", description="electrode name (preset or defined)")
    pair_b: StringProperty(name="B", description="electrode name (preset or defined)")
    frequency_khz: FloatProperty(name="Frequency (kHz)", **_bake("frequencies", 1e-3))
    contact_distance: FloatProperty(name="Contact distance", unit="LENGTH", **_bake("contact_distance"))
    electrode_type: EnumProperty(name="Electrodes", **_choice("electrode_type"))
    imu_noise: EnumProperty(name="IMU noise", **_choice("imu_noise"))
    imu_axes: EnumProperty(name="Wrist axes", **_choice("imu_axes"))

    softbody: BoolProperty(name="Soft body", **_bake("softbody"))
    softbody_stiffness: FloatProperty(name="Flesh stiffness", **_bake("softbody_stiffness"))

    out_dir: StringProperty(name="Export folder", subtype="DIR_PATH", default="//weartwin_export")
    # batches and studies (addon/ui/batch.py): the command line in a child process
    batch_input: StringProperty(name="Input", subtype="FILE_PATH",
                                description="a folder or .zip of motions, a manifest (.txt/.jsonl), or a study "
                                            "spec (.yaml/.json, as `weartwin synth`)")
    batch_out: StringProperty(name="Output folder", subtype="DIR_PATH", default="//weartwin_batch")
    batch_workers: IntProperty(name="Workers", default=1, min=1, max=64,
                               description="bake processes at once (one per CPU core at most)")
    batch_running: BoolProperty(default=False)
    batch_progress: FloatProperty(default=0.0, min=0.0, max=1.0)
    batch_status: StringProperty(default="")
    csv: BoolProperty(name="CSV", **_bake("csv"))              # off, as `weartwin bake`
    preview: BoolProperty(name="Plot PNG", **_bake("preview"))
    show_sensors: BoolProperty(name="Sensor axes", default=True)
    show_path: BoolProperty(name="Current path", default=True)
    # bake state (read by the panel)
    progress: FloatProperty(name="Progress", default=0.0, min=0.0, max=1.0, subtype="FACTOR")
    baking: BoolProperty(default=False)
    status: StringProperty(default="")


CLASSES = (WEARTWIN_PG_site, WEARTWIN_PG_electrode, WEARTWIN_PG_pair, WEARTWIN_PG_settings)


_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register():
    _register_classes()
    bpy.types.Scene.weartwin = PointerProperty(type=WEARTWIN_PG_settings)


def unregister():
    del bpy.types.Scene.weartwin
    _unregister_classes()
