"""Preview PNG of an export: one row per channel group (acc, gyro, |Z|, phase, path length,
skin contact: when the current's path crosses touching skin, which explains steps in |Z|)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .atomic import atomic_write


def plot_channels(arrays: dict[str, np.ndarray], title: str = ""):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    t = arrays["t"]
    groups = []
    for kind, unit in (("acc", "m/s²"), ("gyro", "rad/s"), ("mag", "|Z| (Ω)"), ("phase", "phase (°)"),
                       ("length", "path (m)"), ("contact", "skin contact")):
        keys = [k for k in arrays if k.endswith("." + kind)]
        if keys:
            groups.append((kind, unit, keys))
    fig, axes = plt.subplots(len(groups), 1, figsize=(10, 2.2 * len(groups) + 0.6), sharex=True, squeeze=False)
    for ax, (kind, unit, keys) in zip(axes[:, 0], groups):
        for k in keys:
            a = arrays[k].reshape(len(t), -1)
            label = k.split(".")[1]
            if a.shape[1] == 3 and kind in ("acc", "gyro"):
                for j, c in enumerate("xyz"):
                    ax.plot(t, a[:, j], lw=0.8, label=f"{label} {c}")
            else:
                ax.plot(t, a[:, 0], lw=0.9, label=label)
        ax.set_ylabel(unit)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=6, loc="upper right")
    axes[-1, 0].set_xlabel("time (s)")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def write_preview(arrays: dict[str, np.ndarray], path: Path, title: str = "") -> Path:
    import matplotlib.pyplot as plt

    fig = plot_channels(arrays, title)
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=90))
    plt.close(fig)
    return Path(path)
