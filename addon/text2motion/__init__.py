"""Text to motion: descriptions of activities become `Motion`s, then signals.

Backends behind one interface (`make_backend(name, ...).generate(text, seed) -> Motion`):
- `procedural` (default, embedded): a described movement becomes a motion program (words.py ->
  program.py, compiled with the product's kinematics); a named activity runs its generator or
  its built-in program (builtin.py);
- `retrieval`: nearest annotated motions of the user's library (KIT-ML / HumanML3D);
- `t2m-gpt`: a T2M-GPT-compatible VQ-VAE + GPT (ml/text2motion) run in a separate process,
  its HumanML3D output read back like any HumanML3D file.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from ..motion import load_motion
from ..motion.motion import Motion, MotionError
from .parse import TextError, parse

BACKENDS = ("procedural", "retrieval", "t2m-gpt")


class ProceduralBackend:
    name = "procedural"

    def __init__(self, fps: float = 30.0):
        self.fps = fps

    def generate(self, text: str, seed: int = 0) -> Motion:
        """A description (a movement -> its program; a named activity -> its generator or
        built-in program) or a `Program`."""
        from .procedural import generate
        from .program import Program, compile_program
        from .words import interpret

        what = text if isinstance(text, Program) else interpret(text)
        if isinstance(what, Program):
            return compile_program(what, fps=self.fps, seed=seed)
        return generate(what, fps=self.fps, seed=seed)


class T2MGPTBackend:
    """Runs `python -m ml t2m sample` (torch lives in ml/) and reads its HumanML3D output."""
    name = "t2m-gpt"

    def __init__(self, checkpoint: str, device: str = "auto"):
        self.checkpoint, self.device = checkpoint, device

    def generate(self, text: str, seed: int = 0) -> Motion:
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "motion_new_joint_vecs.npy"
            r = subprocess.run([sys.executable, "-m", "ml", "t2m", "sample", "--checkpoint", self.checkpoint,
                                "--text", text, "--seed", str(seed), "--device", self.device, "--out", str(out)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                lines = (r.stderr or r.stdout).strip().splitlines()
                raise MotionError(f"t2m-gpt: {lines[-1] if lines else 'failed'}")
            m = load_motion(out)
        m.source = {**m.source, "format": "text2motion", "backend": "t2m-gpt", "text": text, "seed": seed,
                    "checkpoint": self.checkpoint}
        return m


def make_backend(name: str, fps: float = 30.0, library: str | None = None, motion_root: str | None = None,
                 checkpoint: str | None = None, device: str = "auto"):
    if name == "procedural":
        return ProceduralBackend(fps)
    if name == "retrieval":
        from .retrieval import MotionLibrary, RetrievalBackend

        if not library:
            raise TextError("the retrieval backend needs --library (KIT-ML annotations .json with --motion-root, "
                            "or a HumanML3D folder)")
        lib = (MotionLibrary.from_kitml(library, motion_root or Path(library).parent) if str(library).endswith(".json")
               else MotionLibrary.from_humanml3d(library))
        return RetrievalBackend(lib)
    if name == "t2m-gpt":
        if not checkpoint:
            raise TextError("the t2m-gpt backend needs --checkpoint (a T2M-GPT checkpoint folder or file)")
        return T2MGPTBackend(checkpoint, device)
    raise TextError(f"unknown backend '{name}' (choose from {', '.join(BACKENDS)})")


__all__ = ["BACKENDS", "make_backend", "ProceduralBackend", "T2MGPTBackend", "TextError", "parse"]
