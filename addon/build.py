"""Build the installable add-on: `python -m addon.build [--wheels] [--out dist]`.

Writes two zips from this package:
- `weartwin-<version>.zip`: a Blender extension (4.2+; Edit > Preferences > Get Extensions >
  Install from Disk), its files in one `weartwin/` folder. With `--wheels`, the Python wheels it
  needs beyond Blender's numpy (scipy, matplotlib and theirs) are downloaded for `--platform`
  (repeatable: pip takes a wheel tagged with any of them) and declared in the manifest.
  Installed by mistake into Blender < 4.2 as a legacy add-on, it lands as that one folder and
  refuses to enable with a one-line notice (its `bl_info` asks for 4.2, see `register()`).
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
# matplotlib's cp311 Linux wheels are tagged manylinux2014 (= manylinux_2_17) only, scipy's
# manylinux_2_28 as well: pip must be offered both to find every wheel
DEFAULT_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
BLENDER_PLATFORMS = (("win_amd64", "windows-x64"), ("win_arm64", "windows-arm64"), ("macosx", "arm64", "macos-arm64"),
                     ("macosx", "x86_64", "macos-x64"), ("linux", "aarch64", "linux-arm64"),
                     ("linux", "x86_64", "linux-x64"))
EXTENSION_MIN = (4, 2, 0)


class BuildError(RuntimeError):
    """The build cannot go on; the message is one line."""


def version() -> str:
    return re.search(r'^version = "([^"]+)"', (HERE / "blender_manifest.toml").read_text(), re.M).group(1)


def package_files():
    for p in sorted(HERE.rglob("*")):
        rel = p.relative_to(HERE)
        if p.is_file() and not SKIP_DIRS & set(rel.parts) and p.suffix != ".pyc" and rel != Path("build.py"):
            yield p, rel


def download_wheels(dest: Path, platforms: tuple[str, ...]) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.11",
           "--implementation", "cp", *(x for p in platforms for x in ("--platform", p)), "-d", str(dest), *WHEELS]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise BuildError(f"cannot run pip: {e}") from None
    if r.returncode != 0:
        why = next((l.strip() for l in reversed(r.stderr.splitlines()) if l.strip()), f"exit {r.returncode}")
        raise BuildError(f"pip could not download the wheels for {', '.join(platforms)}: {why}")
    return sorted(dest.glob("*.whl"))


def blender_platforms(platforms: tuple[str, ...]) -> list[str]:
    """Blender's platform names for wheel platform tags (an extension with wheels is per platform)."""
    out = []
    for tag in platforms:
        for *parts, name in BLENDER_PLATFORMS:
            if all(p in tag for p in parts) and name not in out:
                out.append(name)
    return out


def manifest_with_wheels(wheels: list[Path], platforms: tuple[str, ...] = ()) -> str:
    text = (HERE / "blender_manifest.toml").read_text()
    listing = ",\n".join(f'  "./wheels/{w.name}"' for w in wheels)
    names = blender_platforms(platforms)
    plat = f"platforms = [{', '.join(repr(n).replace(chr(39), chr(34)) for n in names)}]\n" if names else ""
    return text.replace("# wheels = []", f"{plat}wheels = [\n{listing}\n]")


def extension_init() -> str:
    """The package's __init__.py with `bl_info` asking for Blender 4.2 (the extension build):
    a Blender < 4.2 that installs it as a legacy add-on shows why it will not enable."""
    text = (HERE / "__init__.py").read_text()
    text, n = re.subn(r'"blender": \(\d+, \d+, \d+\),',
                      f'"blender": {EXTENSION_MIN}, "warning": "extension build for Blender 4.2+: in older '
                      f'Blender install weartwin-{version()}-legacy.zip",', text, count=1)
    if n != 1:
        raise BuildError(f"{HERE / '__init__.py'}: no bl_info 'blender' entry to set")
    return text


def build(out: Path, wheels: bool = False, platforms: tuple[str, ...] | str = DEFAULT_PLATFORMS) -> list[Path]:
    platforms = (platforms,) if isinstance(platforms, str) else tuple(platforms)
    out.mkdir(parents=True, exist_ok=True)
    v = version()
    ext, legacy = out / f"weartwin-{v}.zip", out / f"weartwin-{v}-legacy.zip"
    wheel_files = download_wheels(out / "wheels", platforms) if wheels else []
    with zipfile.ZipFile(ext, "w", zipfile.ZIP_DEFLATED) as z:
        for p, rel in package_files():
            if rel.name == "blender_manifest.toml" and wheel_files:
                z.writestr(f"weartwin/{rel}", manifest_with_wheels(wheel_files, platforms))
            elif rel == Path("__init__.py"):
                z.writestr(f"weartwin/{rel}", extension_init())
            else:
                z.write(p, f"weartwin/{rel}")
        for w in wheel_files:
            z.write(w, f"weartwin/wheels/{w.name}")
    with zipfile.ZipFile(legacy, "w", zipfile.ZIP_DEFLATED) as z:
        for p, rel in package_files():
            z.write(p, f"weartwin/{rel}")
    return [ext, legacy]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m addon.build", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="dist", help="output folder (default: dist)")
    ap.add_argument("--wheels", action="store_true", help="bundle scipy/matplotlib wheels (needs PyPI access)")
    ap.add_argument("--platform", action="append", metavar="TAG",
                    help="wheel platform tag, repeatable, e.g. win_amd64 or macosx_11_0_arm64 (default: "
                         f"{' '.join(DEFAULT_PLATFORMS)}, i.e. Linux x86-64)")
    a = ap.parse_args(argv)
    try:
        paths = build(Path(a.out), a.wheels, tuple(a.platform or DEFAULT_PLATFORMS))
    except (BuildError, OSError) as e:
        print(f"python -m addon.build: error: {e}", file=sys.stderr)
        return 1
    for p in paths:
        print(f"wrote {p} ({p.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
