"""Operators `bpy.ops.weartwin.*`: import, body, sensors and electrodes, bake, export, plot.

Every operator calls the core (`Baker.setup` / `Baker.frames`, the exporters) exactly as
`weartwin bake` does. Bad input is reported as one Blender error line, never a traceback.
"""

import os
import tempfile
import time
from pathlib import Path

import bpy
from bpy.props import EnumProperty, FloatProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from ..motion import MOTION_EXTENSIONS, MotionError
from ..sensors.impedance.electrodes import PRESET_ELECTRODES, ElectrodeError
from . import session
from .session import SettingsError

USER_ERRORS = (SettingsError, MotionError, ElectrodeError, ValueError, OSError, KeyError)


def _fail(op, e: Exception) -> set:
    msg = " ".join(str(e).split()) or e.__class__.__name__
    op.report({"ERROR"}, msg)
    return {"CANCELLED"}


class WEARTWIN_OT_import_motion(bpy.types.Operator, ImportHelper):
    """Import a motion file (every format `weartwin bake` reads) onto the WearTwin body"""
    bl_idname = "weartwin.import_motion"
    bl_label = "Import Motion (WearTwin)"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default=";".join(f"*{e}" for e in MOTION_EXTENSIONS), options={"HIDDEN"})
    fps: FloatProperty(name="Output fps", default=60.0, min=1.0)
    height: FloatProperty(name="Height", default=1.7, min=0.5, max=2.5, unit="LENGTH")
    source_fps: FloatProperty(name="Source fps", default=0.0, min=0.0,
                              description="for files without a frame rate (0: from the file)")
    body_model: EnumProperty(name="Body", items=[("anny", "Anny (free)", ""), ("smpl", "SMPL-family file", "")])

    def invoke(self, context, event):
        s = context.scene.weartwin
        self.fps, self.height, self.source_fps, self.body_model = s.fps, s.height, s.source_fps, s.body_model
        return ImportHelper.invoke(self, context, event)

    def execute(self, context):
        s = context.scene.weartwin
        session.seed_defaults(s)     # a scene made after the add-on was enabled: the CLI's sensors
        old = s.motion_path
        s.motion_path, s.fps, s.height, s.source_fps, s.body_model = (self.filepath, self.fps, self.height,
                                                                      self.source_fps, self.body_model)
        try:
            rig = session.build_rig(context)
        except USER_ERRORS as e:
            s.motion_path = old
            msg = " ".join(str(e).split())
            self.report({"ERROR"}, msg if self.filepath in msg else f"{self.filepath}: {msg}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Imported {Path(self.filepath).name}: {rig.motion.n_frames} frames at {s.fps:g} fps")
        return {"FINISHED"}


class WEARTWIN_OT_demo_motion(bpy.types.Operator):
    """Use the built-in demo motion (two bicep curls, then a wave)"""
    bl_idname = "weartwin.demo_motion"
    bl_label = "Demo Motion"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        session.seed_defaults(context.scene.weartwin)
        context.scene.weartwin.motion_path = session.DEMO
        try:
            session.build_rig(context)
        except USER_ERRORS as e:
            return _fail(self, e)
        return {"FINISHED"}


class WEARTWIN_OT_preview_description(bpy.types.Operator):
    """Turn a description into motion (as `weartwin text2motion` does, offline) and load it on the body"""
    bl_idname = "weartwin.preview_description"
    bl_label = "Preview Description"
    bl_options = {"REGISTER", "UNDO"}

    text: StringProperty(name="Description", default="bring the right hand to the mouth")

    def invoke(self, context, event):
        return context.window_manager.invoke_props_dialog(self)

    def execute(self, context):
        import hashlib

        from ..text2motion import make_backend
        from ..text2motion.io import write_amass

        s = context.scene.weartwin
        old = s.motion_path
        try:    # a description the product cannot turn into a movement is refused with its one line
            motion = make_backend("procedural", fps=s.fps).generate(self.text)
            path = Path(bpy.app.tempdir or tempfile.gettempdir()) / \
                f"weartwin_preview_{hashlib.sha1(self.text.encode()).hexdigest()[:12]}.npz"
            s.motion_path = str(write_amass(motion, path))
            session.build_rig(context)
        except USER_ERRORS as e:
            s.motion_path = old
            return _fail(self, e)
        self.report({"INFO"}, f"{motion.source.get('backend', 'procedural')}: {motion.n_frames} frames at {s.fps:g} fps")
        return {"FINISHED"}


