"""Batch baking: items -> worker processes (one Blender each) -> outputs + summary.json.

- Each worker process imports `bpy` once and bakes many items (`Baker` reused), one at a time,
  over its own pipe. The runner watches every worker's process: a worker that dies (kill -9, the
  out-of-memory killer, a segfault) fails the item it was baking with one line ("worker died
  (signal 9: SIGKILL ...)"), its temporary files are removed, a fresh worker takes the next item
  and the batch goes on. Without `bpy` loaded in the runner (the `weartwin` command) even
  `--workers 1` bakes in a worker process, so nothing an input does can take the runner down;
  inside a Blender binary (`bpy` already loaded) `--workers 1` bakes in-process.
- An item fails before baking, in one line, when its manifest line was bad, its options do not
  validate (`BakeConfig.with_options`) or an output would lie outside `--out`.
- Resume: an item is skipped as up to date only if every export it would write exists with the
  same config hash, records this very input (path and sha256 of its current content), and every
  derived file asked for (`--csv`, `--preview`) exists. `force` re-bakes.
- Outputs appear only complete (`addon/export/atomic.py`); a killed run's temporary files are
  removed when the item is baked again.
- SIGTERM/SIGINT: workers stop, temporary files are removed, the summary is written (exit 130).
- `summary.json` is always written: done, skipped (up to date, or not a motion file) with the
  reason, failed with the reason, timings.
- Many processes, one `--out` (SLURM array tasks, two people): each item is baked under an flock
  of its output (`runfolder.ItemLocks`), and checked for "up to date" once it holds it, so two
  processes never bake one item at once; temporary files name their writer (host, pid), so a
  process removes only those whose writer is gone. Each process writes its own summary into
  `OUT/.weartwin/summaries/` and `OUT/summary.json` is the merged view (`runfolder.py`;
  `weartwin status OUT`).
"""
from __future__ import annotations

import collections
import ctypes
import hashlib
import json
import multiprocessing as mp
import os
import signal
import sys
import time
import traceback
import zipfile
from multiprocessing.connection import wait
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from addon.config import BakeConfig, ConfigError
from addon.export.atomic import temp_files_of, write_text
from addon.export.names import OutputPathError, export_paths, inside, item_files
from addon.motion import MotionError

from .items import NOTES, Item

if TYPE_CHECKING:
    from .runfolder import TaskRecord

UP_TO_DATE = "up to date"


def expected_outputs(item: Item, out: Path, cfg: BakeConfig) -> list[Path]:
    return export_paths(out / item.rel, cfg.vary_body)


def item_config(base: BakeConfig, item: Item) -> BakeConfig:
    """The batch config with the item's manifest options, validated (ConfigError: one line)."""
    opts = item.opts
    cfg = base.with_options({k: v for k, v in opts.items() if k not in NOTES})
    notes = {k: opts[k] for k in NOTES if k in opts}
    if notes:
        cfg.extra = {**cfg.extra, **notes}
    return cfg


def remove_stale_temp_files(item: Item, out: Path, cfg: BakeConfig) -> None:
    """Temp files an earlier, killed run (or a dead worker) left for this item; never those of a
    process that is still writing (another task sharing `--out`)."""
    for p in item_files(out / item.rel, cfg.vary_body, csv=True, preview=True):
        for stale in temp_files_of(p, dead_only=True):
            stale.unlink(missing_ok=True)


def export_meta(path: Path) -> dict | None:
    """An export's parsed `meta` (reads only that member); None when missing, unreadable or foreign."""
    try:
        with zipfile.ZipFile(path) as z, z.open("meta.npy") as f:
            return json.loads(str(np.lib.format.read_array(f, allow_pickle=False)))
    except Exception:  # noqa: BLE001 - unreadable or foreign file: not up to date
        return None


