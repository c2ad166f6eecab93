"""The "WearTwin" tab of the 3D viewport's sidebar (N panel)."""

import bpy

from . import session

DRAWS = {"count": 0}   # draws of the tab's first panel: the GUI driver checks its screenshots show this tab


class WEARTWIN_UL_items(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        spec = getattr(item, "spec", "")
        row = layout.split(factor=0.55) if spec else layout.row()
        row.label(text=item.name, icon="DOT")
        if spec:
            row.label(text=spec if len(spec) < 20 else spec[:17] + "…")


def _labelled(col, s, prop: str) -> None:
    """A drop-down with its label on the line above, so neither is cut in a narrow sidebar."""
    col.label(text=s.bl_rna.properties[prop].name + ":")
    col.prop(s, prop, text="")


class _Panel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "WearTwin"


class WEARTWIN_PT_motion(_Panel, bpy.types.Panel):
    bl_label = "Motion & Body"
    bl_idname = "WEARTWIN_PT_motion"
    bl_order = 0

    def draw(self, context):
        DRAWS["count"] += 1
        s = context.scene.weartwin
        col = self.layout.column()
        row = col.row(align=True)
        row.operator("weartwin.import_motion", text="Import…", icon="IMPORT")
        row.operator("weartwin.demo_motion", text="Demo", icon="ARMATURE_DATA")
        if s.motion_path:
            col.label(text=session.motion_stem(s), icon="FILE")
        col.prop(s, "fps")
        col.prop(s, "height")
        col.separator()
        _labelled(col, s, "body_model")
        _labelled(col, s, "shape_mode")
        if s.shape_mode == "variant":
            row = col.row(align=True)
            row.prop(s, "variant")
            row.prop(s, "seed")
        elif s.shape_mode == "custom":
            sub = col.column(align=True)
            for k in ("gender", "age", "muscle", "weight", "proportions"):
                sub.prop(s, k, slider=True)
        col.operator("weartwin.build_body", icon="FILE_REFRESH")


class WEARTWIN_PT_sensors(_Panel, bpy.types.Panel):
    bl_label = "Sensors"
    bl_idname = "WEARTWIN_PT_sensors"
    bl_order = 2

    def draw(self, context):
        s = context.scene.weartwin
        col = self.layout.column()
        col.prop(s, "use_imu", text="IMU (acc + gyro)")
        if s.use_imu:
            col.template_list("WEARTWIN_UL_items", "sites", s, "sites", s, "site_index", rows=2)
            row = col.row(align=True)
            row.prop(s, "site_preset", text="")
            row.operator("weartwin.add_site", text="", icon="ADD").source = "PRESET"
            row.operator("weartwin.remove_item", text="", icon="REMOVE").what = "sites"
            col.operator("weartwin.add_site", text="Site from Selected Vertices", icon="VERTEXSEL").source = "SELECTED"
            _labelled(col, s, "imu_noise")       # label above: a narrow sidebar cuts "IMU n…"
            _labelled(col, s, "imu_axes")
        col.separator()
        col.prop(s, "use_impedance", text="Bio-impedance")
        if s.use_impedance:
            col.label(text="Electrodes")
            col.template_list("WEARTWIN_UL_items", "electrodes", s, "electrodes", s, "electrode_index", rows=2)
            row = col.row(align=True)
            row.prop(s, "electrode_preset", text="")
            row.operator("weartwin.add_electrode", text="", icon="ADD").source = "PRESET"
            row.operator("weartwin.remove_item", text="", icon="REMOVE").what = "electrodes"
            col.operator("weartwin.add_electrode", text="Electrode from Selected Vertices",
                         icon="VERTEXSEL").source = "SELECTED"
            col.label(text="Pairs (current between A and B)")
            col.template_list("WEARTWIN_UL_items", "pairs", s, "pairs", s, "pair_index", rows=2)
            row = col.row(align=True)
            row.prop(s, "pair_preset", text="")
            row.operator("weartwin.add_pair", text="", icon="ADD").source = "PRESET"
            row.operator("weartwin.remove_item", text="", icon="REMOVE").what = "pairs"
            row = col.row(align=True)
            row.prop(s, "pair_a")
            row.prop(s, "pair_b")
            row.operator("weartwin.add_pair", text="", icon="ADD").source = "AB"
            col.prop(s, "frequency_khz")
            col.prop(s, "contact_distance")
            _labelled(col, s, "electrode_type")
        col.separator()
        col.prop(s, "softbody")
        if s.softbody:
            col.prop(s, "softbody_stiffness", slider=True)


class WEARTWIN_PT_bake(_Panel, bpy.types.Panel):
    bl_label = "Bake & Export"
    bl_idname = "WEARTWIN_PT_bake"
    bl_order = 1             # above the long Sensors panel: Bake is in view without scrolling

    def draw(self, context):
        s = context.scene.weartwin
        col = self.layout.column()
        col.prop(s, "show_sensors")
        col.prop(s, "show_path")
        if s.baking:
            if hasattr(col, "progress"):
                col.progress(factor=s.progress, type="BAR", text=f"Baking… {100 * s.progress:.0f}% (Esc cancels)")
            else:
                col.label(text=f"Baking… {100 * s.progress:.0f}% (Esc cancels)")
        else:
            col.operator("weartwin.bake", icon="PLAY")
        if s.status:
            col.label(text=s.status, icon="INFO")
        col.separator()
        col.prop(s, "out_dir")
        row = col.row(align=True)
        row.prop(s, "csv")
        row.prop(s, "preview")
        col.operator("weartwin.export", icon="EXPORT")
        col.operator("weartwin.show_plot", icon="IMAGE_DATA")


class WEARTWIN_PT_batch(_Panel, bpy.types.Panel):
    bl_label = "Batches & Studies"
    bl_idname = "WEARTWIN_PT_batch"
    bl_order = 3
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        s = context.scene.weartwin
        col = self.layout.column()
        col.prop(s, "batch_input")
        col.prop(s, "batch_out")
        col.prop(s, "batch_workers")
        if s.batch_running:
            text = f"{s.batch_status} (Esc stops)"
            if hasattr(col, "progress"):
                col.progress(factor=s.batch_progress, type="BAR", text=text)
            else:
                col.label(text=text)
        else:
            col.operator("weartwin.bake_batch", icon="SEQ_STRIP_DUPLICATE")
            if s.batch_status:
                col.label(text=s.batch_status, icon="INFO")


CLASSES = (WEARTWIN_UL_items, WEARTWIN_PT_motion, WEARTWIN_PT_sensors, WEARTWIN_PT_bake, WEARTWIN_PT_batch)


register, unregister = bpy.utils.register_classes_factory(CLASSES)
