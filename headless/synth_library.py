"""Library activities for `weartwin synth`: a folder (or .zip) of motion files plus a label
rule, turned into labelled, described manifest items (the files are baked where they are).

Label rules: `pattern`, a regular expression searched in each file's path relative to the
library, with a `(?P<label>...)` group and optionally `(?P<style>...)`; or `labels`, a CSV
with columns `file,label[,style][,text]` (paths relative to the CSV). An activity takes the
files whose label fully matches its `match` (a regular expression; default: its name).

Hook: when `addon.motion.library` (the motion-library module) provides
`library_entries(root, pattern=None, labels=None)` returning dicts with `input`, `label`
and optional `style`/`text`, it is used instead of the reader below (which reads zips only
when `addon.motion.archive` is present).
"""
from __future__ import annotations

import csv
import os
import re
from pathlib import Path

from addon.motion import MOTION_EXTENSIONS


def _files(root: Path) -> list[str]:
    if root.is_file() and root.suffix.lower() == ".zip":
        try:
            from addon.motion.archive import list_members
        except ImportError:
            raise ValueError(f"{root}: reading motion files inside a .zip needs the archive reader "
                             "(addon.motion.archive)") from None
        return list_members(root, set(MOTION_EXTENSIONS) | {".bvh"})
    if not root.is_dir():
        raise ValueError(f"{root}: no such library folder or .zip")
    exts = set(MOTION_EXTENSIONS) | {".bvh"}
    out = []
    for d, _dirs, names in os.walk(root):
        for n in names:
            if Path(n).suffix.lower() in exts and not n.startswith("."):
                out.append(Path(d, n).relative_to(root).as_posix())
    return sorted(out)


def describe(label: str, style: str | None) -> str:
    """'walk-turn-left', 'elderly' -> 'a person walk turn left, in an elderly way'."""
    words = re.sub(r"[_\-]+", " ", label).strip()
    text = f"a person {words}"
    if style and style.lower() not in ("normal", "neutral", ""):
        s = re.sub(r"[_\-]+", " ", style).strip()
        text += f", in {'an' if s[:1].lower() in 'aeiou' else 'a'} {s} way"
    return text


def library_entries(root, pattern: str | None = None, labels: str | None = None) -> list[dict]:
    try:
        from addon.motion import library as external   # the motion-library module, when present
    except ImportError:
        external = None
    if external is not None and hasattr(external, "library_entries"):
        return list(external.library_entries(root, pattern=pattern, labels=labels))
    root = Path(root)
    entries = []
    if labels:
        table = Path(labels)
        with open(table, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if not row.get("file") or not row.get("label"):
                    raise ValueError(f"{table}: each row needs 'file' and 'label'")
                p = (table.parent / row["file"]) if not Path(row["file"]).is_absolute() else Path(row["file"])
                entries.append({"input": str(p), "label": row["label"], "style": row.get("style") or None,
                                "text": row.get("text") or None})
        return entries
    try:
        rx = re.compile(pattern or r"(?P<label>[^/]+)\.[A-Za-z0-9]+$")
    except re.error as e:
        raise ValueError(f"library pattern {pattern!r}: {e}") from None
    if "label" not in rx.groupindex:
        raise ValueError(f"library pattern {pattern!r} needs a (?P<label>...) group")
    for rel in _files(root):
        m = rx.search(rel)
        if m and m.group("label"):
            style = m.groupdict().get("style")
            entries.append({"input": str(root / rel), "label": m.group("label"), "style": style, "text": None})
    return entries


def library_jobs(act: dict, spec: dict, seed: int, n: int) -> list[dict]:
    """Up to `n` files of the library whose label matches the activity (a seeded choice when
    there are more), as synth jobs."""
    import numpy as np

    entries = library_entries(act.get("library") or spec.get("library"), act.get("pattern"), act.get("labels"))
    want = re.compile(act.get("match") or re.escape(act["name"]))
    chosen = [e for e in entries if want.fullmatch(e["label"])]
    if len(chosen) > n:
        idx = np.random.default_rng([seed, len(chosen)]).choice(len(chosen), n, replace=False)
        chosen = [chosen[i] for i in sorted(idx)]
    jobs = []
    for k, e in enumerate(chosen):
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(e["input"]).stem)[:60] or "motion"
        jobs.append({"label": act["name"], "text": e.get("text") or describe(e["label"], e.get("style")),
                     "seed": seed * 1000 + k, "stem": f"{act['name']}_{k:03d}_{stem}", "source": "library",
                     "input": e["input"]})
    return jobs
