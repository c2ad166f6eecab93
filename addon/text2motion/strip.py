"""A stick-figure strip of a motion (PNG): frames across the performance, seen from the side
(top row) and from the front (bottom row), the active side's arm drawn thicker — to see a
described movement before baking it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..motion.motion import Motion
from ..motion.skeleton import BODY_JOINTS, BODY_PARENTS


def write_strip(motion: Motion, path, frames: int = 8, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..export.atomic import atomic_write
    from .program import joint_positions_of

    P = joint_positions_of(motion)
    idx = np.linspace(0, len(P) - 1, frames).round().astype(int)
    P = P - P[:1, :1] * np.array([1.0, 1.0, 0.0])          # the start's pelvis over the origin
    lo, hi = P[idx].min((0, 1)), P[idx].max((0, 1))
    fig, axes = plt.subplots(2, frames, figsize=(2.0 * frames, 6.2), squeeze=False)
    # world: x the body's left, -y forward, z up
    views = (("side", lambda p: (-p[..., 1], p[..., 2]), (-hi[1], -lo[1])),
             ("front", lambda p: (-p[..., 0], p[..., 2]), (-hi[0], -lo[0])))
    for r, (name, proj, (xa, xb)) in enumerate(views):
        for c, k in enumerate(idx):
            ax = axes[r, c]
            x, z = proj(P[k])
            for j, p in enumerate(BODY_PARENTS):
                if p < 0:
                    continue
                nm = BODY_JOINTS[j]
                col = "tab:red" if "right" in nm else ("tab:blue" if "left" in nm else "0.2")
                lw = 3.0 if ("elbow" in nm or "wrist" in nm or "shoulder" in nm) else 2.0
                ax.plot([x[p], x[j]], [z[p], z[j]], color=col, lw=lw, solid_capstyle="round")
            hx, hz = x[BODY_JOINTS.index("head")], z[BODY_JOINTS.index("head")]
            ax.add_patch(plt.Circle((hx, hz + 0.06), 0.09, fill=False, color="0.2", lw=2))
            ax.axhline(lo[2] - 0.05, color="0.7", lw=1)
            pad = 0.25
            ax.set_xlim(min(xa, -0.6) - pad, max(xb, 0.6) + pad)
            ax.set_ylim(lo[2] - 0.1, hi[2] + 0.25)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"{k / motion.fps:.1f} s", fontsize=11)
            if c == 0:
                ax.set_ylabel(f"{name}\n(right arm red)" if r == 0 else name, fontsize=11)
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    path = Path(path)
    atomic_write(path, lambda f: fig.savefig(f, dpi=90, format="png"))
    plt.close(fig)
    return path
