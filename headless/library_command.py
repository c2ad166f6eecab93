"""`weartwin library`: list a motion library (folder or zip) with its labels; write a bake manifest.

    weartwin library ../shared/data/bvh/bandai_namco/dataset-2.zip --content walk,walk-turn-left \
        --manifest walks.jsonl
    weartwin bake walks.jsonl --out walks --sensors imu --workers 2
"""
from __future__ import annotations

import collections
import json
import sys
from pathlib import Path


def cmd_library(a) -> int:
    from addon.motion.library import LibraryError, LibraryInputError, list_library, manifest_entries

    if a.max_clips is not None and a.max_clips < 1:
        print(f"weartwin: error: --max-clips must be at least 1, got {a.max_clips}", file=sys.stderr)
        return 2
    filt = {k: v.split(",") for k, v in (("content", a.content), ("style", a.style)) if v}
    try:
        clips = list_library(a.path, a.rule, filt, a.max_clips, a.seed)
        if not clips:
            print(f"weartwin library: {a.path}: no clip matches", file=sys.stderr)
            return 1
        counts = collections.Counter((c.content, c.style) for c in clips)
        print(f"{a.path}: {len(clips)} clips, {len({c.content for c in clips})} contents, "
              f"{len({c.style for c in clips})} styles (rule {a.rule})")
        by_content = collections.defaultdict(dict)
        for (content, style), n in sorted(counts.items()):
            by_content[content][style] = n
        for content, styles in by_content.items():
            print(f"  {content:22s} {sum(styles.values()):5d}  " + " ".join(f"{s or '-'}:{n}" for s, n in styles.items()))
        if a.files:
            for c in clips:
                print(f"{c.path}\t{c.content}\t{c.style or '-'}")
        else:
            first = clips[0]
            print(f"clip paths to type (bake, info): {first.path} ({first.content}); "
                  f"--files lists all {len(clips)}")
        if a.calibrate_twist:
            _calibrate(clips, a)
        if a.manifest:
            act = {"path": a.path, "label_rule": a.rule, "filter": filt, "max_clips": a.max_clips,
                   "name": a.label}
            lines = manifest_entries(act, a.seed)
            out = Path(a.manifest)
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f".{out.name}.part")
            tmp.write_text("".join(json.dumps(x) + "\n" for x in lines))
            tmp.replace(out)
            print(f"wrote {out} ({len(lines)} lines: input, output, label, text) -> weartwin bake {out} --out DIR")
    except LibraryInputError as e:    # the library (the input) failed: 1, as every command's inputs
        print(f"weartwin library: {e}", file=sys.stderr)
        return 1
    except LibraryError as e:         # a bad rule or filter: a usage error
        print(f"weartwin: error: {e}", file=sys.stderr)
        return 2
    return 0


def _calibrate(clips, a) -> None:
    """Twist table of a skeleton family whose rest pose is no human pose (see bvh_retarget)."""
    from addon.motion import MotionError, load_motion
    from addon.motion.formats.bvh_retarget import calibrate_twist

    motions = []
    for c in clips:
        if c.path.suffix.lower() != ".bvh":
            continue
        try:
            motions.append(load_motion(c.path, bvh_map=a.bvh_map, bvh_twist="clip"))
        except MotionError as e:
            print(f"skipped: {e}", file=sys.stderr)
    if not motions:
        raise SystemExit("weartwin library: no BVH clip to calibrate on")
    rest = {m.source["bvh"]["rest_pose"] for m in motions}
    table = calibrate_twist(motions)
    out = Path(a.calibrate_twist)
    base = json.loads(Path(a.bvh_map).read_text()) if a.bvh_map else {}
    out.write_text(json.dumps({**base, "twist_deg": table}, indent=1) + "\n")
    print(f"twists of {len(motions)} clips (rest pose: {', '.join(sorted(rest))}) -> {out}; "
          f"use: weartwin bake ... --bvh-map {out}")


def split_library_activities(spec: dict, spec_dir: Path | None = None, seed: int = 0) -> tuple[list[dict], dict]:
    """The hook for `weartwin synth`: activities with `source: library` become bake-manifest
    lines (dicts: input, output, label, text); the spec is returned without them, for the other
    generators. A relative library `path` is relative to the spec file's folder.

        activities:
          - name: walking                 # the label ("{content}": each clip's own content)
            source: library
            path: ../shared/data/bvh/bandai_namco/dataset-2.zip
            label_rule: bandai            # bandai | regex:PATTERN | csv:FILE
            filter: {content: [walk, walk-turn-left, walk-turn-right], style: [normal, elderly]}
            max_clips: 40                 # seeded choice (spec seed)
    """
    from addon.motion.library import manifest_entries

    lines, rest = [], []
    for act in spec.get("activities", []):
        if isinstance(act, dict) and act.get("source") == "library":
            if "path" not in act:
                raise ValueError(f"activity '{act.get('name')}': source: library needs a 'path'")
            act = dict(act)
            if spec_dir is not None and not Path(act["path"]).is_absolute():
                act["path"] = str(Path(spec_dir) / act["path"])
            lines += manifest_entries(act, seed)
        else:
            rest.append(act)
    return lines, {**spec, "activities": rest}


def register(sub) -> None:
    p = sub.add_parser("library", help="list a motion library (folder or zip) with labels; write a bake manifest",
                       description="List the clips of a motion library with their labels (content, style) and "
                                   "optionally write a bake manifest (.jsonl with label and a description).",
                       epilog="label rules: bandai (Bandai Namco .json + cfg-N labels, default), "
                              "regex:PATTERN (named groups content/label, style), csv:FILE (file,label[,style])")
    p.add_argument("path", help="folder or .zip of motion files")
    p.add_argument("--rule", default="bandai", help="label rule: bandai, regex:PATTERN or csv:FILE (see below)")
    p.add_argument("--content", default=None, help="keep these contents (comma-separated; default: all)")
    p.add_argument("--style", default=None, help="keep these styles (comma-separated; default: all)")
    p.add_argument("--max-clips", type=int, default=None, metavar="N", help="at most N clips (seeded choice; default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the --max-clips choice")
    p.add_argument("--label", default=None, help="one label for every clip (default: each clip's content)")
    p.add_argument("--files", action="store_true",
                   help="list every clip: its path (a file, or ZIP/member as bake and info take it), content, "
                        "style; tab-separated")
    p.add_argument("--manifest", default=None, metavar="OUT.jsonl", help="write a bake manifest (default: none, only list)")
    p.add_argument("--calibrate-twist", default=None, metavar="MAP.json",
                   help="BVH skeletons whose rest pose is no human pose (bones along their local X): "
                        "measure each joint's twist over the clips and write a --bvh-map file with it")
    p.add_argument("--bvh-map", default=None, metavar="FILE.json", help="joint map for --calibrate-twist (default: detected from the joint names)")
    p.set_defaults(func=cmd_library)
