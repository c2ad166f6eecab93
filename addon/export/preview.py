"""Preview PNG of an export: one row per channel group (acc, gyro, |Z|, phase, path length,
skin contact: when the current's path crosses touching skin, which explains steps in |Z|)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .atomic import atomic_write


# channel group -> (panel title naming the channel, y-axis unit)
PANELS = (("acc", "Accelerometer: specific force, sensor frame", "m/s²"),
          ("gyro", "Gyroscope: angular velocity, sensor frame", "rad/s"),
          ("mag", "Bio-impedance magnitude |Z| between the electrodes", "Ω"),
          ("phase", "Bio-impedance phase", "°"),
          ("length", "Length of the current's path through the body", "m"),
          ("contact", "Skin contact (1: arm on the torso, the touch conducts too)", "0 / 1"))


def plot_channels(arrays: dict[str, np.ndarray], title: str = ""):
    """One panel per channel group, titled by what it measures; fonts sized for the PNG's
    native size (900 px wide at the preview's 90 dpi); legends to the right of the plots."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    t = arrays["t"]
    groups = []
    for kind, name, unit in PANELS:
        keys = [k for k in arrays if k.endswith("." + kind)]
        if keys:
            groups.append((kind, name, unit, keys))
    with plt.rc_context({"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10,
                         "xtick.labelsize": 10, "ytick.labelsize": 10}):
        # landscape, as the screen and the Image Editor it opens in: two columns from 4 panels,
        # so "fit to view" does not shrink the text of a tall strip
        cols = 2 if len(groups) > 3 else 1
        rows = -(-len(groups) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(8.5 * cols, 2.9 * rows + 0.9), sharex=True,
                                 squeeze=False)
        flat = axes.T.ravel()            # down the first column, then the second
        for ax in flat[len(groups):]:
            ax.set_visible(False)
        for ax, (kind, name, unit, keys) in zip(flat, groups):
            for k in keys:
                a = arrays[k].reshape(len(t), -1)
                label = k.split(".")[1]
                if a.shape[1] == 3 and kind in ("acc", "gyro"):
                    for j, c in enumerate("xyz"):
                        ax.plot(t, a[:, j], lw=1.0, label=f"{label} {c}")
                else:
                    ax.plot(t, a[:, 0], lw=1.1, label=label)
            ax.set_title(name, loc="left")
            ax.set_ylabel(unit)
            ax.grid(alpha=0.3)
            ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), frameon=False)
        for ax in axes[-1]:
            ax.set_xlabel("time (s)")
            ax.xaxis.set_tick_params(labelbottom=True)
        if title:
            fig.suptitle(title, fontsize=13)
        fig.tight_layout()
    return fig


def write_preview(arrays: dict[str, np.ndarray], path: Path, title: str = "") -> Path:
    import matplotlib.pyplot as plt

    fig = plot_channels(arrays, title)
    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=90))
    plt.close(fig)
    return Path(path)
