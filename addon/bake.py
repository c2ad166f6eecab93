"""Bake: motion file -> body in Blender -> evaluated mesh per frame -> sensors -> export.

The one code path: `weartwin bake`, `blender --background --python blender_scripts/bake.py`,
the batch workers and the add-on's Bake operator all call `Baker.bake_file` / `Baker.bake`.
A `Baker` owns one Blender session and is reused for many items.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__
from .body.retarget import pose_bones
from .body.variants import BodyLibrary, BodyVariant, variants_for
from .config import BakeConfig
from .export.preview import write_preview
from .export.recording import Recording, write_csv, write_npz
from .motion import Motion, load_motion, resample
from .motion.rotations import axis_angle_to_matrix
from .sensors.imu import BandFilter, angular_velocity, frame_from_points, noise_preset, smoothing_window, specific_force
from .sensors.sites import make_sites

ProgressFn = Callable[[int, int], None]
# Sensors this build can simulate (DESIGN.md default: both).
AVAILABLE_SENSORS = ("imu", "impedance")


@dataclass
class BakeResult:
    outputs: list[Path] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)


POSE_JOINTS = 22  # SMPL body joints (pelvis .. wrists) exported as `pose.rot6d` for pose encoders


def pose_rot6d(rotations: np.ndarray) -> np.ndarray:
    """(T,J,3) axis-angle -> (T,J,6): the first two columns of each rotation matrix
    (the continuous 6-D representation of Zhou et al. 2019), column-major."""
    R = axis_angle_to_matrix(rotations)
    return np.concatenate([R[..., :, 0], R[..., :, 1]], axis=-1).astype(np.float32)


def _foot_vertices(asset) -> np.ndarray:
    bones = set()
    for j in ("left_ankle", "right_ankle", "left_foot", "right_foot"):
        bones.update(asset.joint_map.get(j, []))
    ids = [asset.bone_index(b) for b in bones if b in asset.bone_names]
    # descendants (toes) too
    changed = True
    while changed:
        changed = False
        for b, p in enumerate(asset.bone_parents):
            if p in ids and b not in ids:
                ids.append(b)
                changed = True
    dominant = asset.weight_bones[np.arange(len(asset.weights)), np.argmax(asset.weights, axis=1)]
    return np.nonzero(np.isin(dominant, ids))[0]


@dataclass
class Rig:
    """A body ready to simulate: what `Baker.setup` built, for `Baker.frames`."""
    scene: object
    arm: object
    body: object
    asset: object
    align: np.ndarray
    motion: Motion
    variant: BodyVariant
    timings: dict
    t0: float


class Baker:
    def __init__(self, config: BakeConfig | None = None):
        self.config = config or BakeConfig()
        self.bodies = BodyLibrary()

    # -- one motion on one body ------------------------------------------------------------
    def bake(self, motion: Motion, variant: BodyVariant, progress: ProgressFn | None = None) -> Recording:
        """Build the scene (a fresh, empty one) and simulate every frame."""
        gen = self.frames(self.setup(motion, variant))
        try:
            while True:
                done, total = next(gen)
                if progress:
                    progress(done, total)
        except StopIteration as stop:
            return stop.value

    def setup(self, motion: Motion, variant: BodyVariant, collection=None) -> Rig:
        """Body, armature, keyed motion, skeleton normalization and (optional) soft flesh.

        `collection=None` starts from an empty factory scene (headless). The add-on passes its
        own collection in the user's scene instead; the objects are the same either way."""
        import bpy

        from .scene.animate import key_pose, set_frame_rate
        from .scene.build import build_body, empty_scene, rest_rotations

        cfg = self.config
        timings = {}
        t0 = time.perf_counter()
        motion = resample(motion, cfg.fps)
        if variant.model != "anny" and not variant.params and motion.betas is not None:
            variant = BodyVariant(variant.label, variant.model,
                                  {"betas": motion.betas[:16].tolist(), "gender": motion.gender}, variant.height)
        asset, align = self.bodies.get(variant)
        scene = empty_scene() if collection is None else bpy.context.scene
        arm, body = build_body(asset, collection)
        rest = rest_rotations(arm)
        scale = variant.height / (motion.source_height or 1.7)
        pose = pose_bones(motion, asset, align, rest, translation_scale=scale)
        set_frame_rate(scene, cfg.fps, motion.n_frames)
        key_pose(arm, pose)
        timings["setup_s"] = time.perf_counter() - t0

        # normalization: feet centre at the origin, soles on the floor, on the first frame
        scene.frame_set(0)
        dg = bpy.context.evaluated_depsgraph_get()
        nv = len(asset.vertices)
        first = np.empty(nv * 3, dtype=np.float32)
        body.evaluated_get(dg).data.vertices.foreach_get("co", first)
        feet = first.reshape(nv, 3).astype(np.float64)[_foot_vertices(asset)]
        arm.location = (-feet[:, 0].mean(), -feet[:, 1].mean(), -feet[:, 2].min())
        bpy.context.view_layer.update()
        if cfg.softbody:
            from .scene.softbody import SoftBodySettings, add_soft_flesh

            t_sb = time.perf_counter()
            add_soft_flesh(arm, body, asset, motion.n_frames,
                           SoftBodySettings(stiffness=cfg.softbody_stiffness))
            timings["softbody_setup_s"] = time.perf_counter() - t_sb
        return Rig(scene, arm, body, asset, align, motion, variant, timings, t0)

    def frames(self, rig: Rig):
        """Generator: simulate frame by frame, yielding (frames done, total); its return value
        is the `Recording`. Closing it early (a cancelled GUI bake) leaves nothing behind."""
        import bpy

        cfg = self.config
        scene, body, asset, align, motion = rig.scene, rig.body, rig.asset, rig.align, rig.motion
        variant, timings, t0 = rig.variant, rig.timings, rig.t0
        dg = bpy.context.evaluated_depsgraph_get()
        nv = len(asset.vertices)
        buf = np.empty(nv * 3, dtype=np.float32)

        def read_frame(f: int) -> np.ndarray:
            scene.frame_set(f)
            body.evaluated_get(dg).data.vertices.foreach_get("co", buf)
            return buf.reshape(nv, 3)

        sites = (make_sites(asset, cfg.imu_sites, align, cfg.imu_site_defs, getattr(cfg, "imu_axes", "watch"))
                 if "imu" in cfg.sensors else [])
        site_ids = np.array([s.vertices for s in sites], dtype=np.int64).reshape(-1)
        imp_sim = None
        if "impedance" in cfg.sensors:
            from mathutils.bvhtree import BVHTree

            from .sensors.impedance.simulate import ImpedanceSimulator

            imp_sim = ImpedanceSimulator(asset, cfg, align)
        timings["impedance_setup_s"] = time.perf_counter() - t0 - timings["setup_s"] - timings.get("softbody_setup_s", 0)

        T = motion.n_frames
        nbuf = np.empty(nv * 3, dtype=np.float32)
        site_pos = np.empty((T, len(site_ids), 3))
        t1 = time.perf_counter()
        # mesh-local -> world: the body's parent (armature) carries the normalization offset
        for f in range(T):
            v = read_frame(f)
            if f == 0:
                mw = np.array(body.evaluated_get(dg).matrix_world)
                Rm, tm = mw[:3, :3], mw[:3, 3]
            if len(site_ids):
                site_pos[f] = v[site_ids] @ Rm.T + tm
            if imp_sim is not None and not imp_sim.needs_bvh:  # the circuit: vertices only
                imp_sim.on_frame(f, v)
            elif imp_sim is not None:  # mesh coordinates: lengths and areas do not care
                me = body.evaluated_get(dg).data
                if hasattr(me, "vertex_normals"):
                    me.vertex_normals.foreach_get("vector", nbuf)
                else:   # Blender < 3.5
                    me.vertices.foreach_get("normal", nbuf)
                imp_sim.on_frame(f, v, BVHTree.FromObject(body, dg), nbuf.reshape(nv, 3))
            yield f + 1, T
        timings["frames_s"] = time.perf_counter() - t1

        rec = Recording(t=np.arange(T) / cfg.fps)
        n_pose = min(POSE_JOINTS, len(motion.joint_names))
        rec.pose["rot6d"] = pose_rot6d(motion.rotations[:, :n_pose])
        rec.debug = {"site_positions": {}, "asset": asset}
        if cfg.imu_smoothing > 0:
            window = smoothing_window(cfg.fps, cfg.imu_smoothing)
            filt_meta = {"kind": "savitzky-golay", "savgol_window": window, "polyorder": 3}
        else:
            window = BandFilter.for_rates(cfg.fps, motion.source.get("original_fps"),
                                          getattr(cfg, "imu_bandwidth", 0.0) or None)
            filt_meta = window.describe()
        noise = noise_preset(cfg.imu_noise)
        rng = np.random.default_rng([cfg.seed, 7])
        site_meta = {}
        for k, s in enumerate(sites):
            p = site_pos[:, 3 * k:3 * k + 3]
            R = frame_from_points(p[:, 0], p[:, 1], p[:, 2]) * s.axis_signs
            acc = specific_force(p.mean(axis=1), R, cfg.fps, window)
            gyro = angular_velocity(R, cfg.fps, window)
            acc, gyro = noise.apply(acc, gyro, cfg.fps, rng)
            rec.imu[s.name] = {"acc": acc, "gyro": gyro}
            rec.debug["site_positions"][s.name] = p.mean(axis=1)
            rec.debug.setdefault("site_frames", {})[s.name] = R
            site_meta[s.name] = s.describe()
        pair_meta = {}
        if imp_sim is not None:
            rec.imp, pair_meta = imp_sim.finish(to_world=(Rm, tm))
            timings["impedance_path_searches"] = imp_sim.searches
            if cfg.calibration:
                self._calibrate(rec, pair_meta)
        timings["total_s"] = time.perf_counter() - t0
        rec.meta = {
            "fps": cfg.fps,
            "n_frames": T,
            "sites": site_meta,
            "pose": {"joints": list(motion.joint_names[:n_pose]),
                     "rot6d": "local joint rotations (root: Z-up world), 6-D = matrix[:, :2] column-major"},
            "pairs": pair_meta,
            "imu_filter": {**filt_meta, "noise": noise.enabled},
            "imu_noise": noise.describe(),
            "body": {"model": asset.model if variant.model == "anny" else "smpl-family",
                     "model_file": None if variant.model == "anny" else str(variant.model),
                     "variant": variant.label, "params": asset.params, "height": variant.height},
            "source": {**motion.source, "joints": len(motion.joint_names)},
            "config": cfg.to_dict(),
            "config_hash": cfg.signal_hash(),
            "weartwin_version": __version__,
            "timings": timings,
        }
        return rec

    def _calibrate(self, rec: Recording, pair_meta: dict) -> None:
        import hashlib

        from .sensors.impedance.calibration import Calibration, CalibrationError, apply_to_channels

        path = Path(self.config.calibration)
        if getattr(self, "_cal_path", None) != path:
            self._cal, self._cal_path = Calibration.load(path), path
        cal = self._cal
        if cal.pair not in rec.imp:
            raise CalibrationError(f"{path}: calibrates pair '{cal.pair}', which this bake does not simulate "
                                   f"(--electrodes {','.join(rec.imp) or 'none'})")
        rec.imp[cal.pair] = apply_to_channels(cal, rec.imp[cal.pair], self.config.fps)
        pair_meta[cal.pair]["calibration"] = {
            "file": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "kind": cal.kind,
            "note": "mag/phase are calibrated; mag_sim/phase_sim are the simulated values"}

    # -- one file, all its body variants -----------------------------------------------------
    def bake_file(self, path, out_stem: Path, progress: ProgressFn | None = None,
                  label: str | None = None, text: str | None = None) -> BakeResult:
        """Bake `path` to `out_stem`.npz (or `out_stem`__bNN.npz per body variant)."""
        cfg = self.config
        res = BakeResult()
        t0 = time.perf_counter()
        motion = load_motion(path, source_fps=cfg.source_fps)
        out_stem = Path(out_stem)
        for variant in variants_for(Path(path).stem, cfg.body, cfg.height, cfg.vary_body, cfg.seed):
            rec = self.bake(motion, variant, progress)
            if label is not None:
                rec.meta["label"] = label
            if text is not None:
                rec.meta["text"] = text
            stem = out_stem.name + (f"__{variant.label}" if variant.label else "")
            target = out_stem.with_name(stem + ".npz")
            write_npz(rec, target)
            res.outputs.append(target)
            if cfg.csv:
                res.outputs.append(write_csv(rec, target.with_suffix(".csv")))
            if cfg.preview:
                title = f"{Path(path).name} — {variant.label or 'default body'}"
                res.outputs.append(write_preview(rec.arrays(), target.with_suffix(".png"), title))
            res.frames += len(rec.t)
        res.seconds = time.perf_counter() - t0
        return res
