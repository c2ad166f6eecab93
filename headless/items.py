"""What a batch bakes: inputs (files, folders, manifests) -> sorted `Item`s -> a shard of them.

Zip archives of BVH files are expanded like folders (members are read in place, output
`OUT/<zip stem>/<member path>`); one member is `ARCHIVE.zip/path/in/zip.bvh`. A folder or zip
laid out like the Bandai Namco dataset gives its items `label` (content) and `text`.
Manifests: `.txt` (one path per line, `#` comments) or `.jsonl` (one object per line with
`input` and optional per-item options: `label`, `text` (an activity description), `seed`, `vary_body`, `body`, `height`,
`output`). Relative paths in a manifest are relative to the manifest's folder. Outputs
mirror each input's path relative to the folder (or manifest folder) it was found under.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from addon.motion import MOTION_EXTENSIONS
from addon.motion.archive import is_archive, list_members
from addon.motion.formats import ARCHIVE_MOTION_EXTENSIONS

ITEM_OPTIONS = ("label", "text", "seed", "vary_body", "body", "height", "fps", "source_fps")


class UsageError(ValueError):
    """Bad command-line usage (exit code 2)."""


@dataclass(frozen=True)
class Item:
    input: Path
    rel: Path                      # output stem relative to --out (no extension)
    options: tuple = field(default=())  # sorted (key, value) pairs

    @property
    def opts(self) -> dict:
        return dict(self.options)


def _rel_stem(path: Path, base: Path) -> Path:
    try:
        rel = path.resolve().relative_to(base.resolve())
    except ValueError:
        rel = Path(path.name)
    return rel.with_suffix("")


def _from_manifest(manifest: Path) -> list[Item]:
    base = manifest.parent
    items = []
    with open(manifest, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            opts = {}
            if manifest.suffix == ".jsonl":
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise UsageError(f"{manifest}:{n}: not valid JSON ({e.msg})") from None
                if not isinstance(obj, dict) or "input" not in obj:
                    raise UsageError(f"{manifest}:{n}: each line needs an 'input' path")
                unknown = set(obj) - {"input", "output", *ITEM_OPTIONS}
                if unknown:
                    raise UsageError(f"{manifest}:{n}: unknown option(s) {', '.join(sorted(unknown))}")
                line = obj["input"]
                opts = {k: obj[k] for k in ITEM_OPTIONS if k in obj}
                out = obj.get("output")
            else:
                out = None
            p = Path(line)
            if not p.is_absolute():
                p = base / p
            rel = Path(out).with_suffix("") if out else _rel_stem(p, base)
            items.append(Item(p, rel, tuple(sorted(opts.items()))))
    return items


def _known_labels(root: Path) -> dict:
    """Labels of a folder or zip laid out like a known labelled corpus (Bandai Namco: the .json
    beside each clip + cfg-N labels): path -> item options (label = content, text)."""
    from addon.motion.library import LibraryError, describe, list_library

    try:
        clips = list_library(root, "bandai")
    except (LibraryError, OSError, ValueError):
        return {}
    return {str(c.path): (("label", c.content), ("text", describe(c.content, c.style, k)))
            for k, c in enumerate(clips)}


def expand_inputs(inputs: list[str]) -> list[Item]:
    """Files, folders (recursive) and manifests -> items sorted by output path (deterministic)."""
    items: list[Item] = []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            labels = _known_labels(p)
            for root, _dirs, files in os.walk(p):
                for name in files:
                    f = Path(root) / name
                    if f.suffix.lower() in MOTION_EXTENSIONS and not name.startswith("."):
                        items.append(Item(f, _rel_stem(f, p), labels.get(str(f), ())))
        elif is_archive(p):   # a zip of motions is a folder read in place: OUT/<zip stem>/<member>
            labels = _known_labels(p)
            for member in list_members(p, ARCHIVE_MOTION_EXTENSIONS):
                items.append(Item(p / member, Path(p.stem) / Path(member).with_suffix(""),
                                  labels.get(str(p / member), ())))
        elif p.suffix.lower() in (".txt", ".jsonl") and p.is_file():
            items.extend(_from_manifest(p))
        else:
            # files (even missing or unreadable ones) become items so they fail with a reason
            items.append(Item(p, Path(p.stem)))
    seen, unique = set(), []
    for it in sorted(items, key=lambda i: (str(i.rel), str(i.input))):
        if (it.rel, it.input) not in seen:
            seen.add((it.rel, it.input))
            unique.append(it)
    # two different inputs mapping to one output name: disambiguate deterministically
    counts: dict = {}
    result = []
    for it in unique:
        k = counts.get(it.rel, 0)
        counts[it.rel] = k + 1
        result.append(it if k == 0 else Item(it.input, it.rel.with_name(f"{it.rel.name}~{k}"), it.options))
    return result


def parse_shard(text: str | None, env: dict | None = None) -> tuple[int, int]:
    """`I/N` (0-based I) or, when absent, SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT."""
    env = os.environ if env is None else env
    if text:
        try:
            i, n = (int(x) for x in text.split("/"))
        except ValueError:
            raise UsageError(f"--shard must look like I/N (e.g. 0/4), got '{text}'") from None
    elif "SLURM_ARRAY_TASK_ID" in env and "SLURM_ARRAY_TASK_COUNT" in env:
        i = int(env["SLURM_ARRAY_TASK_ID"]) - int(env.get("SLURM_ARRAY_TASK_MIN", 0))
        n = int(env["SLURM_ARRAY_TASK_COUNT"])
    else:
        return 0, 1
    if n < 1 or not 0 <= i < n:
        raise UsageError(f"shard {i}/{n} is out of range (need 0 <= I < N)")
    return i, n


def shard(items: list[Item], i: int, n: int) -> list[Item]:
    """Round-robin over the sorted list: shards are disjoint and together cover every item."""
    return items[i::n]
