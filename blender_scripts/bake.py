"""Bake entry point for `blender --background --python blender_scripts/bake.py -- ARGS`.

ARGS are those of `weartwin bake` (INPUT... --out DIR [options]). Also runs as
`python blender_scripts/bake.py ARGS` with the pip `bpy` module. Inside a Blender binary, the
interpreter needs numpy/scipy/tqdm/matplotlib (Blender ships numpy; install the rest into
Blender's Python, or point PYTHONPATH at a 3.11 site-packages that has them).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _args() -> list[str]:
    argv = sys.argv
    if "--" in argv:  # blender ... --python bake.py -- ARGS
        return argv[argv.index("--") + 1:]
    return argv[1:]


if __name__ == "__main__":
    from headless.cli import main

    code = main(["bake", *_args()])
    sys.exit(code)