class WEARTWIN_OT_build_body(bpy.types.Operator):
    """Rebuild the body with the current body model, shape and height"""
    bl_idname = "weartwin.build_body"
    bl_label = "Rebuild Body"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        try:
            session.build_rig(context)
        except USER_ERRORS as e:
            return _fail(self, e)
        return {"FINISHED"}


def _unique(coll, name: str) -> str:
    names = {x.name for x in coll}
    if name not in names:
        return name
    k = 2
    while f"{name}_{k}" in names:
        k += 1
    return f"{name}_{k}"


class _AddFromSelection:
    """Shared by sites and electrodes: a preset, or the selected vertices of the body."""
    bl_options = {"REGISTER", "UNDO"}
    kind = ""                                   # "sites" | "electrodes"

    source: EnumProperty(items=[("PRESET", "Preset", ""), ("SELECTED", "Selected vertices", "")])
    name: StringProperty(name="Name", default="")

    def preset(self, s) -> tuple[str, str]:
        raise NotImplementedError

    def execute(self, context):
        s = context.scene.weartwin
        coll = getattr(s, self.kind)
        try:
            if self.source == "PRESET":
                name, spec = self.preset(s)
            else:
                ids = session.selected_vertices(context)
                default = "site" if self.kind == "sites" else "electrode"
                name, spec = _unique(coll, self.name or default), "vertices:" + ",".join(map(str, ids))
        except USER_ERRORS as e:
            return _fail(self, e)
        item = coll.add()
        item.name, item.spec = name, spec
        setattr(s, "site_index" if self.kind == "sites" else "electrode_index", len(coll) - 1)
        self.added(s, name)
        return {"FINISHED"}

    def added(self, s, name: str) -> None:
        pass


class WEARTWIN_OT_add_site(_AddFromSelection, bpy.types.Operator):
    """Add an IMU site: a preset (watch on a wrist) or the selected vertices of the body"""
    bl_idname = "weartwin.add_site"
    bl_label = "Add IMU Site"
    kind = "sites"

    def preset(self, s):
        if s.site_preset in {x.name for x in s.sites}:
            raise SettingsError(f"IMU site '{s.site_preset}' is already there")
        return s.site_preset, "preset"


class WEARTWIN_OT_add_electrode(_AddFromSelection, bpy.types.Operator):
    """Define an electrode from a preset or from the selected vertices of the body"""
    bl_idname = "weartwin.add_electrode"
    bl_label = "Add Electrode"
    kind = "electrodes"

    def preset(self, s):
        return _unique(s.electrodes, s.electrode_preset), s.electrode_preset

    def added(self, s, name):      # fill the pair fields A, B as electrodes come in
        if not s.pair_a:
            s.pair_a = name
        elif not s.pair_b:
            s.pair_b = name


class WEARTWIN_OT_add_pair(bpy.types.Operator):
    """Add an electrode pair: a preset pair, or electrodes A and B"""
    bl_idname = "weartwin.add_pair"
    bl_label = "Add Electrode Pair"
    bl_options = {"REGISTER", "UNDO"}

    source: EnumProperty(items=[("PRESET", "Preset", ""), ("AB", "A and B", "")])

    def execute(self, context):
        s = context.scene.weartwin
        if self.source == "PRESET":
            name = s.pair_preset
        else:
            known = set(PRESET_ELECTRODES) | {e.name for e in s.electrodes}
            for side, e in (("A", s.pair_a), ("B", s.pair_b)):
                if e not in known:
                    return _fail(self, SettingsError(f"electrode {side} '{e}' is not defined (add it first)"))
            if s.pair_a == s.pair_b:
                return _fail(self, SettingsError("electrodes A and B must differ"))
            name = f"{s.pair_a}:{s.pair_b}"
        if name in {p.name for p in s.pairs}:
            return _fail(self, SettingsError(f"pair '{name}' is already there"))
        s.pairs.add().name = name
        s.pair_index = len(s.pairs) - 1
        return {"FINISHED"}


class WEARTWIN_OT_remove_item(bpy.types.Operator):
    """Remove the selected entry from a list"""
    bl_idname = "weartwin.remove_item"
    bl_label = "Remove"
    bl_options = {"REGISTER", "UNDO"}

    what: EnumProperty(items=[("sites", "IMU site", ""), ("electrodes", "Electrode", ""), ("pairs", "Pair", "")])

    def execute(self, context):
        s = context.scene.weartwin
        coll = getattr(s, self.what)
        idx_name = {"sites": "site_index", "electrodes": "electrode_index", "pairs": "pair_index"}[self.what]
        i = getattr(s, idx_name)
        if 0 <= i < len(coll):
            coll.remove(i)
            setattr(s, idx_name, max(0, i - 1))
        return {"FINISHED"}


