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
from .config import SENSORS, BakeConfig
from .export.names import derived_path, export_path
from .export.preview import write_preview
from .export.recording import Recording, write_csv, write_npz
from .motion import Motion, load_motion, resample
from .motion.rotations import axis_angle_to_matrix
from .motion.skeleton import BODY_JOINTS
from .provenance import blender_info
from .sensors.imu import BandFilter, angular_velocity, frame_from_points, noise_preset, smoothing_window, specific_force
from .sensors.sites import apply_frame_roll, make_sites, placement_jitter
from .skinning.lbs import site_patch

ProgressFn = Callable[[int, int], None]
# Sensors this build can simulate (DESIGN.md default: both).
AVAILABLE_SENSORS = SENSORS   # owned by config.py


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


def engine_for(cfg: BakeConfig) -> str:
    """"fast" or "blender": what `cfg.engine` means for this config. auto picks fast unless a
    channel needs the whole mesh (impedance, soft body)."""
    needs_mesh = [what for what, on in (("impedance", "impedance" in cfg.sensors),
                                        ("soft body", cfg.softbody)) if on]
    engine = getattr(cfg, "engine", "auto")
    if engine == "fast" and needs_mesh:
        raise ValueError(f"--engine fast simulates IMUs only; {' and '.join(needs_mesh)} need(s) "
                         "the Blender engine (--engine blender or auto)")
    if engine == "auto":
        return "blender" if needs_mesh else "fast"
    return engine


def imu_filter(cfg: BakeConfig, source_fps: float | None = None) -> "BandFilter | int":
    """The derivative filter of a bake: the band filter (default), or the former Savitzky-Golay
    window in samples when `imu_smoothing` > 0."""
    if cfg.imu_smoothing > 0:
        return smoothing_window(cfg.fps, cfg.imu_smoothing)
    return BandFilter.for_rates(cfg.fps, source_fps, cfg.imu_bandwidth or None)


