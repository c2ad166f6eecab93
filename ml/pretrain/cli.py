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
    p.add_argument("--arch", choices=sorted(ARCHS), default="simpharnet",
                   help="backbone: simpharnet (its conv encoder + text projections; what bench_transfer.py "
                        "evaluates), resnet (ResNet-1D), dcl (DeepConvLSTM); fine-tune with `weartwin train ARCH "
                        "--init` (default: simpharnet)")
    p.add_argument("--widths", default=None, help="resnet/simpharnet: block widths, e.g. 64,128,128 (default: the product model's)")
    p.add_argument("--epochs", type=int, default=20, help="epochs (default: 20)")
    p.add_argument("--batch-size", type=int, default=256, help="batch size (default: 256)")
    p.add_argument("--lr", type=float, default=2e-3, help="AdamW learning rate, cosine schedule (default: 0.002)")
    p.add_argument("--lambda-text", type=float, default=1.0, help="weight of the text-contrastive loss (default: 1)")
    p.add_argument("--gyro-drop", type=float, default=0.3, help="share of windows without gyroscope (default: 0.3)")
    p.add_argument("--rotation", default="so3", metavar="so3|none|DEG",
                   help="device rotation augmentation per window: so3 = uniform over all rotations (the model "
                        "cannot tell which way is up: posture classes such as sitting vs standing lose their "
                        "gravity cue), DEG = about a random axis by up to DEG degrees (devices worn a little "
                        "differently), none (default: so3)")
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
        recipe = Recipe(arch=a.arch, epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, lambda_text=a.lambda_text,
                        gyro_drop=a.gyro_drop, rotation=a.rotation, seed=a.seed, max_steps_per_epoch=a.max_steps)
        command = "weartwin pretrain " + " ".join(shlex.quote(x) for x in argv)
        c = pretrain(corpus, out, recipe, a.fps, a.window, a.device, params, command, resume=a.resume)
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
