"""`weartwin`: the command line (DESIGN.md "Command line").

Exit codes: 0 every input succeeded; 1 any input failed (the others are still written);
2 usage error.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

EPILOG = """examples (each command's --help has more):
  weartwin demo                                   bake the built-in motion: demo.npz, .csv, .png
  weartwin bake ../shared/data/motion --out out   every motion file under a folder
  weartwin synth study.yaml --out synth           a labelled synthetic dataset (spec: synth --help)
  weartwin train rf --data ../shared/data/imu/sp_sw_har --out runs/rf   LOSO training -> metrics.json

exit codes: 0 every input succeeded, 1 some input failed (the others are written), 2 usage error.
"""

BAKE_EXAMPLES = """examples:
  weartwin bake ../shared/data/motion --out out   every motion file under a folder
  weartwin bake list.jsonl --out out --workers 2  a manifest, two Blender worker processes
  weartwin bake clip.npz --out out --vary-body 5 --preview --csv
  weartwin bake clip.npz --out out --sensors impedance --frequencies 5000,50000,200000 --save-path
  weartwin bake clip.npz --out out --electrode-def chest=bone:spine02:0.05 --electrodes left_wrist:chest
  weartwin bake take.bvh --out out --bvh-map map.json    a BVH of any skeleton (CMU/Mixamo/Bandai names found)
  weartwin bake bandai_namco/dataset-2.zip --out bandai --sensors imu   a zip of BVH clips, read in place
"""


SHARD_HELP = ("bake only shard I of N (0-based): I/N, or 'slurm' (I = the SLURM array task id, N = the "
              "array's highest id + 1; gaps in --array are reported by weartwin status as missing shards) or "
              "'slurm/N' (N fixed: resubmitting some task ids keeps the same split). Default: every input given, "
              "also inside an array task (a per-file array bakes its file)")


def _csv_list(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got '{text}'") from None


class _DefaultsMixin:
    """Every option's help ends with its default (unless the help already states it)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        from addon.config import default_text, states_default

        h = action.help or ""
        if (not action.option_strings or action.required or action.default is argparse.SUPPRESS or states_default(h)
                or isinstance(action, (argparse._HelpAction, argparse._VersionAction))):
            return h
        boolean = isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction,
                                      argparse.BooleanOptionalAction))

        note = f"default: {default_text(action.default, boolean)}".replace("%", "%%")
        return f"{h} ({note})" if h else note


class HelpFormatter(_DefaultsMixin, argparse.HelpFormatter):
    pass


