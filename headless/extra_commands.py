"""Commands that live in other layers, reached without importing them here.

`headless/` never imports training code (DESIGN.md): `weartwin train ...` and the other ML
commands hand over to `python -m ml ...` in a fresh interpreter.
"""
from __future__ import annotations

import argparse
import subprocess
import sys

ML_COMMANDS = {
    "train": "train an activity-recognition model (rf, dcl, resnet, simpharnet, multi3net) with LOSO evaluation",
    "pretrain": "pretrain one site-agnostic IMU encoder on WearTwin exports (model folder for train --init)",
    "compare": "paired per-subject comparison of two training runs (Wilcoxon, bootstrap CI, plot)",
    "predict": "label new recordings with a model exported by `weartwin train ... --final`",
}


def handoff(command: str, rest: list[str]) -> int:
    return subprocess.call([sys.executable, "-m", "ml", command, *rest])


def _handoff(a: argparse.Namespace) -> int:
    return handoff(a.command, a.rest)


def register(sub) -> None:
    for name, help_text in ML_COMMANDS.items():
        p = sub.add_parser(name, help=help_text, add_help=False,
                           description=f"{help_text} (runs `python -m ml {name}`; see its --help)")
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=_handoff)
