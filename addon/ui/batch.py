"""Batches and studies from the GUI: `weartwin bake FOLDER|ZIP|MANIFEST` or `weartwin synth SPEC`
run as a real child process, with its progress in the sidebar and Esc to stop it.

The child is the command line itself (the same runner, worker processes, resume, names and
summary.json), started with this Blender's Python and the package path of the add-on's
preferences (where `pip install weartwin` put `headless`). A bake batch takes the sensor and body
settings of the sidebar (`config.to_args`: the flags that rebuild the same `BakeConfig`); a
study takes its options from its spec. Esc sends SIGTERM: the runner stops its workers and
keeps no partial file.
"""
from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import threading
from pathlib import Path

import bpy

from ..config import to_args
from . import session
from .prefs import apply_python_path, prefs
from .session import SettingsError

STUDY_SUFFIXES = (".yaml", ".yml", ".json")   # `weartwin synth` specs; anything else: `weartwin bake`
_PROGRESS = re.compile(r"(\d+)/(\d+)")
# the child: site-packages of the preferences (processed like site-packages: .pth files, editable
# installs), then the CLI's main() with the arguments that follow
_BOOT = ("import site, sys; p = sys.argv[1]; p and site.addsitedir(p); sys.argv = ['weartwin'] + sys.argv[2:]; "
         "from headless.cli import main; sys.exit(main())")


def batch_command(s) -> list[str]:
    """The child's command line for the settings `s` (scene.weartwin)."""
    src = bpy.path.abspath(s.batch_input) if s.batch_input else ""
    out = bpy.path.abspath(s.batch_out) if s.batch_out else ""
    if not src or not Path(src).exists():
        raise SettingsError(f"batch input '{src or '(none)'}': no such file or folder")
    if not out:
        raise SettingsError("set the batch output folder")
    p = prefs()
    site = bpy.path.abspath(p.python_path) if p and p.python_path else ""
    study = Path(src).suffix.lower() in STUDY_SUFFIXES
    cmd = [sys.executable, "-c", _BOOT, site, "synth" if study else "bake", src, "--out", out, "--progress",
           "--workers", str(s.batch_workers)]
    if not study:
        cfg = dataclasses.replace(session.config_from_settings(s), save_path=False)
        cmd += to_args(cfg)
    return cmd


class _Child:
    """A running batch: the process, and what its output says so far (read by a thread)."""

    def __init__(self, cmd: list[str]):
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.done, self.total, self.lines = 0, 0, []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        buf = b""
        while chunk := self.proc.stdout.read1(4096):
            buf += chunk
            *parts, buf = re.split(rb"[\r\n]", buf)
            for part in parts:
                self._line(part.decode("utf-8", "replace").strip())
        self._line(buf.decode("utf-8", "replace").strip())

    def _line(self, text: str) -> None:
        if not text:
            return
        m = _PROGRESS.search(text)
        if m and "|" in text:               # a progress bar: 'items:  40%|████ | 2/5 [...]'
            self.done, self.total = int(m.group(1)), int(m.group(2))
        else:
            self.lines = (self.lines + [text])[-20:]

    def result(self) -> tuple[int, str]:
        """(exit status, the line that says how it went) once the child has ended."""
        rc = self.proc.wait()
        self.thread.join(timeout=5)
        lines = self.lines or [f"exit status {rc}"]
        if rc == 0:
            return rc, lines[-1]
        bad = [x for x in lines if "error" in x.lower() or x.startswith("FAILED") or "No module named" in x]
        line = (bad or lines)[-1]
        if "No module named 'headless'" in line:
            line = ("batches need the weartwin package: pip install it into the Python whose site-packages "
                    "the add-on preferences name")
        return rc, line


class WEARTWIN_OT_bake_batch(bpy.types.Operator):
    """Bake a folder, zip or manifest of motions (with the sensor settings above), or run a study
    spec (.yaml/.json, `weartwin synth`), in a separate process (Esc stops it)"""
    bl_idname = "weartwin.bake_batch"
    bl_label = "Run Batch"

    _child = None
    _timer = None

    def _start(self, context) -> None:
        apply_python_path()
        s = context.scene.weartwin
        self._child = _Child(batch_command(s))
        s.batch_running, s.batch_progress, s.batch_status = True, 0.0, "starting…"

    def execute(self, context):   # scripts and tests: run to the end
        try:
            self._start(context)
        except (SettingsError, ValueError, OSError) as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        return self._finish(context)

    def invoke(self, context, event):
        try:
            self._start(context)
        except (SettingsError, ValueError, OSError) as e:
            self.report({"ERROR"}, str(e))
            return {"CANCELLED"}
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.25, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        s = context.scene.weartwin
        if event.type == "ESC":
            self._child.proc.terminate()      # the runner stops its workers, keeps no partial file
            try:
                self._child.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._child.proc.kill()
            self._end(context)
            s.batch_status = "batch stopped (finished items are kept; run again to resume)"
            self.report({"WARNING"}, s.batch_status)
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        c = self._child
        if c.total:
            s.batch_progress = c.done / c.total
            s.batch_status = f"{c.done}/{c.total} items"
        elif c.lines:
            s.batch_status = c.lines[-1][:120]
        for area in context.screen.areas:
            if area.type == "VIEW_3D":
                for region in area.regions:
                    if region.type == "UI":
                        region.tag_redraw()
        if c.proc.poll() is None:
            return {"RUNNING_MODAL"}
        return self._finish(context)

    def _end(self, context) -> None:
        context.scene.weartwin.batch_running = False
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None

    def _finish(self, context):
        s = context.scene.weartwin
        rc, line = self._child.result()
        self._end(context)
        s.batch_progress = 1.0 if rc == 0 else s.batch_progress
        s.batch_status = line[:200]
        # 0: all baked; 1: some input failed (the others are written; OUT/summary.json lists them)
        self.report({"INFO"} if rc == 0 else {"WARNING"} if rc == 1 else {"ERROR"}, line)
        return {"FINISHED"} if rc in (0, 1) else {"CANCELLED"}


CLASSES = (WEARTWIN_OT_bake_batch,)
register, unregister = bpy.utils.register_classes_factory(CLASSES)
