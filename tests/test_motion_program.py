"""Motion programs: validation, descriptions -> programs -> joint angles, refusals, a bake."""
import json
import subprocess
import sys

import numpy as np
import pytest

from addon.motion.procedural import J
from addon.text2motion import make_backend
from addon.text2motion.parse import ActivitySpec, TextError
from addon.text2motion.program import Program, ProgramError, compile_program, joint_positions_of
from addon.text2motion.words import interpret


def _angle(a, b):
    return np.degrees(np.arccos(np.clip(np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1),
                                        -1, 1)))


def _motion(text):
    return make_backend("procedural", fps=30).generate(text, seed=1)


def test_hand_to_mouth():
    P = joint_positions_of(_motion("bring the right hand to the mouth"))
    sh, el, wr, head = (P[:, J[j]] for j in ("right_shoulder", "right_elbow", "right_wrist", "head"))
    k = np.argmin(np.linalg.norm(wr - head, axis=1))
    assert _angle(el[k] - sh[k], wr[k] - el[k]) == pytest.approx(130, abs=12)     # elbow flexion
    assert np.linalg.norm(wr[k] - head[k]) < 0.18                                   # the hand at the face
    assert np.linalg.norm(P[k, J["left_wrist"]] - head[k]) > 0.5                    # the other hand stays down


def test_lean_forward_from_the_hips_with_the_arms_hanging():
    P = joint_positions_of(_motion("lean forward from the hips with the arms hanging"))
    trunk = P[:, J["neck"]] - P[:, J["spine3"]]
    lean = _angle(trunk, np.array([0, 0, 1.0]))
    k = np.argmax(lean)
    assert lean[k] > 45 and lean[0] < 10
    for side in ("left", "right"):
        arm = P[k, J[f"{side}_wrist"]] - P[k, J[f"{side}_shoulder"]]
        assert _angle(arm, np.array([0, 0, -1.0])) < 12                           # vertical in the world


def test_kick_the_left_leg_forward():
    m = _motion("kick the left leg forward")
    P = joint_positions_of(m)
    thigh = {s: P[:, J[f"{s}_knee"]] - P[:, J[f"{s}_hip"]] for s in ("left", "right")}
    flex = {s: _angle(v, np.array([0, 0, -1.0])) for s, v in thigh.items()}
    assert flex["left"].max() > 50 and flex["right"].max() < 10
    assert m.source["program"]["side"] == "left"


def test_forearm_rotation_is_not_a_turn_and_keeps_the_upper_arm_still():
    m = _motion("A person rotates the right forearm with the upper arm still, turning the palm up and down")
    assert m.source["backend"] == "program" and np.allclose(m.trans, 0)            # no whole-body turn
    P = joint_positions_of(m)
    upper = P[:, J["right_elbow"]] - P[:, J["right_shoulder"]]
    assert _angle(upper, upper[:1]).max() < 8
    prog = m.source["program"]
    assert {p["targets"]["forearm_pronation"] > 0 for p in prog["phases"]} == {True, False}
    assert prog["start"]["targets"]["elbow_flexion"] == 90


def test_posture_is_kept():
    p = interpret("does lateral raises bent forward at the hips")
    assert isinstance(p, Program) and p.posture == "bent_forward" and p.activity == "lateral_raise"
    assert interpret("bent forward at the hips, raise both arms out to the side").posture == "bent_forward"


@pytest.mark.parametrize("text, words", [("someone juggles three balls", "juggles"),
                                         ("wiggles the fingers", "finger"),
                                         ("a person rotates the forearm like a dancer turns", "")])
def test_refusals_say_what_was_not_understood(text, words):
    try:
        r = interpret(text)
    except TextError as e:
        assert "\n" not in str(e) and words in str(e)
        return
    assert isinstance(r, Program) and r.phases[0].targets.get("forearm_pronation")  # never 'turning'


def test_named_activities_still_work():
    s = interpret("a person does bicep curls slowly with the left arm")
    assert isinstance(s, ActivitySpec) and (s.activity, s.side) == ("bicep_curl", "left")
    assert interpret("A person stands and brushes their teeth").activity == "brushing_teeth"
    assert interpret("a person turns around").activity == "turning"


@pytest.mark.parametrize("bad, field", [
    ({"phases": []}, "phases"),
    ({"phases": [{"targets": {"elbow_flexion": 170}}]}, "phases[0].targets.elbow_flexion"),
    ({"phases": [{"targets": {"elbow_bend": 90}}]}, "phases[0].targets.elbow_bend"),
    ({"phases": [{"reach": "moon"}]}, "phases[0].reach"),
    ({"posture": "upside_down", "phases": [{}]}, "posture"),
    ({"phases": [{}], "repetitions": 0}, "repetitions"),
    ({"phases": [{"targets": {"trunk_flexion": [40, 10]}}]}, "trunk_flexion"),
    ({"phases": [{"targets": {"left.trunk_flexion": 10}}]}, "left.trunk_flexion"),
    ({"phases": [{}], "colour": "red"}, "colour"),
])
def test_program_validation_names_the_field(bad, field):
    with pytest.raises(ProgramError) as e:
        Program.from_dict(bad)
    assert field in str(e.value) and "\n" not in str(e.value)


