"""The run folder: one truth for an output folder that many processes (SLURM array tasks, Flamenco
tasks, two people) bake into.

- Every `weartwin bake` process writes its own summary, `OUT/.weartwin/summaries/<task>.json`
  (atomically; at start with every item pending, every few seconds while baking, and at the end),
  so a task that is cancelled or killed still leaves what it was asked to do and how far it got.
- `OUT/summary.json` is the merged view of all of them (written by each task as it ends, under a
  lock), and `weartwin status OUT` merges them afresh: per output, the newest final record wins
  (done, up to date, failed); pending/interrupted records count only where no task finished that
  item. Also reported: shards of an `--shard I/N` set no task ran, SLURM array tasks that left no
  summary, tasks that died without a final summary, and outputs that are no longer what their
  record says (deleted, or replaced by a bake with other options: stale).
- `ItemLock`: an flock per output, held while its item bakes, so two processes never bake one
  item at once (the second finds it up to date when the first is done).

Exit codes of `weartwin status`: 0 complete, 1 anything failed, interrupted, missing, stale or
still running, 2 usage (no run folder).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import sys
import time
from pathlib import Path

from addon.export.atomic import write_text

RUN_DIR = ".weartwin"
SCHEMA = 1
FINAL = ("done", "up to date", "failed")     # a task finished the item
WRITE_EVERY_S = 5.0


def run_dir(out: Path) -> Path:
    return Path(out) / RUN_DIR


def summaries_dir(out: Path) -> Path:
    return run_dir(out) / "summaries"


def host() -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in socket.gethostname()) or "host"


def slurm_env(env=None) -> dict:
    env = os.environ if env is None else env
    keys = ("SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
            "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_STEP", "SLURM_ARRAY_TASK_COUNT")
    return {k[len("SLURM_"):].lower(): env[k] for k in keys if env.get(k)}


def task_id(env=None) -> str:
    """SLURM: `slurm-<array job>_<task>` (or `slurm-<job>`); Flamenco/other: `<host>-<pid>-<time>`."""
    s = slurm_env(env)
    if "array_job_id" in s and "array_task_id" in s:
        return f"slurm-{s['array_job_id']}_{s['array_task_id']}"
    stamp = time.strftime("%Y%m%dT%H%M%S")
    base = f"slurm-{s['job_id']}" if "job_id" in s else host()
    return f"{base}-{os.getpid()}-{stamp}"


def inputs_key(rels: list[str]) -> str:
    """Fingerprint of a whole (unsharded) item list: tasks of one sharded set share it."""
    h = hashlib.sha256()
    for r in rels:
        h.update(r.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()[:16]


def _now() -> float:
    return round(time.time(), 3)


class TaskRecord:
    """This process's summary file: what it was given, what became of each item."""

    def __init__(self, out: Path, shard: tuple[int, int], key: str, total: int, command: list[str] | None = None):
        self.out = Path(out)
        self.id = task_id()
        self.path = summaries_dir(out) / f"{self.id}.json"
        self.data = {"schema": SCHEMA, "task": self.id, "host": host(), "pid": os.getpid(),
                     "started": _now(), "updated": _now(), "state": "running",
                     "shard": list(shard), "inputs_key": key, "inputs_total": total,
                     "slurm": slurm_env(), "command": command if command is not None else sys.argv,
                     "items": {}, "skipped": []}
        self._last = 0.0

    def plan(self, rel: str, inp: str) -> None:
        self.data["items"][rel] = {"input": inp, "status": "pending", "t": self.data["started"]}

    def record(self, rel: str, inp: str, status: str, **kw) -> None:
        self.data["items"][rel] = {"input": inp, "status": status, "t": _now(), **kw}
        if time.monotonic() - self._last > WRITE_EVERY_S:
            self.write()

    def write(self, state: str | None = None, timings: dict | None = None) -> None:
        if state:
            self.data["state"] = state
        if timings is not None:
            self.data["timings"] = timings
        self.data["updated"] = _now()
        self._last = time.monotonic()
        try:
            write_text(self.path, json.dumps(self.data, indent=1))
        except OSError as e:   # a full disk must not end the batch; the final write reports it
            print(f"weartwin: cannot write {self.path} ({e.strerror or e})", file=sys.stderr)

    def finish(self, interrupted: bool, timings: dict) -> None:
        for it in self.data["items"].values():
            if it["status"] == "pending":
                it["status"] = "interrupted" if interrupted else "not baked"
        self.write("interrupted" if interrupted else "finished", timings)


