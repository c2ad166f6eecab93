"""`weartwin pretrain`: pretrain one site-agnostic encoder on WearTwin-simulated data."""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

from .contract import ARCHS

EPILOG = """\
corpus: --corpus takes folders of WearTwin exports (<stem>.npz; every imu.<site>.acc/.gyro in them
is a device, whatever the site); --spec runs `weartwin synth SPEC --out CORPUS` first (finished
bakes are reused) and adds CORPUS/exports. Labels and texts as `weartwin synth` writes them.

what it writes (OUT, a model folder): encoder.pt (state dict of tensors: torch.load(weights_only=True)),
contract.json (rate, window, channels, units, fixed normalisation, arch and its sizes, pretraining
classes and their text embeddings for zero-shot), MODEL_CARD.md (corpus, hours per activity and site,
recipe, the command that rebuilds it). An interrupted run resumes from OUT/.checkpoint.pt.

use it:
  weartwin train resnet --init OUT --data ../shared/data/imu/sp_sw_har --site wrist --labels-per-class 10 --out runs/ft
  weartwin predict --zero-shot "walking,sitting,standing" OUT ../shared/data/imu/hmp --out labels.csv

realism matching (continue a released encoder on its own corpus, re-weighted towards your data):
  weartwin pretrain --init weartwin-imu-v1 --windows pretrain_windows.npz \
      --match-data MYDATA --match-site chest --match-subjects s01,s02,s03 --epochs 10 --out enc_matched

examples:
  weartwin pretrain --corpus corpus/exports --out ml/pretrained/mine --epochs 20
  weartwin pretrain --spec benchmarks/specs/pretrain.yaml --corpus-dir ~/corpora/pretrain --out enc --device cuda
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="weartwin pretrain", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                description="Pretrain one encoder for one 6-channel IMU device (acc m/s², gyro rad/s) "
                                            "at any body site on WearTwin exports: random device rotations, random "
                                            "sites per window, gyro dropout, supervised on activity labels and "
                                            "contrastive on activity texts.")
    p.add_argument("--corpus", nargs="+", default=[], metavar="DIR", help="folders of WearTwin exports")
    p.add_argument("--spec", default=None, help="a `weartwin synth` spec: built (or reused) first")
    p.add_argument("--corpus-dir", default=None, help="where --spec's corpus is built (default: OUT/corpus)")
    p.add_argument("--workers", type=int, default=1, help="Blender workers for --spec (default: 1)")
    p.add_argument("--windows", default=None, metavar="FILE.npz",
                   help="train on a corpus saved with --save-windows instead of --corpus/--spec (e.g. on a GPU "
                        "machine without the exports or the text model)")
    p.add_argument("--save-windows", default=None, metavar="FILE.npz",
                   help="build the corpus windows (--corpus/--spec, --max-windows, ...), save them compactly "
                        "(int8 + per-window scales, text embeddings included) and stop")
    p.add_argument("--out", default=None, help="model folder to write (required unless --save-windows)")
    p.add_argument("--arch", choices=sorted(ARCHS), default=None,
                   help="backbone: simpharnet (its conv encoder + text projections; what bench_transfer.py "
                        "evaluates), resnet (ResNet-1D), dcl (DeepConvLSTM); fine-tune with `weartwin train ARCH "
                        "--init` (default: simpharnet; with --init, the encoder's)")
    p.add_argument("--widths", default=None, help="resnet/simpharnet: block widths, e.g. 64,128,128 (default: the product model's)")
    p.add_argument("--epochs", type=int, default=20, help="epochs (default: 20)")
    p.add_argument("--batch-size", type=int, default=256, help="batch size (default: 256)")
    p.add_argument("--lr", type=float, default=2e-3, help="AdamW learning rate, cosine schedule (default: 0.002)")
    p.add_argument("--lambda-text", type=float, default=1.0, help="weight of the text-contrastive loss (default: 1)")
    p.add_argument("--gyro-drop", type=float, default=0.3, help="share of windows without gyroscope (default: 0.3)")
    p.add_argument("--rotation", default=None, metavar="so3|none|DEG",
                   help="device rotation augmentation per window: so3 = uniform over all rotations (the model "
                        "cannot tell which way is up: posture classes such as sitting vs standing lose their "
                        "gravity cue), DEG = about a random axis by up to DEG degrees (devices worn a little "
                        "differently), none (default: so3; with --init, the encoder's own)")
    p.add_argument("--fps", type=float, default=50.0, help="contract rate, Hz (default: 50, as weartwin train)")
    p.add_argument("--window", type=float, default=2.0, help="contract window, s (default: 2)")
    p.add_argument("--stride", type=float, default=1.0, help="window stride in the corpus, s (default: 1)")
    p.add_argument("--sites-per-window", type=int, default=2,
                   help="devices drawn at random per time window of an export (default: 2)")
    p.add_argument("--max-hours", type=float, default=0.0, help="read exports up to this many hours (0 = all) (default: 0)")
    p.add_argument("--max-windows", type=int, default=0, help="keep at most this many windows, drawn at random (0 = all) (default: 0)")
    p.add_argument("--max-steps", type=int, default=0, help="steps per epoch at most (0 = a full pass) (default: 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N (default: auto)")
    p.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    p.add_argument("--no-resume", dest="resume", action="store_false", help="ignore OUT/.checkpoint.pt")
    m = p.add_argument_group("continue from an encoder, realism-matched to your data (no label used)")
    m.add_argument("--init", default=None, metavar="NAME|PATH",
                   help="start from this encoder (a released NAME under ml/pretrained/ or a model folder); it must have "
                        "been pretrained on the same corpus (its activities and sizes), e.g. --init weartwin-imu-v1 "
                        "--windows the corpus it was built from")
    m.add_argument("--match-data", nargs="+", default=[], metavar="DIR",
                   help="your recordings (any format `weartwin train --data` reads; labels not needed): simulated "
                        "windows are drawn with weights that make them look like these (amplitude, jerk, tilt, "
                        "frequency content; ml/pretrain/match.py)")
    m.add_argument("--match-format", default="auto", help="format of --match-data (default: auto)")
    m.add_argument("--match-site", default="", help="the device in --match-data, as the data name it (needed when "
                                                      "they have several)")
    m.add_argument("--match-subjects", default="", metavar="S1,S2",
                   help="only these subjects' windows (for an honest evaluation: never the subjects you will test on; "
                        "default: all)")
    m.add_argument("--match-clip", type=float, default=20.0, help="largest weight ratio (default: 20)")
    m.add_argument("--match-power", type=float, default=0.5,
                   help="temper the density ratio: weight = ratio^POWER (1 = plain importance weights; default: 0.5)")
    return p


def synth(spec: Path, corpus_dir: Path, workers: int) -> Path:
    """`weartwin synth SPEC --out CORPUS` (its own resume skips finished bakes); CORPUS/exports."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "headless", "synth", str(spec), "--out", str(corpus_dir), "--workers", str(workers),
           "--quiet"]
    print(f"weartwin pretrain: building the corpus: weartwin synth {spec} --out {corpus_dir}", file=sys.stderr)
    rc = subprocess.call(cmd)
    if rc not in (0, 1) or not (corpus_dir / "exports").is_dir():
        raise RuntimeError(f"weartwin synth {spec} failed (exit {rc})")
    return corpus_dir / "exports"


