"""What a batch bakes: inputs (files, folders, manifests) -> sorted `Item`s -> a shard of them.

Zip archives of BVH files are expanded like folders (members are read in place, output
`OUT/<zip stem>/<member path>`); one member is `ARCHIVE.zip/path/in/zip.bvh`. A folder or zip
laid out like the Bandai Namco dataset gives its items `label` (content) and `text`.
Manifests: `.txt` (one path per line, `#` comments) or `.jsonl` (one object per line with
`input`, optional `output` (a stem relative to --out) and per-item options: `label`, `text`
(an activity description) and the `BakeConfig` fields marked `item=True` (`seed`, `vary_body`,
`body`, `height`, `fps`, `source_fps`, ...). Relative paths in a manifest are relative to the
manifest's folder. Outputs mirror each input's path relative to the folder (or manifest folder)
it was found under; manifest entries outside their manifest's folder (absolute, `../`) mirror
theirs relative to the deepest folder all such entries of the run share; files named on the
command line give their file name. `addon/export/names.py` owns the names.

A bad manifest line (not JSON, no string `input`, an unknown key, an `output` outside --out, a
note that is not a string) becomes an item that fails with one line naming `MANIFEST:LINE`; its
option values are checked by `BakeConfig.with_options` when the batch starts. A manifest that is
not text at all fails as one item. The other lines are baked.

Folders: every file with a motion extension (`MOTION_EXTENSIONS`) is an item; every other file is
listed in summary.json as skipped, with the reason. Hidden files and folders (`.name`), the
output folder (when it lies inside an input folder) and its `summary.json` are ignored silently.
"""
from __future__ import annotations

import json
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from addon.config import item_fields
from addon.export.names import OutputPathError, assign_stems, manifest_output
from addon.motion import MOTION_EXTENSIONS
from addon.motion.archive import is_archive, list_members
from addon.motion.formats import ARCHIVE_MOTION_EXTENSIONS

NOTES = ("label", "text")          # stored in meta, not bake options
MANIFESTS = (".txt", ".jsonl")


def item_keys() -> tuple[str, ...]:
    return ("input", "output", *NOTES, *item_fields())


class UsageError(ValueError):
    """Bad command-line usage (exit code 2)."""


@dataclass(frozen=True)
class Item:
    input: Path
    rel: Path                      # output stem relative to --out (no extension)
    options: tuple = field(default=())  # sorted (key, value) pairs
    origin: str = ""               # MANIFEST:LINE for manifest items
    error: str | None = None       # found before baking: the item fails with this line

    @property
    def opts(self) -> dict:
        return dict(self.options)


@dataclass
class Inputs:
    items: list[Item]
    skipped: list[dict]            # {"input": path, "reason": text}


def _rel_stem(path: Path, base: Path) -> Path:
    try:
        rel = path.resolve().relative_to(base.resolve())
    except ValueError:
        rel = Path(path.name)
    return rel.with_suffix("")


def _freeze(v):
    return tuple(v) if isinstance(v, list) else v


def _bad(manifest: Path, n: int, msg: str) -> Item:
    where = f"{manifest}:{n}"
    return Item(Path(where), Path(where), origin=where, error=f"{where}: {msg}")


def _manifest_line(manifest: Path, n: int, line: str) -> Item:
    base = manifest.parent
    opts, out = {}, None
    if manifest.suffix == ".jsonl":
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as e:
            return _bad(manifest, n, f"not valid JSON ({getattr(e, 'msg', 'too deeply nested')})")
        if not isinstance(obj, dict):
            return _bad(manifest, n, "each line must be a JSON object with an 'input' path")
        unknown = sorted(set(obj) - set(item_keys()))
        if unknown:
            return _bad(manifest, n, f"unknown key(s) {', '.join(unknown)} (allowed: {', '.join(item_keys())})")
        line = obj.get("input")
        if not isinstance(line, str) or not line.strip() or "\0" in line:
            return _bad(manifest, n, f"'input' must be a path (a non-empty string), got {line!r}")
        for k in NOTES:
            if k in obj and not isinstance(obj[k], str):
                return _bad(manifest, n, f"'{k}' must be a string, got {obj[k]!r}")
        try:
            out = manifest_output(obj["output"]) if "output" in obj else None
        except OutputPathError as e:
            return _bad(manifest, n, str(e))
        opts = {k: _freeze(v) for k, v in obj.items() if k not in ("input", "output")}
    p = Path(line)
    if not p.is_absolute():
        p = base / p
    try:
        hash(tuple(opts.items()))
    except TypeError:
        return _bad(manifest, n, "option values must be numbers, strings or booleans")
    if out is None and not _under(p, base):
        out = Path(os.path.abspath(p)).with_suffix("")   # placed by `_place_outside` (absolute until then)
    return Item(p, out or _rel_stem(p, base), tuple(sorted(opts.items())), origin=f"{manifest}:{n}")


def _under(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
        return True
    except ValueError:
        return False


def _place_outside(items: list[Item]) -> list[Item]:
    """Manifest entries outside their manifest's folder (absolute paths, `../`) mirror their path
    relative to the deepest folder common to all such entries of the run: `find /data/amass -name
    '*.npz'` gives `OUT/CMU/01/01_01_poses.npz`, not every file flat in OUT. Until here their `rel`
    is their absolute path (no other item has an absolute `rel`)."""
    outside = [it for it in items if it.error is None and it.rel.is_absolute()]
    if not outside:
        return items
    common = Path(os.path.commonpath([str(it.rel.parent) for it in outside]))
    return [Item(it.input, it.rel.relative_to(common), it.options, it.origin)
            if it.error is None and it.rel.is_absolute() else it for it in items]


def _from_manifest(manifest: Path) -> list[Item]:
    try:
        data = manifest.read_bytes()
        if b"\0" in data:
            raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "binary data")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [Item(manifest, Path(manifest.name), error=f"{manifest}: not a text manifest (binary data)")]
    except OSError as e:
        return [Item(manifest, Path(manifest.name), error=f"{manifest}: cannot read ({e.strerror})")]
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            items.append(_manifest_line(manifest, n, line))
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


