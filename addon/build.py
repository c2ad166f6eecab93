"""Build the installable add-on: `python -m addon.build [--wheels] [--out dist]`.

Writes two zips from this package:
- `weartwin-<version>.zip`: a Blender extension (4.2+; Edit > Preferences > Get Extensions >
  Install from Disk). With `--wheels`, the Python wheels it needs beyond Blender's numpy
  (scipy, matplotlib and theirs) are downloaded for `--platform` and declared in the manifest.
- `weartwin-<version>-legacy.zip`: a `weartwin/` folder with `bl_info`, for Blender 3.x–4.1
  (Preferences > Add-ons > Install…). It uses "Extra Python packages" from its preferences.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHEELS = ("scipy", "matplotlib", "contourpy", "cycler", "fonttools", "kiwisolver", "packaging", "pillow",
          "pyparsing", "python-dateutil", "six")
SKIP_DIRS = {"__pycache__", "wheels"}


def version() -> str:
    return re.search(r'^version = "([^"]+)"', (HERE / "blender_manifest.toml").read_text(), re.M).group(1)


def package_files():
    for p in sorted(HERE.rglob("*")):
        rel = p.relative_to(HERE)
        if p.is_file() and not SKIP_DIRS & set(rel.parts) and p.suffix != ".pyc" and rel != Path("build.py"):
            yield p, rel


def download_wheels(dest: Path, platform: str) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
           "--implementation", "cp", "--platform", platform, "-d", str(dest), *WHEELS]
    subprocess.run(cmd, check=True)
    return sorted(dest.glob("*.whl"))


def manifest_with_wheels(wheels: list[Path]) -> str:
    text = (HERE / "blender_manifest.toml").read_text()
    listing = ",\n".join(f'  "./wheels/{w.name}"' for w in wheels)
    return text.replace("# wheels = []", f"wheels = [\n{listing}\n]")


def build(out: Path, wheels: bool = False, platform: str = "manylinux_2_28_x86_64") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    v = version()
    ext, legacy = out / f"weartwin-{v}.zip", out / f"weartwin-{v}-legacy.zip"
    wheel_files = download_wheels(out / "wheels", platform) if wheels else []
    with zipfile.ZipFile(ext, "w", zipfile.ZIP_DEFLATED) as z:
        for p, rel in package_files():
            if rel.name == "blender_manifest.toml" and wheel_files:
                z.writestr(str(rel), manifest_with_wheels(wheel_files))
            else:
                z.write(p, str(rel))
        for w in wheel_files:
            z.write(w, f"wheels/{w.name}")
    with zipfile.ZipFile(legacy, "w", zipfile.ZIP_DEFLATED) as z:
        for p, rel in package_files():
            z.write(p, f"weartwin/{rel}")
    return [ext, legacy]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m addon.build", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="dist", help="output folder (default: dist)")
    ap.add_argument("--wheels", action="store_true", help="bundle scipy/matplotlib wheels (needs PyPI access)")
    ap.add_argument("--platform", default="manylinux_2_28_x86_64",
                    help="wheel platform tag, e.g. win_amd64, macosx_11_0_arm64 (default: %(default)s)")
    a = ap.parse_args(argv)
    for p in build(Path(a.out), a.wheels, a.platform):
        print(f"wrote {p} ({p.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
