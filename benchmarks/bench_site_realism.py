"""Simulated against real, at two body sites: the sp_sw_har phone (left front trouser pocket) and watch
(left wrist), recorded together from 23 people — per activity, gravity direction in the device frame
(per phone orientation), |acc| sd, |gyro| level, step cadence, share of |acc| power above 3 Hz.

    python benchmarks/bench_site_realism.py [--count 8] [--vary-body 3] [--out benchmarks/results/site_realism]

Simulated: sp_sw_har's five activities as procedural motions (`weartwin synth`, the spec
`benchmarks/specs/site_realism_sp_sw_har.yaml`: placement jitter on, phone-class noise), IMUs at
`left_wrist` and `left_pocket` (screen_out,top_up). The phone's four orientations in
`executions_info.csv` (front, front_inv, back, back_inv) are the same device turned in the
pocket: the simulated readings are turned into each by `addon.sensors.presets.mount_change`
(front = screen_out,top_up; front_inv = screen_out,top_down; back = screen_in,top_up;
back_inv = screen_in,top_down, read off the recordings' gravity: standing, `front` reads +y,
`front_inv` -y; seated, `front` reads +z, `back` -z; and x < 0 seated in `front` puts the phone in
the LEFT pocket). Real: every execution, 2.56 s windows (hop 1.28 s) inside one label.
Statistics per window from `addon.text2motion.realism.window_stats` (the one owner); each row
gives the median over windows. Writes table.md, results.json and site_realism.png to --out.
"""
from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.shared_data import shared_data  # noqa: E402

SPEC = ROOT / "benchmarks" / "specs" / "site_realism_sp_sw_har.yaml"
ACTIVITIES = ("walking", "turning", "sitting_down", "seated", "standing_up")
ORIENTATION = {"front": "screen_out,top_up", "front_inv": "screen_out,top_down",
               "back": "screen_in,top_up", "back_inv": "screen_in,top_down"}
SITES = {"watch": ("sw", "left_wrist"), "phone": ("sp", "left_pocket")}
BAKED = "left_pocket:screen_out,top_up"
FS = 50.0
STATS = ("acc_sd", "gyro_p50", "cadence_spm", "power_above_3hz")


TRANSITIONS = ("turning", "sitting_down", "standing_up")


def _windows(acc, gyro, fs=FS):
    """Stats per 2.56 s window (hop 1.28 s); a stretch of 1-2.56 s is one window (transitions
    are short: most real sitting-down stretches last ~2 s)."""
    from addon.text2motion.realism import window_stats, windows

    out = []
    spans = windows(len(acc), fs) or ([(0, len(acc))] if len(acc) >= fs else [])
    for a, b in spans:
        st = window_stats(acc[a:b], gyro[a:b], fs)
        st["g"] = acc[a:b].mean(axis=0)
        out.append(st)
    return out


def real_rows(root: Path) -> list[dict]:
    """One row per window: site, activity, orientation (phone), stats. The recordings come through
    the product's sp_sw_har reader (watch, or phone with variant sp) at FS Hz."""
    from ml.data.readers.sp_sw_har import read
    from ml.data.resample import resample

    orient = {r["execution_id"]: r["orientation"] for r in csv.DictReader(open(root / "executions_info.csv"))}
    rows = []
    for site, (suffix, _) in SITES.items():
        for seq in read(root, lambda m: print(f"warning: {m}", file=sys.stderr), variant=suffix):
            seq = resample(seq, FS)
            lab = seq.labels
            bounds = np.r_[0, np.flatnonzero(lab[1:] != lab[:-1]) + 1, len(lab)]
            for a, b in zip(bounds[:-1], bounds[1:]):
                if not lab[a] or (b - a) / FS < 1.0:
                    continue
                for st in _windows(seq.data[a:b, :3], seq.data[a:b, 3:6]):
                    rows.append({"site": site, "activity": str(lab[a]).lower(),
                                 "orientation": orient.get(seq.session, "") if site == "phone" else "", **st})
    return rows


def _active(d, fs: float) -> slice:
    """The moving part of a simulated transition (the procedural clip stands still before and
    after it; the real labels cover the movement): where the thigh turns faster than 0.2 rad/s,
    +0.25 s each side."""
    g = np.linalg.norm(d[f"imu.{SITES['phone'][1]}.gyro"], axis=1)
    on = np.flatnonzero(np.convolve(g, np.ones(5) / 5, "same") > 0.2)
    if not len(on):
        return slice(None)
    pad = int(0.25 * fs)
    return slice(max(on[0] - pad, 0), on[-1] + pad + 1)


def sim_rows(corpus: Path) -> list[dict]:
    from addon.sensors.presets import mount_change

    rows = []
    for f in sorted((corpus / "exports").rglob("*.npz")):
        with np.load(f, allow_pickle=False) as d:
            meta = json.loads(str(d["meta"]))
            fs = float(meta["fps"])
            for site, (_, name) in SITES.items():
                acc, gyro = d[f"imu.{name}.acc"].astype(np.float64), d[f"imu.{name}.gyro"].astype(np.float64)
                act = _active(d, fs) if meta["label"] in TRANSITIONS else slice(None)
                acc, gyro = acc[act], gyro[act]
                ways = {"": np.eye(3)} if site == "watch" else {
                    o: mount_change(BAKED, f"left_pocket:{w}") for o, w in ORIENTATION.items()}
                for o, C in ways.items():
                    for st in _windows(acc @ C.T, gyro @ C.T, fs):
                        rows.append({"site": site, "activity": meta["label"], "orientation": o, **st})
    return rows


