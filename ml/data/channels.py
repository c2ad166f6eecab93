"""Channel mapping between real devices and simulated sites.

`inputs` says what a model sees; `sites` (simulated IMU sites) and `pairs` (electrode pairs)
say where. Real sites are renamed with `site_map` first, e.g. the `wrist` of a smartwatch
dataset becomes `left_wrist`. Orientation-invariant inputs (`imu_mag`, `acc_mag`) use
|acc| and |gyro|, which do not depend on how the device sits on the wrist.
"""
from __future__ import annotations

import numpy as np

from .sequence import ACC, GYRO, DataError, Sequence

INPUTS = {
    "imu": ("imu", ACC + GYRO),
    "acc": ("imu", ACC),
    "imu_mag": ("imu", ("acc_mag", "gyro_mag")),
    "acc_mag": ("imu", ("acc_mag",)),
    "imp": ("imp", ("mag", "phase")),
    "fused": ("both", ()),
}
# real device sites -> simulated sites (override with --site-map)
DEFAULT_SITE_MAP = {"wrist": "left_wrist", "hand": "right_wrist", "forearm": "left_wrist"}


def channel_names(inputs: str, sites=("left_wrist",), pairs=("wrist_wrist",)) -> list[str]:
    if inputs not in INPUTS:
        raise DataError(f"unknown inputs '{inputs}' (choose from {', '.join(INPUTS)})")
    if inputs == "fused":
        return channel_names("imu", sites, pairs) + channel_names("imp", sites, pairs)
    kind, quantities = INPUTS[inputs]
    where = sites if kind == "imu" else pairs
    return [f"{w}.{q}" for w in where for q in quantities]


def extract(seq: Sequence, names: list[str], site_map: dict | None = None,
            fill_missing: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(T, C) float32 of the requested channels and a (C,) bool mask of which were present.
    Missing channels raise DataError unless `fill_missing` (then they are zeros)."""
    smap = {**DEFAULT_SITE_MAP, **(site_map or {})}
    have = {}
    for i, c in enumerate(seq.channels):
        site, q = c.split(".", 1)
        have[f"{smap.get(site, site)}.{q}"] = i
    out = np.zeros((len(seq), len(names)), dtype=np.float32)
    present = np.zeros(len(names), dtype=bool)
    for j, name in enumerate(names):
        site, q = name.split(".", 1)
        if name in have:
            out[:, j] = seq.data[:, have[name]]
            present[j] = True
        elif q in ("acc_mag", "gyro_mag"):
            axes = ACC if q == "acc_mag" else GYRO
            idx = [have.get(f"{site}.{a}") for a in axes]
            if None not in idx:
                out[:, j] = np.linalg.norm(seq.data[:, idx], axis=1)
                present[j] = True
        if not present[j] and not fill_missing:
            avail = ", ".join(sorted(have))
            raise DataError(f"{seq.source}: has no channel '{name}' (it has {avail}); "
                            "choose other --inputs/--sites or map sites with --site-map")
    return out, present


def axes_matrix(spec: str) -> np.ndarray:
    """'-x,-y,z' -> the signed permutation R with real = R @ simulated: the real device's x, y, z
    axes named by the simulated watch's (WearTwin's watch, worn normally: x = 3 o'clock, towards
    the hand on the left wrist and the elbow on the right; y = 12 o'clock; z out of the dial).
    Every axis once, and a proper rotation (det +1: a mirrored frame would turn the gyroscope's
    sign wrongly); anything else is a ValueError."""
    parts = [p.strip().lower() for p in spec.split(",")]
    R = np.zeros((3, 3), dtype=np.float32)
    ok = len(parts) == 3
    for i, p in enumerate(parts if ok else []):
        sign, ax = (-1.0, p[1:]) if p.startswith("-") else (1.0, p.lstrip("+"))
        if ax not in ("x", "y", "z"):
            ok = False
            break
        R[i, "xyz".index(ax)] = sign
    if not ok or sorted(np.abs(R).argmax(1).tolist()) != [0, 1, 2]:
        raise ValueError(f"--sim-axes: '{spec}' is not three axes, each of x, y, z once with an optional sign "
                         "(e.g. -x,-y,z)")
    if np.linalg.det(R) < 0:
        raise ValueError(f"--sim-axes: '{spec}' is a mirror image, not a rotation (an even number of '-' "
                         "with x,y,z in order; a right-handed device frame is always a rotation)")
    return R


def is_mounting(spec: str) -> bool:
    """`--sim-axes` naming a simulated site's device and how the real one is mounted
    (`left_pocket:screen_in,top_down`), rather than signed axes (`-x,-y,z`)."""
    from addon.sensors.presets import SURFACE

    return spec.split(":", 1)[0] in SURFACE


def mounting_matrix(spec: str, baked: str) -> np.ndarray:
    """R with real = R @ simulated for a surface device baked as `baked` (its export's
    `meta.sites[name].preset`, e.g. 'left_pocket:screen_out,top_up') and worn as `spec`
    ('left_pocket:screen_in,top_down'): the same device at the same spot, turned
    (`addon.sensors.presets.mount_change`; ValueError for other sites or words)."""
    from addon.sensors.presets import SiteError, mount_change

    try:
        return mount_change(baked, spec).astype(np.float32)
    except SiteError as e:
        raise ValueError(f"--sim-axes: {e}") from None


def check_sim_axes(spec: str) -> None:
    """Usage check of `--sim-axes` (either form); ValueError naming the problem."""
    if is_mounting(spec):
        from addon.sensors.presets import SiteError, parse

        try:
            parse(spec)
        except SiteError as e:
            raise ValueError(f"--sim-axes: {e}") from None
    else:
        axes_matrix(spec)


def reframe(x: np.ndarray, names: list[str], R: np.ndarray) -> np.ndarray:
    """Every x/y/z triad of `names` (acc, gyro per site) in x (..., C) turned by R; other channels
    (magnitudes, impedance) as they are. Returns a new array."""
    out = x.copy()
    for i, n in enumerate(names):
        site, q = n.split(".", 1)
        for axes in (ACC, GYRO):
            if q == axes[0] and all(f"{site}.{a}" in names for a in axes):
                idx = [names.index(f"{site}.{a}") for a in axes]
                out[..., idx] = np.einsum("ij,...j->...i", R, x[..., idx])
    return out


def normalize_label(label: str, label_map: dict | None = None) -> str:
    """Labels compare case- and separator-insensitively: 'Sitting Down' == 'SITTING_DOWN'."""
    key = str(label).strip().lower().replace(" ", "_").replace("-", "_")
    if label_map:
        key = label_map.get(key, key)
    return key
