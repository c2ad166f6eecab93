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

from addon.export.atomic import write_text

SPEC_EXAMPLE = """\
# study.yaml (every line fits 80 columns: copy it as it is)
activities:
  - name: bicep_curl        # the label
    count: 8                # motions (descriptions) per activity
  - name: waving
    descriptions:
      - a person waves hello with the right hand
      - someone waves quickly with the left hand
  - name: squats
    prompts: [a person does squats]   # expanded into `count` descriptions
    count: 4
  - name: walking           # any of the 39 procedural activities (README)
    count: 6
  - name: walking           # a motion library: files + a label rule
    source: library
    # a folder or .zip (relative: to this file)
    path: ../shared/data/bvh/bandai_namco/dataset-2.zip
    label_rule: bandai      # bandai | regex:PATTERN | csv:FILE
    filter:
      content: [walk, walk-turn-left, walk-turn-right]
      style: [normal, elderly]
    max_clips: 40           # seeded choice
backend: procedural         # procedural | retrieval | t2m-gpt
vary_body: 3                # bodies b01..b03, the same for every motion
imu_placement_jitter: 1.0   # watch 1.5-7.5 cm up the forearm, ±15° (0: off)
imu_noise: true             # MEMS noise model (default on)
sensors: [imu]              # imu, impedance
imu_sites: [left_wrist, right_wrist]
fps: 50
seed: 0
# llm_url: http://localhost:8000  # OpenAI-compatible endpoint (optional)
# Names are labels and folders: letters, digits, _ - . only. Caps
# (headless/synth_spec.py): count <= 10000 per activity, 200000 motions,
# 1 MiB of spec, no YAML anchors/aliases. After baking: OUT/corpus.json and
# OUT/corpus.png (hours per activity and source, bodies).
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
                   help="procedural (built in), retrieval (your annotated library), t2m-gpt (a checkpoint)")
    g.add_argument("--library", help="retrieval: KIT-ML/TMR annotations .json, or a HumanML3D folder")
    g.add_argument("--motion-root", help="retrieval: folder the annotation paths are relative to (AMASS root)")
    g.add_argument("--checkpoint", help="t2m-gpt: checkpoint folder (vq + trans) or file")


def cmd_text2motion(a) -> int:
    from addon.motion.motion import MotionError
    from addon.text2motion.io import write_amass
    from addon.text2motion.parse import TextError

    from addon.text2motion.program import ProgramError

    try:
        what = _program_of(a)
        m = _backend(a, a.fps).generate(what if what is not None else a.text, a.seed)
    except (TextError, MotionError, ProgramError) as e:
        print(f"weartwin: error: {e}", file=sys.stderr)
        return 1
    if a.explain:
        from addon.text2motion.strip import write_strip

        print(_explain(a, what))
        png = write_strip(m, Path(a.out).with_name(Path(a.out).stem + "_strip.png"), title=a.text[:100])
        print(f"wrote {png} (stick figure: side and front views across the motion)")
    out = write_amass(m, a.out)
    spec = m.source.get("spec") or m.source.get("retrieved") or {}
    print(f"wrote {out}: {m.n_frames} frames at {m.fps:g} fps ({m.n_frames / m.fps:.1f} s) {spec}")
    return 0


def _program_of(a):
    """`--program FILE` (or TEXT naming a .yaml/.json program file): the Program; else None."""
    from addon.text2motion.program import load_program

    f = getattr(a, "program", None) or (a.text if a.text.lower().endswith((".yaml", ".yml", ".json")) else None)
    if f and a.backend != "procedural":
        raise ValueError("motion programs are compiled by the procedural backend")
    return load_program(f) if f else None


def _explain(a, prog) -> str:
    """What the description became: its motion program (YAML), or the named activity's generator."""
    from addon.text2motion.builtin import PROGRAMS, program_for
    from addon.text2motion.program import Program
    from addon.text2motion.words import interpret

    if a.backend != "procedural":
        return f"# backend {a.backend}: no motion program (the model writes the motion)"
    what = prog if prog is not None else interpret(a.text)
    if not isinstance(what, Program) and what.activity in PROGRAMS:
        what = program_for(what)
    if isinstance(what, Program):
        return "# motion program (addon/text2motion/program.py)\n" + what.dumps().rstrip()
    d = {k: getattr(what, k) for k in ("activity", "side", "speed", "reps", "amplitude", "angle", "seconds")}
    return (f"# named activity '{what.activity}': a built-in generator (whole-body or daily-living), not a program\n"
            + "\n".join(f"{k}: {v}" for k, v in d.items()))


def _job(j) -> dict:
    if isinstance(j, dict):
        return j
    label, text, seed, stem = j
    return {"label": label, "text": text, "seed": seed, "stem": stem, "source": "text"}


