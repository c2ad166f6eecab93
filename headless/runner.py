"""Batch baking: items -> worker processes (one Blender each) -> outputs + summary.json.

- Each worker process imports `bpy` once and bakes many items (`Baker` reused).
- An output is complete only once renamed from its temporary name; an item whose outputs all
  exist with the same config hash is skipped (`force` re-bakes), so a killed batch resumes.
- A failing item is reported in one line and in `summary.json`; the others go on.
- SIGTERM/SIGINT: workers stop, temporary files are removed, the summary is written.
"""
from __future__ import annotations

import ctypes
import dataclasses
import json
import multiprocessing as mp
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from addon.config import BakeConfig
from addon.export.recording import atomic_write
from addon.motion import MotionError

from .items import Item


def expected_outputs(item: Item, out: Path, cfg: BakeConfig) -> list[Path]:
    stem = out / item.rel
    if cfg.vary_body > 0:
        return [stem.with_name(f"{stem.name}__b{k:02d}.npz") for k in range(1, cfg.vary_body + 1)]
    return [stem.with_name(stem.name + ".npz")]


def item_config(base: BakeConfig, item: Item) -> BakeConfig:
    opts = item.opts
    kw = {k: opts[k] for k in ("seed", "vary_body", "body", "height", "fps", "source_fps") if k in opts}
    cfg = dataclasses.replace(base, **kw)
    notes = {k: opts[k] for k in ("label", "text") if k in opts}
    if notes:
        cfg = dataclasses.replace(cfg, extra={**cfg.extra, **notes})
    return cfg


def remove_stale_temp_files(item: Item, out: Path, cfg: BakeConfig) -> None:
    """Temp files an earlier, killed run left for this item (shards never share items)."""
    for p in expected_outputs(item, out, cfg):
        for ext in (".npz", ".csv", ".png"):
            name = p.with_suffix(ext).name
            for stale in p.parent.glob(f".{name}.*.part"):
                stale.unlink(missing_ok=True)


def _output_hash(path: Path) -> str | None:
    try:
        with np.load(path, allow_pickle=False) as d:
            return json.loads(str(d["meta"])).get("config_hash")
    except Exception:  # unreadable or foreign file: not up to date
        return None


def is_up_to_date(item: Item, out: Path, cfg: BakeConfig) -> bool:
    h = cfg.signal_hash()
    return all(p.exists() and _output_hash(p) == h for p in expected_outputs(item, out, cfg))


def describe_error(item: Item, exc: BaseException) -> str:
    if isinstance(exc, MotionError):
        return str(exc).splitlines()[0]
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return f"{item.input}: {type(exc).__name__}{': ' + msg if msg else ''}"


# --- worker side ---------------------------------------------------------------------------
_BAKER = None


