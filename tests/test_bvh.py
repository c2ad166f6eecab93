"""BVH import: files written here with known answers, bad files, and the shared Bandai Namco corpus."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from addon.motion import MotionError, load_motion
from addon.motion.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from addon.motion.skeleton import BODY_JOINTS, BODY_PARENTS, TPOSE_BODY, forward_kinematics

from conftest import need_shared

J = {n: i for i, n in enumerate(BODY_JOINTS)}

# A CMU-style skeleton in a T-pose (Y up, facing +Z, the body's left on +X), in metres.
# name, parent, offset
CMU = [
    ("Hips", None, (0, 0.95, 0)),
    ("LeftUpLeg", "Hips", (0.09, -0.08, 0)), ("LeftLeg", "LeftUpLeg", (0, -0.42, 0)),
    ("LeftFoot", "LeftLeg", (0, -0.40, 0)), ("LeftToeBase", "LeftFoot", (0, -0.05, 0.12)),
    ("RightUpLeg", "Hips", (-0.09, -0.08, 0)), ("RightLeg", "RightUpLeg", (0, -0.42, 0)),
    ("RightFoot", "RightLeg", (0, -0.40, 0)), ("RightToeBase", "RightFoot", (0, -0.05, 0.12)),
    ("Spine", "Hips", (0, 0.10, 0)), ("Spine1", "Spine", (0, 0.12, 0)), ("Spine2", "Spine1", (0, 0.12, 0)),
    ("Neck", "Spine2", (0, 0.18, 0)), ("Head", "Neck", (0, 0.10, 0)),
    ("LeftShoulder", "Spine2", (0.03, 0.14, 0)), ("LeftArm", "LeftShoulder", (0.14, 0, 0)),
    ("LeftForeArm", "LeftArm", (0.27, 0, 0)), ("LeftHand", "LeftForeArm", (0.25, 0, 0)),
    ("RightShoulder", "Spine2", (-0.03, 0.14, 0)), ("RightArm", "RightShoulder", (-0.14, 0, 0)),
    ("RightForeArm", "RightArm", (-0.27, 0, 0)), ("RightHand", "RightForeArm", (-0.25, 0, 0)),
]


def write_bvh(path: Path, joints, frames: np.ndarray | None = None, n_frames: int = 10, frame_time=1 / 30,
              order: str = "ZXY", root_channels: int = 6, all_channels: int = 3, scale: float = 1.0,
              angles: dict | None = None, rows_written: int | None = None, prefix: str = "") -> Path:
    """A BVH of `joints`; `angles`: joint -> (F,3) degrees in `order` (others zero)."""
    angles = angles or {}
    kids = {}
    for name, parent, _ in joints:
        kids.setdefault(parent, []).append(name)
    off = {n: np.asarray(o, float) * scale for n, _, o in joints}
    lines, chans = ["HIERARCHY"], []

    def emit(name, depth, root):
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if root else 'JOINT'} {prefix}{name}")
        lines.append(pad + "{")
        o = off[name]
        lines.append(f"{pad}  OFFSET {o[0]:.6f} {o[1]:.6f} {o[2]:.6f}")
        rot = [f"{a}rotation" for a in order]
        n_ch = root_channels if root else all_channels
        ch = (["Xposition", "Yposition", "Zposition"] if n_ch == 6 else []) + rot
        lines.append(f"{pad}  CHANNELS {len(ch)} {' '.join(ch)}")
        chans.append((name, n_ch))
        for k in kids.get(name, []):
            emit(k, depth + 1, False)
        if not kids.get(name):
            lines.append(f"{pad}  End Site")
            lines.append(f"{pad}  {{")
            lines.append(f"{pad}    OFFSET 0 0.05 0")
            lines.append(f"{pad}  }}")
        lines.append(pad + "}")

    emit(joints[0][0], 0, True)
    lines += ["MOTION", f"Frames: {n_frames}", f"Frame Time: {frame_time:.8f}"]
    for f in range(n_frames if rows_written is None else rows_written):
        row = []
        for name, n_ch in chans:
            if n_ch == 6:
                pos = off[name] + (frames[f] * scale if frames is not None else 0)
                row += list(pos)
            a = angles.get(name)
            row += list(a[f] if a is not None else (0, 0, 0))
        lines.append(" ".join(f"{v:.6f}" for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tpose_cmu_is_identity_and_units_and_duration(tmp_path):
    for scale, unit in ((1.0, "m"), (100.0, "cm"), (1 / 0.0254, "inch")):
        walk = np.stack([np.zeros(31), np.zeros(31), np.linspace(0, 1.2, 31)], 1)  # 1.2 m along +Z in 1 s
        m = load_motion(write_bvh(tmp_path / f"t{unit}.bvh", CMU, walk, n_frames=31, scale=scale))
        assert m.source["bvh"]["units"] == unit and m.source["bvh"]["preset"] == "cmu"
        assert m.fps == 30 and m.duration == pytest.approx(1.0)
        L = m.rotations.copy()
        L[:, 0] = 0
        assert np.abs(L).max() < 1e-6                             # a T-pose is SMPL's T-pose
        R0 = axis_angle_to_matrix(m.rotations[0, 0])
        assert np.allclose(R0, axis_angle_to_matrix(np.array([np.pi / 2, 0, 0])), atol=1e-6)  # Y-up -> Z-up
        travel = m.trans[-1] - m.trans[0]
        assert np.allclose(travel, [0, -1.2, 0], atol=1e-6)    # +Z (Y-up, forward) -> -Y (Z-up)


def euler(order: str, deg) -> np.ndarray:
    """R = R_a1 @ R_a2 @ R_a3 for the channel order as written (the BVH convention)."""
    R = np.eye(3)
    for a, d in zip(order, deg):
        v = np.zeros(3)
        v["XYZ".index(a)] = np.radians(d)
        R = R @ axis_angle_to_matrix(v)
    return R


@pytest.mark.parametrize("order", ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"])
def test_each_euler_order_gives_the_joint_rotation(tmp_path, order):
    deg = (35.0, -20.0, 50.0)
    F = 4
    ang = {"LeftForeArm": np.tile(deg, (F, 1)), "RightUpLeg": np.tile((10, 5, -30), (F, 1))}
    m = load_motion(write_bvh(tmp_path / "e.bvh", CMU, n_frames=F, order=order, angles=ang))
    got = axis_angle_to_matrix(m.rotations[:, J["left_elbow"]])
    assert np.allclose(got, euler(order, deg), atol=1e-6)
    assert np.allclose(axis_angle_to_matrix(m.rotations[:, J["right_hip"]]), euler(order, (10, 5, -30)), atol=1e-6)


def test_three_and_six_channels_agree(tmp_path):
    rng = np.random.default_rng(0)
    ang = {n: rng.uniform(-40, 40, (5, 3)) for n, _, _ in CMU}
    a = load_motion(write_bvh(tmp_path / "a.bvh", CMU, n_frames=5, angles=ang, all_channels=3))
    b = load_motion(write_bvh(tmp_path / "b.bvh", CMU, n_frames=5, angles=ang, all_channels=6))
    assert np.allclose(axis_angle_to_matrix(a.rotations), axis_angle_to_matrix(b.rotations), atol=1e-6)
    assert np.allclose(a.trans, b.trans)


def test_elbow_flexed_90_degrees(tmp_path):
    # left forearm turned -90 deg about Y: the hand goes from +X (side) to +Z (in front)
    ang = {"LeftForeArm": np.tile((0.0, 0.0, -90.0), (3, 1))}           # ZXY: the Y channel last
    m = load_motion(write_bvh(tmp_path / "flex.bvh", CMU, n_frames=3, angles=ang))
    aa = m.rotations[0, J["left_elbow"]]
    assert np.degrees(np.linalg.norm(aa)) == pytest.approx(90, abs=1e-4)
    assert np.allclose(aa / np.linalg.norm(aa), [0, -1, 0], atol=1e-6)
    others = np.delete(m.rotations[0], [0, J["left_elbow"]], axis=0)
    assert np.abs(others).max() < 1e-6


def _apose():
    """CMU names, arms hanging straight down at rest (zero rotations)."""
    down = {"LeftArm": (0.17, 0, 0), "LeftForeArm": (0, -0.27, 0), "LeftHand": (0, -0.25, 0),
            "RightArm": (-0.17, 0, 0), "RightForeArm": (0, -0.27, 0), "RightHand": (0, -0.25, 0)}
    return [(n, p, down.get(n, o)) for n, p, o in CMU]


def test_a_rest_pose_means_arms_down_on_smpl(tmp_path):
    m = load_motion(write_bvh(tmp_path / "a.bvh", _apose(), n_frames=3))
    assert m.source["bvh"]["rest_pose"] == "human"
    G = forward_kinematics(axis_angle_to_matrix(m.rotations), BODY_PARENTS)[0]
    G = axis_angle_to_matrix(m.rotations[0, 0]).T @ G        # in SMPL's Y-up frame (root undone)

    def arm(side, G):
        d = TPOSE_BODY[J[f"{side}_elbow"]] - TPOSE_BODY[J[f"{side}_shoulder"]]
        return G[J[f"{side}_shoulder"]] @ (d / np.linalg.norm(d))   # SMPL's upper arm, posed
    for side in ("left", "right"):
        assert np.allclose(arm(side, G), [0, -1, 0], atol=1e-6)     # hangs down
        # and the forearm keeps SMPL's rest relation to it (a straight arm, no twist)
        assert np.degrees(np.linalg.norm(m.rotations[0, J[f"{side}_elbow"]])) < 1e-4
    # the BVH arm turned up to horizontal (+90 deg about Z for the left): SMPL's arm is horizontal
    ang = {"LeftArm": np.tile((90.0, 0, 0), (3, 1)), "RightArm": np.tile((-90.0, 0, 0), (3, 1))}
    m = load_motion(write_bvh(tmp_path / "b.bvh", _apose(), n_frames=3, angles=ang))
    G = forward_kinematics(axis_angle_to_matrix(m.rotations), BODY_PARENTS)[0]
    G = axis_angle_to_matrix(m.rotations[0, 0]).T @ G
    assert np.allclose(arm("left", G), [1, 0, 0], atol=1e-6)
    assert np.allclose(arm("right", G), [-1, 0, 0], atol=1e-6)


def test_frame_time_120hz_resamples_by_time(tmp_path):
    from addon.motion import resample

    m = load_motion(write_bvh(tmp_path / "fast.bvh", CMU, n_frames=241, frame_time=1 / 120))
    assert m.fps == 120 and m.duration == pytest.approx(2.0)
    r = resample(m, 30)
    assert r.n_frames == 61 and r.duration == pytest.approx(2.0)


def test_mixamo_prefix_extra_spine_joints_composed_and_z_up(tmp_path):
    # Mixamo names; four spine joints each bent 10 deg forward (about X) must all reach SMPL
    spine = [("Hips", None, (0, 0.95, 0)), ("Spine", "Hips", (0, 0.08, 0)), ("Spine1", "Spine", (0, 0.08, 0)),
             ("Spine2", "Spine1", (0, 0.08, 0)), ("Spine3", "Spine2", (0, 0.08, 0)),
             ("Neck", "Spine3", (0, 0.16, 0))]
    rest = [j for j in CMU if j[0] not in ("Hips", "Spine", "Spine1", "Spine2", "Neck")]
    rest = [(n, "Spine3" if p == "Spine2" else p, o) for n, p, o in rest]
    sk = spine + rest
    ang = {n: np.tile((0, 10.0, 0), (3, 1)) for n in ("Spine", "Spine1", "Spine2", "Spine3")}  # ZXY: X second
    m = load_motion(write_bvh(tmp_path / "mx.bvh", sk, n_frames=3, angles=ang, prefix="mixamorig:"))
    assert m.source["bvh"]["map"]["spine3"] == "mixamorig:Spine3"
    G = forward_kinematics(axis_angle_to_matrix(m.rotations), BODY_PARENTS)
    chest = G[0, 0].T @ G[0, J["spine3"]]                   # chest relative to the pelvis
    assert np.allclose(chest, euler("X", (40.0,)), atol=1e-6)
    # the same skeleton written Z-up: the root needs no Y->Z turn
    zup = [(n, p, (o[0], -o[2], o[1])) for n, p, o in CMU]
    mz = load_motion(write_bvh(tmp_path / "z.bvh", zup, n_frames=3))
    assert mz.source["up_axis"] == "Z"
    assert np.allclose(mz.rotations[:, 0], [np.pi / 2, 0, 0], atol=1e-6)   # upright in the Z-up world
    assert np.abs(mz.rotations[:, 1:]).max() < 1e-6


def test_user_map_file(tmp_path):
    names = {n: f"jnt_{k}" for k, (n, _, _) in enumerate(CMU)}
    sk = [(names[n], names.get(p), o) for n, p, o in CMU]
    f = write_bvh(tmp_path / "odd.bvh", sk, n_frames=3)
    with pytest.raises(MotionError, match=r"odd\.bvh: the skeleton lacks joints the map needs: .*LeftForeArm"):
        load_motion(f)
    smpl_to_cmu = {"pelvis": "Hips", "left_hip": "LeftUpLeg", "right_hip": "RightUpLeg", "left_knee": "LeftLeg",
                   "right_knee": "RightLeg", "left_ankle": "LeftFoot", "right_ankle": "RightFoot",
                   "left_shoulder": "LeftArm", "right_shoulder": "RightArm", "left_elbow": "LeftForeArm",
                   "right_elbow": "RightForeArm", "left_wrist": "LeftHand", "right_wrist": "RightHand", "head": "Head"}
    mp = tmp_path / "map.json"
    mp.write_text(json.dumps({k: names[v] for k, v in smpl_to_cmu.items()}))
    m = load_motion(f, bvh_map=mp)
    assert m.source["bvh"]["preset"] == "user" and np.abs(m.rotations[0, 1:]).max() < 1e-6
    mp.write_text(json.dumps({**{k: names[v] for k, v in smpl_to_cmu.items()}, "left_elbow": "nope"}))
    with pytest.raises(MotionError, match="lacks joints the map needs: nope"):
        load_motion(f, bvh_map=mp)


def test_bad_bvh_files_one_line_naming_file_and_problem(tmp_path):
    cases = {
        "trunc.bvh": (dict(n_frames=10, rows_written=6), r"trunc\.bvh: truncated motion: 'Frames:' says 10, the file has 6"),
    }
    for name, (kw, pattern) in cases.items():
        with pytest.raises(MotionError, match=pattern) as e:
            load_motion(write_bvh(tmp_path / name, CMU, **kw))
        assert "\n" not in str(e.value)
    f = write_bvh(tmp_path / "row.bvh", CMU, n_frames=5)
    lines = f.read_text().splitlines()
    k = len(lines) - 2                                      # the 4th motion row
    lines[k] = " ".join(lines[k].split()[:-1])
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(MotionError, match=rf"row\.bvh: line {k + 1}: \d+ values, the skeleton has \d+ channels"):
        load_motion(f)
    f = write_bvh(tmp_path / "huge.bvh", CMU, n_frames=3)
    f.write_text(f.read_text().replace("Frames: 3", "Frames: 900000000"))
    with pytest.raises(MotionError, match=r"huge\.bvh: 'Frames:' is 900,000,000.*the limit is"):
        load_motion(f)
    nolimb = [j for j in CMU if not j[0].startswith("LeftFore") and j[0] != "LeftHand"]
    with pytest.raises(MotionError, match=r"lacks joints the map needs: LeftForeArm, LeftHand"):
        load_motion(write_bvh(tmp_path / "nolimb.bvh", nolimb, n_frames=3))
    (tmp_path / "text.bvh").write_text("hello\n")
    with pytest.raises(MotionError, match=r"text\.bvh: not a BVH file"):
        load_motion(tmp_path / "text.bvh")


def test_zip_members_are_read_in_place_and_listed(tmp_path):
    from headless.items import expand_inputs

    a = write_bvh(tmp_path / "a.bvh", CMU, n_frames=4)
    z = tmp_path / "lib.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(a, "data/a.bvh")
        zf.writestr("data/a.json", "{}")
        zf.writestr("data/bad.bvh", "HIERARCHY\n")
    items = expand_inputs([str(z)])
    assert [str(i.rel) for i in items] == ["lib/data/a", "lib/data/bad"]
    from headless.info import describe

    assert "zip of 2 motion files" in describe(z)
    m = load_motion(z / "data" / "a.bvh")
    assert m.n_frames == 4 and m.source["member"] == "data/a.bvh"
    with pytest.raises(MotionError, match=r"lib\.zip/data/bad\.bvh: "):
        load_motion(z / "data" / "bad.bvh")


def _scene_vertices_at(frame: int) -> np.ndarray:
    import bpy

    body = next(o for o in bpy.data.objects if o.get("weartwin_role") == "body")
    bpy.context.scene.frame_set(frame)
    ev = body.evaluated_get(bpy.context.evaluated_depsgraph_get())
    co = np.empty(len(ev.data.vertices) * 3, dtype=np.float32)
    ev.data.vertices.foreach_get("co", co)
    mw = np.array(ev.matrix_world)
    return co.reshape(-1, 3) @ mw[:3, :3].T + mw[:3, 3]


@pytest.mark.parametrize("member", ["dataset-1/dataset-1_walk_normal_001.bvh",
                                    "dataset-2.zip/data/dataset-2_walk-turn-left_elderly_001.bvh"])
def test_shared_bandai_clips_bake(tmp_path, member):
    from addon.bake import Baker
    from addon.config import BakeConfig
    from addon.export.recording import read_export

    path = need_shared("bvh/bandai_namco") / member
    m = load_motion(path)
    assert m.source["bvh"]["preset"] == "bandai" and m.source["bvh"]["units"] == "cm"
    assert 1.5 < m.source_height < 1.9 and m.fps == 30
    # a rest pose that is no human pose: the preset's twists, the same for every clip (no activity leaks in)
    other = load_motion(need_shared("bvh/bandai_namco") / "dataset-1" / "dataset-1_bow_normal_001.bvh")
    assert m.source["bvh"]["twist_fix"] == other.source["bvh"]["twist_fix"]
    assert "preset" in m.source["bvh"]["rest_pose"]
    # knees bend backwards (about SMPL's +X) and the arms hang (shoulders turned down, about -Z/+Z)
    knee = m.rotations[:, J["left_knee"]]
    bent = np.linalg.norm(knee, axis=1) > np.radians(20)
    assert bent.any() and np.all(knee[bent, 0] > 0)
    speed = np.linalg.norm(m.trans[-1, :2] - m.trans[0, :2]) / m.duration
    assert 0.3 < speed < 2.0                                  # a walk, m/s
    baker = Baker(BakeConfig(sensors=("imu",), fps=30, engine="blender"))   # reads the Blender scene below
    res = baker.bake_file(path, tmp_path / "clip")
    arrays, meta = read_export(res.outputs[0])
    assert abs(arrays["t"][-1] - m.duration) <= 1 / 30 + 1e-9
    assert all(np.all(np.isfinite(v)) for v in arrays.values())
    v = _scene_vertices_at(0)
    assert abs(v[:, 2].min()) < 1e-3                         # soles on the floor
    from addon.bake import _foot_vertices
    from addon.body.variants import BodyVariant

    feet = v[_foot_vertices(baker.bodies.get(BodyVariant("", "anny", {}, 1.7))[0])]
    assert np.linalg.norm(feet[:, :2].mean(0)) < 1e-3         # feet centred on the origin
    assert 1.5 < v[:, 2].max() < 1.75                         # standing
    for s in ("left_wrist", "right_wrist"):                   # walking: |acc| around g
        acc = np.linalg.norm(arrays[f"imu.{s}.acc"], axis=1)
        assert 9.81 * 0.7 < np.median(acc) < 9.81 * 1.4
    assert meta["source"]["bvh"]["preset"] == "bandai"


def test_library_label_rules_and_descriptions(tmp_path):
    from addon.motion.library import describe, list_library, manifest_entries

    assert describe("walk-turn-left", "elderly") == "a person walks, turning left, in an elderly way"
    assert describe("walk", "normal") == "a person walks"
    # a Bandai-style layout: the .json side file wins over the file name
    (tmp_path / "cfg-9").mkdir()
    (tmp_path / "cfg-9" / "content_label.txt").write_text("dataset-9_walk\ndataset-9_run\n")
    (tmp_path / "cfg-9" / "style_label.txt").write_text("dataset-9_normal\ndataset-9_tired\n")
    lib = tmp_path / "dataset-9"
    lib.mkdir()
    for k, (c, s, js) in enumerate([("walk", "normal", {"content": 1, "style": 1}), ("walk", "tired", None)]):
        write_bvh(lib / f"dataset-9_{c}_{s}_{k:03d}.bvh", CMU, n_frames=3)
        if js:
            (lib / f"dataset-9_{c}_{s}_{k:03d}.json").write_text(json.dumps(js))
    clips = list_library(lib, "bandai")
    assert [(c.content, c.style) for c in clips] == [("run", "tired"), ("walk", "tired")]
    assert [c.stem for c in list_library(lib, "bandai", {"content": ["walk"]})] == ["dataset-9_walk_tired_001"]
    z = tmp_path / "dataset-9.zip"                             # the same as a zip, labels from cfg-9 beside it
    with zipfile.ZipFile(z, "w") as zf:
        for p in sorted(lib.iterdir()):
            zf.write(p, f"data/{p.name}")
    assert [(c.content, c.style) for c in list_library(z, "bandai")] == [("run", "tired"), ("walk", "tired")]
    from headless.items import expand_inputs                   # `weartwin bake dataset-9.zip` labels its items
    assert [i.opts for i in expand_inputs([str(z)])] == [
        {"label": "run", "text": "a person runs in a tired way"}, {"label": "walk", "text": "someone walks in a tired way"}]
    clips = list_library(lib, r"regex:_(?P<content>[a-z]+)_(?P<style>[a-z]+)_\d+$")
    assert [(c.content, c.style) for c in clips] == [("walk", "normal"), ("walk", "tired")]
    (tmp_path / "labels.csv").write_text("file,label,style\ndataset-9_walk_tired_001.bvh,stroll,slow\n")
    assert [(c.content, c.style) for c in list_library(lib, f"csv:{tmp_path / 'labels.csv'}")] == [("stroll", "slow")]
    lines = manifest_entries({"name": "walking", "path": str(z), "label_rule": "bandai", "max_clips": 1})
    assert len(lines) == 1 and lines[0]["label"] == "walking" and lines[0]["input"].startswith(str(z) + "/data/")
    assert load_motion(lines[0]["input"]).n_frames == 3


def test_synth_takes_an_activity_from_a_library(tmp_path):
    from addon.export.recording import read_export
    from conftest import run_cli

    lib = tmp_path / "lib"
    lib.mkdir()
    walk = np.stack([np.zeros(40), np.zeros(40), np.linspace(0, 1.3, 40)], 1)
    ang = {"LeftForeArm": np.stack([np.zeros(40), np.zeros(40), -40 * np.sin(np.linspace(0, 6, 40))], 1)}
    write_bvh(lib / "take_walk_slow.bvh", CMU, walk, n_frames=40, scale=100.0, angles=ang)
    write_bvh(lib / "take_wave_fast.bvh", CMU, walk, n_frames=40, scale=100.0)
    spec = tmp_path / "study.json"
    spec.write_text(json.dumps({"activities": [{
        "name": "walking", "source": "library", "path": "lib", "max_clips": 5,
        "label_rule": r"regex:take_(?P<content>[a-z]+)_(?P<style>[a-z]+)", "filter": {"content": ["walk"]}}],
        "vary_body": 0, "fps": 30, "sensors": ["imu"]}))
    r = run_cli("synth", spec, "--out", tmp_path / "out", "--quiet")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [json.loads(x) for x in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert [(x["label"], x["text"]) for x in lines] == [("walking", "a person walks in a slow way")]
    arrays, meta = read_export(tmp_path / "out" / "exports" / "walking" / "take_walk_slow.npz")
    assert meta["label"] == "walking" and meta["source"]["format"] == "bvh"
    assert abs(arrays["t"][-1] - 39 / 30) < 1e-9



def test_synth_library_zip_relative_to_a_relative_spec(tmp_path):
    """A library zip named relative to the spec, the spec named relative to the working
    directory, the output elsewhere: every zip member is baked (they were looked up relative
    to OUT before: 'no such file')."""
    from conftest import run_cli

    walk = np.stack([np.zeros(40), np.zeros(40), np.linspace(0, 1.3, 40)], 1)
    a = write_bvh(tmp_path / "take_walk_slow.bvh", CMU, walk, n_frames=40, scale=100.0)
    (tmp_path / "data").mkdir()
    with zipfile.ZipFile(tmp_path / "data" / "lib.zip", "w") as zf:
        zf.write(a, "clips/take_walk_slow.bvh")
    (tmp_path / "proj" / "specs").mkdir(parents=True)
    (tmp_path / "proj" / "specs" / "study.yaml").write_text(
        "activities:\n  - name: walking\n    source: library\n    path: ../../data/lib.zip\n"
        "    label_rule: \"regex:take_(?P<content>[a-z]+)_(?P<style>[a-z]+)\"\n"
        "vary_body: 0\nfps: 30\nsensors: [imu]\n")
    out = tmp_path / "elsewhere" / "syn"
    r = run_cli("synth", "specs/study.yaml", "--out", out, "--quiet", cwd=tmp_path / "proj")
    assert r.returncode == 0, (r.stdout + r.stderr)[-2000:]
    assert len(list((out / "exports").rglob("*.npz"))) == 1
    inputs = [json.loads(x)["input"] for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert inputs and all(Path(i.split(".zip")[0]).is_absolute() for i in inputs)

# --- another skeleton family, units and frame rate: a Bandai walk rewritten as a CMU take -----
_CMU_TREE = [  # name, parent, SMPL joint it carries (None: an extra joint, rotation zero), offset from
    ("Hips", None, "pelvis"), ("LHipJoint", "Hips", None), ("LeftUpLeg", "LHipJoint", "left_hip"),
    ("LeftLeg", "LeftUpLeg", "left_knee"), ("LeftFoot", "LeftLeg", "left_ankle"),
    ("LeftToeBase", "LeftFoot", "left_foot"), ("RHipJoint", "Hips", None), ("RightUpLeg", "RHipJoint", "right_hip"),
    ("RightLeg", "RightUpLeg", "right_knee"), ("RightFoot", "RightLeg", "right_ankle"),
    ("RightToeBase", "RightFoot", "right_foot"), ("LowerBack", "Hips", "spine1"), ("Spine", "LowerBack", "spine2"),
    ("Spine1", "Spine", "spine3"), ("Neck", "Spine1", "neck"), ("Neck1", "Neck", None), ("Head", "Neck1", "head"),
    ("LeftShoulder", "Spine1", "left_collar"), ("LeftArm", "LeftShoulder", "left_shoulder"),
    ("LeftForeArm", "LeftArm", "left_elbow"), ("LeftHand", "LeftForeArm", "left_wrist"),
    ("LeftFingerBase", "LeftHand", None), ("RightShoulder", "Spine1", "right_collar"),
    ("RightArm", "RightShoulder", "right_shoulder"), ("RightForeArm", "RightArm", "right_elbow"),
    ("RightHand", "RightForeArm", "right_wrist"), ("RightFingerBase", "RightHand", None)]


def _zyx_degrees(R: np.ndarray) -> np.ndarray:
    """R = Rz(a) Ry(b) Rx(c) -> (a, b, c) degrees."""
    b = np.arcsin(-np.clip(R[..., 2, 0], -1, 1))
    a = np.arctan2(R[..., 1, 0], R[..., 0, 0])
    c = np.arctan2(R[..., 2, 1], R[..., 2, 2])
    return np.degrees(np.stack([a, b, c], -1))


def write_cmu_take(m, path: Path, unit_m: float = 0.0254 / 0.45) -> Path:
    """A Motion as a CMU-style BVH: T-pose rest, extra joints, 3 ZYX channels, CMU's length unit."""
    from addon.motion.rotations import Y_UP_TO_Z_UP

    pos = {}
    for name, parent, smpl in _CMU_TREE:
        if smpl is not None:
            pos[name] = TPOSE_BODY[J[smpl]]
        else:   # extra joints sit on their parent (hip joints, neck1) or a little past it (fingers)
            pos[name] = pos[parent] + (np.sign(pos[parent][0]) * np.array([0.08, 0, 0]) if "Finger" in name else 0)
    L = axis_angle_to_matrix(m.rotations)
    L[:, 0] = Y_UP_TO_Z_UP.T @ L[:, 0]
    lines = ["HIERARCHY"]
    depth = {}
    for k, (name, parent, smpl) in enumerate(_CMU_TREE):
        d = 0 if parent is None else depth[parent] + 1
        depth[name] = d
        nxt = _CMU_TREE[k + 1] if k + 1 < len(_CMU_TREE) else None
        off = (pos[name] - (pos[parent] if parent else 0)) / unit_m if parent else np.zeros(3)
        ch = "CHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation" if parent is None else \
            "CHANNELS 3 Zrotation Yrotation Xrotation"
        lines += ["  " * d + ("ROOT " if parent is None else "JOINT ") + name, "  " * d + "{",
                  "  " * d + f"  OFFSET {off[0]:.6f} {off[1]:.6f} {off[2]:.6f}", "  " * d + "  " + ch]
        nd = 0 if nxt is None else depth[nxt[1]] + 1
        if nd <= d:   # a leaf: End Site, then close this joint and the ones above the next
            lines += ["  " * d + "  End Site", "  " * d + "  {", "  " * d + "    OFFSET 0 0.5 0", "  " * d + "  }"]
            for dd in range(d, nd - 1, -1):
                lines.append("  " * dd + "}")
    trans = (m.trans @ Y_UP_TO_Z_UP) / unit_m
    lines += ["MOTION", f"Frames: {m.n_frames}", f"Frame Time: {1 / m.fps:.8f}"]
    eul = {smpl: _zyx_degrees(L[:, J[smpl]]) for _, _, smpl in _CMU_TREE if smpl}
    for f in range(m.n_frames):
        row = list(trans[f])
        for name, parent, smpl in _CMU_TREE:
            row += list(eul[smpl][f]) if smpl else [0.0, 0.0, 0.0]
        lines.append(" ".join(f"{v:.6f}" for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_cmu_take_at_120hz_in_cmu_units_bakes_as_a_new_user_would(tmp_path):
    from addon.export.recording import read_export
    from addon.motion import resample
    from conftest import run_cli

    src = load_motion(need_shared("bvh/bandai_namco") / "dataset-1" / "dataset-1_walk_normal_001.bvh")
    m120 = resample(src, 120.0)
    f = write_cmu_take(m120, tmp_path / "cmu_walk.bvh")
    m = load_motion(f)
    b = m.source["bvh"]
    assert b["preset"] == "cmu" and b["rest_pose"] == "human" and not b["twist_fix"] and m.fps == 120
    assert b["metres_per_unit"] == pytest.approx(0.0254 / 0.45, rel=1e-3)    # CMU's unit, from the size
    # the same pose, joint by joint (the CMU file's extra hip, neck and finger joints composed in)
    d = matrix_to_axis_angle(np.swapaxes(axis_angle_to_matrix(m.rotations), -1, -2) @ axis_angle_to_matrix(m120.rotations))
    assert np.degrees(np.linalg.norm(d, axis=-1)).max() < 0.01
    assert np.allclose(m.trans - m.trans[0], m120.trans - m120.trans[0], atol=1e-4)
    speed = np.linalg.norm(m.trans[-1, :2] - m.trans[0, :2]) / m.duration
    assert 0.8 < speed < 1.8                                    # walking, m/s
    r = run_cli("bake", f, "--out", tmp_path / "out", "--sensors", "imu", "--fps", "60", "--quiet")
    assert r.returncode == 0, r.stderr + r.stdout
    arrays, meta = read_export(tmp_path / "out" / "cmu_walk.npz")
    assert abs(arrays["t"][-1] - src.duration) <= 1 / 60 + 1e-9
    assert all(np.all(np.isfinite(v)) for v in arrays.values())
    assert meta["source"]["bvh"]["preset"] == "cmu"


def test_mixamo_fingers_give_an_smplh_motion(tmp_path):
    fingers = []
    for Side, sx in (("Left", 1), ("Right", -1)):
        for Finger, first in (("Thumb", (0.03, -0.01, 0.03)), ("Index", (0.09, 0, 0.025)), ("Middle", (0.095, 0, 0)),
                              ("Ring", (0.09, 0, -0.02)), ("Pinky", (0.08, 0, -0.035))):
            parent = f"{Side}Hand"
            for k in (1, 2, 3):
                off = np.array(first) * (sx, 1, 1) if k == 1 else (0.03 * sx, 0, 0.02 if Finger == "Thumb" else 0)
                fingers.append((f"{Side}Hand{Finger}{k}", parent, tuple(off)))
                parent = f"{Side}Hand{Finger}{k}"
    sk = CMU + fingers
    ang = {"LeftHandIndex2": np.tile((-60.0, 0, 0), (3, 1))}            # ZXY: curl 60 deg about -Z
    m = load_motion(write_bvh(tmp_path / "hands.bvh", sk, n_frames=3, angles=ang, prefix="mixamorig:"))
    assert len(m.joint_names) == 52 and m.joint_names[22:25] == ("left_index1", "left_index2", "left_index3")
    k = m.joint_names.index("left_index2")
    assert np.allclose(axis_angle_to_matrix(m.rotations[0, k]), euler("Z", (-60.0,)), atol=1e-6)
    others = np.delete(m.rotations[0], [0, k], axis=0)
    assert np.abs(others).max() < 1e-6                        # a T-pose with straight fingers: SMPL-H's rest


def test_the_addon_imports_bvh_and_names_a_bad_one(tmp_path):
    bpy = pytest.importorskip("bpy")
    import addon
    from addon.ui import session

    bpy.ops.wm.read_homefile(use_empty=False)
    addon.register()
    try:
        f = write_bvh(tmp_path / "take.bvh", _apose(), n_frames=10, scale=100.0)
        assert bpy.ops.weartwin.import_motion(filepath=str(f), fps=30.0) == {"FINISHED"}
        assert session.body_object(bpy.context) is not None
        assert session.load_settings_motion(bpy.context.scene.weartwin).source["bvh"]["units"] == "cm"
        bad = write_bvh(tmp_path / "cut.bvh", CMU, n_frames=10, rows_written=3)
        with pytest.raises(RuntimeError) as e:
            bpy.ops.weartwin.import_motion(filepath=str(bad))
        msg = str(e.value)
        assert "cut.bvh" in msg and "truncated motion" in msg and len(msg.strip().splitlines()) == 1
    finally:
        addon.unregister()


def test_twist_calibration_of_a_non_human_rest_skeleton(tmp_path):
    from addon.motion.formats.bvh_retarget import PRESET_TWIST_DEG, calibrate_twist

    root = need_shared("bvh/bandai_namco") / "dataset-1"
    clips = [root / f"dataset-1_{c}_normal_001.bvh" for c in ("walk", "bow", "guide", "run", "bye")]
    ms = [load_motion(f, bvh_twist="clip") for f in clips]
    assert all("centred on this clip" in m.source["bvh"]["rest_pose"] for m in ms)
    table = calibrate_twist(ms)
    preset = PRESET_TWIST_DEG["bandai"]
    for k in ("spine1", "left_hip", "right_hip", "left_collar", "right_collar", "left_knee"):
        assert abs((table[k] - preset[k] + 180) % 360 - 180) < 25, k   # structural, within the clips' own spread
    mp = tmp_path / "twist.json"
    mp.write_text(json.dumps({"twist_deg": table}))
    m = load_motion(clips[0], bvh_map=mp)
    assert m.source["bvh"]["preset"] == "bandai" and m.source["bvh"]["rest_pose"].endswith("from the map file")
    assert m.source["bvh"]["twist_fix"]["spine1"] == table["spine1"]
