"""Output names: the one place that decides which files an input's signals go to.

- `<stem>.npz`, or `<stem>__bNN.npz` for body variant NN (`--vary-body N`), plus `.csv` / `.png`
  beside each `.npz` (`--csv`, `--preview`).
- Two inputs that would get the same stem: the one an existing export already records as its
  source keeps the plain stem (else the first by path); every other one gets `<stem>~XXXXXXXX`,
  eight hex digits of the sha1 of its absolute path. Adding an input later never moves an
  existing output to another input. (The wanted stem of a manifest entry outside its manifest's
  folder depends on the run's other such entries: their common folder, `headless/items.py`.)
- Every output lies inside the output folder: `manifest_output` refuses absolute paths, `..` and
  empty names; `inside` refuses targets whose folder resolves (through symlinks) outside it.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

DERIVED = {"csv": ".csv", "preview": ".png"}


class OutputPathError(ValueError):
    """An output name that would write outside the output folder (one line)."""


def variant_label(k: int) -> str:
    return f"b{k:02d}"


def export_path(out_stem: Path, label: str = "") -> Path:
    """The `.npz` of one body variant (label '' = the default body)."""
    out_stem = Path(out_stem)
    return out_stem.with_name(out_stem.name + (f"__{label}" if label else "") + ".npz")


def export_paths(out_stem: Path, vary_body: int) -> list[Path]:
    if vary_body > 0:
        return [export_path(out_stem, variant_label(k)) for k in range(1, vary_body + 1)]
    return [export_path(out_stem)]


def derived_path(npz: Path, kind: str) -> Path:
    """`kind`: 'csv' or 'preview'."""
    npz = Path(npz)
    return npz.with_name(npz.name[:-len(".npz")] + DERIVED[kind])


def item_files(out_stem: Path, vary_body: int, csv: bool, preview: bool) -> list[Path]:
    """Every file one input produces (exports first)."""
    npzs = export_paths(out_stem, vary_body)
    extra = [derived_path(p, k) for p in npzs for k, on in (("csv", csv), ("preview", preview)) if on]
    return npzs + extra


def disambiguated(rel: Path, source: Path) -> Path:
    tag = hashlib.sha1(os.path.abspath(source).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return rel.with_name(f"{rel.name}~{tag}")


def assign_stems(pairs: Iterable[tuple[Path, Path]], recorded_source: Callable[[Path], str | None],
                 out: Path) -> dict:
    """{(rel, input): final rel} for (wanted rel, input) pairs. `recorded_source(npz)` reads the
    source path an existing export records (None when there is none)."""
    groups: dict = {}
    for rel, src in pairs:
        groups.setdefault(rel, []).append(src)
    result = {}
    for rel, srcs in groups.items():
        srcs = sorted(set(srcs), key=str)
        owner = srcs[0]
        if len(srcs) > 1:
            for first in (export_path(out / rel), export_path(out / rel, variant_label(1))):
                rec = recorded_source(first) if first.is_file() else None
                match = [s for s in srcs if rec and os.path.abspath(s) == os.path.abspath(rec)]
                if match:
                    owner = match[0]
                    break
        for s in srcs:
            result[(rel, s)] = rel if s == owner else disambiguated(rel, s)
    return result


def manifest_output(value) -> Path:
    """A manifest item's `output` -> a stem relative to the output folder, or OutputPathError."""
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise OutputPathError(f"'output' must be a relative path inside --out, got {value!r}")
    p = PurePosixPath(value.replace("\\", "/"))
    if p.is_absolute() or value.startswith("~"):
        raise OutputPathError(f"'output' {value!r} is absolute; it must be relative to --out")
    if ".." in p.parts:
        raise OutputPathError(f"'output' {value!r} contains '..'; it must stay inside --out")
    parts = [x for x in p.parts if x != "."]
    if not parts:
        raise OutputPathError(f"'output' {value!r} names no file")
    rel = Path(*parts)
    return rel.with_suffix("") if rel.suffix == ".npz" else rel


def inside(out: Path, target: Path) -> None:
    """Refuse a target whose folder resolves outside `out` (an absolute name, '..', or a symlinked
    folder that points elsewhere): we never follow those for writing."""
    root = Path(out).resolve()
    folder = Path(target).parent.resolve()
    if folder != root and root not in folder.parents:
        raise OutputPathError(f"output {target} would be written outside --out {out} (resolves to {folder})")
