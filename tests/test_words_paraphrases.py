"""Words -> movement on exercise / daily-living descriptions of our own (none of them a benchmark
class): each is turned into the movement it names (joint angles measured on the compiled body)
or refused with one line saying what was not understood — never replaced by another activity."""
import numpy as np
import pytest

from addon.motion.procedural import J
from addon.text2motion.parse import ActivitySpec, TextError
from addon.text2motion.program import Program, compile_program, joint_positions_of
from addon.text2motion.words import interpret

DOWN, UP = np.array([0, 0, -1.0]), np.array([0, 0, 1.0])


def _angle(a, b):
    return np.degrees(np.arccos(np.clip(np.sum(a * b, -1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1),
                                        -1, 1)))


def _program(text) -> Program:
    p = interpret(text)
    assert isinstance(p, Program), f"{text!r} -> {p}"
    return p


def _body(text):
    p = _program(text)
    return p, joint_positions_of(compile_program(p, fps=30, seed=3))


def _seg(P, a, b):
    return P[:, J[b]] - P[:, J[a]]


def _signs(p: Program, dof: str) -> set:
    return {np.sign(ph.targets[dof]) for ph in p.phases if dof in ph.targets}


def test_both_arms_overhead_slowly():
    p, P = _body("raise both arms overhead and lower them slowly")
    assert p.side == "both" and p.tempo < 1
    for s in ("left", "right"):
        up = _angle(_seg(P, f"{s}_shoulder", f"{s}_wrist"), UP)
        assert up.min() < 25 and _angle(_seg(P, f"{s}_shoulder", f"{s}_wrist")[0], DOWN) < 25   # up, from down


def test_palm_up_then_down_with_the_elbow_at_the_side():
    p, P = _body("rotate the forearm so the palm faces up then down, elbow at the side")
    assert [np.sign(ph.targets["forearm_pronation"]) for ph in p.phases] == [-1, 1]   # supination first
    upper = _seg(P, "right_shoulder", "right_elbow")
    assert _angle(upper, upper[:1]).max() < 8                                       # the upper arm stays
    el = _angle(upper, _seg(P, "right_elbow", "right_wrist"))
    assert el.mean() == pytest.approx(90, abs=12)


def test_march_on_the_spot_is_marching_not_one_knee():
    spec = interpret("march on the spot lifting the knees high")
    assert isinstance(spec, ActivitySpec) and spec.activity == "walking_in_place"


def test_bend_forward_with_hanging_arms_then_stand_up():
    p, P = _body("bend forward at the hips and let the arms hang, then stand up")
    lean = _angle(_seg(P, "spine3", "neck"), UP)
    k = int(np.argmax(lean))
    assert lean[k] > 45 and lean[0] < 10 and lean[-1] < 10                          # down and back up
    for s in ("left", "right"):
        assert _angle(_seg(P, f"{s}_shoulder", f"{s}_wrist")[k], DOWN) < 12          # hanging


def test_arm_out_to_the_side_at_shoulder_height():
    p, P = _body("lift the right arm out to the side to shoulder height and lower it")
    arm = _seg(P, "right_shoulder", "right_wrist")
    k = int(np.argmax(_angle(arm, DOWN)))
    assert _angle(arm[k], DOWN) == pytest.approx(90, abs=10)
    side = P[k, J["right_shoulder"]] - P[k, J["left_shoulder"]]
    assert _angle(arm[k], side) < 25                                                 # out to the side
    assert _angle(_seg(P, "left_shoulder", "left_wrist"), DOWN).max() < 20          # the other arm stays


def test_left_elbow_to_90_degrees_ten_times():
    p, P = _body("bend the left elbow to 90 degrees ten times")
    assert p.side == "left" and p.repetitions == 10
    el = _angle(_seg(P, "left_shoulder", "left_elbow"), _seg(P, "left_elbow", "left_wrist"))
    assert el.max() == pytest.approx(90, abs=12)
    assert _angle(_seg(P, "right_shoulder", "right_elbow"), _seg(P, "right_elbow", "right_wrist")).max() < 20


@pytest.mark.parametrize("text,dof", [("turn the head to the left and to the right", "neck_rotation"),
                                      ("twist the upper body to the left and to the right", "trunk_rotation"),
                                      ("flex and extend the right wrist with the forearm resting on a table",
                                       "wrist_flexion")])
def test_both_directions_are_kept(text, dof):
    assert _signs(_program(text), dof) == {-1.0, 1.0}


def test_lying_on_the_back_lift_the_left_leg():
    p, P = _body("lying on the back, lift the left leg straight up")
    assert p.posture == "lying" and p.side == "left"
    body = _seg(P, "pelvis", "neck")[0]
    assert _angle(body, UP)[()] > 70                                                # lying down
    thigh = {s: _seg(P, f"{s}_hip", f"{s}_knee") for s in ("left", "right")}
    assert _angle(thigh["left"], body).min() < _angle(thigh["right"], body).min() - 60   # only the left flexes


def test_kick_the_right_leg_out_to_the_side():
    p, P = _body("kick the right leg out to the side")
    thigh = _seg(P, "right_hip", "right_knee")
    side = P[0, J["right_hip"]] - P[0, J["left_hip"]]
    k = int(np.argmax(_angle(thigh, DOWN)))
    assert _angle(thigh[k], DOWN) > 25 and thigh[k] @ side > 0                     # abducted, outwards
    assert _angle(_seg(P, "left_hip", "left_knee"), DOWN).max() < 10


def test_touch_the_opposite_shoulder():
    p, P = _body("touch the left shoulder with the right hand")
    assert p.side == "right"
    d = np.linalg.norm(P[:, J["right_wrist"]] - P[:, J["left_shoulder"]], axis=1)
    assert d.min() < 0.15


def test_seated_knee_extension():
    p, P = _body("sitting on a chair, straighten the right knee")
    assert p.posture == "seated"
    knee = _angle(_seg(P, "right_hip", "right_knee"), _seg(P, "right_knee", "right_ankle"))
    assert knee[0] > 60 and knee.min() < 15


@pytest.mark.parametrize("text,word", [("step sideways to the left and back", "step"),
                                       ("shrug the shoulders up towards the ears", "shrug"),
                                       ("wiggle the fingers", "finger"), ("do a cartwheel", "cartwheel"),
                                       ("raise the heels and stand on the toes", "heel")])
def test_refused_with_one_line(text, word):
    with pytest.raises(TextError) as e:
        interpret(text)
    msg = str(e.value)
    assert "\n" not in msg and word in msg


def test_addon_previews_a_description_on_the_body():
    bpy = pytest.importorskip("bpy")
    import addon

    bpy.ops.wm.read_homefile(use_empty=False)
    addon.register()
    try:
        s = bpy.context.scene.weartwin
        assert bpy.ops.weartwin.preview_description(text="bring the right hand to the mouth") == {"FINISHED"}
        assert s.motion_path.endswith(".npz")
        rig = [o for o in bpy.data.objects if o.type == "ARMATURE"]
        assert rig and rig[0].animation_data and rig[0].animation_data.action
        kept = s.motion_path
        with pytest.raises(RuntimeError) as e:                        # refused: one line, nothing changed
            bpy.ops.weartwin.preview_description(text="do a cartwheel")
        assert "cartwheel" in str(e.value) and "Traceback" not in str(e.value)
        assert s.motion_path == kept
    finally:
        addon.unregister()
