"""Library activities for `weartwin synth`: the motion-library module (`addon.motion.library`,
its schema and label rules) turns an activity into clips; here they become synth jobs with
safe labels and output names (a label or file name that could leave `--out` is refused or
replaced).

    - name: walking                 # the label ("{content}": each clip's own content)
      source: library
      path: ../shared/data/bvh/bandai_namco/dataset-2.zip   # a folder or .zip (relative: to the spec)
      label_rule: bandai            # bandai | regex:PATTERN | csv:FILE
      filter: {content: [walk, walk-turn-left], style: [normal, elderly]}
      max_clips: 40                 # seeded choice (spec seed); `count` works too
"""
from __future__ import annotations

import re
from pathlib import Path

from .synth_spec import LABEL_RE, SpecError


def library_jobs(act: dict, spec_dir: Path | None, seed: int) -> list[dict]:
    from addon.motion.library import manifest_entries

    act = dict(act)
    lib = Path(act["path"]).expanduser()
    if not lib.is_absolute():
        lib = (Path(spec_dir) if spec_dir is not None else Path.cwd()) / lib
    # absolute: the jobs' inputs land in OUT/manifest.jsonl, whose relative entries are read
    # relative to OUT (a zip member "lib.zip/clip.bvh" does not exist as a path, so nothing
    # downstream would resolve it against the spec's folder)
    act["path"] = str(lib.resolve())
    if "max_clips" not in act and "count" in act:
        act["max_clips"] = act["count"]
    jobs = []
    for e in manifest_entries(act, seed):
        label = e["label"]
        if not LABEL_RE.match(label) or ".." in label:
            raise SpecError(f"activity {act['name']!r}: library label {label!r} is not a safe label")
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(e["output"]).name).strip(".") or "clip"
        jobs.append({"label": label, "text": e["text"], "seed": seed, "stem": stem[:100], "source": "library",
                     "input": e["input"]})
    return jobs
