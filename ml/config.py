"""Typed run configurations, one per `weartwin train MODEL`. Each is saved as RUN/config.json.

Fields carry their help text (`metadata["help"]`); the command line is generated from them,
so `weartwin train dcl --help` lists exactly what a config file may set.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path


def opt(default, help: str, **kw):
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class RunConfig:
    # data
    data: list = opt([], "real labelled datasets (folders in a known layout; several are merged)")
    format: str = opt("auto", "dataset layout: auto, weartwin, generic, sp_sw_har, hmp, pamap2, mmfit, openpack, realworld; "
                              "layouts with several devices read one: FORMAT:DEVICE, e.g. sp_sw_har:phone (in a trouser "
                              "pocket, site 'pocket'), pamap2:hand|chest|ankle, realworld:forearm|chest|head|shin|thigh|"
                              "upperarm|waist, mmfit:left_wrist|right_wrist, openpack:atr01..atr04")
    sim: list = opt([], "WearTwin export folders: pretraining data (simpharnet, multi3net) or extra training data (dcl, rf)")
    inputs: str = opt("imu", "what the model sees: imu, acc, imu_mag (orientation-invariant), acc_mag, imp, fused")
    sites: list = opt(["left_wrist"], "simulated IMU sites to use; real device sites map onto them (--site-map)")
    pairs: list = opt(["wrist_wrist"], "electrode pairs for imp/fused inputs")
    site_map: dict = opt({}, "real site -> simulated site, e.g. wrist=right_wrist (default: wrist/forearm->left_wrist, hand->right_wrist)")
    label_map: dict = opt({}, "label -> label, to merge classes or match simulated to real labels, e.g. sitting_down=sit")
    fps: float = opt(50.0, "common sampling rate (Hz) everything is resampled to")
    window: float = opt(2.0, "window length, seconds")
    stride: float = opt(1.0, "window stride, seconds")
    sim_stride: float = opt(0.25, "window stride for --sim data, seconds (dense, overlapping pretraining windows)")
    sim_ratio: float = opt(0.0, "simulated windows per labelled real training window when --sim joins supervised "
                                "training (rf, dcl, resnet), drawn per class at random; 0 = all of them")
    probe: str = opt("", "cheap probes of simulated data instead of LOSO: sim2real (train on --sim only, test on "
                         "every real subject; rf, dcl, resnet) or zeroshot (simpharnet pretrained on --sim labels "
                         "real windows by their nearest class description, no real label used)")
    sim_axes: str = opt("x,y,z", "the real device's x,y,z axes in the simulated watch's terms, applied to --sim "
                                 "IMU channels (WearTwin's watch: x = 3 o'clock, towards the hand on the left wrist and "
                                 "the elbow on the right; z out of the dial), e.g. HMP's right-wrist sensor with x "
                                 "towards the hand: --sim-axes=-x,-y,z --site-map wrist=right_wrist. For phones and other "
                                 "surface devices name the simulated site and the real device's mounting instead: "
                                 "--sim-axes left_pocket:screen_in,top_down (each simulated recording is turned from "
                                 "the mounting it was baked with, see weartwin bake --help)")
    calibrate: str = opt("quantile", "simulated->real calibration fitted on training subjects: none, quantile, quantile-class")
    # evaluation
    protocol: str = opt("loso", "loso (leave one subject out) or kfold (K subject groups, --folds)")
    folds: int = opt(5, "number of subject groups for --protocol kfold")
    max_folds: int = opt(0, "evaluate only the first N folds (0 = all); for quick looks, reported in metrics")
    shard: str = opt("", "I/N: evaluate only folds I, I+N, ... (0-based), for N processes sharing one run folder; "
                         "a last run without --shard collects every fold (reused) into metrics.json")
    val_subjects: float = opt(0.2, "share of training subjects held out for early stopping (at least one)")
    seeds: list = opt([0], "random seeds; every fold is trained once per seed")
    label_fractions: list = opt([], "label budget as shares of each class's labelled windows of the training subjects, "
                                "e.g. 0.05,0.1,1 (training AND validation come out of it; default: 1, every label, unless "
                                "--labels-per-class is given)", kind=float)
    labels_per_class: list = opt([], "label budget: K labelled windows per class, training AND validation "
                                 "together, e.g. 1,5,10 (validation by subject where the budget allows, "
                                 "else stratified windows, else none: fixed --epochs without early stopping)",
                                 kind=int)
    # optimisation
    epochs: int = opt(30, "maximum epochs (fine-tuning / supervised training)")
    batch_size: int = opt(64, "batch size")
    lr: float = opt(1e-3, "learning rate (AdamW)")
    weight_decay: float = opt(1e-4, "AdamW weight decay")
    patience: int = opt(8, "early stopping: epochs without better validation macro-F1")
    min_steps: int = opt(300, "every epoch repeats the training windows (fresh permutations) until the --epochs "
                              "together take at least this many optimizer steps; only small training sets change (10 "
                              "labels per class are a batch or two: one pass per epoch would be a few dozen steps in "
                              "all), from scratch and fine-tuned alike; 0 = one pass per epoch")
    lr_schedule: str = opt("constant", "learning-rate schedule per step: constant, cosine (to 1 %), onecycle")
    warmup: float = opt(0.0, "share of the steps with a linear warm-up (cosine)")
    augment: bool = opt(False, "augment training windows: random rotation of each sensor triad, scaling, time-warp")
    aug_rotation: float = opt(30.0, "augmentation: largest rotation, degrees (random axis)")
    aug_scale: float = opt(0.1, "augmentation: sd of the per-window, per-channel scale factor around 1")
    aug_warp: float = opt(0.2, "augmentation: sd of the time-warp speed around 1")
    device: str = opt("auto", "auto, cpu, cuda, cuda:N")
    amp: bool = opt(True, "mixed precision on CUDA (ignored on CPU)")
    final: bool = opt(False, "no evaluation: train on every subject (validation out of the budget as in the folds) "
                             "and write RUN/model.npz (+ model.ts for deep models) for `weartwin predict`")
    resume: bool = opt(True, "reuse finished folds and continue from the last checkpoint")
    progress: bool | None = opt(None, "progress bars (default: only when stderr is a terminal, as in `weartwin "
                                      "bake`; a log file gets one line per fold either way)", kind=bool)

    model: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def show_progress(self) -> bool:
        """Progress bars: as --progress/--no-progress say, else only on a terminal (not in a log)."""
        import sys

        return sys.stderr.isatty() if self.progress is None else bool(self.progress)

    def save(self, path: Path) -> None:
        from addon.export.atomic import write_text   # atomic; a link planted at the name is replaced

        write_text(path, json.dumps(self.to_dict(), indent=2))

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown config key(s) for {cls.__name__}: {', '.join(sorted(unknown))}")
        return cls(**d)


@dataclass
class RFConfig(RunConfig):
    trees: int = opt(300, "random forest: number of trees")
    model: str = "rf"


@dataclass
class TransferConfig(RunConfig):
    finetune: str = opt("auto", "how the pretrained encoder trains on real labels: steps (all --epochs, at least "
                        "--min-steps steps, the encoder frozen for the first third then trained at the full rate, no "
                        "early stopping; with --init under a label budget every labelled window trains, none is "
                        "held back for validation; bench_transfer.py's recipe), plateau (frozen until the validation "
                        "macro-F1 - or without validation the training loss - stops improving for --freeze-patience epochs, then unfrozen), linear "
                        "(linear probe: always frozen), full (everything from the start), epochs (frozen for "
                        "--unfreeze-after epochs); auto = steps for --init under a label budget (a few validation "
                        "windows cannot pick an epoch), else plateau")
    freeze_patience: int = opt(5, "plateau fine-tuning: epochs without improvement before the encoder unfreezes")
    encoder_lr_mult: float = opt(0.1, "learning-rate multiplier of the pretrained encoder once it trains")
    unfreeze_after: int = opt(5, "--finetune epochs: epochs with a frozen encoder before it trains too")
    init: str = opt("", "start from a pretrained WearTwin encoder: NAME (ml/pretrained/NAME) or a model folder of "
                        "`weartwin pretrain`; the device named by --site becomes its 6 inputs, resampled to its rate "
                        "and window, scaled by its fixed constants (not by the data's statistics)")
    site: str = opt("", "with --init: the real device's site as the dataset names it (e.g. wrist, pocket; PAMAP2 "
                        "hand|chest|ankle, RealWorld thigh, ...: a multi-device layout is read at that device; "
                        "default: the only one the data have)")
    adapt: str = opt("none", "with --init: none, or ssl (SimCLR on the training subjects' unlabelled windows "
                             "before fine-tuning; never the held-out subject's)")
    adapt_epochs: int = opt(10, "--adapt ssl: epochs")



@dataclass
class DCLConfig(TransferConfig):
    filters: int = opt(64, "DeepConvLSTM: convolution filters (per sensor channel: kernels run along time only)")
    kernel: int = opt(5, "DeepConvLSTM: kernel length")
    lstm_units: int = opt(128, "DeepConvLSTM: LSTM units")
    lstm_layers: int = opt(1, "DeepConvLSTM: LSTM layers (2 = the paper; 1 trains better, Bock et al. 2021)")
    readout: str = opt("mean", "DeepConvLSTM: classifier input: mean (LSTM outputs pooled over time) or last (step)")
    batch_norm: bool = opt(True, "DeepConvLSTM: batch normalization after each convolution")
    dropout: float = opt(0.5, "dropout before the classifier")
    epochs: int = opt(60, "maximum epochs")
    patience: int = opt(15, "early stopping: epochs without better validation macro-F1")
    lr_schedule: str = opt("cosine", "learning-rate schedule per step: constant, cosine (to 1 %), onecycle")
    augment: bool = opt(True, "augment training windows: random rotation of each sensor triad, scaling, time-warp")
    model: str = "dcl"


@dataclass
class ResNetConfig(TransferConfig):
    widths: list = opt([64, 128, 128], "ResNet-1D: filters of the three residual blocks (kernels 7, 5, 3)", kind=int)
    dropout: float = opt(0.2, "dropout before the classifier")
    epochs: int = opt(60, "maximum epochs")
    patience: int = opt(15, "early stopping: epochs without better validation macro-F1")
    lr_schedule: str = opt("cosine", "learning-rate schedule per step: constant, cosine (to 1 %), onecycle")
    augment: bool = opt(True, "augment training windows: random rotation of each sensor triad, scaling, time-warp")
    model: str = "resnet"


@dataclass
class SImpHARConfig(TransferConfig):
    inputs: str = opt("imp", "what the model sees: imp (|Z|, phase), imu, imu_mag, acc, acc_mag, fused")
    dim: int = opt(128, "embedding size")
    tau: float = opt(0.07, "InfoNCE temperature")
    learnable_tau: bool = opt(False, "learn the temperature (CLIP-style)")
    pretrain_epochs: int = opt(20, "contrastive pretraining epochs on --sim (0 = no pretraining)")
    pretrain_lr: float = opt(1e-3, "pretraining learning rate")
    text_head: bool = opt(True, "classifier head initialised from the class descriptions' text embeddings "
                                "(keeps the signal-text alignment; needs pretraining to mean anything)")
    model: str = "simpharnet"


@dataclass
class Multi3NetConfig(TransferConfig):
    sites: list = opt(["left_wrist", "right_wrist"], "wrist sites, one IMU encoder each; sites the real data "
                      "never have are dropped (no branch fed zeros)")
    dim: int = opt(128, "embedding size")
    layers: int = opt(2, "attention layers per encoder")
    heads: int = opt(4, "attention heads")
    experts: int = opt(4, "mixture-of-experts experts (1-16)")
    tau: float = opt(0.07, "InfoNCE temperature")
    learnable_tau: bool = opt(False, "learn the temperature")
    lambda_pose2imu: float = opt(1.0, "weight of the Pose2IMU regression loss")
    lambda_recon: float = opt(1.0, "weight of the IMU reconstruction loss")
    lambda_balance: float = opt(0.01, "weight of the experts' load-balancing loss")
    pretrain_epochs: int = opt(20, "pretraining epochs on --sim (needs pose.rot6d and texts/labels)")
    pretrain_lr: float = opt(5e-4, "pretraining learning rate")
    freeze_encoders: bool = opt(False, "same as --finetune linear (kept for old configs)")
    model: str = "multi3net"


CONFIGS = {"rf": RFConfig, "dcl": DCLConfig, "resnet": ResNetConfig, "simpharnet": SImpHARConfig, "multi3net": Multi3NetConfig}