def _die_with_parent() -> None:
    """Linux: receive SIGTERM when the parent dies (kill -9 of the runner leaves no orphans)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _on_term(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through atomic_write, which removes its temp file


def _worker_init(cfg_dict: dict) -> None:
    global _BAKER
    _die_with_parent()
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
    from addon.bake import Baker

    _BAKER = Baker(BakeConfig(**cfg_dict))


def bake_item(args: tuple[Item, str, dict]) -> dict:
    item, out, cfg_dict = args
    from addon.bake import Baker

    global _BAKER
    cfg = BakeConfig(**cfg_dict)
    if _BAKER is None:
        _BAKER = Baker(cfg)
    _BAKER.config = cfg
    t0 = time.perf_counter()
    remove_stale_temp_files(item, Path(out), cfg)
    try:
        res = _BAKER.bake_file(item.input, Path(out) / item.rel, label=cfg.extra.get("label"),
                                   text=cfg.extra.get("text"))
        return {"status": "done", "input": str(item.input), "outputs": [str(p) for p in res.outputs],
                "frames": res.frames, "seconds": round(time.perf_counter() - t0, 3)}
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - any bad input must not stop the batch
        reason = describe_error(item, e)
        if os.environ.get("WEARTWIN_DEBUG"):
            traceback.print_exc()
        return {"status": "failed", "input": str(item.input), "reason": reason,
                "seconds": round(time.perf_counter() - t0, 3)}


# --- parent side ---------------------------------------------------------------------------
class Summary:
    def __init__(self, out: Path):
        self.out = out
        self.done: list[dict] = []
        self.skipped: list[str] = []
        self.failed: list[dict] = []
        self.timings: dict = {"items": {}}
        self.t0 = time.perf_counter()
        self.interrupted = False

    def add(self, r: dict) -> None:
        if r["status"] == "done":
            self.done.append({"input": r["input"], "outputs": r["outputs"]})
            self.timings["items"][r["input"]] = {"seconds": r["seconds"], "frames": r["frames"]}
        else:
            self.failed.append({"input": r["input"], "reason": r["reason"]})
            self.timings["items"][r["input"]] = {"seconds": r["seconds"]}

    def write(self, interrupted: bool = False) -> Path:
        frames = sum(v.get("frames", 0) for v in self.timings["items"].values())
        wall = time.perf_counter() - self.t0
        self.timings.update(wall_s=round(wall, 3), frames=frames,
                            frames_per_s=round(frames / wall, 2) if wall > 0 else None)
        data = {"done": self.done, "skipped": self.skipped, "failed": self.failed,
                "timings": self.timings, "interrupted": interrupted}
        path = self.out / "summary.json"
        atomic_write(path, lambda f: f.write(json.dumps(data, indent=2).encode()))
        return path


def run_batch(items: list[Item], out: Path, cfg: BakeConfig, workers: int = 1, force: bool = False,
              progress: bool = True) -> Summary:
    from tqdm import tqdm

    out.mkdir(parents=True, exist_ok=True)
    summary = Summary(out)
    todo = []
    for it in items:
        icfg = item_config(cfg, it)
        if not force and is_up_to_date(it, out, icfg):
            summary.skipped.append(str(it.input))
        else:
            todo.append((it, str(out), icfg.to_dict()))
    bar = tqdm(total=len(todo), unit="item", disable=not progress, file=sys.stderr,
               dynamic_ncols=True, desc="bake")
    frames = 0
    t0 = time.perf_counter()

    def report(r: dict) -> None:
        nonlocal frames
        summary.add(r)
        if r["status"] == "failed":
            tqdm.write(f"FAILED {r['reason']}", file=sys.stderr)
        frames += r.get("frames", 0)
        bar.set_postfix(frames_per_s=f"{frames / max(time.perf_counter() - t0, 1e-9):.0f}",
                        failed=len(summary.failed))
        bar.update(1)

    interrupted = False
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    pool = None
    try:
        from .fast_batch import bake_items, wants_batch

        if wants_batch(cfg):   # fast engine on a GPU: many clips per torch batch, no Blender
            for r in bake_items(todo):
                report(r)
        elif workers <= 1 or len(todo) <= 1:
            for args in todo:
                report(bake_item(args))
        else:
            ctx = mp.get_context("spawn")
            # one core per worker: keep BLAS / OpenMP pools from fighting over the cores
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ.setdefault(var, "1")
            pool = ctx.Pool(min(workers, len(todo)), initializer=_worker_init,
                            initargs=(cfg.to_dict(),), maxtasksperchild=None)
            for r in pool.imap_unordered(bake_item, todo, chunksize=1):
                report(r)
            pool.close()
            pool.join()
    except KeyboardInterrupt:
        interrupted = True
        tqdm.write("interrupted: stopping workers, no partial files are kept", file=sys.stderr)
        if pool is not None:
            pool.terminate()
            pool.join()
    finally:
        signal.signal(signal.SIGTERM, previous)
        bar.close()
        summary.interrupted = interrupted
        summary.write(interrupted)
    return summary
