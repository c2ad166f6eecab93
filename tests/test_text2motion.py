"""Text -> motion -> signals: parsing, the procedural backend's meaning checked on baked IMU
signals, retrieval from the shared KIT-ML annotations, and `synth` output that trains."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import need_shared, run_cli

from addon.text2motion import make_backend
from addon.text2motion.describe import descriptions
from addon.text2motion.parse import CADENCE, TextError, parse


def test_parse_semantics():
    s = parse("a person does bicep curls slowly with the left arm")
    assert (s.activity, s.side, s.speed < 1) == ("bicep_curl", "left", True)
    assert parse("Someone claps quickly ten times").reps == 10
    assert parse("a man does 5 squats").reps == 5 and parse("a man does 5 squats").side == "both"
    assert parse("waves goodbye with the right hand").activity == "waving"
    assert parse("throws fast punches with both arms").side == "both"
    with pytest.raises(TextError, match="no known activity"):
        parse("a person thinks about lunch")


def test_descriptions_are_varied_and_seeded():
    a = descriptions("bicep_curl", 8, seed=1)
    assert len(set(a)) == 8 and a == descriptions("bicep_curl", 8, seed=1)
    assert all(parse(t).activity == "bicep_curl" for t in a)
    # an unreachable endpoint falls back to the templates, with a warning
    warned = []
    b = descriptions("waving", 3, seed=0, llm_url="http://127.0.0.1:9", warn=warned.append)
    assert len(b) == 3 and warned and "127.0.0.1:9" in warned[0]


def test_every_activity_makes_a_valid_motion():
    backend = make_backend("procedural", fps=30)
    for activity in CADENCE:
        m = backend.generate(f"a person does {activity.replace('_', ' ')}", seed=3)
        assert m.rotations.shape[1:] == (22, 3) and np.isfinite(m.rotations).all()
        assert m.source["spec"]["activity"] == activity and m.n_frames > 30


@pytest.fixture(scope="module")
def baker():
    from addon.bake import Baker
    from addon.config import BakeConfig

    return Baker(BakeConfig(fps=30, sensors=("imu",)))


def _bake(baker, text, seed=0):
    from addon.body.variants import BodyVariant
    from addon.text2motion.parse import parse as p
    from addon.text2motion.procedural import generate

    spec = p(text)
    return spec, baker.bake(generate(spec, fps=30, seed=seed), BodyVariant("", "anny", {}, 1.7))


def _reps_from_signal(acc: np.ndarray, fps: float) -> int:
    """Repetitions counted on the signal: peaks of the smoothed, dominant accelerometer axis."""
    from scipy.signal import find_peaks, savgol_filter

    x = acc[:, np.argmax(acc.std(axis=0))]
    x = savgol_filter(x, int(fps) | 1, 2)
    x = x if abs(x.max() - np.median(x)) > abs(x.min() - np.median(x)) else -x
    peaks, _ = find_peaks(x, prominence=0.4 * (x.max() - x.min()), distance=int(0.5 * fps))
    return len(peaks)


def _dominant_hz(x: np.ndarray, fps: float) -> float:
    x = x - x.mean()
    f = np.fft.rfftfreq(len(x), 1 / fps)
    return float(f[1 + np.argmax(np.abs(np.fft.rfft(x))[1:])])


def test_procedural_meaning_on_baked_signals(baker):
    spec, rec = _bake(baker, "a person does 6 bicep curls slowly with the left arm")
    left = np.linalg.norm(rec.imu["left_wrist"]["gyro"], axis=1)
    right = np.linalg.norm(rec.imu["right_wrist"]["gyro"], axis=1)
    assert left.std() > 10 * right.std()                               # the left forearm moves
    assert _reps_from_signal(rec.imu["left_wrist"]["acc"], 30) == 6    # in 6 repetitions
    slow = _dominant_hz(rec.imu["left_wrist"]["acc"][:, 0], 30)
    _, fast_rec = _bake(baker, "a person does 6 bicep curls quickly with the left arm")
    fast = _dominant_hz(fast_rec.imu["left_wrist"]["acc"][:, 0], 30)
    assert fast > 2 * slow and slow == pytest.approx(spec.cadence, rel=0.2)
    _, r = _bake(baker, "a person does bicep curls with the right arm")
    assert np.linalg.norm(r.imu["right_wrist"]["gyro"], axis=1).std() > \
        10 * np.linalg.norm(r.imu["left_wrist"]["gyro"], axis=1).std()
    _, sq = _bake(baker, "someone does 4 squats")
    assert _reps_from_signal(sq.imu["left_wrist"]["acc"], 30) == 4


def test_retrieval_from_kitml_annotations(tmp_path):
    ann = need_shared("text/kitml_annotations.json")
    walk = need_shared("motion/amass/hbp_amass_sample.npz")
    stand = need_shared("motion/amass/amass_sample.npz")
    data = json.loads(ann.read_text())
    walking = next(k for k, v in data.items() if "walk" in v["annotations"][0]["text"].lower())
    other = next(k for k, v in data.items() if "wave" in v["annotations"][0]["text"].lower())
    root = tmp_path / "amass"
    for key, src in ((walking, walk), (other, stand)):      # a tiny library: two annotated motions exist
        f = root / (data[key]["path"] + ".npz")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.symlink_to(src)
    backend = make_backend("retrieval", library=str(ann), motion_root=str(root))
    assert backend.library.missing == len(data) - 2
    m = backend.generate("a person walks forward", seed=0)
    r = m.source["retrieved"]
    assert r["file"].endswith(data[walking]["path"] + ".npz") and m.rotations.shape[1] == 52
    speeds = {round(backend.generate("a person walks forward", seed=s).source["speed"], 3) for s in range(4)}
    assert len(speeds) > 1                                     # seeded variation
    mirrored = [backend.generate("someone walking", seed=s).source.get("mirrored", False) for s in range(8)]
    assert any(mirrored) and not all(mirrored)


def test_mirror_swaps_sides():
    from addon.motion.procedural import J
    from addon.text2motion.retrieval import mirror

    m = make_backend("procedural").generate("bicep curls with the left arm", seed=0)
    mm = mirror(m)
    assert np.allclose(mm.rotations[:, J["right_elbow"], 0], m.rotations[:, J["left_elbow"], 0])
    assert np.allclose(mm.rotations[:, J["right_elbow"], 1:], -m.rotations[:, J["left_elbow"], 1:])


def test_text2motion_cli_and_synth_trains(tmp_path):
    r = run_cli("text2motion", "a person waves with the left hand", "--out", tmp_path / "wave.npz")
    assert r.returncode == 0, r.stderr
    from addon.motion import load_motion

    assert load_motion(tmp_path / "wave.npz").n_frames > 30
    bad = run_cli("text2motion", "a person ponders", "--out", tmp_path / "x.npz")
    assert bad.returncode == 1 and "no known activity" in bad.stderr and not (tmp_path / "x.npz").exists()
    spec = tmp_path / "study.yaml"
    spec.write_text("activities:\n  - name: bicep_curl\n    count: 2\n  - name: waving\n    count: 2\n"
                    "  - name: squats\n    count: 2\nvary_body: 3\nsensors: [imu]\nfps: 25\n")
    r = run_cli("synth", spec, "--out", tmp_path / "syn", "--quiet")
    assert r.returncode == 0, r.stderr[-2000:]
    exports = sorted((tmp_path / "syn" / "exports").rglob("*.npz"))
    assert len(exports) == 18
    r2 = run_cli("synth", spec, "--out", tmp_path / "syn", "--quiet")        # resume: nothing to redo
    assert r2.returncode == 0 and "6 up to date" in r2.stdout
    t = run_cli("train", "rf", "--data", tmp_path / "syn" / "exports", "--out", tmp_path / "run", "--trees", "30",
                "--no-progress")
    assert t.returncode == 0, t.stderr[-2000:]
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["classes"] == ["bicep_curl", "squats", "waving"] and m["subjects"] == ["b01", "b02", "b03"]
    assert m["macro_f1_mean"] > 0.5
    bad_spec = tmp_path / "bad.yaml"
    bad_spec.write_text("activities: []\n")
    r3 = run_cli("synth", bad_spec, "--out", tmp_path / "nope")
    assert r3.returncode == 2 and "non-empty 'activities'" in r3.stderr


def test_llm_endpoint_descriptions_follow_the_rules():
    """A local OpenAI-compatible endpoint: the prompt carries IMUGPT's rules, and lines that
    name another activity of the study are dropped."""
    import http.server
    import threading

    seen = {}

    class Chat(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            seen["path"] = self.path
            seen["body"] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            reply = ("1. A woman curls a dumbbell slowly with her left arm.\n"
                     "2. A man does bicep curls and then starts waving.\n"
                     "- An athlete curls quickly with the right arm.")
            out = json.dumps({"choices": [{"message": {"content": reply}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Chat)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        out = descriptions("bicep_curl", 4, others=["bicep_curl", "waving"],
                           llm_url=f"http://127.0.0.1:{srv.server_port}")
    finally:
        srv.shutdown()
    assert seen["path"] == "/v1/chat/completions"
    prompt = seen["body"]["messages"][0]["content"]
    assert "one person" in prompt and "never mention waving" in prompt
    assert len(out) == 4 and not any("waving" in t for t in out)
    assert out[0] == "A person curls a dumbbell slowly with their left arm."     # no attribute a body may lack
