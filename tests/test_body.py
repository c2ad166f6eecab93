"""The body: real Anny, normalization, shape variants, retargeting sanity."""
from __future__ import annotations

import numpy as np
import pytest

from addon.bake import Baker
from addon.body.anny_body import DEFAULT_PHENOTYPE, anny_asset, derive_asset
from addon.body.variants import BodyVariant, variants_for
from addon.config import BakeConfig
from addon.export.recording import read_export
from addon.motion.procedural import demo_motion


@pytest.mark.slow
def test_packaged_default_asset_matches_real_anny():
    from addon.body.anny_body import _anny_model
    from addon.body.triangulation import diagonal_choice, quads_of, same_quads

    fresh = derive_asset(DEFAULT_PHENOTYPE)   # instantiates Anny (first run builds its cache)
    packaged = anny_asset()
    np.testing.assert_allclose(fresh.vertices, packaged.vertices, atol=1e-5)
    np.testing.assert_array_equal(fresh.faces, packaged.faces)   # one triangulation (triangulation.py)
    assert fresh.bone_names == packaged.bone_names
    assert len(packaged.vertices) == 13718 and len(packaged.bone_names) == 104
    # Anny's own split of its quads may differ on another machine, but only where the two
    # diagonals are (nearly) equally long: same quads, ties decided by rounding
    raw = _anny_model().faces.cpu().numpy()
    assert same_quads(raw, packaged.faces)
    flips = np.nonzero(diagonal_choice(raw) != diagonal_choice(packaged.faces))[0]
    v = _anny_model().template_vertices.detach().cpu().numpy().reshape(-1, 3).astype(np.float64)
    a, b, c, d = quads_of(packaged.faces)[flips].T
    d1, d2 = np.linalg.norm(v[a] - v[c], axis=1), np.linalg.norm(v[b] - v[d], axis=1)
    assert np.all(np.abs(d1 - d2) <= 1e-4 * np.maximum(d1, d2)), (flips, d1, d2)


def test_normalized_height_and_feet_at_origin():
    b = Baker(BakeConfig(sensors=("imu",), engine="blender"))   # reads the Blender scene below
    for h in (1.5, 1.7, 1.9):
        asset = anny_asset().scaled_to_height(h)
        assert abs(asset.height - h) < 1e-4
    rec = b.bake(demo_motion(), BodyVariant("", "anny", {}, 1.7))
    import bpy

    body = next(o for o in bpy.data.objects if o.get("weartwin_role") == "body")
    bpy.context.scene.frame_set(0)
    dg = bpy.context.evaluated_depsgraph_get()
    ev = body.evaluated_get(dg)
    mw = np.array(ev.matrix_world)
    v = np.array([mw[:3, :3] @ np.array(x.co) + mw[:3, 3] for x in ev.data.vertices])
    assert abs(v[:, 2].min()) < 1e-4                     # soles on the floor
    assert 1.6 < v[:, 2].max() < 1.75                     # standing, about the normalized height
    feet = v[v[:, 2] < 0.08]
    assert np.linalg.norm(feet[:, :2].mean(0)) < 0.05     # feet centred on the origin


@pytest.mark.slow
def test_vary_body_bakes_seeded_variants(tmp_path):
    from bad_inputs import good_amass

    src = good_amass(tmp_path / "clip.npz", T=60)
    cfg = BakeConfig(sensors=("imu",), vary_body=2, seed=3)
    res = Baker(cfg).bake_file(src, tmp_path / "out" / "clip")
    assert [p.name for p in res.outputs] == ["clip__b01.npz", "clip__b02.npz"]
    metas = [read_export(p)[1] for p in res.outputs]
    params = [m["body"]["params"]["phenotype"] for m in metas]
    assert params[0] != params[1]
    assert metas[0]["body"]["variant"] == "b01"
    # same seed -> same variants; another seed -> others
    assert variants_for("clip", "anny", 1.7, 2, 3) == variants_for("clip", "anny", 1.7, 2, 3)
    assert variants_for("clip", "anny", 1.7, 2, 3) != variants_for("clip", "anny", 1.7, 2, 4)
    a0, _ = read_export(res.outputs[0])
    a1, _ = read_export(res.outputs[1])
    assert not np.allclose(a0["imu.left_wrist.acc"], a1["imu.left_wrist.acc"])
