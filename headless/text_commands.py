"""`weartwin text2motion`, `text2imu`, `text2imp` and `synth`: from words to labelled signals.

    weartwin text2motion "a person does bicep curls slowly with the left arm" --out curl.npz
    weartwin text2imu "someone claps quickly" --n 5 --out clap_imu/
    weartwin synth study.yaml --out synth/      # then: weartwin train dcl --data synth/exports ...

Motions are written as AMASS-style .npz files under OUT/motions/, listed in a bake manifest
(OUT/manifest.jsonl, with `label` and `text`), and baked by the batch runner (workers, resume,
summary.json) into OUT/exports/<label>/... — labels travel in each export's meta.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SPEC_EXAMPLE = """\
# study.yaml
activities:
  - name: bicep_curl          # the label
    count: 8                  # motions (descriptions) per activity
  - name: waving
    descriptions: ["a person waves hello with the right hand", "someone waves quickly with the left hand"]
  - name: squats
    prompts: ["a person does squats"]   # expanded into `count` varied descriptions
    count: 4
backend: procedural           # procedural | retrieval | t2m-gpt
vary_body: 3                  # body shapes per motion (the training 'subjects')
sensors: [imu]                # imu, impedance
imu_sites: [left_wrist, right_wrist]
fps: 50
seed: 0
# llm_url: http://localhost:8000   # optional OpenAI-compatible endpoint for descriptions
"""


def _usage(msg: str) -> int:
    print(f"weartwin: error: {msg}", file=sys.stderr)
    return 2


def _backend(a, fps: float = 30.0):
    from addon.text2motion import make_backend

    return make_backend(a.backend, fps=fps, library=getattr(a, "library", None),
                        motion_root=getattr(a, "motion_root", None), checkpoint=getattr(a, "checkpoint", None))


def _add_backend_options(p):
    g = p.add_argument_group("text-to-motion backend")
    g.add_argument("--backend", default="procedural", choices=("procedural", "retrieval", "t2m-gpt"),
                   help="procedural (built in, default), retrieval (your annotated library), t2m-gpt (a checkpoint)")
    g.add_argument("--library", help="retrieval: KIT-ML/TMR annotations .json, or a HumanML3D folder")
    g.add_argument("--motion-root", help="retrieval: folder the annotation paths are relative to (AMASS root)")
    g.add_argument("--checkpoint", help="t2m-gpt: checkpoint folder (vq + trans) or file")


def cmd_text2motion(a) -> int:
    from addon.motion.motion import MotionError
    from addon.text2motion.io import write_amass
    from addon.text2motion.parse import TextError

    try:
        m = _backend(a, a.fps).generate(a.text, a.seed)
    except (TextError, MotionError) as e:
        print(f"weartwin: error: {e}", file=sys.stderr)
        return 1
    out = write_amass(m, a.out)
    spec = m.source.get("spec") or m.source.get("retrieved") or {}
    print(f"wrote {out}: {m.n_frames} frames at {m.fps:g} fps ({m.n_frames / m.fps:.1f} s) {spec}")
    return 0


def make_motions(jobs, out: Path, backend, force: bool = False, log=print, extra_lines=()):
    """jobs: (label, text, seed, stem). Writes OUT/motions/<label>/<stem>.npz and the manifest;
    returns (manifest path, failures). `extra_lines`: manifest dicts of existing motion files
    (activities from motion libraries), listed as they are."""
    from addon.motion.motion import MotionError
    from addon.text2motion.io import write_amass
    from addon.text2motion.parse import TextError

    lines, failed = [], []
    for label, text, seed, stem in jobs:
        path = out / "motions" / label / f"{stem}.npz"
        if force or not path.is_file():
            try:
                write_amass(backend.generate(text, seed), path)
            except (TextError, MotionError, ValueError) as e:
                failed.append({"input": text, "reason": str(e)})
                log(f"failed: '{text}': {e}")
                continue
        lines.append(json.dumps({"input": str(path.resolve()), "output": f"{label}/{stem}", "label": label,
                                 "text": text}))
    lines += [json.dumps(x) for x in extra_lines]
    manifest = out / "manifest.jsonl"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    tmp = manifest.with_name(".manifest.jsonl.part")
    tmp.write_text("\n".join(lines) + ("\n" if lines else ""))
    tmp.replace(manifest)
    return manifest, failed


def bake_manifest(manifest: Path, out: Path, cfg, workers: int, force: bool, progress: bool):
    from .items import expand_inputs
    from .runner import run_batch

    items = expand_inputs([str(manifest)])
    if not items:
        return None
    return run_batch(items, out, cfg, workers=workers, force=force, progress=progress)


def _report(summary, gen_failed, out: Path) -> int:
    if summary is None:
        print(f"nothing to bake ({len(gen_failed)} description(s) failed)", file=sys.stderr)
        return 1
    print(f"motions failed {len(gen_failed)}; baked {len(summary.done)}, skipped {len(summary.skipped)}, "
          f"failed {len(summary.failed)} -> {out}/exports (train: weartwin train dcl --data {out}/exports ...)")
    if summary.interrupted:
        return 130
    return 1 if (summary.failed or gen_failed) else 0


def cmd_text2signals(a, sensors: tuple[str, ...]) -> int:
    from .cli import config_from_args

    a.sensors = list(sensors) if list(a.sensors) == ["imu", "impedance"] else a.sensors   # default: this command's sensor
    cfg = config_from_args(a)
    try:
        backend = _backend(a)
    except ValueError as e:
        return _usage(str(e))
    out = Path(a.out)
    label = a.label or "activity"
    jobs = [(label, a.text, a.seed + k, f"{label}_{k:03d}") for k in range(a.n)]
    manifest, failed = make_motions(jobs, out, backend, a.force)
    summary = bake_manifest(manifest, out / "exports", cfg, a.workers, a.force, not a.quiet and sys.stderr.isatty())
    return _report(summary, failed, out)


def load_spec(path: Path) -> dict:
    text = path.read_text()
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            spec = yaml.safe_load(text)
        else:
            spec = json.loads(text)
    except Exception as e:  # noqa: BLE001 - any parse error is a usage error naming the file
        raise ValueError(f"{path}: cannot parse ({e.__class__.__name__}: {' '.join(str(e).split())})") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("activities"), list) or not spec["activities"]:
        raise ValueError(f"{path}: needs a non-empty 'activities' list (see `weartwin synth --help`)")
    known = {"activities", "backend", "vary_body", "sensors", "imu_sites", "electrodes", "fps", "seed", "llm_url",
             "llm_model", "library", "motion_root", "checkpoint", "count", "height", "softbody"}
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    for k, act in enumerate(spec["activities"]):
        if isinstance(act, str):
            spec["activities"][k] = act = {"name": act}
        if not isinstance(act, dict) or not act.get("name"):
            raise ValueError(f"{path}: activity {k + 1} needs a 'name'")
    return spec


def _api_key():
    import os

    return os.environ.get("OPENAI_API_KEY")


def synth_jobs(spec: dict, warn=print) -> list[tuple]:
    from addon.text2motion.describe import canonical, descriptions

    names = [canonical(a["name"]) for a in spec["activities"]]
    seed = int(spec.get("seed", 0))
    jobs = []
    for act in spec["activities"]:
        label = canonical(act["name"])
        n = int(act.get("count", spec.get("count", 6)))
        texts = list(act.get("descriptions") or [])
        for prompt in act.get("prompts") or []:
            texts += descriptions(prompt, max(1, n // max(1, len(act["prompts"]))), seed, names,
                                  spec.get("llm_url"), spec.get("llm_model", "gpt-4o-mini"), _api_key(), warn=warn)
        if not texts:
            texts = descriptions(label, n, seed, names, spec.get("llm_url"), spec.get("llm_model", "gpt-4o-mini"),
                                 _api_key(), warn=warn)
        for k in range(max(n, len(texts))):
            jobs.append((label, texts[k % len(texts)], seed * 1000 + k, f"{label}_{k:03d}"))
    return jobs


def cmd_synth(a) -> int:
    from addon.config import BakeConfig
    from addon.text2motion import make_backend

    try:
        spec = load_spec(Path(a.spec))
        if a.llm_url:
            spec["llm_url"] = a.llm_url
        if a.llm_model:
            spec["llm_model"] = a.llm_model
        cfg = BakeConfig(fps=float(spec.get("fps", 50.0)), sensors=tuple(spec.get("sensors", ["imu"])),
                         imu_sites=tuple(spec.get("imu_sites", ["left_wrist", "right_wrist"])),
                         electrodes=tuple(spec.get("electrodes", ["wrist_wrist"])),
                         vary_body=int(spec.get("vary_body", 3)), seed=int(spec.get("seed", 0)),
                         height=float(spec.get("height", 1.7)), softbody=bool(spec.get("softbody", False)))
        bad = set(cfg.sensors) - {"imu", "impedance"}
        if bad:
            raise ValueError(f"{a.spec}: unknown sensor(s) {', '.join(sorted(bad))}")
        backend = make_backend(spec.get("backend", "procedural"), library=spec.get("library"),
                               motion_root=spec.get("motion_root"), checkpoint=spec.get("checkpoint"))
        # h13a hook: activities with `source: library` are existing clips (library_command.py)
        from .library_command import split_library_activities

        lib_lines, spec = split_library_activities(spec, Path(a.spec).parent, int(spec.get("seed", 0)))
        jobs = synth_jobs(spec) if spec["activities"] else []
    except (OSError, ValueError) as e:
        return _usage(str(e))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "descriptions.json").write_text(json.dumps(
        [{"label": j[0], "text": j[1], "seed": j[2], "motion": f"motions/{j[0]}/{j[3]}.npz"} for j in jobs], indent=1))
    print(f"synth: {len(jobs)} descriptions of {len(spec['activities'])} activities, backend "
          f"{spec.get('backend', 'procedural')}, {max(1, cfg.vary_body)} body shape(s) each")
    if lib_lines:
        print(f"synth: {len(lib_lines)} clips from motion libraries")
    manifest, failed = make_motions(jobs, out, backend, a.force, extra_lines=lib_lines)
    summary = bake_manifest(manifest, out / "exports", cfg, a.workers, a.force, not a.quiet and sys.stderr.isatty())
    return _report(summary, failed, out)


def register(sub) -> None:
    from .cli import add_bake_options

    t = sub.add_parser("text2motion", help="turn an activity description into a motion file (.npz, AMASS-style)",
                       description="Generate a motion from a description with a text-to-motion backend.",
                       epilog='example: weartwin text2motion "a person does bicep curls slowly with the left arm" '
                              "--out curl.npz")
    t.add_argument("text")
    t.add_argument("--out", required=True, help="motion file to write (.npz)")
    t.add_argument("--fps", type=float, default=30.0, help="frame rate of the motion (%(default)s)")
    t.add_argument("--seed", type=int, default=0, help="variation seed")
    _add_backend_options(t)
    t.set_defaults(func=cmd_text2motion)
    for name, sensors, what in (("text2imu", ("imu",), "wrist IMU"), ("text2imp", ("impedance",), "bio-impedance")):
        p = sub.add_parser(name, help=f"description -> N motions -> {what} exports",
                           description=f"Generate N varied motions from one description and bake their {what} "
                                       "signals (batch runner: --workers, resume).")
        p.add_argument("text")
        p.add_argument("--n", type=int, default=5, help="number of motion variants (%(default)s)")
        p.add_argument("--out", required=True, help="output folder (motions/, manifest.jsonl, exports/)")
        p.add_argument("--label", default=None, help="label stored in the exports (default: 'activity')")
        p.add_argument("--workers", type=int, default=1)
        p.add_argument("--force", action="store_true")
        p.add_argument("--quiet", action="store_true")
        _add_backend_options(p)
        add_bake_options(p)
        p.set_defaults(func=lambda a, s=sensors: cmd_text2signals(a, s))
    s = sub.add_parser("synth", help="a labelled synthetic dataset from a list of activities (YAML/JSON)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Expand each activity into varied descriptions, generate motions, bake them "
                                   "on several body shapes: OUT/exports is ready for `weartwin train`.",
                       epilog=SPEC_EXAMPLE)
    s.add_argument("spec", help="YAML or JSON file (see below)")
    s.add_argument("--out", required=True)
    s.add_argument("--workers", type=int, default=1)
    s.add_argument("--force", action="store_true", help="regenerate and re-bake everything")
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--llm-url", default=None,
                   help="OpenAI-compatible endpoint that writes the descriptions (overrides llm_url in SPEC); "
                        "the API key comes from OPENAI_API_KEY; without it: the offline template generator")
    s.add_argument("--llm-model", default=None, help="model name for --llm-url (default gpt-4o-mini)")
    s.set_defaults(func=cmd_synth)