# --- reading and merging ---------------------------------------------------------------------
def load_tasks(out: Path) -> list[dict]:
    tasks = []
    d = summaries_dir(out)
    if not d.is_dir():
        return tasks
    for p in sorted(d.glob("*.json")):
        try:
            t = json.loads(p.read_text(encoding="utf-8"))
            if isinstance(t, dict) and t.get("schema") == SCHEMA and isinstance(t.get("items"), dict):
                t["_file"] = str(p)
                tasks.append(t)
        except (OSError, ValueError):
            continue
    return tasks


def _alive(task: dict) -> bool | None:
    """Is the task's process still running? None: it ran on another host (cannot tell)."""
    if task.get("host") != host():
        return None
    try:
        os.kill(int(task["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, KeyError):
        return None
    return True


def task_state(task: dict) -> str:
    """finished | interrupted | running | killed (no final summary, process gone) | unknown."""
    st = task.get("state")
    if st != "running":
        return st or "unknown"
    alive = _alive(task)
    return "running" if alive else ("killed" if alive is False else "running or killed")


def merge(tasks: list[dict]) -> dict:
    """Per output (rel): the newest final record wins; else the newest other one."""
    best: dict = {}
    for t in tasks:
        state = task_state(t)
        for rel, rec in t["items"].items():
            rec = {**rec, "task": t["task"]}
            if rec["status"] == "pending":
                rec["status"] = "running" if state == "running" else "interrupted"
                if state in ("killed", "running or killed"):
                    rec["reason"] = f"task {t['task']} {'was killed' if state == 'killed' else 'may have died'} " \
                                    "before baking it (no final summary)"
            cur = best.get(rel)
            final, cur_final = rec["status"] in FINAL, cur is not None and cur["status"] in FINAL
            if cur is None or (final and not cur_final) or (final == cur_final and rec["t"] >= cur["t"]):
                best[rel] = rec
    return best


def missing_shards(tasks: list[dict]) -> list[dict]:
    """Shards of an `I/N` set (tasks with one inputs_key and N) that no task ran, unless a later
    unsharded task was given that same input list (it covered them)."""
    sets: dict = {}
    for t in tasks:
        i, n = t.get("shard", (0, 1))
        if n > 1:
            s = sets.setdefault((t.get("inputs_key"), n), {"seen": set(), "total": t.get("inputs_total", 0),
                                                            "task": t, "started": t.get("started", 0)})
            s["seen"].add(i)
            s["started"] = min(s["started"], t.get("started", 0))
    whole = [(t.get("inputs_key"), t.get("started", 0)) for t in tasks if tuple(t.get("shard", (0, 1)))[1] == 1]
    gaps = []
    for (key, n), s in sets.items():
        if any(k == key and started > s["started"] for k, started in whole):
            continue
        for i in sorted(set(range(n)) - s["seen"]):
            count = len(range(i, s["total"], n))
            gaps.append({"shard": f"{i}/{n}", "items": count, "inputs_key": key,
                         "example_task": s["task"]["task"]})
    return gaps


def missing_array_tasks(tasks: list[dict]) -> list[dict]:
    """SLURM array tasks that left no summary (cancelled before starting, or never ran), unless a
    later array job ran that task id (a resubmit)."""
    jobs: dict = {}
    for t in tasks:
        s = t.get("slurm") or {}
        if "array_job_id" not in s or "array_task_id" not in s:
            continue
        j = jobs.setdefault(s["array_job_id"], {"ids": set(), "slurm": s, "started": t.get("started", 0)})
        j["ids"].add(int(s["array_task_id"]))
        j["started"] = min(j["started"], t.get("started", 0))
    gaps = []
    for jid, j in jobs.items():
        s = j["slurm"]
        try:
            lo, hi, count = int(s["array_task_min"]), int(s["array_task_max"]), int(s["array_task_count"])
            step = int(s.get("array_task_step", 1) or 1)
        except (KeyError, ValueError):
            continue
        expected = set(range(lo, hi + 1, step))
        if len(expected) != count:      # a list like --array=0,2,7: the ids cannot be known
            continue
        later = set().union(*[k["ids"] for k in jobs.values() if k["started"] > j["started"]] or [set()])
        for tid in sorted(expected - j["ids"] - later):
            gaps.append({"array_job": jid, "task": tid})
    return gaps


def _export_hash(path: str) -> str | None:
    from .runner import export_meta

    return (export_meta(Path(path)) or {}).get("config_hash")


def survey(out: Path, check_outputs: bool = True) -> dict:
    """The merged state of a run folder (what `weartwin status` prints and summary.json holds)."""
    tasks = load_tasks(out)
    items = merge(tasks)
    stale = []
    if check_outputs:
        for rel, rec in items.items():
            if rec["status"] not in ("done", "up to date"):
                continue
            for o in rec.get("outputs", []):
                if not Path(o).is_file():
                    stale.append({"output": rel, "input": rec["input"], "reason": f"{o} no longer exists"})
                    break
                if o.endswith(".npz") and rec.get("config_hash") and _export_hash(o) != rec["config_hash"]:
                    stale.append({"output": rel, "input": rec["input"],
                                  "reason": f"{o} was replaced by a bake with other options or another version"})
                    break
    skipped = {}
    for t in sorted(tasks, key=lambda t: t.get("started", 0)):
        for s in t.get("skipped", []):
            skipped[s["input"]] = s
    states = {t["task"]: task_state(t) for t in tasks}
    by = lambda *st: sorted((rel, r) for rel, r in items.items() if r["status"] in st)  # noqa: E731
    return {
        "tasks": [{"task": t["task"], "state": states[t["task"]], "shard": "{}/{}".format(*t.get("shard", (0, 1))),
                   "host": t.get("host"), "file": t["_file"], "items": len(t["items"])} for t in tasks],
        "done": [{"input": r["input"], "output": rel, "outputs": r.get("outputs", []), "task": r["task"]}
                 for rel, r in by("done")],
        "up_to_date": [{"input": r["input"], "output": rel, "outputs": r.get("outputs", [])}
                       for rel, r in by("up to date")],
        "failed": [{"input": r["input"], "output": rel, "reason": r.get("reason", ""), "task": r["task"]}
                   for rel, r in by("failed")],
        "interrupted": [{"input": r["input"], "output": rel, "task": r["task"],
                         "reason": r.get("reason") or f"task {r['task']} stopped before baking it"}
                        for rel, r in by("interrupted", "not baked")],
        "running": [{"input": r["input"], "output": rel, "task": r["task"]} for rel, r in by("running")],
        "missing_shards": missing_shards(tasks),
        "missing_array_tasks": missing_array_tasks(tasks),
        "stale": stale,
        "other_files": list(skipped.values()),
    }


def complete(s: dict) -> bool:
    return not any(s[k] for k in ("failed", "interrupted", "running", "missing_shards",
                                  "missing_array_tasks", "stale")) and bool(s["tasks"])


def write_merged(out: Path, this_task: TaskRecord, timings: dict, interrupted: bool) -> Path:
    """OUT/summary.json: the merged view (DESIGN.md keys done/skipped/failed/timings first), under
    the run folder's lock so two tasks ending together do not interleave."""
    run_dir(out).mkdir(parents=True, exist_ok=True)
    with open(run_dir(out) / "summary.lock", "a") as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)
        s = survey(out, check_outputs=False)
        data = {"done": [{"input": d["input"], "outputs": d["outputs"]} for d in s["done"]],
                "skipped": ([{"input": d["input"], "reason": "up to date", "outputs": d["outputs"]}
                             for d in s["up_to_date"]] + s["other_files"]),
                "failed": [{"input": d["input"], "reason": d["reason"]} for d in s["failed"]],
                "timings": timings,
                "interrupted": interrupted or bool(s["interrupted"]),
                "not_baked": s["interrupted"] + s["running"],
                "missing_shards": s["missing_shards"], "missing_array_tasks": s["missing_array_tasks"],
                "tasks": s["tasks"], "this_task": str(this_task.path),
                "note": "merged from every task's summary under .weartwin/summaries; "
                        "`weartwin status OUT` re-checks the outputs too"}
        return write_text(Path(out) / "summary.json", json.dumps(data, indent=2))


# --- one process per item at a time ----------------------------------------------------------
class ItemLocks:
    """flock per output stem under OUT/.weartwin/locks (released when the process dies)."""

    def __init__(self, out: Path):
        self.dir = run_dir(out) / "locks"
        self.held: dict = {}

    def _path(self, rel: str) -> Path:
        return self.dir / (hashlib.sha1(rel.encode("utf-8", "surrogateescape")).hexdigest()[:20] + ".lock")

    def acquire(self, rel: str, block: bool = False) -> bool:
        self.dir.mkdir(parents=True, exist_ok=True)
        f = open(self._path(rel), "a")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
        except BlockingIOError:
            f.close()
            return False
        except OSError:     # a file system without flock: no cross-process protection
            pass
        self.held[rel] = f
        return True

    def release(self, rel: str) -> None:
        f = self.held.pop(rel, None)
        if f is not None:
            f.close()

    def release_all(self) -> None:
        for rel in list(self.held):
            self.release(rel)


# --- `weartwin status` -----------------------------------------------------------------------
def format_status(out: Path, s: dict, verbose: bool = False, limit: int = 20) -> list[str]:
    n_items = sum(len(s[k]) for k in ("done", "up_to_date", "failed", "interrupted", "running"))
    states: dict = {}
    for t in s["tasks"]:
        states[t["state"]] = states.get(t["state"], 0) + 1
    lines = [f"{out}: {n_items} outputs: {len(s['done']) + len(s['up_to_date'])} done, {len(s['failed'])} failed, "
             f"{len(s['interrupted'])} interrupted, {len(s['running'])} running, {len(s['stale'])} stale; "
             f"{len(s['tasks'])} task summaries ({', '.join(f'{v} {k}' for k, v in sorted(states.items()))})"]

    def block(kind: str, rows: list[str]) -> None:
        for r in rows[:limit if not verbose else None]:
            lines.append(f"{kind:12s} {r}")
        if not verbose and len(rows) > limit:
            lines.append(f"{kind:12s} ... and {len(rows) - limit} more (--verbose lists all)")

    block("failed", [f"{d['output']}: {d['reason']}" for d in s["failed"]])
    block("interrupted", [f"{d['output']}: {d['reason']}" for d in s["interrupted"]])
    block("running", [f"{d['output']} (task {d['task']})" for d in s["running"]])
    block("stale", [f"{d['output']}: {d['reason']}" for d in s["stale"]])
    block("missing", [f"shard {g['shard']} ({g['items']} item{'s' if g['items'] != 1 else ''}): no task ran it; "
                      f"run it with --shard {g['shard']} (bake_array.sbatch: SHARDS={g['shard'].split('/')[1]} "
                      f"sbatch --array={g['shard'].split('/')[0]} ...)" for g in s["missing_shards"]])
    block("missing", [f"array job {g['array_job']} task {g['task']}: left no summary (cancelled before it "
                      "started, or never ran)" for g in s["missing_array_tasks"]])
    block("killed", [f"task {t['task']} ({t['host']}): no final summary, {t['state']}" for t in s["tasks"]
                     if t["state"] in ("killed", "running or killed")])
    ok = complete(s)
    lines.append("complete" if ok else "INCOMPLETE: run the same bake again to finish (done items are skipped)"
                 if s["tasks"] else "no task summaries")
    return lines