class RawHelpFormatter(_DefaultsMixin, argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs line by line as written (examples stay aligned); a prose line
    longer than the terminal is wrapped. Defaults shown."""

    def _fill_text(self, text, width, indent):
        import textwrap

        out = []
        for line in text.splitlines():
            if len(line) > width and line[:1] not in (" ", "#"):
                out += textwrap.wrap(line, width, initial_indent=indent, subsequent_indent=indent) or [""]
            else:
                out.append(indent + line)
        return "\n".join(out)


class VerbatimHelpFormatter(RawHelpFormatter):
    """A one-line description wrapped to the terminal; a multi-line epilog (a YAML example a
    user copies) exactly as written, never wrapped."""

    def _fill_text(self, text, width, indent):
        if "\n" in text.strip():
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


def _help(f, default=dataclasses.MISSING) -> str:
    from addon.config import default_text, kind_of, option, states_default, value_range

    m = option(f)
    d = m["default"] if default is dataclasses.MISSING else default
    h = m["help"]
    rng = value_range(m)
    notes = [] if states_default(h) else [f"default: {default_text(d, kind_of(f.name) == 'bool')}"]
    notes += [f"range {rng}"] if rng else []
    notes += [f"one of: {', '.join(m['choices'])}"] if m["choices"] and kind_of(f.name).startswith("str") else []
    return (f"{h} ({'; '.join(notes)})" if notes else h).replace("%", "%%")


def add_bake_options(p: argparse.ArgumentParser, defaults: dict | None = None) -> None:
    """One flag per `BakeConfig` field (addon/config.py owns name, default, type, help, range).
    `defaults`: a command's own defaults for some fields (text2imu: sensors imu), shown in --help."""
    from addon.config import BakeConfig, flag_of, kind_of, option

    groups: dict = {}
    for f in dataclasses.fields(BakeConfig):
        flag = flag_of(f)
        if not flag:
            continue
        m = option(f)
        g = groups.get(m["group"]) or groups.setdefault(m["group"], p.add_argument_group(m["group"]))
        kind = kind_of(f.name).rstrip("?")
        default = (defaults or {}).get(f.name, m["default"])
        kw = dict(dest=f.name, help=_help(f, default))
        if m["metavar"]:
            kw["metavar"] = m["metavar"]
        if kind == "bool":
            kw.update(action=argparse.BooleanOptionalAction if m["negatable"] else "store_true", default=default)
        elif kind == "dict":
            kw.update(action="append", default=[])
        else:
            kw.update(default=default, type={"int": int, "float": float, "str": str, "tuple_str": _csv_list,
                                             "tuple_float": _floats}[kind])
            if m["const"] is not None:   # a bare flag means this value
                kw.update(nargs="?", const=m["const"])
        g.add_argument(flag, **kw)


def config_from_args(a: argparse.Namespace):
    """The parsed flags -> a validated `BakeConfig`; a bad value is a usage error (exit 2)."""
    from addon.config import BakeConfig, ConfigError, flag_of, kind_of

    kw = {}
    try:
        for f in dataclasses.fields(BakeConfig):
            if not flag_of(f) or not hasattr(a, f.name):
                continue
            v = getattr(a, f.name)
            if kind_of(f.name) == "dict":   # repeated NAME=SPEC
                d = {}
                for item in v:
                    name, _, spec = (x.strip() for x in item.partition("="))
                    if not name or not spec:
                        raise ConfigError(f.name, f"'{item}': expected NAME=SPEC")
                    d[name] = spec
                v = d
            kw[f.name] = v
        return BakeConfig(**kw).validated()
    except ConfigError as e:
        raise SystemExit(_usage(e.for_cli())) from None


def _usage(msg: str) -> int:
    print(f"weartwin: error: {msg}", file=sys.stderr)
    return 2


def cmd_bake(a: argparse.Namespace) -> int:
    from .items import UsageError, array_note, collect_inputs, parse_shard, shard
    from .runner import run_batch

    cfg = config_from_args(a)
    if a.workers < 1:
        return _usage(f"--workers must be at least 1, got {a.workers}")
    out = Path(a.out)
    if any(Path(x).is_dir() and Path(x).resolve() == out.resolve() for x in a.inputs):
        return _usage(f"--out {out} is also an input folder: its exports would be read back as inputs")
    try:
        i, n = parse_shard(a.shard)
        found = collect_inputs(a.inputs, out)
        out.mkdir(parents=True, exist_ok=True)
    except UsageError as e:
        return _usage(str(e))
    except OSError as e:
        return _usage(f"--out {out}: cannot create the folder ({e.strerror or e})")
    items = shard(found.items, i, n)
    if a.shard is None and (note := array_note()):
        print(note, file=sys.stderr)
    if not found.items:
        if found.skipped:
            run_batch([], out, cfg, progress=False, skipped=found.skipped)
        return _usage("no motion files found in the inputs" +
                      (f" ({len(found.skipped)} other file(s) skipped, see {out}/summary.json)"
                       if found.skipped else ""))
    summary = run_batch(items, out, cfg, workers=a.workers, force=a.force,
                        progress=not a.quiet and sys.stderr.isatty() or a.progress, skipped=found.skipped,
                        shard=(i, n), all_items=found.items)
    print(summary.line())
    if summary.interrupted:
        print("interrupted: run the same command again to finish the rest", file=sys.stderr)
        return 130
    return 1 if summary.failed or getattr(summary, "unwritten", None) else 0


def cmd_status(a: argparse.Namespace) -> int:
    import json

    from .runfolder import complete, format_status, load_tasks, run_dir, survey

    out = Path(a.out)
    if not out.is_dir():
        return _usage(f"{out}: no such folder")
    if not load_tasks(out):
        return _usage(f"{out}: no task summaries in {run_dir(out)}/summaries (not a weartwin bake output, "
                      "or baked by a version before run folders)")
    s = survey(out)
    if a.json:
        print(json.dumps({**s, "complete": complete(s)}, indent=2))
    else:
        print("\n".join(format_status(out, s, a.verbose)))
    return 0 if complete(s) else 1


def cmd_demo(a: argparse.Namespace) -> int:
    import time

    from addon.bake import Baker
    from addon.body.variants import BodyVariant
    from addon.config import BakeConfig
    from addon.export.preview import write_preview
    from addon.export.recording import write_csv, write_npz
    from addon.motion.procedural import demo_motion

    out = Path(a.out)
    cfg = BakeConfig()
    t0 = time.perf_counter()
    print("weartwin demo: baking the built-in motion (bicep curls, then a wave) on the Anny body...")
    rec = Baker(cfg).bake(demo_motion(), BodyVariant("", "anny", {}, cfg.height))
    npz = write_npz(rec, out / "demo.npz")
    csv = write_csv(rec, out / "demo.csv")
    png = write_preview(rec.arrays(), out / "demo.png", "WearTwin demo — built-in motion, Anny body, wrist IMUs + wrist-to-wrist impedance")
    dt = time.perf_counter() - t0
    print(f"wrote {npz}\n      {csv}\n      {png}\n{len(rec.t)} frames at {cfg.fps:g} Hz in {dt:.1f} s")
    print(f"next: weartwin info {npz}")
    return 0


def cmd_info(a: argparse.Namespace) -> int:
    from .info import describe

    status = 0
    for f in a.files:
        try:
            print(describe(Path(f), as_json=a.json))
        except BrokenPipeError:
            raise
        except Exception as e:  # one line per bad file (naming it once)
            print(str(e) if str(e).startswith(str(f)) else f"{f}: {e}", file=sys.stderr)
            status = 1
    return status


CALIBRATE_EPILOG = """\
inputs:  --sim: exports of the recorded motions baked with impedance (weartwin bake ... --sensors
         impedance); --measured: the device's CSV of each, same order: columns t (s), mag (ohm)
         and optionally phase (deg), same time origin as the export (else --time-offset).
         Without a phase column only |Z| is fitted; calibrated exports keep the simulated phase.
output:  --out: the calibration (.npz); apply it with weartwin bake ... --calibration FILE.
printed: errors on the last 20% of each recording, fitted on the first 80%, for the raw
         simulation, the affine map and (--model cnn) the cnn. |Z| R2 = 1 - MSE / variance of the
         measured |Z| there: 1 is perfect, 0 no better than its mean, negative worse than that
         (the raw simulation is often far below 0: its level differs from the device's).
example: weartwin calibrate --sim out/a.npz out/b.npz --measured a.csv b.csv --out device.npz
"""


def _file_problem(e: OSError) -> str:
    """'PATH: no such file' for an OSError (not '[Errno 2] No such file or directory: ...')."""
    what = {2: "no such file", 13: "permission denied", 21: "is a folder, not a file"}.get(e.errno)
    return f"{e.filename}: {what or e.strerror or e}" if e.filename else str(e)


def cmd_calibrate(a: argparse.Namespace) -> int:
    import numpy as np

    from addon.sensors.impedance.calibration import CalibrationError, read_pair, score
    from ml.calibration.impedance import fit  # training code: imported by this command only

    if len(a.sim) != len(a.measured):
        return _usage("give one --measured CSV per --sim export, in the same order")
    if a.epochs < 1:
        return _usage(f"--epochs must be at least 1, got {a.epochs}")
    try:
        pairs = [read_pair(s, m, a.pair, a.time_offset) for s, m in zip(a.sim, a.measured)]
    except OSError as e:
        print(f"weartwin calibrate: {_file_problem(e)}", file=sys.stderr)
        return 1
    except (CalibrationError, KeyError) as e:
        print(f"weartwin calibrate: {e}", file=sys.stderr)
        return 1
    Xs, Ys = [p[0] for p in pairs], [p[1] for p in pairs]
    no_phase = [m for m, Y in zip(a.measured, Ys) if not np.isfinite(Y[:, 1]).any()]
    if no_phase:   # one line, however many files or rows
        print("weartwin calibrate: note: " + (
            "no measured CSV has a phase column: only |Z| is fitted; calibrated exports keep the simulated phase"
            if len(no_phase) == len(Ys) else
            f"no phase column in {', '.join(map(str, no_phase))}: only their |Z| is used"), file=sys.stderr)
    # report on the last 20% of each recording, fitted on the first 80%
    cut = [int(len(X) * 0.8) for X in Xs]
    tr = ([X[:c] for X, c in zip(Xs, cut)], [Y[:c] for Y, c in zip(Ys, cut)])
    te = ([X[c:] for X, c in zip(Xs, cut)], [Y[c:] for Y, c in zip(Ys, cut)])
    from tqdm import tqdm

    quiet = a.quiet or not sys.stderr.isatty()    # no bar in a log file (as `weartwin bake`)
    report = {"held_out": "last 20% of each recording", "raw_simulation": score(None, *te)}
    kinds = ["affine"] + (["cnn"] if a.model == "cnn" else [])
    for kind in kinds:
        bar = tqdm(total=a.epochs, desc=f"fit {kind} (held-out check)", disable=kind == "affine" or quiet,
                   leave=False)
        cal = fit(*tr, a.pair, kind, a.epochs, a.seed, progress=lambda i, n, loss: bar.update(1))
        bar.close()
        report[kind] = score(cal, *te)
    bar = tqdm(total=a.epochs, desc=f"fit {a.model} (all data)", disable=a.model == "affine" or quiet, leave=False)
    cal = fit(Xs, Ys, a.pair, a.model, a.epochs, a.seed, progress=lambda i, n, loss: bar.update(1))
    bar.close()
    cal.report = {**report, "recordings": [str(s) for s in a.sim], "samples": int(sum(map(len, Xs)))}
    out = cal.save(a.out)
    print("held out: the last 20% of each recording (fitted on the first 80%)")
    print(f"{'model':16s} {'|Z| RMSE (ohm)':>15s} {'|Z| R2':>8s} {'phase RMSE (deg)':>17s}")
    for k in ["raw_simulation"] + kinds:
        r = report[k]
        ph = f"{r['phase_rmse_deg']:17.2f}" if "phase_rmse_deg" in r else f"{'- (no phase)':>17s}"
        print(f"{k:16s} {r['mag_rmse_ohm']:15.2f} {r['mag_r2']:8.3f} {ph}")
    print("R2 = 1 - MSE / variance of the measured |Z|: 1 perfect, 0 no better than its mean, < 0 worse")
    print(f"wrote {out} ({a.model}; use: weartwin bake ... --calibration {out})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="weartwin", formatter_class=RawHelpFormatter, epilog=EPILOG,
        description="WearTwin: simulate wrist IMU and bio-impedance signals from human motion "
                    "in Blender, and train activity-recognition models on them.")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="bake the built-in motion and write an export + preview PNG",
                       description="Bake the built-in demo motion on the default Anny body with wrist IMUs and "
                                   "wrist-to-wrist impedance; write demo.npz, demo.csv and demo.png into --out.")
    d.add_argument("--out", default="weartwin_demo", help="output folder")
    d.set_defaults(func=cmd_demo)

    b = sub.add_parser("bake", help="bake motion files, folders or manifests",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Bake motion files into sensor exports (<stem>.npz, DESIGN.md schema). "
                                   "INPUT: motion files (.npz AMASS/GRAB, .pkl AIST++/MoSh, .npy HumanML3D, "
                                   ".bvh any skeleton), folders (searched recursively), zip archives of .bvh "
                                   "(read in place; one member: ARCHIVE.zip/path/in/zip.bvh) or manifests "
                                   "(.txt, .jsonl).",
                       epilog=BAKE_EXAMPLES + "\nexit codes: 0 all inputs baked or up to date, 1 some input failed "
                              "(others are written), 2 usage error.\n"
                              "SLURM: --shard slurm splits the inputs over the array's tasks; every task "
                              "writes OUT/.weartwin/summaries/<task>.json; weartwin status OUT merges them.")
    b.add_argument("inputs", nargs="+", metavar="INPUT")
    b.add_argument("--out", required=True, help="output folder (mirrors the inputs' relative paths)")
    add_bake_options(b)
    g = b.add_argument_group("batch")
    g.add_argument("--workers", type=int, default=1, help="Blender worker processes")
    g.add_argument("--shard", default=None, metavar="I/N", help=SHARD_HELP)
    g.add_argument("--force", action="store_true", help="re-bake items whose outputs are up to date")
    g.add_argument("--quiet", action="store_true", help="no progress bar (there is none when stderr is not a terminal)")
    g.add_argument("--progress", action="store_true", help="progress bar even when not on a terminal")
    b.set_defaults(func=cmd_bake)

    st = sub.add_parser("status", help="merge the task summaries of an output folder (farm runs)",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="What became of every output in OUT, merged from the summary each "
                                    "`weartwin bake` process (SLURM array task, Flamenco task, ...) wrote into "
                                    "OUT/.weartwin/summaries: done, failed (with the reason), interrupted "
                                    "(cancelled or killed tasks), still running, shards of an --shard I/N set "
                                    "that no task ran, SLURM array tasks that left no summary, and stale "
                                    "outputs (deleted, or replaced by a bake with other options).",
                        epilog="exit codes: 0 complete (every output done or up to date, nothing missing), "
                               "1 something failed, was interrupted, is missing, stale or still running, "
                               "2 usage error (no run folder).")
    st.add_argument("out", metavar="OUT", help="the --out folder of the bakes")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.add_argument("--verbose", action="store_true", help="list every failed/interrupted/stale output")
    st.set_defaults(func=cmd_status)

    i = sub.add_parser("info", help="describe a motion file or an export",
                       description="Describe motion files (format, frames, rate, skeleton; BVH: preset, units, "
                                   "rest pose) and WearTwin exports (channels with their statistics, body, source, "
                                   "label). Exit 1 if any FILE cannot be read (the others are still described).")
    i.add_argument("files", nargs="+", metavar="FILE", help="motion files (.npz, .pkl, .npy, .bvh) or exports")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(func=cmd_info)

    c = sub.add_parser("calibrate", help="fit simulated impedance to a real device (Pose2Imp calibration)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Fit a map from simulated impedance features (|Z|, phase, path length, "
                                   "cross-sections, contact, rates of change) to a real device's measured |Z| "
                                   "and phase, from the same motions recorded and simulated, aligned by time. "
                                   "Prints held-out errors of the raw simulation, the affine map and the neural "
                                   "model; saves the --model one to --out.",
                       epilog=CALIBRATE_EPILOG)
    c.add_argument("--sim", nargs="+", required=True, metavar="EXPORT", help="simulated exports (.npz)")
    c.add_argument("--measured", nargs="+", required=True, metavar="CSV", help="measured CSVs, same order")
    c.add_argument("--pair", default="wrist_wrist", help="electrode pair in the exports")
    c.add_argument("--model", choices=("cnn", "affine"), default="cnn",
                   help="calibration written to --out: affine (least squares) or cnn (affine + a small 1-D CNN)")
    c.add_argument("--epochs", type=int, default=400, help="cnn training epochs")
    c.add_argument("--time-offset", type=float, default=0.0, help="measured t minus simulated t, s")
    c.add_argument("--seed", type=int, default=0, help="seed of the cnn fit")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    c.add_argument("--out", required=True, help="calibration file to write (.npz)")
    c.set_defaults(func=cmd_calibrate)

    from . import extra_commands, text_commands

    text_commands.register(sub)

    from . import library_command   # h13a: motion libraries (BVH corpora)

    library_command.register(sub)

    extra_commands.register(sub)
    for sp in sub.choices.values():     # every command's --help shows each option's default
        sp.formatter_class = {argparse.HelpFormatter: HelpFormatter,
                              argparse.RawDescriptionHelpFormatter: RawHelpFormatter}.get(sp.formatter_class,
                                                                                          sp.formatter_class)
    return p


def _version() -> str:
    from addon import __version__

    return f"weartwin {__version__}"


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    argv = list(sys.argv[1:] if argv is None else argv)
    from .extra_commands import ML_COMMANDS, handoff

    if argv and argv[0] in ML_COMMANDS:   # its own parser (and --help) lives in ml/
        return handoff(argv[0], argv[1:])
    parser = build_parser()
    a = parser.parse_args(argv)
    if not getattr(a, "func", None):
        parser.print_help()
        print("weartwin: no command given (try: weartwin demo)", file=sys.stderr)
        return 2
    try:
        rc = int(a.func(a) or 0)
        sys.stdout.flush()
        return rc
    except BrokenPipeError:  # `weartwin info FILE | head`: the reader has gone; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush does not fail too
        return 141  # 128 + SIGPIPE, as a tool killed by the signal
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
