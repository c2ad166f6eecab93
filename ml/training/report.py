"""What a run leaves for people: metrics.json, a confusion matrix and training curves."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from addon.export.atomic import write_text


def plot_confusion(cm: np.ndarray, classes: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = cm.sum(axis=1, keepdims=True)
    frac = cm / np.maximum(rows, 1)
    size = max(4.5, 0.5 * len(classes) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    for i in range(len(classes)):
        for j in range(len(classes)):
            if cm[i, j]:
                ax.text(j, i, f"{frac[i, j]:.2f}\n{cm[i, j]}", ha="center", va="center", fontsize=6,
                        color="white" if frac[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true (held-out subjects, pooled)")
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_curves(results: list[dict], path: Path, title: str) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [(r["fold"], r["seed"], r.get("budget", r["fraction"]), r["history"]) for r in results if r.get("history")]
    if not any("finetune" in h or "pretrain" in h for *_, h in runs):
        return False
    has_pre = any("pretrain" in h for *_, h in runs)
    fig, axes = plt.subplots(1, 3 if has_pre else 2, figsize=(13 if has_pre else 9, 3.6))
    for fold, seed, fr, h in runs:
        ft = h.get("finetune", {})
        lab = f"{fold} s{seed} {fr}"
        if ft.get("loss"):
            axes[0].plot(ft["loss"], lw=0.8, alpha=0.7, label=lab)
        if ft.get("score"):
            axes[1].plot(ft["score"], lw=0.8, alpha=0.7)
            axes[1].plot(ft["best_epoch"], ft["best_score"], "k.", ms=4)
        if has_pre and h.get("pretrain", {}).get("loss"):
            axes[2].plot(h["pretrain"]["loss"], lw=0.8, alpha=0.7)
    axes[0].set(title="training loss", xlabel="epoch")
    axes[1].set(title="validation macro-F1 (training subjects; • = kept)", xlabel="epoch", ylim=(0, 1))
    if has_pre:
        axes[2].set(title="pretraining loss (simulated)", xlabel="epoch")
    if len(runs) <= 12:
        axes[0].legend(fontsize=6)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_sweep(metrics: dict, path: Path) -> bool:
    if len(metrics["sweep"]) < 2:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for kind, label in (("k", "labelled windows per class"), ("f", "labelled share (%)")):
        keys = [k for k in metrics["sweep"] if k.startswith("k") == (kind == "k")]
        if not keys:
            continue
        xs = [float(k[1:]) if kind == "k" else float(k) * 100 for k in keys]
        order = np.argsort(xs)
        m = [metrics["sweep"][keys[i]]["macro_f1_mean"] for i in order]
        s = [metrics["sweep"][keys[i]]["macro_f1_std"] for i in order]
        ax.errorbar([xs[i] for i in order], m, yerr=s, marker="o", capsize=3, label=label)
    ax.legend(fontsize=7)
    ax.set(xscale="log", xlabel="label budget (training + validation)", ylabel="macro-F1 (held-out subjects)",
           title=f"{metrics['model']}: low-data sweep", ylim=(0, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_report(out: Path, metrics: dict, results: list[dict]) -> list[Path]:
    out = Path(out)
    written = []
    write_text(out / "metrics.json", json.dumps(metrics, indent=2))
    written.append(out / "metrics.json")
    title = (f"{metrics['model']} {metrics['protocol']}: macro-F1 {metrics['macro_f1_mean']:.3f} ± "
             f"{metrics['macro_f1_std']:.3f} (pooled {metrics['pooled_macro_f1']:.3f})")
    cm = np.asarray(metrics["confusion"])
    plot_confusion(cm, metrics["classes"], out / "confusion.png", title)
    written.append(out / "confusion.png")
    if plot_curves(results, out / "curves.png", title):
        written.append(out / "curves.png")
    if plot_sweep(metrics, out / "sweep.png"):
        written.append(out / "sweep.png")
    return written
