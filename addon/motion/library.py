"""Motion libraries: a folder or zip of motion files, each with a label (content, style) and words.

A label rule says where the labels come from:
- `bandai`: the Bandai Namco Research Motiondataset layout: `<clip>.json` next to each clip
  (`{"content": i, "style": j}`, 0-based) indexing `cfg-N/content_label.txt` / `style_label.txt`
  beside the `dataset-N` folder or `dataset-N.zip` (labels there are written `dataset-N_walk`);
  without them, the file name `dataset-N_{content}_{style}_{id}`.
- `regex:PATTERN`: a regular expression searched in the file name (without extension), with
  named groups `content` (or `label`) and optionally `style`.
- `csv:FILE`: rows `file,label[,style]` (file relative to the library; a header row is allowed).

Files from strangers: a folder library lists only regular files inside it (`addon/safe_paths.py`:
no link out); zip members have canonical names (`archive.py`); side `.json` files and label
lists are size-capped (`WEARTWIN_MAX_SIDE_BYTES`) before they are read (a side file that is
too large, not JSON or off the label lists is one warning line naming it; the clip keeps the
labels of its name); a regex rule is
matched against names of at most `MAX_NAME` characters within WEARTWIN_REGEX_TIMEOUT seconds
in all (a pattern that backtracks for ever is stopped with one line).

`list_library` returns `LibraryClip`s (sorted, filtered, capped at `max_clips` by a seeded
choice); `describe(content, style)` turns labels into words: ("walk-turn-left", "elderly") ->
"a person walks, turning left, in an elderly way". `manifest_entries` makes the bake-manifest
lines (`input`, `output`, `label`, `text`) that `weartwin bake` and `weartwin synth` read.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import limits
from ..safe_paths import PathError, read_text, regular_files
from .archive import canonical_members, is_archive, list_members, read_member
from .formats import ARCHIVE_MOTION_EXTENSIONS, MOTION_EXTENSIONS
from .motion import MotionError

MAX_NAME = 1024         # characters of a name a regex rule is matched against


class LibraryError(ValueError):
    """A library or its label rule cannot be used (one line naming the problem)."""


class LibraryInputError(LibraryError):
    """The library itself (the folder or zip) is missing or unreadable: an input that failed,
    not a usage error (`weartwin library` exits 1, as for any input; DESIGN.md)."""


@dataclass(frozen=True)
class LibraryClip:
    path: Path          # a file, or ARCHIVE.zip/member
    content: str
    style: str = ""

    @property
    def stem(self) -> str:
        return self.path.stem


def _files(root: Path) -> list[tuple[Path, str]]:
    """(path, name relative to the library) of every motion file under a folder or in a zip."""
    if is_archive(root):
        try:
            return [(root / m, m) for m in list_members(root, ARCHIVE_MOTION_EXTENSIONS)]
        except MotionError as e:
            raise LibraryInputError(str(e)) from None
    if root.is_dir():
        out = [(p, p.relative_to(root).as_posix()) for p in regular_files(root)
               if p.suffix.lower() in MOTION_EXTENSIONS and not p.name.startswith(".")]
        return out
    raise LibraryInputError(f"{root}: not a folder or a zip of motion files")


# --- Bandai Namco ---------------------------------------------------------------------------
_BANDAI_NAME = re.compile(r"dataset-(?P<n>\d+)_(?P<content>[^_]+)_(?P<style>[^_]+)_\d+$")


def _label_list(path: Path) -> list[str] | None:
    if not path.is_file():
        return None
    try:
        text = read_text(path, limit_name="side_bytes")       # a regular file, size-capped, UTF-8
    except PathError as e:
        raise LibraryInputError(f"label list {e}") from None
    return [re.sub(r"^dataset-\d+_", "", x.strip()) for x in text.splitlines() if x.strip()]


def _bandai_cfg(root: Path, n: str) -> tuple[list | None, list | None]:
    cfg = root.parent / f"cfg-{n}"
    return _label_list(cfg / "content_label.txt"), _label_list(cfg / "style_label.txt")


def _side_labels(root: Path, side: str, members, contents, styles) -> tuple[str, str] | None:
    """(content, style) from a clip's side `.json` (None when it has none); a side file that is
    too large, not JSON or whose indices do not fit the label lists raises LibraryInputError."""
    where = f"{root}/{side}"
    try:   # size-capped before it is inflated or read; inside the archive or the folder
        if members is not None:
            if side not in members:
                return None
            raw = read_member(root, side, "side_bytes")
        else:
            if not os.path.lexists(root / side):
                return None
            raw = read_text(root / side, root, "side_bytes")
    except (PathError, MotionError, limits.LimitError) as e:
        msg = str(e).replace(f"{root / side}: ", "")
        raise LibraryInputError(f"{where}: side file not read ({msg})") from None
    try:
        d = json.loads(raw)
    except (ValueError, RecursionError) as e:
        raise LibraryInputError(f"{where}: side file is not JSON ({str(e).splitlines()[0][:120]})") from None
    if not (contents and styles):
        return None          # no cfg-N label lists: the name's labels stand
    try:
        i, j = d["content"], d["style"]
        if isinstance(i, bool) or isinstance(j, bool) or not (isinstance(i, int) and isinstance(j, int)):
            raise TypeError
        if not (0 <= i < len(contents) and 0 <= j < len(styles)):
            raise IndexError
        return contents[i], styles[j]
    except (KeyError, TypeError, IndexError):
        raise LibraryInputError(f"{where}: side file needs {{\"content\": i, \"style\": j}} with 0 <= i < "
                                f"{len(contents)} and 0 <= j < {len(styles)} (the cfg label lists)") from None


def _bandai(root: Path, warn) -> list[LibraryClip]:
    clips = []
    files = _files(root)
    members = canonical_members(root) if is_archive(root) else None
    cache: dict = {}
    for path, rel in files:
        m = _BANDAI_NAME.search(path.stem)
        if not m:
            continue
        n = m.group("n")
        if n not in cache:
            cache[n] = _bandai_cfg(root, n)
        contents, styles = cache[n]
        content, style = m.group("content"), m.group("style")
        try:
            found = _side_labels(root, rel[: -len(Path(rel).suffix)] + ".json", members, contents, styles)
        except LibraryInputError as e:
            warn(f"{e}; the file name's labels are used")
            found = None
        if found:
            content, style = found
        clips.append(LibraryClip(path, content, style))
    return clips


def _regex(root: Path, pattern: str) -> list[LibraryClip]:
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise LibraryError(f"label rule regex '{pattern}': {e}") from None
    if not ({"content", "label"} & set(rx.groupindex)):
        raise LibraryError(f"label rule regex '{pattern}' needs a named group (?P<content>...) or (?P<label>...)")
    clips = []
    files = _files(root)
    with _time_bound(limits.limit("regex_seconds"), pattern):
        for path, _ in files:
            m = rx.search(path.stem[:MAX_NAME])
            if m:
                g = m.groupdict()
                clips.append(LibraryClip(path, g.get("content") or g.get("label") or "", g.get("style") or ""))
    return clips


class _time_bound:
    """Stop the regex matching after `seconds` (SIGALRM interrupts Python's regex engine; in the
    main thread only, elsewhere names are only cut to MAX_NAME characters)."""

    def __init__(self, seconds: float, pattern: str):
        self.seconds, self.pattern, self.old = float(seconds), pattern, None

    def _fire(self, *_):
        raise LibraryError(f"label rule regex '{self.pattern}' took more than {self.seconds:g} s over the file "
                           "names (a pattern that backtracks; simplify it, or raise WEARTWIN_REGEX_TIMEOUT)")

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            self.old = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        import signal

        if self.old is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)
        return False


def _csv(root: Path, table: Path) -> list[LibraryClip]:
    try:
        rows = list(csv.reader(io.StringIO(read_text(table))))
    except PathError as e:
        raise LibraryError(f"label rule csv {e}") from None
    except csv.Error as e:
        raise LibraryError(f"label rule csv {table}: {e}") from None
    known = {rel: path for path, rel in _files(root)}
    clips = []
    for k, row in enumerate(rows, 1):
        if not row or row[0].strip().lower() in ("file", "path") or row[0].startswith("#"):
            continue
        if len(row) < 2:
            raise LibraryError(f"{table}:{k}: expected file,label[,style]")
        rel = row[0].strip()
        if rel not in known:
            raise LibraryError(f"{table}:{k}: no motion file '{rel}' in {root}")
        clips.append(LibraryClip(known[rel], row[1].strip(), row[2].strip() if len(row) > 2 else ""))
    return clips


def list_library(path, rule: str = "bandai", filter: dict | None = None, max_clips: int | None = None,
                 seed: int = 0, warn=None) -> list[LibraryClip]:
    """Clips of a library, labelled by `rule`, kept where every `filter` key (content, style)
    lists their value, then at most `max_clips` of them (a seeded choice, in sorted order).
    A bad side file is one line through `warn` (default: stderr) and its clip keeps the labels
    of its name."""
    import sys

    warn = warn or (lambda msg: print(f"warning: {msg}", file=sys.stderr))
    root = Path(path)
    if not root.exists():
        raise LibraryInputError(f"{root}: no such folder or zip")
    if rule == "bandai":
        clips = _bandai(root, warn)
    elif rule.startswith("regex:"):
        clips = _regex(root, rule[len("regex:"):])
    elif rule.startswith("csv:"):
        clips = _csv(root, Path(rule[len("csv:"):]))
    else:
        raise LibraryError(f"unknown label rule '{rule}' (bandai, regex:PATTERN or csv:FILE)")
    for key, wanted in (filter or {}).items():
        if key not in ("content", "style"):
            raise LibraryError(f"unknown filter '{key}' (content, style)")
        wanted = {wanted} if isinstance(wanted, str) else set(wanted)
        clips = [c for c in clips if getattr(c, key) in wanted]
    clips.sort(key=lambda c: str(c.path))
    if max_clips is not None and len(clips) > max_clips:
        keep = np.sort(np.random.default_rng(seed).choice(len(clips), int(max_clips), replace=False))
        clips = [clips[i] for i in keep]
    return clips


# --- words ----------------------------------------------------------------------------------
_CONTENT = {
    "walk": "walks", "run": "runs", "dash": "dashes", "walk-back": "walks backwards",
    "walk-left": "walks sideways to the left", "walk-right": "walks sideways to the right",
    "walk-turn-left": "walks, turning left", "walk-turn-right": "walks, turning right",
    "bow": "bows", "bye": "waves goodbye", "byebye": "waves goodbye with both hands",
    "guide": "gestures to show someone the way", "respond": "responds with a gesture",
    "call": "calls someone over with a hand gesture", "punch": "punches", "kick": "kicks",
    "slash": "slashes with an arm", "dance-short": "dances", "dance-long": "dances",
    "wave-both-hands": "waves both hands", "wave-left-hand": "waves the left hand",
    "wave-right-hand": "waves the right hand", "raise-up-both-hands": "raises both hands",
    "raise-up-left-hand": "raises the left hand", "raise-up-right-hand": "raises the right hand",
}
_STYLE = {
    "normal": "", "happy": "happily", "sad": "sadly", "angry": "angrily", "proud": "proudly",
    "not-confident": "without confidence", "masculinity": "in a masculine way", "masculine": "in a masculine way",
    "feminine": "in a feminine way", "childish": "in a childish way", "old": "in an elderly way",
    "elderly": "in an elderly way", "tired": "in a tired way", "exhausted": "in an exhausted way",
    "active": "in an energetic way", "youthful": "in a youthful way", "musical": "in a musical, rhythmic way",
    "giant": "heavily, like a giant", "chimpira": "with a swagger, like a street tough",
}
_SUBJECTS = ("a person", "someone", "the subject")


def describe(content: str, style: str = "", variant: int = 0) -> str:
    """Labels -> one sentence. `variant` picks among neutral subjects (no body attributes)."""
    verb = _CONTENT.get(content) or ("does " + content.replace("-", " ").replace("_", " "))
    how = _STYLE.get(style, f"in a {style.replace('-', ' ')} way" if style else "")
    subject = _SUBJECTS[variant % len(_SUBJECTS)]
    return f"{subject} {verb}" + (f", {how}" if how and "," in verb else f" {how}" if how else "")


def manifest_entries(activity: dict, seed: int = 0) -> list[dict]:
    """Bake-manifest lines for a study activity drawn from a library:

        {name: walking, source: library, path: .../dataset-2.zip, label_rule: bandai,
         filter: {content: [walk, walk-turn-left]}, max_clips: 50}

    label = the activity's `name` (absent or "{content}": each clip's content); text from the
    clip's labels. Relative `path`s are taken as given (the caller resolves them).
    """
    clips = list_library(activity["path"], activity.get("label_rule", "bandai"), activity.get("filter"),
                         activity.get("max_clips"), seed)
    if not clips:
        raise LibraryError(f"library {activity['path']}: no clip matches {activity.get('filter') or 'the rule'}")
    out = []
    for k, c in enumerate(clips):
        name = activity.get("name") or "{content}"
        label = name.replace("{content}", c.content).replace("{style}", c.style)
        out.append({"input": str(c.path), "output": f"{label}/{c.stem}", "label": label,
                    "text": describe(c.content, c.style, k)})
    return out