def make_motions(jobs, out: Path, backend, force: bool = False, log=print, extra_lines=()):
    """jobs: dicts (label, text, seed, stem, source[, input]) or (label, text, seed, stem).
    Generates OUT/motions/<label>/<stem>.npz (library jobs keep their `input` file) and
    writes the manifest; returns (manifest path, failures). `extra_lines`: manifest dicts of
    existing motion files, listed as they are."""
    from addon.motion.motion import MotionError
    from addon.text2motion.io import write_amass
    from addon.text2motion.parse import TextError

    lines, failed = [], []
    for j in map(_job, jobs):
        label, text, seed, stem = j["label"], j["text"], j["seed"], j["stem"]
        if j.get("input"):
            path = Path(j["input"])
        else:
            path = out / "motions" / label / f"{stem}.npz"
            if force or not path.is_file():
                try:
                    if j.get("program") is not None:
                        from addon.text2motion.program import Program, compile_program

                        m = compile_program(Program.from_dict(j["program"]), fps=getattr(backend, "fps", 30.0),
                                            seed=seed)
                    else:
                        m = backend.generate(text, seed)
                    write_amass(m, path)
                except (TextError, MotionError, ValueError) as e:
                    failed.append({"input": text, "reason": str(e)})
                    log(f"failed: '{text}': {e}")
                    continue
        lines.append(json.dumps({"input": str(path.resolve()) if path.exists() else str(path),
                                 "output": f"{label}/{stem}", "label": label, "text": text}))
    lines += [json.dumps(x) for x in extra_lines]
    manifest = out / "manifest.jsonl"
    write_text(manifest, "\n".join(lines) + ("\n" if lines else ""))
    return manifest, failed


def bake_manifest(manifest: Path, out: Path, cfg, workers: int, force: bool, progress: bool):
    from .items import expand_inputs
    from .runner import run_batch

    items = expand_inputs([str(manifest)], out)
    if not items:
        return None
    return run_batch(items, out, cfg, workers=workers, force=force, progress=progress)


def _report(summary, gen_failed, out: Path) -> int:
    if summary is None:
        print(f"nothing to bake ({len(gen_failed)} description(s) failed)", file=sys.stderr)
        return 1
    print((f"motions failed {len(gen_failed)}; " if gen_failed else "") + summary.line()
          + f" (train: weartwin train dcl --data {out}/exports ...)")
    if summary.interrupted:
        return 130
    return 1 if (summary.failed or gen_failed) else 0


def cmd_text2signals(a) -> int:
    from .cli import config_from_args

    cfg = config_from_args(a)     # --sensors defaults to this command's sensor (register)
    try:
        backend = _backend(a, cfg.fps)
    except ValueError as e:
        return _usage(str(e))
    out = Path(a.out)
    label = a.label or "activity"
    jobs = [(label, a.text, a.seed + k, f"{label}_{k:03d}") for k in range(a.n)]
    manifest, failed = make_motions(jobs, out, backend, a.force)
    summary = bake_manifest(manifest, out / "exports", cfg, a.workers, a.force,
                           not a.quiet and (sys.stderr.isatty() or a.progress))
    return _report(summary, failed, out)


def load_spec(path: Path) -> dict:
    from .synth_spec import load_spec as load

    return load(path)


def _api_key():
    import os

    return os.environ.get("OPENAI_API_KEY")


