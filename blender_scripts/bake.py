"""Bake entry point for `blender --background --python blender_scripts/bake.py -- ARGS`.

ARGS are those of `weartwin bake` (INPUT... --out DIR [options]). Also runs as
`python blender_scripts/bake.py ARGS` with the pip `bpy` module.

Exit status as `weartwin bake` (0 all baked, 1 some input failed, 2 usage or set-up error, 130
interrupted) — also from inside Blender, whatever happens (Blender itself would exit 0 after a
script's exception). Inside a Blender binary:
- its Python needs numpy, scipy and tqdm (matplotlib for --preview); when one is missing the
  script says which, and how to install them, in one line (exit 2);
- `--workers N` > 1 is refused (exit 2): a Blender binary's Python cannot start Blender worker
  processes; run N Blender processes with `--shard I/N` each (the Flamenco job type does).
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NEEDED = ("numpy", "scipy", "tqdm")
IN_BLENDER = "bpy" in sys.modules     # a Blender binary loads bpy before running the script


def _args() -> list:
    argv = sys.argv
    if "--" in argv:  # blender ... --python bake.py -- ARGS
        return argv[argv.index("--") + 1:]
    return argv[1:] if not IN_BLENDER else []


def _fail(msg: str, code: int = 2) -> int:
    print(f"blender_scripts/bake.py: {msg}", file=sys.stderr)
    return code


def _missing(args: list) -> list:
    import importlib.util

    need = NEEDED + (("matplotlib",) if "--preview" in args else ())
    return [m for m in need if importlib.util.find_spec(m) is None]


def _version() -> str:
    import bpy

    return ".".join(map(str, tuple(bpy.app.version)[:2]))


def _where() -> str:
    if not IN_BLENDER:
        return f"this Python ({sys.executable})"
    import bpy

    v = ".".join(map(str, tuple(bpy.app.version)[:3]))
    return f"Blender {v}'s Python {sys.version.split()[0]} ({bpy.app.binary_path or 'blender'})"


def run(args: list) -> int:
    missing = _missing(args)
    if missing:
        pip = (f"an official Blender build: BLENDER_DIR/{_version()}/python/bin/python3.* -m pip install"
               if IN_BLENDER else f"{sys.executable} -m pip install")
        return _fail(f"{_where()} lacks {', '.join(missing)}; install them into that Python "
                     f"({pip} {' '.join(missing)}; Debian/Ubuntu's blender package: "
                     f"apt-get install {' '.join('python3-' + m for m in missing)}) or set PYTHONPATH to the "
                     f"site-packages of a Python {sys.version_info[0]}.{sys.version_info[1]} that has them "
                     "(e.g. WEARTWIN/.venv/lib/python3.11/site-packages)")
    if IN_BLENDER:
        for k, a in enumerate(args):
            w = a.split("=", 1)[1] if a.startswith("--workers=") else (
                args[k + 1] if a == "--workers" and k + 1 < len(args) else None)
            if w is not None and w.strip() not in ("1", ""):
                return _fail(f"--workers {w} is not available inside a Blender binary (its Python cannot start "
                             "Blender worker processes): run one Blender per core with --shard I/N each "
                             "(the Flamenco job type does), or use weartwin bake --workers N with pip bpy")
    from headless.cli import main

    return main(["bake", *args])


def _exit(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    if IN_BLENDER:
        os._exit(code)      # Blender would otherwise go on and exit 0
    sys.exit(code)


if __name__ == "__main__":
    try:
        rc = run(_args())
    except KeyboardInterrupt:
        rc = 130
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except BaseException as e:  # noqa: BLE001 - never exit 0 after a failure
        if os.environ.get("WEARTWIN_DEBUG"):
            import traceback

            traceback.print_exc()
        rc = _fail(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
                   "(WEARTWIN_DEBUG=1 shows the traceback)", 1)
    _exit(int(rc))