def test_program_round_trip_variation_and_limits():
    d = {"activity": "wrist_curl", "posture": "seated", "side": "alternate", "repetitions": 4,
         "start": {"targets": {"elbow_flexion": 90, "forearm_pronation": -80}},
         "phases": [{"targets": {"wrist_flexion": [40, 70]}, "seconds": 0.7, "hold": 0.3}]}
    p = Program.from_dict(d)
    assert Program.from_dict(p.to_dict()) == p
    a, b = compile_program(p, seed=1), compile_program(p, seed=2)
    assert a.n_frames != b.n_frames or not np.allclose(a.rotations, b.rotations)     # seeded variation
    left, right = (np.abs(a.rotations[:, J[f"{s}_wrist"]]).max() for s in ("left", "right"))
    assert left > 0.5 and right > 0.5                                                 # sides alternate
    assert np.degrees(np.linalg.norm(a.rotations[:, J["left_wrist"]], axis=1)).max() < 85


def test_cli_explain_and_program_bake(tmp_path):
    out = tmp_path / "m.npz"
    r = subprocess.run([sys.executable, "-m", "headless", "text2motion", "bring the right hand to the mouth 3 times",
                        "--out", str(out), "--explain"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "reach: mouth" in r.stdout and "repetitions: 3" in r.stdout
    assert out.is_file() and (tmp_path / "m_strip.png").stat().st_size > 10_000
    bad = subprocess.run([sys.executable, "-m", "headless", "text2motion", "someone juggles three balls",
                          "--out", str(tmp_path / "x.npz")], capture_output=True, text=True)
    assert bad.returncode == 1 and "juggles" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "x.npz").exists()
    # a program in a synth spec, baked
    spec = tmp_path / "s.yaml"
    spec.write_text(json.dumps({"activities": [{"name": "forearm_rotation", "count": 1, "program": {
        "side": "left", "repetitions": 3, "start": {"targets": {"elbow_flexion": 90}},
        "phases": [{"targets": {"forearm_pronation": 80}, "seconds": 0.8},
                   {"targets": {"forearm_pronation": -80}, "seconds": 0.8}]}}], "vary_body": 1, "fps": 30}))
    r = subprocess.run([sys.executable, "-m", "headless", "synth", str(spec), "--out", str(tmp_path / "o"), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-1500:]
    exports = list((tmp_path / "o" / "exports").rglob("*.npz"))
    assert exports and "forearm_rotation" in str(exports[0])
    from ml.data.readers import load_dataset

    seq = load_dataset(tmp_path / "o" / "exports", "weartwin")[0]
    gyro = seq.data[:, [i for i, c in enumerate(seq.channels) if c.startswith("left_wrist.gyro")]]
    assert np.abs(gyro).max() > 1.0                    # the forearm turns: rad/s about its axis
    bad = tmp_path / "b.yaml"
    bad.write_text(json.dumps({"activities": [{"name": "x", "program": {"phases": [{"targets": {"knee_flexion": 200}}]}}]}))
    r = subprocess.run([sys.executable, "-m", "headless", "synth", str(bad), "--out", str(tmp_path / "b")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "knee_flexion" in r.stderr and "Traceback" not in r.stderr


def test_llm_programs_are_checked_against_their_activity():
    """A real endpoint on 127.0.0.1: programs for another activity or invalid ones are dropped,
    descriptions of another activity are never filed under the asked label."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from addon.text2motion.describe import check_descriptions, llm_programs
    from headless.text_commands import synth_jobs

    replies = []

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"choices": [{"message": {"content": replies.pop(0)}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_port}"
    ok = {"activity": "waving", "side": "left", "start": {"targets": {"shoulder_abduction": 150, "elbow_flexion": 60}},
          "phases": [{"targets": {"elbow_flexion": 100}, "seconds": 0.3}]}
    try:
        warned = []
        replies.append("```json\n" + json.dumps([{**ok, "activity": "clapping"}, ok,
                                                 {"activity": "waving", "phases": [{"targets": {"elbow_flexion": 400}}]}])
                       + "\n```")
        progs = llm_programs("waving", 2, url, warn=warned.append)
        assert len(progs) == 2 and all(p["activity"] == "waving" and p["source"].startswith("llm:") for p in progs)
        assert any("'clapping', not 'waving'" in w for w in warned) and any("elbow_flexion" in w for w in warned)
        kept = check_descriptions("waving", ["A person claps the hands quickly.", "Someone waves hello.",
                                             "raise the left arm out to the side to shoulder height"], warned.append)
        assert kept == ["Someone waves hello.", "raise the left arm out to the side to shoulder height"]
        # synth: a reply of programs for another activity only, then descriptions of clapping -> templates
        replies += [json.dumps([{**ok, "activity": "clapping"}]), "A person claps.\nSomeone applauds."]
        jobs = synth_jobs({"activities": [{"name": "waving", "count": 2}], "llm_url": url}, warn=warned.append)
        assert [j["label"] for j in jobs] == ["waving", "waving"]
        assert all("clap" not in j["text"].lower() and "applau" not in j["text"].lower() for j in jobs)
    finally:
        srv.shutdown()