def synth_jobs(spec: dict, warn=print, spec_dir: Path | None = None) -> list[dict]:
    """One job per motion: procedural (template descriptions of a known activity), text
    (the spec's descriptions or prompts, any backend) or library (files of a motion library)."""
    from addon.text2motion.describe import canonical, descriptions

    from .synth_spec import source_of

    names = [canonical(a["name"]) for a in spec["activities"]]
    seed = int(spec.get("seed", 0))
    jobs = []
    for act in spec["activities"]:
        label = act["name"] if source_of(act) == "library" else canonical(act["name"])
        n = int(act.get("count", spec.get("count", 6)))
        src = source_of(act)
        if src == "library":
            from .synth_library import library_jobs

            jobs += library_jobs(act, spec_dir, seed)
            continue
        if src == "program":
            prog = act["program"]
            for k in range(n):
                jobs.append({"label": label, "text": prog.get("text") or f"program:{label}", "seed": seed * 1000 + k,
                             "stem": f"{label}_{k:03d}", "source": "program", "program": prog})
            continue
        texts = list(act.get("descriptions") or [])
        for prompt in act.get("prompts") or []:
            got = descriptions(prompt, max(1, n // max(1, len(act["prompts"]))), seed, names,
                               spec.get("llm_url"), spec.get("llm_model", "gpt-4o-mini"), _api_key(), warn=warn)
            if spec.get("llm_url"):          # an endpoint's sentences must be of this activity
                from addon.text2motion.describe import check_descriptions

                got = check_descriptions(label, got, warn) or descriptions(prompt, len(got), seed, warn=warn)
            texts += got
        if not texts and spec.get("llm_url"):
            got = _llm_jobs(label, n, seed, names, spec, warn)
            if got:
                jobs += got
                continue
        if not texts:
            texts = descriptions(label, n, seed, names, None, warn=warn)
        for k in range(max(n, len(texts))):
            jobs.append({"label": label, "text": texts[k % len(texts)], "seed": seed * 1000 + k,
                         "stem": f"{label}_{k:03d}", "source": src})
    return jobs


def _llm_jobs(label: str, n: int, seed: int, names: list, spec: dict, warn) -> list[dict]:
    """Jobs from `llm_url`: motion programs for this activity (validated, for this activity), else
    descriptions checked against it (`check_descriptions`); marked source 'llm'. [] when the
    endpoint gave nothing usable (the caller falls back to the templates)."""
    from addon.text2motion.describe import EndpointError, check_descriptions, llm_descriptions, llm_programs

    url, model = spec["llm_url"], spec.get("llm_model", "gpt-4o-mini")
    try:
        progs = llm_programs(label, n, url, model, _api_key(), warn=warn)
        return [{"label": label, "text": p.get("text") or f"llm program {k}", "seed": seed * 1000 + k,
                 "stem": f"{label}_{k:03d}", "source": "llm", "program": p} for k, p in enumerate(progs)]
    except (EndpointError, OSError, ValueError) as e:
        warn(f"warning: --llm-url {url}: programs for {label}: {' '.join(str(e).split())}; asking for descriptions")
    try:
        texts = llm_descriptions(label, n, [o for o in names if o != label], url, model, _api_key())
    except (EndpointError, OSError, ValueError) as e:
        warn(f"warning: --llm-url {url}: {' '.join(str(e).split())}; using the template generator")
        return []
    texts = check_descriptions(label, texts, warn)
    return [{"label": label, "text": texts[k % len(texts)], "seed": seed * 1000 + k, "stem": f"{label}_{k:03d}",
             "source": "llm"} for k in range(n)] if texts else []


# Procedural motion is analytic (no mocap jitter to tame): a 0.05 s derivative window keeps the
# foot-strike content above 3 Hz at 100 fps (benchmarks/bench_walk_realism.py; at 50 fps the
# filter's 5-sample minimum decides either way).
SYNTH_IMU_SMOOTHING = 0.05


def synth_config(spec: dict):
    """The bake options of a study. Synth differs from `bake`'s defaults where a training
    corpus needs it: IMU only, 3 body variants, sensor-placement variation on (1: the
    documented ranges), MEMS noise on (the `smartwatch` preset where noise presets exist),
    and, with the Savitzky-Golay derivative, a shorter window."""
    from addon.config import BakeConfig

    d = BakeConfig()
    fields = BakeConfig.__dataclass_fields__
    extra = {}
    if "imu_placement_jitter" in fields:
        extra["imu_placement_jitter"] = float(spec.get("imu_placement_jitter", 1.0))
    noise = spec.get("imu_noise", True)
    if isinstance(d.imu_noise, str):            # noise presets: none, smartwatch, ...
        extra["imu_noise"] = {True: "smartwatch", False: "none"}.get(noise, noise)
    else:
        extra["imu_noise"] = bool(noise)
    if "imu_smoothing" in spec:
        extra["imu_smoothing"] = float(spec["imu_smoothing"])
    elif d.imu_smoothing > 0:                   # the Savitzky-Golay derivative is the default
        extra["imu_smoothing"] = SYNTH_IMU_SMOOTHING
    return BakeConfig(fps=float(spec.get("fps", 50.0)), sensors=tuple(spec.get("sensors", ["imu"])),
                      imu_sites=tuple(spec.get("imu_sites", ["left_wrist", "right_wrist"])),
                      electrodes=tuple(spec.get("electrodes", ["wrist_wrist"])),
                      vary_body=int(spec.get("vary_body", 3)), seed=int(spec.get("seed", 0)),
                      height=float(spec.get("height", 1.7)), softbody=bool(spec.get("softbody", False)), **extra)


def cmd_synth(a) -> int:
    from addon.text2motion import make_backend

    from .synth_spec import SpecError

    try:
        spec = load_spec(Path(a.spec))
        if a.llm_url:
            spec["llm_url"] = a.llm_url
        if a.llm_model:
            spec["llm_model"] = a.llm_model
        cfg = synth_config(spec).validated()   # ConfigError is a ValueError: a usage error
        backend = make_backend(spec.get("backend", "procedural"), fps=cfg.fps, library=spec.get("library"),
                               motion_root=spec.get("motion_root"), checkpoint=spec.get("checkpoint"))
        jobs = synth_jobs(spec, spec_dir=Path(a.spec).parent)
    except (OSError, ValueError, SpecError) as e:
        return _usage(str(e))
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    desc = [{"label": j["label"], "text": j["text"], "seed": j["seed"], "source": j["source"],
             "motion": j.get("input") or f"motions/{j['label']}/{j['stem']}.npz"} for j in jobs]
    write_text(out / "descriptions.json", json.dumps(desc, indent=1))
    n_src = {s: sum(j["source"] == s for j in jobs) for s in ("procedural", "text", "library", "program", "llm")}
    print(f"synth: {len(jobs)} motions of {len(spec['activities'])} activities "
          f"({', '.join(f'{v} {k}' for k, v in n_src.items() if v)}), backend {spec.get('backend', 'procedural')}, "
          f"{max(1, cfg.vary_body)} body shape(s) each")
    manifest, failed = make_motions(jobs, out, backend, a.force)
    summary = bake_manifest(manifest, out / "exports", cfg, a.workers, a.force,
                           not a.quiet and (sys.stderr.isatty() or a.progress))
    if summary is not None:
        from .corpus import write_corpus

        js, _ = write_corpus(out, jobs)
        total = json.loads(js.read_text())["total"]
        print(f"corpus: {total['hours'] * 60:.1f} min in {total['exports']} exports, {total['windows']} windows of "
              f"{total['window_s']:g} s -> {js} (+ corpus.png)")
    return _report(summary, failed, out)


def register(sub) -> None:
    from .cli import add_bake_options

    t = sub.add_parser("text2motion", help="turn an activity description into a motion file (.npz, AMASS-style)",
                       description="Generate a motion from a description with a text-to-motion backend.",
                       epilog='example: weartwin text2motion "a person does bicep curls slowly with the left arm" '
                              "--out curl.npz")
    t.add_argument("text")
    t.add_argument("--out", required=True, help="motion file to write (.npz)")
    t.add_argument("--fps", type=float, default=30.0, help="frame rate of the motion")
    t.add_argument("--seed", type=int, default=0, help="variation seed")
    t.add_argument("--explain", action="store_true",
                   help="print the motion program the description became and write OUT_strip.png (stick figure)")
    t.add_argument("--program", default=None, help="a motion program file (.yaml/.json) instead of TEXT's words")
    _add_backend_options(t)
    t.set_defaults(func=cmd_text2motion)
    for name, sensors, what in (("text2imu", ("imu",), "wrist IMU"), ("text2imp", ("impedance",), "bio-impedance")):
        other = ",".join(("imu", "impedance"))
        p = sub.add_parser(name, help=f"description -> N motions -> {what} exports",
                           description=f"Generate N varied motions from one description and bake their {what} "
                                       f"signals (batch runner: --workers, resume). Writes {sensors[0]} only "
                                       f"unless --sensors says otherwise (--sensors {other} for both).")
        p.add_argument("text")
        p.add_argument("--n", type=int, default=5, help="number of motion variants")
        p.add_argument("--out", required=True, help="output folder (motions/, manifest.jsonl, exports/)")
        p.add_argument("--label", default=None, help="label stored in the exports (default: 'activity')")
        p.add_argument("--workers", type=int, default=1, help="Blender worker processes")
        p.add_argument("--force", action="store_true", help="regenerate and re-bake everything")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.add_argument("--progress", action="store_true", help="progress bar even when not on a terminal")
        _add_backend_options(p)
        add_bake_options(p, defaults={"sensors": sensors})
        p.set_defaults(func=cmd_text2signals)
    from .cli import VerbatimHelpFormatter

    s = sub.add_parser("synth", help="a labelled synthetic dataset from a list of activities (YAML/JSON)",
                       formatter_class=VerbatimHelpFormatter,
                       description="Expand each activity into varied descriptions, generate motions, bake them "
                                   "on several body shapes: OUT/exports is ready for `weartwin train`.",
                       epilog=SPEC_EXAMPLE)
    s.add_argument("spec", help="YAML or JSON file (see below)")
    s.add_argument("--out", required=True, help="output folder (motions/, manifest.jsonl, exports/, corpus.json)")
    s.add_argument("--workers", type=int, default=1, help="Blender worker processes")
    s.add_argument("--force", action="store_true", help="regenerate and re-bake everything")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--progress", action="store_true", help="progress bar even when not on a terminal")
    s.add_argument("--llm-url", default=None,
                   help="OpenAI-compatible endpoint that writes the descriptions (overrides llm_url in SPEC); "
                        "the API key comes from OPENAI_API_KEY; without it: the offline template generator")
    s.add_argument("--llm-model", default=None, help="model name for --llm-url (default: the spec's llm_model, else gpt-4o-mini)")
    s.set_defaults(func=cmd_synth)