def file_sha256(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def input_sha256(path: Path) -> str | None:
    """sha256 of an input's content: a file, or a member of a zip (`ARCHIVE.zip/member`)."""
    sha = file_sha256(path)
    if sha is None:
        from addon.motion.archive import read_member, split_archive_path

        where = split_archive_path(path)
        if where is not None:
            try:
                sha = hashlib.sha256(read_member(*where)).hexdigest()
            except (MotionError, OSError, zipfile.BadZipFile, ValueError):
                return None
    return sha


def is_up_to_date(item: Item, out: Path, cfg: BakeConfig, sha256: str | None = None) -> bool:
    """Every export exists with this config hash (options, map/calibration file content, engine
    and Blender version: `BakeConfig.signal_hash`), records this input (path and content) and
    this item's label and text; every derived file asked for exists."""
    h = cfg.signal_hash()
    metas = [export_meta(p) for p in expected_outputs(item, out, cfg)]
    if not all(m and m.get("config_hash") == h for m in metas):
        return False
    me = os.path.abspath(item.input)
    if not all(os.path.abspath(str(m.get("source", {}).get("path", ""))) == me for m in metas):
        return False    # another input's signals under this name
    notes = cfg.extra or {}
    if not all(m.get(k) == notes.get(k) for m in metas for k in NOTES):
        return False    # a changed label or description (synth specs, manifests)
    want = [p for p in item_files(out / item.rel, cfg.vary_body, cfg.csv, cfg.preview) if p.suffix != ".npz"]
    if not all(p.is_file() for p in want):
        return False
    sha256 = sha256 or input_sha256(item.input)
    return sha256 is not None and all(m.get("source", {}).get("sha256") == sha256 for m in metas)


def describe_error(item: Item, exc: BaseException) -> str:
    if isinstance(exc, MotionError):
        return str(exc).splitlines()[0]
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return f"{item.input}: {type(exc).__name__}{': ' + msg if msg else ''}"


def describe_death(item: Item, exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        why = f"signal {-exitcode}: {name}" + (", e.g. kill -9 or the out-of-memory killer"
                                               if -exitcode == signal.SIGKILL else "")
    else:
        why = f"exit status {exitcode}"
    return f"{item.input}: worker died ({why}) while baking it; not retried (run again to retry)"


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


def _worker_main(conn, cfg_dict: dict) -> None:
    """One worker process: bake the items the runner sends, one at a time, until None."""
    global _BAKER
    _die_with_parent()
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides
    if os.getppid() == 1:
        return
    from addon.bake import Baker

    _BAKER = Baker(BakeConfig(**cfg_dict))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(bake_item(job))


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
        res = _BAKER.bake_file(Path(os.path.abspath(item.input)), Path(out) / item.rel,
                               label=cfg.extra.get("label"), text=cfg.extra.get("text"))
        return {"status": "done", "input": str(item.input), "rel": str(item.rel),
                "outputs": [str(p) for p in res.outputs], "config_hash": cfg.signal_hash(),
                "frames": res.frames, "seconds": round(time.perf_counter() - t0, 3)}
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - any bad input must not stop the batch
        reason = describe_error(item, e)
        if os.environ.get("WEARTWIN_DEBUG"):
            traceback.print_exc()
        return failed(item, reason, time.perf_counter() - t0)


def failed(item: Item, reason: str, seconds: float = 0.0) -> dict:
    return {"status": "failed", "input": str(item.input), "rel": str(item.rel), "reason": reason,
            "seconds": round(seconds, 3)}


# --- parent side ---------------------------------------------------------------------------
class Summary:
    """This process's results: printed as one line, written as its task summary
    (`runfolder.TaskRecord`) and merged into OUT/summary.json with every other task's."""

    def __init__(self, out: Path, record: "TaskRecord | None" = None):
        self.out = out
        self.record = record
        self.done: list[dict] = []
        self.skipped: list[dict] = []
        self.failed: list[dict] = []
        self.timings: dict = {"items": {}}
        self.t0 = time.perf_counter()
        self.interrupted = False

    @property
    def up_to_date(self) -> int:
        return sum(s["reason"] == UP_TO_DATE for s in self.skipped)

    def line(self) -> str:
        """The one-line result of a batch: inputs and the exports they made, counted apart
        ('baked 3 inputs (6 exports), 2 up to date, 1 failed -> OUT/summary.json')."""
        def n(k: int, what: str) -> str:
            return f"{k} {what}{'' if k == 1 else 's'}"

        exports = sum(str(o).endswith(".npz") for d in self.done for o in d["outputs"])
        other = len(self.skipped) - self.up_to_date
        parts = [f"baked {n(len(self.done), 'input')} ({n(exports, 'export')})", f"{self.up_to_date} up to date"]
        parts += [f"{n(other, 'other file')} skipped (not motion files)"] if other else []
        parts += [f"{len(self.failed)} failed"]
        return ", ".join(parts) + f" -> {self.out}/summary.json"

    def add(self, r: dict) -> None:
        if r["status"] == "done":
            self.done.append({"input": r["input"], "outputs": r["outputs"]})
            self.timings["items"][r["input"]] = {"seconds": r["seconds"], "frames": r["frames"]}
            if self.record and "rel" in r:
                self.record.record(r["rel"], r["input"], "done", outputs=r["outputs"],
                                   config_hash=r.get("config_hash"))
        else:
            self.failed.append({"input": r["input"], "reason": r["reason"]})
            self.timings["items"][r["input"]] = {"seconds": r["seconds"]}
            if self.record and "rel" in r:
                self.record.record(r["rel"], r["input"], "failed", reason=r["reason"])

    def skip(self, item: Item, cfg: BakeConfig) -> None:
        outs = [str(p) for p in expected_outputs(item, self.out, cfg)]
        self.skipped.append({"input": str(item.input), "reason": UP_TO_DATE, "outputs": outs})
        if self.record:
            self.record.record(str(item.rel), str(item.input), UP_TO_DATE, outputs=outs,
                               config_hash=cfg.signal_hash())

    def write(self, interrupted: bool = False) -> Path:
        from .runfolder import TaskRecord, write_merged

        frames = sum(v.get("frames", 0) for v in self.timings["items"].values())
        wall = time.perf_counter() - self.t0
        self.timings.update(wall_s=round(wall, 3), frames=frames,
                            frames_per_s=round(frames / wall, 2) if wall > 0 else None)
        if self.record is None:
            self.record = TaskRecord(self.out, (0, 1), "", 0)
        self.record.data["skipped"] = [s for s in self.skipped if s["reason"] != UP_TO_DATE]
        self.record.finish(interrupted, self.timings)
        return write_merged(self.out, self.record, self.timings, interrupted)


class _Worker:
    """A worker process and its pipe; `job` is the item it is baking (None: idle)."""

    def __init__(self, ctx, cfg_dict: dict):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, cfg_dict), daemon=True, name="weartwin-worker")
        self.proc.start()
        child.close()
        self.job = None

    def give(self, job) -> bool:
        self.job = job
        try:
            self.conn.send(job)
            return True
        except (BrokenPipeError, OSError):
            return False

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.is_alive():
            self.proc.terminate()   # SIGTERM: atomic_write removes its temporary file
            self.proc.join(timeout)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class _Dispatch:
    """Hands out the next item to bake: takes its output's lock (an item another process is
    baking waits at the end of the queue), then checks it is not up to date (another process may
    just have baked it); skipped items go to the summary."""

    def __init__(self, todo: list, out: Path, force: bool, summary: Summary, locks, on_skip):
        self.pending, self.deferred = collections.deque(todo), collections.deque()
        self.out, self.force, self.summary, self.locks, self.on_skip = out, force, summary, locks, on_skip

    def __call__(self):
        while True:
            if self.pending:
                job, block = self.pending.popleft(), False
            elif self.deferred:
                job, block = self.deferred.popleft(), True
            else:
                return None
            item, _, cdict = job
            if not self.locks.acquire(str(item.rel), block=block):
                self.deferred.append(job)
                continue
            cfg = BakeConfig(**cdict)
            if (not self.force or block) and is_up_to_date(item, self.out, cfg):
                self.locks.release(str(item.rel))
                self.summary.skip(item, cfg)
                self.on_skip()
                continue
            return job


