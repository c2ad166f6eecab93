"""Scene settings of the add-on (`scene.weartwin`), mirroring `BakeConfig`."""

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty,
                       PointerProperty, StringProperty)

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


def _presets(items):
    return [(k, k.replace("_", " "), "") for k in items]


class WEARTWIN_PG_settings(bpy.types.PropertyGroup):
    motion_path: StringProperty(name="Motion file", subtype="FILE_PATH")
    fps: FloatProperty(name="Output fps", default=60.0, min=1.0, max=1000.0,
                       description="sampling rate of the simulated signals")
    source_fps: FloatProperty(name="Source fps", default=0.0, min=0.0,
                              description="frame rate for files that do not store one (0: from the file)")
    height: FloatProperty(name="Height", default=1.7, min=0.5, max=2.5, unit="LENGTH",
                          description="normalized standing height of the body")
    body_model: EnumProperty(name="Body", items=[
        ("anny", "Anny (free)", "NAVER's Anny body model, shipped"),
        ("smpl", "SMPL-family file", "your licensed SMPL/SMPL-H/SMPL-X file (set in the add-on preferences)")])
    shape_mode: EnumProperty(name="Shape", items=[
        ("default", "Default", "the default body"),
        ("variant", "Seeded variant", "the N-th seeded body-shape variant, as `weartwin bake --vary-body`"),
        ("custom", "Custom (Anny)", "your own Anny phenotype")])
    variant: IntProperty(name="Variant", default=1, min=1, max=99)
    seed: IntProperty(name="Seed", default=0, min=0)
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
    frequency_khz: FloatProperty(name="Frequency (kHz)", default=50.0, min=0.1, max=10000.0)
    contact_distance: FloatProperty(name="Contact distance", default=0.002, min=0.0, max=0.1, unit="LENGTH")
    imu_noise: BoolProperty(name="IMU noise", default=False, description="MEMS noise, bias, scale error")

    softbody: BoolProperty(name="Soft body", default=False, description="soft-body flesh on a proxy cage")
    softbody_stiffness: FloatProperty(name="Flesh stiffness", default=0.7, min=0.0, max=1.0,
                                      description="goal weight of the softest flesh (1: rigid skinning)")

    out_dir: StringProperty(name="Export folder", subtype="DIR_PATH", default="//weartwin_export")
    csv: BoolProperty(name="CSV", default=True)
    preview: BoolProperty(name="Plot PNG", default=True)
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
