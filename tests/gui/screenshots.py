"""Screenshots of the add-on in a real GUI Blender (Debian's `blender` 3.4 under Xvfb).

    python tests/gui/screenshots.py --out FOLDER [--motion FILE]

(`--out docs/gui` refreshes the README's images; nothing is written there unless you ask.)

Builds the legacy add-on zip, starts Blender with an isolated user folder, installs and
enables the add-on, points its preferences at this venv's site-packages, drives the
workflow (import, bake, export, plot) and saves gui_workflow.png, gui_viewport.png and
gui_plot.png. Not part of the pytest run (it needs a display server and the blender package).
"""
from __future__ import annotations

import argparse
import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.shared_data import shared_data  # noqa: E402  (the one owner of the shared-data path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="folder for the screenshots (docs/gui refreshes the README's)")
    ap.add_argument("--motion", default=str(shared_data("motion", "aistpp", "gWA_sFM_cAll_d27_mWA5_ch20.pkl")),
                    help="motion file to import (default: an AIST++ clip in the shared data, "
                         "benchmarks/shared_data.py: $WEARTWIN_SHARED or ../shared beside the checkout)")
    ap.add_argument("--blender", default=shutil.which("blender") or "blender")
    ap.add_argument("--rounds", type=int, default=3,
                    help="pairs of (GUI bake, scripted bake) timed back to back; the median ratio is printed")
    ap.add_argument("--load", type=int, default=0,
                    help="busy processes kept running during the session, to check the GUI bake on a loaded "
                         "machine (e.g. 8 on 2 cores gives a load average of ~10); default 0 (quiet)")
    a = ap.parse_args()
    if not Path(a.motion).is_file():
        print(f"screenshots: no motion file at {a.motion} (give --motion FILE or set WEARTWIN_SHARED)",
              file=sys.stderr)
        return 2
    from addon.build import build

    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="weartwin_gui_"))
    zips = build(tmp / "dist")
    legacy = next(z for z in zips if z.name.endswith("-legacy.zip"))
    start = tmp / "start.blend"     # opening a file skips the splash screen
    subprocess.run([a.blender, "-b", "--factory-startup", "--python-expr",
                    f"import bpy; bpy.ops.wm.save_as_mainfile(filepath={str(start)!r})"], check=True,
                   capture_output=True)
    env = {**os.environ, "BLENDER_USER_CONFIG": str(tmp / "config"), "BLENDER_USER_SCRIPTS": str(tmp / "scripts")}
    site_packages = site.getsitepackages()[0]
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", a.blender, str(start), "--enable-event-simulate", "--python",
           str(ROOT / "tests" / "gui" / "drive_blender.py"), "--", str(legacy), site_packages, a.motion, str(out), str(tmp),
           str(a.rounds)]
    print(" ".join(cmd))
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(a.load)]
    try:
        r = subprocess.run(cmd, env=env, timeout=3600, capture_output=True, text=True)
    finally:
        for b in burners:
            b.kill()
            b.wait()
    (tmp / "blender.log").write_text(r.stdout + r.stderr)
    drive = tmp / "drive.log"
    print(drive.read_text() if drive.exists() else r.stdout[-3000:] + r.stderr[-3000:])
    print(f"logs: {tmp}")
    shots = sorted(out.glob("gui_*.png"))
    print("screenshots:", ", ".join(p.name for p in shots))
    text = drive.read_text() if drive.exists() else ""
    import re

    sync = [float(x) for x in re.findall(r"scripted bake: \{'FINISHED'\} \(baked \d+ frames in ([\d.]+) s\)", text)]
    modal = re.findall(r"modal bake ended: status 'baked (\d+) frames in ([\d.]+) s'", text)
    pairs = list(zip([float(t) for _, t in modal], sync))
    if pairs:
        import statistics

        for k, (tm, ts) in enumerate(pairs, 1):
            print(f"bake time, round {k}: GUI (modal, Bake button) {tm:.1f} s vs scripted {ts:.1f} s = {tm / ts:.2f}x")
        print(f"bake time: GUI / scripted, median of {len(pairs)} rounds = "
              f"{statistics.median(tm / ts for tm, ts in pairs):.2f}x ({modal[0][0]} frames, "
              f"{a.load} busy processes beside it on {os.cpu_count()} cores)")
    failed = "FAILED" in text or "Traceback" in text
    return 0 if len(shots) == 3 and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
