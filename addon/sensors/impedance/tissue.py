"""Tissue model: the body as an electrical circuit -> complex impedance (pure numpy).

Each tissue branch is ρ*(f)·K, K = Σ Δs/A (1/m) its geometry factor (for a cylinder L/(πr²), so
R = ρL/A). The bake reduces the body to a small network (see `simulate.py`):

    Z = ρ*·(K₁ + K₃) + [ρ*·K₂ ∥ (ρ*·K_c + 2 z_s/A_c)] + z_e/A_a + z_e/A_b

- K₁ + K₂ + K₃ = K_body: the least-resistance path through the body between the electrodes
  (edges weighted by ds/A, rest cross-sections carried by the skinning);
- a skin-to-skin contact (gap ≤ `--contact-distance`) of area A_c opens a second branch in
  parallel with the part K₂ of the body path it bypasses: tissue K_c from where it leaves the
  body path to the contact and back (plus the spreading resistance 1/(2a) of two contact discs
  of radius a, Holm), and the interface 2 z_s/A_c (two stratum-corneum layers). K₁, K₃: the
  tissue shared by both branches, counted once. A parallel branch can only lower |Z|.
- ρ*(f): apparent resistivity of a whole limb (muscle, fat, bone, skin together), a Cole model
      ρ*(ω) = ρ∞ + (ρ0 − ρ∞) / (1 + (jωτ)^α),  τ = 1/(2π f_c).
- z_e: specific impedance of the electrode–skin interface (Ω·m²), R ∥ C.

Level (defaults; a 1.7 m adult in the T-pose reads |Z| ≈ 640 Ω wrist to wrist at 50 kHz,
phase ≈ −7°, each arm ≈ 300 Ω; `benchmarks/bench_impedance.py` and tests/test_physics_review.py
print/check it):
- Published hand-to-hand |Z| at 50 kHz in healthy adults ≈ 550–800 Ω (men ≈ 600–650 Ω,
  women ≈ 700–800 Ω); segmental arm resistance 250–400 Ω, trunk 20–30 Ω (wrist–ankle
  configuration): U.G. Kyle et al., "Bioelectrical impedance analysis — part I/II", Clin. Nutr.
  23 (2004) 1226 and 1430 (ESPEN); H.C. Lukaski, Am. J. Clin. Nutr. 64 (1996) 397S;
  A.J.D. Barbosa-Silva et al., Am. J. Clin. Nutr. 82 (2005) 49 (phase angle at 50 kHz ≈ 6–8°).
- Arm geometry on the Anny mesh: forearm 17–35 cm², upper arm 55–85 cm², K_arm ≈ 110 m⁻¹,
  so matching 250–400 Ω per arm needs an apparent whole-limb resistivity ρ(50 kHz) ≈ 2.7 Ω·m:
  above muscle along its fibres (≈ 1.3–2 Ω·m, S. Gabriel et al., Phys. Med. Biol. 41 (1996)
  2271) because bone and fat carry almost no current.
- Cole parameters: R∞/R0 ≈ 0.65, f_c ≈ 50 kHz, α ≈ 0.7 (B.H. Cornish, B.J. Thomas, L.C. Ward,
  Phys. Med. Biol. 38 (1993) 337; K.S. Cole, J. Chem. Phys. 9 (1941) 341); ρ0 = 3.25 Ω·m,
  ρ∞ = 2.16 Ω·m give ρ ≈ 2.7 Ω·m and −7° at 50 kHz.
- Dependence on the body: K scales as length/area, so |Z| rises with limb length and falls with
  girth (∝ 1/height for a uniformly scaled body).
- Electrodes (the default): bipolar, Ag/AgCl gel, one 1.2 cm-radius patch (≈ 4.5 cm²) on each
  wrist; interface 1 kΩ·cm² ∥ 0.1 µF/cm² (≈ 32 Ω·cm² at 50 kHz: ≈ 7 Ω per electrode), within
  the skin–electrode values of J. Rosell et al., IEEE TBME 35 (1988) 649; dry electrodes are
  about 10× higher (`DRY_ELECTRODE`); `electrode=None` is a tetrapolar measurement (interfaces
  excluded, as in the published hand-to-hand values). Skin on skin: 1 Ω·m² ∥ 2 nF/cm² per
  stratum-corneum layer (≈ 160 Ω·cm² at 50 kHz), two layers in series.
These are defaults that the neural calibration refines, not measurements of one person.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class ColeTissue:
    rho0: float = 3.25       # Ω·m, low-frequency (extracellular) apparent resistivity
    rho_inf: float = 2.16    # Ω·m, high-frequency apparent resistivity
    fc: float = 50e3         # Hz, characteristic frequency
    alpha: float = 0.7       # dispersion exponent (1 = single time constant)

    def resistivity(self, f) -> np.ndarray:
        w = 2 * np.pi * np.asarray(f, dtype=np.float64)
        tau = 1.0 / (2 * np.pi * self.fc)
        return self.rho_inf + (self.rho0 - self.rho_inf) / (1 + (1j * w * tau) ** self.alpha)


@dataclass(frozen=True)
class Interface:
    """Specific impedance of a skin interface: R (Ω·m²) parallel to C (F/m²)."""
    r: float
    c: float

    def specific(self, f) -> np.ndarray:
        w = 2 * np.pi * np.asarray(f, dtype=np.float64)
        return self.r / (1 + 1j * w * self.r * self.c)


GEL_ELECTRODE = Interface(r=0.1, c=1e-3)     # 1 kΩ·cm² ∥ 0.1 µF/cm²: ≈ 32 Ω·cm² at 50 kHz
DRY_ELECTRODE = Interface(r=1.0, c=1e-4)     # ≈ 10x the gel interface
SKIN_ON_SKIN = Interface(r=1.0, c=2e-4)      # dry stratum corneum, per layer (two in series)


@dataclass(frozen=True)
class TissueModel:
    tissue: ColeTissue = ColeTissue()
    electrode: Interface | None = GEL_ELECTRODE   # None: ideal (tetrapolar) measurement
    skin_contact: Interface | None = SKIN_ON_SKIN
    min_area: float = 1e-4                        # m², floor for any interface area (1 cm²)

    electrode_kind: str = "bipolar Ag/AgCl gel electrodes"

    def describe(self) -> dict:
        return {"formula": "Z = rho*(K1+K3) + [rho*K2 || (rho*Kc + 2 z_s/A_c)] + z_e/A_a + z_e/A_b; "
                           "K1+K2+K3 = sum(ds/A) along the body path, Kc the contact branch",
                "electrodes": self.electrode_kind if self.electrode is not None else "tetrapolar (interfaces excluded)",
                "cole": asdict(self.tissue),
                "electrode_interface": None if self.electrode is None else asdict(self.electrode),
                "skin_contact_interface": None if self.skin_contact is None else asdict(self.skin_contact),
                "units": {"rho": "ohm*m", "fc": "Hz", "r": "ohm*m^2", "c": "F/m^2"}}

    def impedance(self, kfactor, freqs, area_a: float = 0.0, area_b: float = 0.0, contact_area=0.0,
                  k_shared=0.0, k_contact=None) -> np.ndarray:
        """Complex impedance (T,F) from per-frame body geometry factor K (T,) and, where the
        skin touches, the contact branch: contact area (T,), its tissue K_c (T,) and the body
        path's K₁ + K₃ shared with it (T,) (see the module docstring). Without `k_contact` a
        contact has no branch: it cannot change |Z|."""
        K = np.atleast_1d(np.asarray(kfactor, dtype=np.float64))[:, None]
        f = np.atleast_1d(np.asarray(freqs, dtype=np.float64))[None, :]
        rho = self.tissue.resistivity(f)
        Z = rho * K
        if k_contact is not None and self.skin_contact is not None:
            ca = np.broadcast_to(np.asarray(contact_area, dtype=np.float64), K.shape[:1])[:, None]
            ks = np.broadcast_to(np.asarray(k_shared, dtype=np.float64), K.shape[:1])[:, None]
            kc = np.broadcast_to(np.asarray(k_contact, dtype=np.float64), K.shape[:1])[:, None]
            on = (ca > 0) & np.isfinite(kc)
            zmid = rho * np.maximum(K - ks, 0.0)
            zbr = rho * np.where(on, kc, 1.0) + 2 * self.skin_contact.specific(f) / np.where(on, ca, 1.0)
            par = zmid * zbr / np.where(on, zmid + zbr, 1.0)
            Z = np.where(on, rho * np.minimum(ks, K) + par, Z)
        if self.electrode is not None and area_a > 0 and area_b > 0:
            z = self.electrode.specific(f)
            Z = Z + z / max(area_a, self.min_area) + z / max(area_b, self.min_area)
        return Z


from ...config import ELECTRODE_TYPES  # noqa: E402 - the choices are owned by BakeConfig


def tissue_model_for(electrode_type: str = "gel") -> TissueModel:
    """The default tissue with the electrode interface of `--electrode-type`: bipolar gel
    (Ag/AgCl), bipolar dry (≈ 10× the gel interface), or tetrapolar (separate current and
    sensing electrodes: the interfaces drop out, as in the published hand-to-hand values)."""
    if electrode_type == "gel":
        return TissueModel()
    if electrode_type == "dry":
        return TissueModel(electrode=DRY_ELECTRODE, electrode_kind="bipolar dry electrodes")
    if electrode_type == "tetrapolar":
        return TissueModel(electrode=None)
    raise ValueError(f"unknown electrode type '{electrode_type}' (choices: {', '.join(ELECTRODE_TYPES)})")


def magnitude_phase(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|Z| in ohm and arg(Z) in degrees (negative: capacitive, as tissue is)."""
    return np.abs(Z), np.degrees(np.angle(Z))


def resample_polyline(points: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut a polyline into n equal pieces: (midpoints (n,3), unit tangents (n,3), piece length)."""
    p = np.asarray(points, dtype=np.float64)
    seg = np.diff(p, axis=0)
    sl = np.linalg.norm(seg, axis=1)
    s = np.r_[0.0, np.cumsum(sl)]
    L = s[-1]
    if L <= 0:
        return p[:1].repeat(n, 0), np.tile([1.0, 0, 0], (n, 1)), 0.0
    q = (np.arange(n) + 0.5) * L / n
    k = np.clip(np.searchsorted(s, q, side="right") - 1, 0, len(seg) - 1)
    frac = (q - s[k]) / np.maximum(sl[k], 1e-12)
    mid = p[k] + seg[k] * frac[:, None]
    tan = seg[k] / np.maximum(sl[k], 1e-12)[:, None]
    return mid, tan, L / n


def geometry_factor(areas: np.ndarray, ds: float) -> float:
    """K = Σ ds/A (1/m)."""
    return float(np.sum(ds / np.asarray(areas, dtype=np.float64)))