def summarize(rows: list[dict]) -> dict:
    """(site, activity) -> stats medians and per orientation the mean gravity direction."""
    out: dict = {}
    for site in SITES:
        for act in ACTIVITIES:
            sub = [r for r in rows if r["site"] == site and r["activity"] == act]
            if not sub:
                continue
            e = {k: float(np.median([r[k] for r in sub])) for k in STATS}
            e["windows"] = len(sub)
            ors = sorted({r["orientation"] for r in sub})
            e["gravity"] = {o: np.mean([r["g"] for r in sub if r["orientation"] == o], axis=0).round(2).tolist()
                            for o in ors}
            out[f"{site}/{act}"] = e
    return out


def _angle(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.degrees(np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1))))


def table(real: dict, sim: dict) -> str:
    lines = ["| site / activity | windows real / sim | gravity in the device frame, real → sim (m/s²; angle) | "
             "|acc| sd real / sim | |gyro| p50 real / sim | cadence real / sim (steps/min) | power > 3 Hz real / sim |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for key, r in real.items():
        s = sim.get(key)
        if s is None:
            continue
        grav = []
        for o, g in r["gravity"].items():
            if o in s["gravity"] or (o and "" in s["gravity"]) or not o:
                sg = s["gravity"].get(o, s["gravity"].get(""))
                grav.append(f"{o + ': ' if o else ''}({', '.join(f'{x:.1f}' for x in g)}) → "
                            f"({', '.join(f'{x:.1f}' for x in sg)}); {_angle(g, sg):.0f}°")
        cad = (f"{r['cadence_spm']:.0f} / {s['cadence_spm']:.0f}" if key.endswith(("walking", "turning")) else "—")
        lines.append(f"| {key} | {r['windows']} / {s['windows']} | {'<br>'.join(grav)} | {r['acc_sd']:.2f} / "
                     f"{s['acc_sd']:.2f} | {r['gyro_p50']:.2f} / {s['gyro_p50']:.2f} | {cad} | "
                     f"{r['power_above_3hz']:.2f} / {s['power_above_3hz']:.2f} |")
    return "\n".join(lines)


def plot(real: dict, sim: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    titles = {"acc_sd": "|acc| sd within a window (m/s²)", "gyro_p50": "|gyro| median (rad/s)",
              "cadence_spm": "step cadence (steps/min)", "power_above_3hz": "share of |acc| power > 3 Hz"}
    fig, axes = plt.subplots(2, 4, figsize=(16, 8), constrained_layout=True)
    for row, site in enumerate(SITES):
        for col, k in enumerate(STATS):
            ax = axes[row, col]
            acts = [a for a in ACTIVITIES if f"{site}/{a}" in real and f"{site}/{a}" in sim]
            if k == "cadence_spm":
                acts = [a for a in acts if a in ("walking", "turning")]
            x = np.arange(len(acts))
            ax.bar(x - 0.2, [real[f"{site}/{a}"][k] for a in acts], 0.4, label="real", color="#4c72b0")
            ax.bar(x + 0.2, [sim[f"{site}/{a}"][k] for a in acts], 0.4, label="simulated", color="#dd8452")
            ax.set_xticks(x, [a.replace("_", "\n") for a in acts], fontsize=11)
            ax.set_title(f"{'phone (left pocket)' if site == 'phone' else 'watch (left wrist)'}\n{titles[k]}",
                         fontsize=11)
            ax.tick_params(labelsize=10)
            if row == 0 and col == 0:
                ax.legend(fontsize=11, loc="upper right")
    fig.suptitle("sp_sw_har: simulated vs real, phone in the pocket and watch on the wrist (medians over 2.56 s windows)",
                 fontsize=13)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(shared_data("imu", "sp_sw_har")), help="sp_sw_har folder")
    ap.add_argument("--corpus", default="/tmp/weartwin_site_realism", help="simulated corpus folder (synth reuses it)")
    ap.add_argument("--spec", default=str(SPEC), help="the synth spec of the simulated corpus")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "site_realism"))
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    data, corpus, out = Path(a.data), Path(a.corpus), Path(a.out)
    if not (data / "executions_info.csv").is_file():
        print(f"{data}: not the sp_sw_har folder (no executions_info.csv)", file=sys.stderr)
        return 1
    cmd = [sys.executable, "-m", "headless.cli", "synth", a.spec, "--out", str(corpus), "--quiet"]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode:
        print(r.stderr[-2000:], file=sys.stderr)
        return 1
    real, sim = summarize(real_rows(data)), summarize(sim_rows(corpus))
    out.mkdir(parents=True, exist_ok=True)
    md = table(real, sim)
    (out / "table.md").write_text(md + "\n")
    (out / "results.json").write_text(json.dumps({"real": real, "sim": sim, "spec": Path(a.spec).name,
                                                  "command": " ".join(["python", "benchmarks/bench_site_realism.py",
                                                                       *(argv if argv is not None else sys.argv[1:])])},
                                                 indent=1))
    plot(real, sim, out / "site_realism.png")
    print(md)
    print(json.dumps({"seconds": round(time.perf_counter() - t0, 1), "out": str(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