def _run_workers(take, n: int, cfg_dict: dict, out: Path, report) -> None:
    """Bake what `take()` hands out (None: nothing left) in up to `n` worker processes."""
    ctx = mp.get_context("spawn")
    # one core per worker: keep BLAS / OpenMP pools from fighting over the cores
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    workers: list[_Worker] = []
    try:
        for _ in range(n):
            job = take()
            if job is None:
                break
            w = _Worker(ctx, cfg_dict)
            workers.append(w)
            w.give(job)
        while any(w.job is not None for w in workers):
            busy = [w for w in workers if w.job is not None]
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy])
            for w in busy:
                if w.conn not in ready and w.proc.sentinel not in ready:
                    continue
                result = None
                try:
                    if w.conn.poll():
                        result = w.conn.recv()
                except (EOFError, OSError):
                    result = None
                if result is None:
                    if w.proc.is_alive():       # spurious wake-up
                        continue
                    item, _, jcfg = w.job
                    w.proc.join()
                    remove_stale_temp_files(item, out, BakeConfig(**jcfg))
                    w.conn.close()
                    workers.remove(w)
                    w.job = None
                    report(failed(item, describe_death(item, w.proc.exitcode)))
                    job = take()
                    if job is not None:
                        w = _Worker(ctx, cfg_dict)
                        workers.append(w)
                        w.give(job)
                    continue
                w.job = None
                report(result)
                job = take()
                if job is not None:
                    w.give(job)
                else:
                    w.give(None)
                    w.job = None
    finally:
        for w in workers:   # normal end: they are leaving; interrupt: stop them now
            if w.job is not None:
                item, _, jcfg = w.job
                w.stop()
                remove_stale_temp_files(item, out, BakeConfig(**jcfg))
            else:
                w.proc.join(10)
                w.stop()