# Modal bake slices (see WEARTWIN_OT_bake._slice_seconds)
SLICE_RATIO = 6.0
SLICE_FIRST_S = 0.5     # before the interface time is measured
SLICE_MIN_S = 0.1
SLICE_MAX_S = 2.0       # while the interface answers quickly
SLICE_UI_MULT = 3.0     # ... else up to this many interface times (a redraw taking seconds: loaded machine)
SLICE_CEIL_S = 10.0


class WEARTWIN_OT_bake(bpy.types.Operator):
    """Simulate the sensors over the whole motion (Esc cancels)"""
    bl_idname = "weartwin.bake"
    bl_label = "Bake Signals"
    bl_options = {"REGISTER", "UNDO"}

    _gen = None
    _timer = None

    def _start(self, context) -> None:
        s = context.scene.weartwin
        session.seed_defaults(s)
        self._cfg = session.config_from_settings(s)
        self._rig = session.build_rig(context, self._cfg)
        self._gen = session.baker(self._cfg).frames(self._rig)
        self._t0 = time.perf_counter()
        self._slice_end = None      # when our last slice of frames ended
        self._ui_s = None           # smoothed time the interface takes between two slices
        s.baking, s.progress, s.status = True, 0.0, "baking…"

    def execute(self, context):   # scripts and tests: run to the end, synchronously
        try:
            self._start(context)
            while True:
                next(self._gen)
        except StopIteration as stop:
            self._rec = stop.value
        except USER_ERRORS as e:
            self._stop(context)
            return _fail(self, e)
        return self._finish(context)

    def invoke(self, context, event):
        try:
            self._start(context)
        except USER_ERRORS as e:
            self._stop(context)
            return _fail(self, e)
        wm = context.window_manager
        wm.progress_begin(0, 100)
        self._timer = wm.event_timer_add(0.01, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        s = context.scene.weartwin
        if event.type == "ESC":
            self._gen.close()
            self._stop(context)
            s.status = "bake cancelled"
            self.report({"WARNING"}, "Bake cancelled: no new results (the last finished bake is still exportable)")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        now = time.perf_counter()
        try:
            done = total = 0
            for _ in range(1 << 30):
                done, total = next(self._gen)
                if time.perf_counter() - now >= self._slice_seconds(now):
                    break
        except StopIteration as stop:
            self._rec = stop.value
            return self._finish(context)
        except USER_ERRORS as e:
            self._stop(context)
            return _fail(self, e)
        s.progress = done / max(total, 1)   # one property write per slice, not per frame
        context.window_manager.progress_update(int(100 * s.progress))
        for area in context.screen.areas:   # the progress bar lives in the sidebar
            if area.type == "VIEW_3D":
                for region in area.regions:
                    if region.type == "UI":
                        region.tag_redraw()
        self._slice_end = time.perf_counter()
        return {"RUNNING_MODAL"}

    def _slice_seconds(self, now: float) -> float:
        """How long to simulate before handing control back to the interface.

        Between two slices Blender redraws (the frame changed, so every viewport showing the
        body redraws; under software OpenGL that alone can take ~1 s). A fixed 0.1 s slice then
        spends most of the bake redrawing, which made GUI bakes ~10x slower than headless ones.
        The slice is kept at SLICE_RATIO times the measured interface time, so the bake runs at
        >= RATIO/(RATIO+1) of headless speed, within [SLICE_MIN_S, SLICE_MAX_S] so Esc and the
        progress bar still answer within about two seconds. On a loaded machine one redraw can take
        several seconds (software OpenGL sharing the cores): a 2 s cap then made the GUI bake 2.8x
        slower than the scripted one at load ~9. The cap grows to SLICE_UI_MULT interface times
        (<= SLICE_CEIL_S): the interface is already that slow to answer, and the bake stays within
        (MULT+1)/MULT of headless speed."""
        if self._slice_end is not None:
            gap = now - self._slice_end
            self._slice_end = None
            self._ui_s = gap if self._ui_s is None else 0.6 * self._ui_s + 0.4 * gap
        if self._ui_s is None:
            return SLICE_FIRST_S
        cap = min(SLICE_CEIL_S, max(SLICE_MAX_S, SLICE_UI_MULT * self._ui_s))
        return min(cap, max(SLICE_MIN_S, SLICE_RATIO * self._ui_s))

    def _stop(self, context):
        s = context.scene.weartwin
        s.baking = False
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            context.window_manager.progress_end()
            self._timer = None

    def _finish(self, context):
        from ..export.names import export_path
        from ..export.preview import write_preview
        from .visual import add_current_paths, add_sensor_axes

        self._stop(context)
        s = context.scene.weartwin
        rec = self._rec
        coll = session.collection(context)
        if s.show_sensors:
            add_sensor_axes(rec, coll)
        if s.show_path:
            add_current_paths(rec, coll)
        stem = export_path(Path(session.motion_stem(s)), self._rig.variant.label).stem   # names.py owns names
        plot = Path(tempfile.gettempdir()) / f"weartwin_{os.getpid()}_{stem}.png"
        entry = {"recording": rec, "config": self._cfg, "stem": stem, "plot": None, "source": s.motion_path}
        try:
            write_preview(rec.arrays(), plot, f"{stem} — WearTwin bake")
            entry["plot"] = plot
        except ImportError as e:
            self.report({"WARNING"}, f"no plot: {e} (set Extra Python packages in the preferences)")
        session.RESULTS[context.scene.name] = entry
        if entry["plot"] is not None:
            from .visual import show_image

            show_image(context, plot)
        sec = time.perf_counter() - self._t0
        s.progress, s.status = 1.0, f"baked {len(rec.t)} frames in {sec:.1f} s"
        context.scene.frame_set(0)
        self.report({"INFO"}, s.status)
        return {"FINISHED"}


class WEARTWIN_OT_export(bpy.types.Operator):
    """Write the baked signals: <stem>.npz (+ .csv, + .png), the same files as `weartwin bake`"""
    bl_idname = "weartwin.export"
    bl_label = "Export"
    bl_options = {"REGISTER"}

    directory: StringProperty(name="Folder", subtype="DIR_PATH", default="")

    def execute(self, context):
        from ..export.names import derived_path, export_path
        from ..export.preview import write_preview
        from ..export.recording import write_csv, write_npz

        s = context.scene.weartwin
        entry = session.RESULTS.get(context.scene.name)
        if entry is None:
            return _fail(self, SettingsError("nothing baked yet: press Bake first"))
        out = Path(bpy.path.abspath(self.directory or s.out_dir))
        rec, stem = session.cli_recording(entry, s.csv, s.preview), entry["stem"]
        try:
            npz = write_npz(rec, export_path(out / stem))
            written = [npz]
            if s.csv:
                written.append(write_csv(rec, derived_path(npz, "csv")))
            if s.preview:
                written.append(write_preview(rec.arrays(), derived_path(npz, "preview"), f"{stem} — WearTwin"))
        except (OSError, ImportError) as e:
            return _fail(self, OSError(f"{out}: cannot write ({e})"))
        self.report({"INFO"}, f"Wrote {', '.join(p.name for p in written)} to {out}")
        return {"FINISHED"}


class WEARTWIN_OT_show_plot(bpy.types.Operator):
    """Show the plot of the baked channels in an Image Editor"""
    bl_idname = "weartwin.show_plot"
    bl_label = "Show Plot"

    def execute(self, context):
        from .visual import show_image

        entry = session.RESULTS.get(context.scene.name)
        if entry is None or entry.get("plot") is None:
            return _fail(self, SettingsError("no plot yet: bake first"))
        show_image(context, entry["plot"])
        return {"FINISHED"}


def menu_import(self, context):
    self.layout.operator(WEARTWIN_OT_import_motion.bl_idname,
                         text=f"WearTwin motion ({'/'.join(MOTION_EXTENSIONS)})")


CLASSES = (WEARTWIN_OT_import_motion, WEARTWIN_OT_demo_motion, WEARTWIN_OT_build_body, WEARTWIN_OT_add_site,
           WEARTWIN_OT_add_electrode, WEARTWIN_OT_add_pair, WEARTWIN_OT_remove_item, WEARTWIN_OT_bake,
           WEARTWIN_OT_export, WEARTWIN_OT_show_plot, WEARTWIN_OT_preview_description)


_register_classes, _unregister_classes = bpy.utils.register_classes_factory(CLASSES)


def register():
    _register_classes()
    bpy.types.TOPBAR_MT_file_import.append(menu_import)


def unregister():
    bpy.types.TOPBAR_MT_file_import.remove(menu_import)
    _unregister_classes()