def match_corpus(a, corpus):
    """(weights of the corpus windows, summary) against the unlabelled windows of --match-data."""
    import numpy as np

    from ..data import DataError
    from ..data.readers import load_dataset
    from .match import corpus_weights
    from .transfer import check_units, device_channels, device_windows

    seqs = [s for d in a.match_data for s in load_dataset(d, a.match_format, require_labels=False, site=a.match_site)]
    if a.match_subjects:
        want = {x.strip() for x in a.match_subjects.split(",") if x.strip()}
        have = sorted({s.subject for s in seqs})
        if not want <= set(have):
            raise DataError(f"--match-subjects: {', '.join(sorted(want - set(have)))} not in --match-data "
                            f"(it has {', '.join(have[:20])}{' ...' if len(have) > 20 else ''})")
        seqs = [s for s in seqs if s.subject in want]
    if not seqs:
        raise DataError(f"--match-data {' '.join(a.match_data)}: no recordings")
    site, _ = device_channels(seqs, a.match_site)
    x, gm, _ = device_windows(seqs, site, a.fps, a.window, a.stride)
    check_units(x, np.array([True] * 3 + [not gm.all()] * 3), ", ".join(a.match_data))
    w, info = corpus_weights(corpus, x, not gm.all(), a.fps, a.match_clip, a.seed, a.match_power)
    info.update({"target": " ".join(a.match_data), "format": a.match_format, "site": site,
                 "subjects": sorted({s.subject for s in seqs})})
    print(f"weartwin pretrain: realism matching on {len(x)} windows of {site} ({len(info['subjects'])} subjects): "
          f"simulated vs target AUC {info['auc_sim_vs_target']:.3f}, effective {100 * info['effective_share']:.0f} % "
          f"of the corpus; most weight on {', '.join(d['name'] for d in info['top_sites'][:3])}", file=sys.stderr)
    return w, info


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    a = build_parser().parse_args(argv)

    def usage(msg):
        print(f"weartwin pretrain: error: {msg}", file=sys.stderr)
        return 2

    if not a.corpus and not a.spec and not a.windows:
        return usage("give --corpus DIR... and/or --spec SPEC.yaml, or --windows FILE.npz")
    if a.windows and (a.corpus or a.spec):
        return usage("--windows replaces --corpus/--spec: give one or the other")
    if not a.out and not a.save_windows:
        return usage("--out MODELDIR is required (or --save-windows FILE.npz)")
    c0 = None
    if a.init:
        from .contract import EncoderFileError, read_contract

        try:
            c0 = read_contract(a.init)
        except EncoderFileError as e:
            print(f"weartwin pretrain: error: {e}", file=sys.stderr)
            return 1
    if a.rotation is None:
        a.rotation = str((c0.recipe or {}).get("rotation", "so3")) if c0 else "so3"
    if a.arch is None:
        a.arch = c0.arch if c0 else "simpharnet"
    if a.rotation.startswith("deg:"):
        a.rotation = a.rotation[4:]
    if a.rotation not in ("so3", "none"):
        try:
            deg = float(a.rotation)
        except ValueError:
            return usage(f"--rotation: expected so3, none or an angle in degrees, got '{a.rotation}'")
        if not 0 < deg <= 180:
            return usage("--rotation: the angle must be in (0, 180] degrees")
        a.rotation = f"deg:{deg:g}"
    for k in ("epochs", "batch_size", "sites_per_window"):
        if getattr(a, k) < 1:
            return usage(f"--{k.replace('_', '-')} must be 1 or more")
    if not 0 <= a.gyro_drop <= 1:
        return usage("--gyro-drop must be in 0..1")
    out = Path(a.out or a.save_windows)
    if a.out and out.exists() and not out.is_dir():
        return usage(f"--out {out}: exists and is not a folder")
    from .contract import DEFAULT_PARAMS, EncoderFileError

    params = dict(DEFAULT_PARAMS[a.arch])
    if a.widths:
        if "widths" not in params:
            return usage(f"--widths: {a.arch} has no widths")
        try:
            params["widths"] = [int(w) for w in a.widths.split(",")]
        except ValueError:
            return usage(f"--widths: expected integers, got '{a.widths}'")
    from ..data import DataError
    from .corpus import build_corpus, load_corpus, save_corpus
    from .train import Recipe, pretrain

    folders = list(a.corpus)
    try:
        if a.spec:
            spec = Path(a.spec)
            if not spec.is_file():
                return usage(f"--spec {spec}: no such file")
            default_dir = Path(a.out) / "corpus" if a.out else Path(a.save_windows).parent / "corpus"
            folders.append(synth(spec, Path(a.corpus_dir) if a.corpus_dir else default_dir, a.workers))
        from ..training.loop import set_threads

        set_threads()
        if a.windows:
            corpus = load_corpus(Path(a.windows))
        else:
            corpus = build_corpus(folders, a.fps, a.window, a.stride, a.sites_per_window, a.max_hours,
                                  a.max_windows, a.seed, warn=lambda m: print(f"warning: {m}", file=sys.stderr))
        if a.save_windows:
            p = save_corpus(corpus, Path(a.save_windows))
            print(f"saved {len(corpus)} windows of {len(corpus.sites)} sites, {len(corpus.classes)} activities "
                  f"({p.stat().st_size / 2**20:.1f} MiB) -> {p}")
            return 0
        init = weights = match = None
        if a.init:
            from .contract import load as load_encoder

            c0, net0 = load_encoder(a.init)
            if c0.arch != a.arch or (a.widths and c0.params != params):
                return usage(f"--init {a.init}: the encoder is {c0.arch} {c0.params}; give --arch {c0.arch} "
                             "and no --widths")
            params = dict(c0.params)
            init = (c0, net0.state_dict())
        if a.match_data:
            weights, match = match_corpus(a, corpus)
        recipe = Recipe(arch=a.arch, epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, lambda_text=a.lambda_text,
                        gyro_drop=a.gyro_drop, rotation=a.rotation, seed=a.seed, max_steps_per_epoch=a.max_steps)
        command = "weartwin pretrain " + " ".join(shlex.quote(x) for x in argv)
        c = pretrain(corpus, out, recipe, a.fps, a.window, a.device, params, command, resume=a.resume,
                     init=init, sample_weights=weights, match=match)
    except (DataError, EncoderFileError) as e:
        print(f"weartwin pretrain: error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:
        return usage(str(e))
    except RuntimeError as e:
        print(f"weartwin pretrain: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"weartwin pretrain: error: {e.filename or out}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(f"pretrained {c.arch} on {c.corpus['windows']} windows of {len(c.corpus['sites'])} sites, "
          f"{len(c.classes)} activities -> {out}/encoder.pt, contract.json, MODEL_CARD.md")
    return 0