def _walk(folder: Path, skip: Path | None, items: list, skipped: list) -> None:
    def unreadable(e: OSError) -> None:
        skipped.append({"input": str(e.filename), "reason": f"cannot read folder ({e.strerror})"})

    labels = _known_labels(folder)
    for root, dirs, files in os.walk(folder, onerror=unreadable):
        rootp = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and (skip is None or (rootp / d).resolve() != skip))
        for name in sorted(files):
            f = rootp / name
            if name.startswith("."):
                continue
            if f.suffix.lower() in MOTION_EXTENSIONS:
                items.append(Item(f, _rel_stem(f, folder), labels.get(str(f), ())))
            elif is_archive(f):
                items.extend(_archive_items(f, _rel_stem(f, folder)))
            else:
                skipped.append({"input": str(f), "reason": f"not a motion file (extension '{f.suffix or 'none'}'; "
                                                           f"motion files: {', '.join(MOTION_EXTENSIONS)})"})


def _archive_items(archive: Path, rel: Path) -> list[Item]:
    """The motion files inside a zip, each an item `ARCHIVE.zip/member` named `rel/member` (with
    the labels of a known corpus layout)."""
    from addon.motion import MotionError

    try:
        members = list_members(archive, ARCHIVE_MOTION_EXTENSIONS)
    except MotionError:          # not a zip after all: one item that fails with the reason
        return [Item(archive, rel)]
    labels = _known_labels(archive)
    # canonical member names (addon/motion/archive.py): `a/../b.bvh` is `b.bvh`, one output; names
    # that leave the archive are never listed
    return [Item(archive / m, rel / Path(m).with_suffix(""), labels.get(str(archive / m), ()))
            for m in members]


def collect_inputs(inputs: list[str], out: Path | None = None) -> Inputs:
    """Files, folders (recursive) and manifests -> items sorted by output path (deterministic),
    with final output names, plus the folder files that are not motion files."""
    items: list[Item] = []
    skipped: list[dict] = []
    skip = Path(out).resolve() if out is not None else None
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            _walk(p, skip, items, skipped)
        elif is_archive(p):   # a zip of motions is a folder read in place: OUT/<zip stem>/<member>
            items.extend(_archive_items(p, Path(p.stem)))
        elif p.suffix.lower() in MANIFESTS and p.is_file():
            items.extend(_from_manifest(p))
        else:
            # files (even missing or unreadable ones) become items so they fail with a reason
            items.append(Item(p, Path(p.stem)))
    items = _place_outside(items)
    seen, unique = set(), []
    for it in sorted(items, key=lambda i: (str(i.rel), str(i.input))):
        key = (it.rel, it.input)     # the same input listed twice for one output: bake it once
        if key not in seen:
            seen.add(key)
            unique.append(it)
    names = assign_stems([(it.rel, it.input) for it in unique if it.error is None], _recorded_source,
                         Path(out) if out is not None else Path("."))
    result = [it if it.error is not None or names[(it.rel, it.input)] == it.rel else
              Item(it.input, names[(it.rel, it.input)], it.options, it.origin) for it in unique]
    result.sort(key=lambda i: (str(i.rel), str(i.input)))
    return Inputs(result, skipped)


def expand_inputs(inputs: list[str], out: Path | None = None) -> list[Item]:
    return collect_inputs(inputs, out).items


def _recorded_source(npz: Path) -> str | None:
    from .runner import export_meta

    return (export_meta(npz) or {}).get("source", {}).get("path")


def parse_shard(text: str | None, env: dict | None = None) -> tuple[int, int]:
    """`I/N` (0-based I), `slurm` or `slurm/N` (I = SLURM_ARRAY_TASK_ID); None: (0, 1), everything."""
    env = os.environ if env is None else env
    if not text:
        return 0, 1
    head, _, tail = text.partition("/")
    if head.strip().lower() == "slurm" and "SLURM_ARRAY_TASK_ID" not in env:
        raise UsageError("--shard slurm needs a SLURM array task (SLURM_ARRAY_TASK_ID is not set); "
                         "outside an array give --shard I/N")
    try:
        if head.strip().lower() == "slurm":
            i = int(env["SLURM_ARRAY_TASK_ID"])
            n = int(tail) if tail else int(env.get("SLURM_ARRAY_TASK_MAX", i)) + 1
        else:
            i, n = int(head), int(tail)
    except ValueError:
        raise UsageError(f"--shard must look like I/N (e.g. 0/4), slurm or slurm/N, got '{text}'") from None
    if n < 1 or not 0 <= i < n:
        raise UsageError(f"shard {i}/{n} is out of range (need 0 <= I < N)")
    return i, n


def array_note(env: dict | None = None) -> str | None:
    """One line when an array task bakes every input it was given (no --shard)."""
    env = os.environ if env is None else env
    if int(env.get("SLURM_ARRAY_TASK_COUNT", "1") or 1) > 1:
        return (f"note: SLURM array task {env.get('SLURM_ARRAY_TASK_ID')}: no --shard, so this task bakes every "
                "input it was given (tasks given the same list share it item by item; --shard slurm splits it)")
    return None


def shard(items: list[Item], i: int, n: int) -> list[Item]:
    """Round-robin over the sorted list: shards are disjoint and together cover every item."""
    return items[i::n]
