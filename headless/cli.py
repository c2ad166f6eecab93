"""`weartwin`: the command line (DESIGN.md "Command line").

Exit codes: 0 every input succeeded; 1 any input failed (the others are still written);
2 usage error.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EPILOG = """examples:
  weartwin demo                                   bake the built-in motion, write files + preview
  weartwin bake ../shared/data/motion --out out   every motion file under a folder
  weartwin bake list.jsonl --out out --workers 2  a manifest, two Blender worker processes
  weartwin bake clip.npz --out out --vary-body 5 --preview --csv
  weartwin bake clip.npz --out out --sensors impedance --frequencies 5000,50000,200000 --save-path
  weartwin bake clip.npz --out out --electrode-def chest=bone:spine02:0.05 --electrodes left_wrist:chest
  weartwin info out/clip.npz                      describe a motion file or an export
"""


def _csv_list(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got '{text}'") from None


def add_bake_options(p: argparse.ArgumentParser) -> None:
    from addon.config import BakeConfig

    d = BakeConfig()
    g = p.add_argument_group("body")
    g.add_argument("--body", default=d.body,
                   help="'anny' (free, default) or a SMPL/SMPL-H/SMPL-X model file or folder (.npz/.pkl)")
    g.add_argument("--height", type=float, default=d.height, help="normalized standing height in m (%(default)s)")
    g.add_argument("--vary-body", type=int, default=d.vary_body, metavar="N",
                   help="bake N seeded body-shape variants per motion (0: the default body)")
    g = p.add_argument_group("sampling and sensors")
    g.add_argument("--fps", type=float, default=d.fps, help="output sampling rate in Hz (%(default)s)")
    g.add_argument("--source-fps", type=float, default=None,
                   help="frame rate of inputs that do not store one (e.g. old MoSh pickles)")
    g.add_argument("--sensors", type=_csv_list, default=d.sensors,
                   help="comma-separated: imu, impedance (default: imu,impedance)")
    g.add_argument("--imu-sites", type=_csv_list, default=d.imu_sites, help="default left_wrist,right_wrist")
    g.add_argument("--imu-site-def", action="append", default=[], metavar="NAME=vertices:I[,J,K]",
                   help="your own IMU site from mesh vertices (origin, along, side; or a patch whose "
                        "centre is the origin); add NAME to --imu-sites; repeatable")
    g.add_argument("--imu-smoothing", type=float, default=d.imu_smoothing,
                   help="former Savitzky-Golay derivative window, s (0, the default: the band filter)")
    g.add_argument("--imu-bandwidth", type=float, default=d.imu_bandwidth,
                   help="derivative filter pass band in Hz (0, the default: min(20, 0.8 x source Nyquist))")
    g.add_argument("--imu-noise", nargs="?", const="smartwatch", default=d.imu_noise,
                   choices=("none", "smartwatch", "phone", "research-grade"),
                   help="MEMS noise preset (white noise, bias, scale error, range, 16-bit): none (default), "
                        "smartwatch (LSM6DSO class; also the value of a bare --imu-noise), phone (BMI160 "
                        "class), research-grade (calibrated)")
    g.add_argument("--imu-axes", default=d.imu_axes, choices=("watch", "anatomical"),
                   help="wrist sensor axes: watch (Android/Wear OS axes of a normally worn watch on "
                        "either wrist; default) or anatomical (x towards the hand on both wrists)")
    g = p.add_argument_group("impedance (Pose2Imp)")
    g.add_argument("--electrodes", type=_csv_list, default=d.electrodes,
                   help="electrode pairs: presets wrist_wrist (default), left_wrist_elbow, right_wrist_elbow, "
                        "or A:B with electrode presets (left_wrist, right_wrist, left_elbow, right_elbow, "
                        "left_upperarm, right_upperarm) or names from --electrode-def")
    g.add_argument("--electrode-def", action="append", default=[], metavar="NAME=SPEC",
                   help="define an electrode: NAME=vertices:I,J,K (mesh vertex indices) or "
                        "NAME=bone:BONE:OFFSET (2 cm band OFFSET m along BONE); repeatable")
    g.add_argument("--frequencies", type=_floats, default=d.frequencies,
                   help="comma-separated frequencies in Hz (default 50000)")
    g.add_argument("--contact-distance", type=float, default=d.contact_distance,
                   help="skin of two body segments closer than this (m) touches and conducts, in parallel "
                        "with the body (%(default)s; 0 turns contact off)")
    g.add_argument("--electrode-type", default=d.electrode_type, choices=("gel", "dry", "tetrapolar"),
                   help="electrode-skin interface: bipolar Ag/AgCl gel (default), bipolar dry (~10x the "
                        "interface impedance), or tetrapolar (interfaces excluded)")
    g.add_argument("--calibration", default=None, help="impedance calibration file (weartwin calibrate)")
    g.add_argument("--softbody", action=argparse.BooleanOptionalAction, default=d.softbody,
                   help="soft-body flesh (proxy cage); default off")
    g.add_argument("--softbody-stiffness", type=float, default=d.softbody_stiffness,
                   help="goal weight of the softest flesh, 0..1 (1: rigid skinning; %(default)s)")
    g.add_argument("--save-path", action="store_true", help="store the impedance current path per frame")
    g = p.add_argument_group("output")
    g.add_argument("--csv", action="store_true", help="also write <stem>.csv")
    g.add_argument("--preview", action="store_true", help="also write <stem>.png (plot of the channels)")
    g.add_argument("--seed", type=int, default=d.seed, help="seed for body variants and noise")


def config_from_args(a: argparse.Namespace):
    from addon.config import BakeConfig

    for name in ("fps", "height"):
        if getattr(a, name) <= 0:
            raise SystemExit(_usage(f"--{name} must be positive"))
    from addon.bake import AVAILABLE_SENSORS

    bad = set(a.sensors) - set(AVAILABLE_SENSORS)
    if bad:
        raise SystemExit(_usage(f"sensor(s) {', '.join(sorted(bad))} not available "
                                f"(available: {', '.join(AVAILABLE_SENSORS)})"))
    if not a.sensors:
        raise SystemExit(_usage("--sensors is empty"))
    from addon.sensors.impedance.electrodes import PRESET_ELECTRODES, PRESET_PAIRS

    defs = {}
    for item in a.electrode_def:
        name, _, spec = (x.strip() for x in item.partition("="))
        if not name or not (spec.startswith(("vertices:", "bone:")) or spec in PRESET_ELECTRODES):
            raise SystemExit(_usage(f"--electrode-def '{item}': expected NAME=vertices:I,J,... "
                                    "or NAME=bone:BONE:OFFSET"))
        defs[name] = spec

    site_defs = {}
    for item in a.imu_site_def:
        name, _, spec = (x.strip() for x in item.partition("="))
        if not name or not spec.startswith("vertices:"):
            raise SystemExit(_usage(f"--imu-site-def '{item}': expected NAME=vertices:I[,J,K]"))
        site_defs[name] = spec
    from addon.sensors.sites import PRESET_SITES

    unknown = [s for s in a.imu_sites if s not in PRESET_SITES and s not in site_defs]
    if unknown and "imu" in a.sensors:
        raise SystemExit(_usage(f"--imu-sites: unknown site(s) {', '.join(unknown)} (presets: "
                                f"{', '.join(PRESET_SITES)}; or --imu-site-def NAME=vertices:...)"))
    if a.imu_bandwidth < 0 or a.imu_smoothing < 0 or a.contact_distance < 0:
        raise SystemExit(_usage("--imu-bandwidth, --imu-smoothing and --contact-distance must be >= 0"))
    if not 0 <= a.softbody_stiffness <= 1:
        raise SystemExit(_usage("--softbody-stiffness must be within 0..1"))
    for pair in a.electrodes:
        if pair not in PRESET_PAIRS and ":" not in pair:
            raise SystemExit(_usage(f"--electrodes: unknown pair '{pair}' (presets: {', '.join(PRESET_PAIRS)}; "
                                    "or A:B)"))
    if any(f <= 0 for f in a.frequencies) or not a.frequencies:
        raise SystemExit(_usage("--frequencies must be positive numbers in Hz"))
    if a.calibration and not Path(a.calibration).is_file():
        raise SystemExit(_usage(f"--calibration {a.calibration}: no such file"))
    return BakeConfig(fps=a.fps, body=a.body, height=a.height, sensors=tuple(a.sensors),
                      imu_sites=tuple(a.imu_sites), electrodes=tuple(a.electrodes),
                      frequencies=tuple(a.frequencies), softbody=a.softbody, vary_body=a.vary_body,
                      seed=a.seed, source_fps=a.source_fps, imu_smoothing=a.imu_smoothing,
                      imu_noise=a.imu_noise, imu_bandwidth=a.imu_bandwidth, imu_axes=a.imu_axes,
                      calibration=a.calibration, save_path=a.save_path,
                      electrode_defs=defs, contact_distance=a.contact_distance, electrode_type=a.electrode_type, imu_site_defs=site_defs,
                      softbody_stiffness=a.softbody_stiffness,
                      csv=a.csv, preview=a.preview)


def _usage(msg: str) -> int:
    print(f"weartwin: error: {msg}", file=sys.stderr)
    return 2


def cmd_bake(a: argparse.Namespace) -> int:
    from .items import UsageError, expand_inputs, parse_shard, shard
    from .runner import run_batch

    cfg = config_from_args(a)
    try:
        i, n = parse_shard(a.shard)
        items = shard(expand_inputs(a.inputs), i, n)
    except UsageError as e:
        return _usage(str(e))
    if not items:
        return _usage("no motion files found in the inputs")
    out = Path(a.out)
    summary = run_batch(items, out, cfg, workers=a.workers, force=a.force,
                        progress=not a.quiet and sys.stderr.isatty() or a.progress)
    print(f"baked {len(summary.done)}, skipped {len(summary.skipped)} (up to date), "
          f"failed {len(summary.failed)} -> {out}/summary.json")
    if summary.interrupted:
        print("interrupted: run the same command again to finish the rest", file=sys.stderr)
        return 130
    return 1 if summary.failed else 0


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
        except Exception as e:  # one line per bad file
            print(f"{f}: {e}", file=sys.stderr)
            status = 1
    return status


def cmd_calibrate(a: argparse.Namespace) -> int:
    import numpy as np

    from addon.sensors.impedance.calibration import CalibrationError, fit, read_pair, score

    if len(a.sim) != len(a.measured):
        return _usage("give one --measured CSV per --sim export, in the same order")
    try:
        pairs = [read_pair(s, m, a.pair, a.time_offset) for s, m in zip(a.sim, a.measured)]
    except (CalibrationError, OSError, KeyError) as e:
        print(f"weartwin calibrate: {e}", file=sys.stderr)
        return 1
    Xs, Ys = [p[0] for p in pairs], [p[1] for p in pairs]
    # report on the last 20% of each recording, fitted on the first 80%
    cut = [int(len(X) * 0.8) for X in Xs]
    tr = ([X[:c] for X, c in zip(Xs, cut)], [Y[:c] for Y, c in zip(Ys, cut)])
    te = ([X[c:] for X, c in zip(Xs, cut)], [Y[c:] for Y, c in zip(Ys, cut)])
    from tqdm import tqdm

    report = {"held_out": "last 20% of each recording", "raw_simulation": score(None, *te)}
    kinds = ["affine"] + (["cnn"] if a.model == "cnn" else [])
    for kind in kinds:
        bar = tqdm(total=a.epochs, desc=f"fit {kind} (held-out check)", disable=kind == "affine" or a.quiet,
                   leave=False)
        cal = fit(*tr, a.pair, kind, a.epochs, a.seed, progress=lambda i, n, loss: bar.update(1))
        bar.close()
        report[kind] = score(cal, *te)
    bar = tqdm(total=a.epochs, desc=f"fit {a.model} (all data)", disable=a.model == "affine" or a.quiet, leave=False)
    cal = fit(Xs, Ys, a.pair, a.model, a.epochs, a.seed, progress=lambda i, n, loss: bar.update(1))
    bar.close()
    cal.report = {**report, "recordings": [str(s) for s in a.sim], "samples": int(sum(map(len, Xs)))}
    out = cal.save(a.out)
    print(f"{'model':16s} {'|Z| RMSE (ohm)':>15s} {'|Z| R2':>8s} {'phase RMSE (deg)':>17s}   (held out)")
    for k in ["raw_simulation"] + kinds:
        r = report[k]
        print(f"{k:16s} {r['mag_rmse_ohm']:15.2f} {r['mag_r2']:8.3f} {r.get('phase_rmse_deg', np.nan):17.2f}")
    print(f"wrote {out}  (use: weartwin bake ... --calibration {out})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="weartwin", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="WearTwin: simulate wrist IMU and bio-impedance signals from human motion "
                    "in Blender, and train activity-recognition models on them.")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="bake the built-in motion and write an export + preview PNG",
                       description="Bake the built-in demo motion on the default Anny body with wrist IMUs and "
                                   "wrist-to-wrist impedance; write demo.npz, demo.csv and demo.png into --out.")
    d.add_argument("--out", default="weartwin_demo", help="output folder (%(default)s)")
    d.set_defaults(func=cmd_demo)

    b = sub.add_parser("bake", help="bake motion files, folders or manifests",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Bake motion files into sensor exports (<stem>.npz, DESIGN.md schema). "
                                   "INPUT: motion files (.npz AMASS/GRAB, .pkl AIST++/MoSh, .npy HumanML3D), "
                                   "folders (searched recursively) or manifests (.txt, .jsonl).",
                       epilog="exit codes: 0 all inputs baked or up to date, 1 some input failed "
                              "(others are written), 2 usage error.\n"
                              "SLURM: without --shard, SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT pick the shard.")
    b.add_argument("inputs", nargs="+", metavar="INPUT")
    b.add_argument("--out", required=True, help="output folder (mirrors the inputs' relative paths)")
    add_bake_options(b)
    g = b.add_argument_group("batch")
    g.add_argument("--workers", type=int, default=1, help="Blender worker processes (%(default)s)")
    g.add_argument("--shard", default=None, metavar="I/N", help="bake only shard I of N (0-based)")
    g.add_argument("--force", action="store_true", help="re-bake items whose outputs are up to date")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.add_argument("--progress", action="store_true", help="progress bar even when not on a terminal")
    b.set_defaults(func=cmd_bake)

    i = sub.add_parser("info", help="describe a motion file or an export")
    i.add_argument("files", nargs="+", metavar="FILE")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(func=cmd_info)

    c = sub.add_parser("calibrate", help="fit simulated impedance to a real device (Pose2Imp calibration)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Fit a map from simulated impedance features (|Z|, phase, path length, "
                                   "cross-sections, contact, rates of change) to measured |Z| and phase, from "
                                   "paired recordings aligned by time. Prints held-out errors of the raw "
                                   "simulation, the affine map and the neural model; saves the chosen model.",
                       epilog="measured CSV: columns t (s), mag (ohm)[, phase (deg)], same time origin as the "
                              "simulated export (see --time-offset).\n"
                              "example: weartwin calibrate --sim out/a.npz out/b.npz --measured a.csv b.csv "
                              "--out device.npz")
    c.add_argument("--sim", nargs="+", required=True, metavar="EXPORT", help="simulated exports (.npz)")
    c.add_argument("--measured", nargs="+", required=True, metavar="CSV", help="measured CSVs, same order")
    c.add_argument("--pair", default="wrist_wrist", help="electrode pair (%(default)s)")
    c.add_argument("--model", choices=("cnn", "affine"), default="cnn", help="%(default)s")
    c.add_argument("--epochs", type=int, default=400, help="neural model training epochs (%(default)s)")
    c.add_argument("--time-offset", type=float, default=0.0, help="measured t minus simulated t, s")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--quiet", action="store_true")
    c.add_argument("--out", required=True, help="calibration file to write (.npz)")
    c.set_defaults(func=cmd_calibrate)

    from . import extra_commands, text_commands

    text_commands.register(sub)

    extra_commands.register(sub)
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
        return 2
    try:
        return int(a.func(a) or 0)
    except SystemExit as e:
        return int(e.code) if isinstance(e.code, int) else 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