def in_process(cfg: BakeConfig, workers: int) -> bool:
    """Bake in this process: inside a Blender binary with one worker, or with the fast engine and
    one worker (numpy only, no Blender to crash: no worker process to start). Otherwise worker
    processes, so nothing a Blender bake does can take the runner down."""
    from addon.bake import engine_for

    if workers > 1:
        return False
    if "bpy" in sys.modules:
        return True
    try:
        return engine_for(cfg) == "fast"
    except ValueError:
        return False


def run_batch(items: list[Item], out: Path, cfg: BakeConfig, workers: int = 1, force: bool = False,
              progress: bool = True, skipped: list[dict] | None = None, shard: tuple[int, int] = (0, 1),
              all_items: list[Item] | None = None) -> Summary:
    """Bake `items` (this task's shard of `all_items`) into `out`; returns the summary (written)."""
    from tqdm import tqdm

    from .runfolder import ItemLocks, TaskRecord, inputs_key

    out.mkdir(parents=True, exist_ok=True)
    everything = all_items if all_items is not None else items
    record = TaskRecord(out, shard, inputs_key([str(i.rel) for i in everything]), len(everything))
    for it in items:
        record.plan(str(it.rel), str(it.input))
    record.data["skipped"] = list(skipped or [])
    record.write()
    summary = Summary(out, record)
    summary.skipped.extend(skipped or [])
    bar = tqdm(total=len(items), unit="item", disable=not progress, file=sys.stderr,
               dynamic_ncols=True, desc="bake")
    frames = 0
    t0 = time.perf_counter()
    locks = ItemLocks(out)

    def report(r: dict) -> None:
        nonlocal frames
        summary.add(r)
        if "rel" in r:
            locks.release(r["rel"])
        if r["status"] == "failed":
            tqdm.write(f"FAILED {r['reason']}", file=sys.stderr)
        frames += r.get("frames", 0)
        bar.set_postfix(frames_per_s=f"{frames / max(time.perf_counter() - t0, 1e-9):.0f}",
                        failed=len(summary.failed))
        bar.update(1)

    interrupted = False
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        todo = []
        for it in items:
            if it.error is not None:
                report(failed(it, it.error))
                continue
            try:
                icfg = item_config(cfg, it)
                for p in item_files(out / it.rel, icfg.vary_body, icfg.csv, icfg.preview):
                    inside(out, p)
            except (ConfigError, OutputPathError) as e:
                report(failed(it, f"{it.origin or it.input}: {e}"))
                continue
            todo.append((it, str(out), icfg.to_dict()))
        from .fast_batch import bake_items, wants_batch

        take = _Dispatch(todo, out, force, summary, locks, lambda: bar.update(1))
        if todo and wants_batch(cfg):   # fast engine on a GPU: many clips per torch batch, no Blender
            batch = []
            while (job := take()) is not None:
                batch.append(job)
            for r in bake_items(batch):
                report(r)
        elif todo and not in_process(cfg, workers):
            _run_workers(take, max(1, workers), cfg.to_dict(), out, report)
        else:
            while (job := take()) is not None:
                report(bake_item(job))
    except KeyboardInterrupt:
        interrupted = True
        tqdm.write("interrupted: stopping workers, no partial files are kept", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
        locks.release_all()
        bar.close()
        summary.interrupted = interrupted
        try:
            summary.write(interrupted)
        except OSError as e:     # disk full, read-only --out: one line, and the run counts as failed
            summary.unwritten = f"{out / 'summary.json'}: cannot write ({e.strerror or e})"
            print(f"error: {summary.unwritten}", file=sys.stderr)
    return summary