def site_pose(site, vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A site's device centre (T,3) and orientation (T,3,3) from its three points (T,3,3) in
    world coordinates. Wrists: the placement roll turns the anatomical frame, then the watch axes
    flip it (right wrist). Surface devices and joint sites: the skin (or bone) frame of the three
    points times the mounting; the centre sits `site.lift` off the points' centroid."""
    p = vertices
    F = frame_from_points(p[:, 0], p[:, 1], p[:, 2])
    if site.mount is None:
        return p.mean(axis=1), apply_frame_roll(F, site) * site.axis_signs
    lift = np.asarray(site.lift, dtype=np.float64)
    return p.mean(axis=1) + F @ lift, F @ site.mount_matrix


def site_imu(site, vertices: np.ndarray, fps: float, filt) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one IMU model of both engines and the torch batch: a site's three points (T,3,3) in
    world coordinates -> ideal (acc, gyro, R) in the sensor frame (noise comes after)."""
    centre, R = site_pose(site, vertices)
    return specific_force(centre, R, fps, filt), angular_velocity(R, fps, filt), R


class Baker:
    def __init__(self, config: BakeConfig | None = None):
        self.config = config or BakeConfig()
        self.bodies = BodyLibrary()

    # -- one motion on one body ------------------------------------------------------------
    def bake(self, motion: Motion, variant: BodyVariant, progress: ProgressFn | None = None) -> Recording:
        """Simulate every frame with the engine `config.engine` resolves to: "blender" builds the
        scene (a fresh, empty one) and evaluates the mesh; "fast" skins the sensor patches
        outside Blender (`skinning.engine`, no `bpy`), to the same answer."""
        if engine_for(self.config) == "fast":
            rec = self.bake_fast(motion, variant)
            if progress:
                progress(rec.meta["n_frames"], rec.meta["n_frames"])
            return rec
        gen = self.frames(self.setup(motion, variant))
        try:
            while True:
                done, total = next(gen)
                if progress:
                    progress(done, total)
        except StopIteration as stop:
            return stop.value

    def prepare(self, motion: Motion, variant: BodyVariant):
        """Motion at the output rate, the variant (SMPL-family: the motion's own betas when the
        variant has none), its normalized asset and T-pose alignment: both engines start here."""
        last = getattr(self, "_last_resample", None)   # body variants of one motion: resample once
        if last is not None and last[0] is motion and last[1] == self.config.fps:
            motion = last[2]
        else:
            resampled = resample(motion, self.config.fps)
            self._last_resample = (motion, self.config.fps, resampled)
            motion = resampled
        if variant.model != "anny" and not variant.params and motion.betas is not None:
            variant = BodyVariant(variant.label, variant.model,
                                  {"betas": motion.betas[:16].tolist(), "gender": motion.gender}, variant.height)
        asset, align = self.bodies.get(variant)
        return motion, variant, asset, align

    def bake_fast(self, motion: Motion, variant: BodyVariant) -> Recording:
        """The fast engine: IMU sites and joints by skinning just their vertices/bones in numpy."""
        from .skinning.engine import simulate

        cfg = self.config
        t0 = time.perf_counter()
        motion, variant, asset, align = self.prepare(motion, variant)
        sites, feet = self._static(asset, align, self._placement(motion, variant))
        timings = {"setup_s": time.perf_counter() - t0}
        t1 = time.perf_counter()
        sim = simulate(asset, align, motion, variant.height, site_patch(asset, sites), feet, BODY_JOINTS)
        timings["fast_shortcut"] = sim.shortcut
        timings["frames_s"] = time.perf_counter() - t1
        rec = self._record(motion, variant, asset, sites, sim.vertices, sim.joints, None, timings, t0, "fast")
        rec.debug["offset"] = sim.offset
        return rec

    def bake_many(self, pairs, max_frames: int = 2_000_000, use_torch: bool | None = None) -> list:
        """Many (motion, variant) pairs in one go: on a GPU (config.device cuda, or auto with
        one available) all clips of a body are skinned together in torch (`skinning.batch`);
        otherwise one by one (the numpy engine is faster than torch on a CPU). Returns one
        `Recording` or the exception per pair, in order (a bad clip does not stop the others).
        use_torch=True runs the torch batch even on the CPU (tests; CI has no GPU)."""
        from .skinning.batch import resolve_device

        device = resolve_device(getattr(self.config, "device", "auto"))
        use_torch = device != "cpu" if use_torch is None else use_torch
        out: list = [None] * len(pairs)
        # one patch set per body in a torch batch: placement jitter moves it per clip, so clip by clip
        if engine_for(self.config) != "fast" or not use_torch or self.config.imu_placement_jitter:
            for i, (m, v) in enumerate(pairs):
                try:
                    out[i] = self.bake(m, v)
                except Exception as e:  # noqa: BLE001 - reported per item by the caller
                    out[i] = e
            return out
        groups: dict = {}
        for i, (m, v) in enumerate(pairs):
            try:
                m2, v2, asset, align = self.prepare(m, v)
            except Exception as e:  # noqa: BLE001
                out[i] = e
                continue
            groups.setdefault(id(asset), []).append((i, m2, v2, asset, align))
        for group in groups.values():
            chunk, frames = [], 0
            for g in group:
                if chunk and frames + g[1].n_frames > max_frames:
                    self._bake_chunk(chunk, device, out)
                    chunk, frames = [], 0
                chunk.append(g)
                frames += g[1].n_frames
            if chunk:
                self._bake_chunk(chunk, device, out)
        return out

    def _bake_chunk(self, chunk, device: str, out: list) -> None:
        from .skinning.batch import body_pack

        t0 = time.perf_counter()
        _, _, _, asset, align = chunk[0]
        sites, feet = self._static(asset, align)
        ok = []
        for i, m, v, _, _ in chunk:
            if m.n_frames < 5 or not sites or tuple(m.joint_names[:POSE_JOINTS]) != BODY_JOINTS:
                # a few frames only, or not on the SMPL body tree: the numpy engine, clip by clip
                try:
                    out[i] = self.bake(m, v)
                except Exception as e:  # noqa: BLE001
                    out[i] = e
            else:
                ok.append((i, m, v))
        if not ok:
            return
        packs = self.__dict__.setdefault("_packs", {})
        key = (id(asset), tuple((s.vertices, s.points) for s in sites))
        lengths = [m.n_frames for _, m, _ in ok]
        try:
            if key not in packs or packs[key][0] is not asset:
                if len(packs) > 32:   # --vary-body: a new body per clip; keep memory bounded
                    packs.clear()
                packs[key] = (asset, body_pack(asset, align, site_patch(asset, sites)))
            res = self._imu_batch(packs[key][1], ok, asset, align, feet, lengths, device)
        except Exception as e:  # noqa: BLE001 - e.g. out of GPU memory: clip by clip in numpy instead
            import sys

            print(f"weartwin: torch batch on {device} failed ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
                  "baking these clips one by one with the numpy engine", file=sys.stderr)
            for i, m, v in ok:
                try:
                    out[i] = self.bake(m, v)
                except Exception as e:  # noqa: BLE001
                    out[i] = e
            return
        share = (time.perf_counter() - t0) / sum(lengths)
        start = 0
        for (i, m, v), n in zip(ok, lengths):
            sl = slice(start, start + n)
            site_pos = res["vertices"][sl].reshape(n, -1, 3)
            timings = {"frames_s": share * n, "batch_clips": len(ok), "device": device}
            out[i] = self._record(m, v, asset, sites, site_pos, res["joints"][sl], None, timings,
                                  time.perf_counter() - share * n, "fast")
            start += n

    def _imu_batch(self, bp, ok, asset, align, feet, lengths, device):
        from .skinning.batch import imu_batch
        from .skinning.engine import first_frame_offset

        return imu_batch(bp, np.concatenate([m.rotations[:, :POSE_JOINTS] for _, m, _ in ok]),
                         np.concatenate([m.trans for _, m, _ in ok]),
                         [v.height / (m.source_height or 1.7) for _, m, v in ok],
                         np.stack([first_frame_offset(asset, align, m, v.height, feet) for _, m, v in ok]),
                         lengths, device=device)

    def _placement(self, motion: Motion, variant: BodyVariant) -> dict:
        """Seeded watch placement of this recording (`--imu-placement-jitter`; {} when off)."""
        cfg = self.config
        return placement_jitter(cfg.imu_placement_jitter, cfg.seed,
                                f"{motion.source.get('sha256') or motion.source.get('path')}|{variant.label}",
                                cfg.imu_sites)

    def _static(self, asset, align, placement: dict | None = None):
        """IMU sites and foot vertices of an asset, computed once per asset, site config and
        placement (a batch bakes many motions on the same few bodies)."""
        cfg = self.config
        placement = placement or {}
        key = (id(asset), cfg.imu_sites if "imu" in cfg.sensors else (), repr(sorted(cfg.imu_site_defs.items())),
               repr(sorted(placement.items())), cfg.imu_axes)
        cache = self.__dict__.setdefault("_static_cache", {})
        hit = cache.get(key)
        if hit is None or hit[0] is not asset:
            if len(cache) > 32:
                cache.clear()
            sites = (make_sites(asset, cfg.imu_sites, align, cfg.imu_site_defs, placement, cfg.imu_axes)
                     if "imu" in cfg.sensors else [])
            feet = asset.__dict__.get("_foot_vertices")
            if feet is None:
                feet = asset.__dict__["_foot_vertices"] = _foot_vertices(asset)
            hit = cache[key] = (asset, sites, feet)
        return hit[1], hit[2]

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
        motion, variant, asset, align = self.prepare(motion, variant)
        scene = empty_scene() if collection is None else bpy.context.scene
        arm, body = build_body(asset, collection)
        rest = rest_rotations(arm, asset.bone_names)
        scale = variant.height / (motion.source_height or 1.7)
        pose = pose_bones(motion, asset, align, rest, translation_scale=scale)
        set_frame_rate(scene, cfg.fps, motion.n_frames)
        key_pose(arm, pose, bone_names=asset.bone_names)
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

        sites, _ = self._static(asset, align, self._placement(motion, variant))
        site_ids = np.array([max(i, 0) for s in sites for i in s.vertices], dtype=np.int64)
        # joint sites: points rigid on a bone, moved by its deform matrix (pose · rest⁻¹, armature space)
        rigid = [(3 * k, rig.arm.pose.bones[s.bone], np.array(rig.arm.data.bones[s.bone].matrix_local.inverted()),
                  np.c_[np.array(s.points), np.ones(3)]) for k, s in enumerate(sites) if s.rigid_bone >= 0]
        imp_sim = None
        if "impedance" in cfg.sensors:
            from mathutils.bvhtree import BVHTree

            from .sensors.impedance.simulate import ImpedanceSimulator

            imp_sim = ImpedanceSimulator(asset, cfg, align)
        timings["impedance_setup_s"] = time.perf_counter() - t0 - timings["setup_s"] - timings.get("softbody_setup_s", 0)

        T = motion.n_frames
        nbuf = np.empty(nv * 3, dtype=np.float32)
        site_pos = np.empty((T, len(site_ids), 3))
        # joints: heads of the pose bones that follow each SMPL joint (armature space)
        pose_names = [pb.name for pb in rig.arm.pose.bones]
        hbuf = np.empty(len(pose_names) * 3, dtype=np.float32)
        jb = [[pose_names.index(b) for b in asset.joint_map.get(j, []) if b in pose_names] for j in BODY_JOINTS]
        heads = np.empty((T, len(pose_names), 3))
        t1 = time.perf_counter()
        # mesh-local -> world: the body's parent (armature) carries the normalization offset
        for f in range(T):
            v = read_frame(f)
            if f == 0:
                mw = np.array(body.evaluated_get(dg).matrix_world)
                Rm, tm = mw[:3, :3], mw[:3, 3]
            if len(site_ids):
                site_pos[f] = v[site_ids] @ Rm.T + tm
            for k, pb, inv_rest, pts in rigid:
                site_pos[f, k:k + 3] = (pts @ (np.array(pb.matrix, dtype=np.float32) @ inv_rest)[:3].T) @ Rm.T + tm
            rig.arm.pose.bones.foreach_get("head", hbuf)
            heads[f] = hbuf.reshape(-1, 3) @ Rm.T + tm
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

        joints = np.full((T, len(BODY_JOINTS), 3), np.nan)
        for j, bs in enumerate(jb):
            if bs:
                joints[:, j] = heads[:, bs].mean(axis=1)
        imp = None
        if imp_sim is not None:
            imp = lambda: imp_sim.finish(to_world=(Rm, tm))  # noqa: E731
            timings["impedance_path_searches"] = imp_sim.searches
        rec = self._record(motion, variant, asset, sites, site_pos, joints, imp, timings, t0, "blender")
        rec.debug["offset"] = tm
        return rec

    def _record(self, motion: Motion, variant: BodyVariant, asset, sites, site_pos: np.ndarray,
                joints: np.ndarray, imp, timings: dict, t0: float, engine: str) -> Recording:
        """Sensor signals from the sites' world positions (either engine, or the torch batch) -> `Recording`."""
        cfg = self.config
        T = motion.n_frames
        rec = Recording(t=np.arange(T) / cfg.fps)
        n_pose = min(POSE_JOINTS, len(motion.joint_names))
        rec.pose["rot6d"] = pose_rot6d(motion.rotations[:, :n_pose])
        rec.pose["joints"] = joints.astype(np.float32)
        rec.debug = {"site_positions": {}, "asset": asset, "sites": {s.name: s for s in sites}}
        rec.debug["imu_filter"] = window = imu_filter(cfg, motion.source.get("original_fps"))
        filt_meta = (window.describe() if isinstance(window, BandFilter)
                     else {"kind": "savitzky-golay", "savgol_window": window, "polyorder": 3})
        noise = noise_preset(cfg.imu_noise)
        rng = np.random.default_rng([cfg.seed, 7])
        site_meta = {}
        for k, s in enumerate(sites):
            p = site_pos[:, 3 * k:3 * k + 3]
            acc, gyro, R = site_imu(s, p, cfg.fps, window)
            acc, gyro = noise.apply(acc, gyro, cfg.fps, rng)
            rec.imu[s.name] = {"acc": acc, "gyro": gyro}
            rec.debug["site_positions"][s.name] = site_pose(s, p)[0]
            rec.debug.setdefault("site_vertices", {})[s.name] = p
            rec.debug.setdefault("site_frames", {})[s.name] = R
            site_meta[s.name] = s.describe()
        pair_meta = {}
        if imp is not None:
            rec.imp, pair_meta = imp()
            if cfg.calibration:
                self._calibrate(rec, pair_meta)
        timings["total_s"] = time.perf_counter() - t0
        rec.meta = {
            "fps": cfg.fps,
            "n_frames": T,
            "sites": site_meta,
            "engine": engine,
            "blender": blender_info() if engine == "blender" else None,   # provenance: what made the numbers
            "pose": {"joints": list(motion.joint_names[:n_pose]),
                     "joint_positions": "pose.joints: world positions (Z-up, m, after normalization) of "
                                        "the baked body's joints (head of the bone(s) following each), "
                                        f"in the order of {list(BODY_JOINTS)}",
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
    def write_outputs(self, rec: Recording, path, out_stem: Path, variant: BodyVariant, res: BakeResult,
                      label: str | None = None, text: str | None = None) -> None:
        """`out_stem`.npz (`out_stem`__bNN.npz for a body variant) and the optional csv/png."""
        cfg = self.config
        if label is not None:
            rec.meta["label"] = label
        if text is not None:
            rec.meta["text"] = text
        target = export_path(Path(out_stem), variant.label)
        write_npz(rec, target)
        res.outputs.append(target)
        if cfg.csv:
            res.outputs.append(write_csv(rec, derived_path(target, "csv")))
        if cfg.preview:
            title = f"{Path(path).name} — {variant.label or 'default body'}"
            res.outputs.append(write_preview(rec.arrays(), derived_path(target, "preview"), title))
        res.frames += len(rec.t)

    def bake_file(self, path, out_stem: Path, progress: ProgressFn | None = None,
                  label: str | None = None, text: str | None = None) -> BakeResult:
        """Bake `path` to `out_stem`.npz (or `out_stem`__bNN.npz per body variant)."""
        cfg = self.config
        res = BakeResult()
        t0 = time.perf_counter()
        motion = load_motion(path, source_fps=cfg.source_fps, bvh_map=cfg.bvh_map, bvh_scale=cfg.bvh_scale,
                             bvh_skip_frames=cfg.bvh_skip_frames)
        out_stem = Path(out_stem)
        for variant in variants_for(Path(path).stem, cfg.body, cfg.height, cfg.vary_body, cfg.seed):
            rec = self.bake(motion, variant, progress)
            self.write_outputs(rec, path, out_stem, variant, res, label, text)
        res.seconds = time.perf_counter() - t0
        return res
