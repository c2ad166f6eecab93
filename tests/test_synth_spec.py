"""`weartwin synth` spec hardening (names, unknown activities, caps, YAML bombs, bad values),
one body per subject, sensor-placement variation, library activities and the corpus summary."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
from conftest import run_cli

from headless.synth_spec import SpecError, load_spec


def _spec(tmp_path, text, name="study.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("body,needle", [
    ("activities:\n  - name: ../../../somewhere\n", "not a safe label"),
    ("activities:\n  - name: a/b\n", "not a safe label"),
    ("activities:\n  - name: juggling\n", "'juggling' is unknown to the procedural generator"),
    ("activities:\n  - name: waving\n    count: 100000000\n", "count must be a whole number in 1..10000"),
    ("activities: [waving]\nheight: -1\n", "height (m) must be a number"),
    ("activities: [waving]\nfps: .nan\n", "fps must be a number"),
    ("activities: [waving]\nvary_body: \"3\"\n", "vary_body must be a whole number"),
    ("activities: [waving]\nseed: -1\n", "seed must be a whole number"),
    ("activities: [waving]\nsensors: [imu, smell]\n", "unknown sensor"),
    ("activities:\n  - name: waving\n    descriptions: [\"a person ponders\"]\n", "names no activity"),
    ("activities:\n  - name: w\n    source: library\n", "needs a 'path'"),
    ("activities:\n  - name: w\n    path: lib\n    max_clips: 0\n", "max_clips must be"),
    ("activities: [waving]\nbogus: 1\n", "unknown key(s) bogus"),
])
def test_bad_specs_are_usage_errors(tmp_path, body, needle):
    with pytest.raises(SpecError, match=None) as e:
        load_spec(_spec(tmp_path, body))
    assert needle in str(e.value)


def test_yaml_billion_laughs_refused_fast(tmp_path):
    lol = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    for k in range(1, 9):
        lol += f"{chr(97 + k)}: &{chr(97 + k)} [" + ",".join([f"*{chr(96 + k)}"] * 9) + "]\n"
    spec = _spec(tmp_path, lol + "activities: [waving]\n")
    assert len(spec.read_bytes()) < 1000
    t0 = time.perf_counter()
    with pytest.raises(SpecError, match="anchors and aliases"):
        load_spec(spec)
    assert time.perf_counter() - t0 < 5
    big = _spec(tmp_path, "activities: [waving]\n#" + "x" * (1 << 20), "big.yaml")
    with pytest.raises(SpecError, match="at most 1048576"):
        load_spec(big)


def test_cli_refuses_with_exit_2_and_writes_nothing_outside(tmp_path):
    out = tmp_path / "deep" / "out"
    r = run_cli("synth", _spec(tmp_path, "activities:\n  - name: ../../escape\n"), "--out", out)
    assert r.returncode == 2 and "not a safe label" in r.stderr
    assert not (tmp_path / "escape").exists() and not out.exists()
    r = run_cli("synth", _spec(tmp_path, "activities: [juggling]\n", "j.yaml"), "--out", out)
    assert r.returncode == 2 and "juggling" in r.stderr and not out.exists()


def test_good_spec_with_all_sources_parses(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    spec = load_spec(_spec(tmp_path, "activities:\n  - walking\n  - name: sit\n    descriptions: [\"a person sits "
                                     "down\"]\n  - name: \"{content}\"\n    source: library\n    path: lib\n"
                                     "    label_rule: \"regex:(?P<content>walk)\"\nvary_body: 2\nfps: 50\n"))
    from headless.synth_spec import source_of

    assert [source_of(a) for a in spec["activities"]] == ["procedural", "text", "library"]


def test_body_variant_k_is_the_same_body_for_every_motion():
    from addon.body.variants import variants_for

    a, b = variants_for("walk_000", "anny", 1.7, 3, 7), variants_for("sit_004", "anny", 1.7, 3, 7)
    assert a == b and len({v.height for v in a}) == 3
    assert variants_for("x", "anny", 1.7, 3, 8) != a                 # another study seed: other bodies


def test_placement_jitter_moves_and_turns_the_watch():
    from addon.body.variants import BodyLibrary, BodyVariant
    from addon.sensors.imu import frame_from_points
    from addon.sensors.sites import (PLACEMENT_ALONG_M, PLACEMENT_ROLL_DEG, apply_frame_roll, make_sites,
                                     placement_jitter)

    asset, align = BodyLibrary().get(BodyVariant("", "anny", {}, 1.7))
    v = asset.vertices.astype(float)
    names = ["left_wrist", "right_wrist"]
    assert placement_jitter(0.0, 0, "m|b01", names) == {}
    base = make_sites(asset, names, align)

    def frame(s):
        p = v[list(s.vertices)]
        return apply_frame_roll(frame_from_points(p[None, 0], p[None, 1], p[None, 2]), s)[0]

    rolls = []
    for k in range(12):
        pl = placement_jitter(1.0, 0, f"motion{k}|b01", names)
        for (along, roll), s0, s1 in zip(pl.values(), base, make_sites(asset, names, align, None, pl)):
            assert PLACEMENT_ALONG_M[0] <= along <= PLACEMENT_ALONG_M[1]
            assert PLACEMENT_ROLL_DEG[0] <= roll <= PLACEMENT_ROLL_DEG[1]
            R0, R1 = frame(s0), frame(s1)
            z1 = R1[:, 2]                                            # turn of the watch face about the forearm
            got = np.degrees(np.arctan2(-(z1 @ R0[:, 1]), z1 @ R0[:, 2]))
            rolls.append((roll, got))
            assert abs(got - roll) < 8                               # the mesh's curvature adds a little
            shift = (v[list(s1.vertices)].mean(0) - v[list(s0.vertices)].mean(0)) @ R0[:, 0]
            assert abs(-shift - along) < 0.02                        # moved up the forearm (against x)
    assert np.ptp([r for r, _ in rolls]) > 15


def test_synth_library_corpus_and_one_body_per_subject(tmp_path):
    """A small study from the three sources; every b01 export is one body; corpus summary."""
    from addon.text2motion import make_backend
    from addon.text2motion.io import write_amass

    lib = tmp_path / "lib"
    b = make_backend("procedural", fps=25)
    write_amass(b.generate("a person waves", seed=1), lib / "clipA_wave_happy.npz")
    write_amass(b.generate("a person claps", seed=1), lib / "clipB_clap_tired.npz")
    spec = _spec(tmp_path, "activities:\n  - name: sitting_down\n    count: 1\n  - name: turn\n    descriptions: "
                           "[\"someone turns left\"]\n    count: 1\n  - name: wave\n    source: library\n"
                           "    path: lib\n    label_rule: \"regex:_(?P<content>[a-z]+)_(?P<style>[a-z]+)\"\n"
                           "    filter: {content: [wave]}\n    max_clips: 3\nvary_body: 2\nfps: 25\n"
                           "imu_sites: [left_wrist]\n")
    out = tmp_path / "syn"
    r = run_cli("synth", spec, "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr[-2000:]
    exports = sorted((out / "exports").rglob("*.npz"))
    assert len(exports) == 6
    metas = {}
    for p in exports:
        with np.load(p) as d:
            m = json.loads(str(d["meta"]))
        metas[p] = m
        assert m["sites"]["left_wrist"]["roll_deg"] != 0.0          # placement variation is on
    for variant in ("b01", "b02"):
        bodies = {json.dumps(m["body"]["params"], sort_keys=True) + str(m["body"]["height"])
                  for m in metas.values() if m["body"]["variant"] == variant}
        assert len(bodies) == 1, variant                             # one body per subject
    wave = [m for m in metas.values() if m["label"] == "wave"]
    assert wave and "happily" in wave[0]["text"]
    corpus = json.loads((out / "corpus.json").read_text())
    assert set(corpus["activities"]) == {"sitting_down", "turning", "wave"}
    assert set(corpus["activities"]["wave"]) == {"library"} and set(corpus["activities"]["turning"]) == {"text"}
    assert set(corpus["bodies"]) == {"b01", "b02"} and corpus["total"]["exports"] == 6
    assert corpus["total"]["windows"] > 0 and (out / "corpus.png").stat().st_size > 1000
