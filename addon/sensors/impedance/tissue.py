"""Tissue model: path geometry -> complex impedance (pure numpy, no Blender).

Z(f) = ρ*(f) · K  +  z_e(f)/A_a + z_e(f)/A_b  +  Σ_contacts 2·z_s(f)/A_c

- K = Σ Δs_k / A_k (1/m) is the geometry factor of the current path: the path cut into short
  pieces Δs, each with the body's cross-section A around it (from ray casts, see `simulate`).
  For a straight cylinder of radius r this is L/(πr²), so R = ρL/A.
- ρ*(f) is the apparent resistivity of limb tissue, a Cole model
      ρ*(ω) = ρ∞ + (ρ0 − ρ∞) / (1 + (jωτ)^α),  τ = 1/(2π f_c).
- z_e / z_s: specific impedance (Ω·m²) of the electrode–skin interface and of skin pressed on
  skin (two stratum-corneum layers), each a resistance parallel to a capacitance.

Parameter sources (values chosen to sit inside the ranges these report; they are defaults the
neural calibration refines, not measurements of a particular person):
- Cole form and whole-body/segmental fits: K.S. Cole, J. Chem. Phys. 9 (1941) 341;
  B.H. Cornish, B.J. Thomas, L.C. Ward, Phys. Med. Biol. 38 (1993) 337 (Cole parameters of
  whole-body impedance: R∞/R0 ≈ 0.6-0.7, characteristic frequency ≈ 40-60 kHz, α ≈ 0.6-0.8);
  U.G. Kyle et al., Clin. Nutr. 23 (2004) 1226 (BIA review: arm ≈ 45% of the wrist-ankle
  impedance, trunk ≈ 10%).
- Limb resistivity ≈ 1.5-2 Ω·m at 50 kHz along the limb: S. Gabriel, R.W. Lau, C. Gabriel,
  Phys. Med. Biol. 41 (1996) 2271 (muscle along the fibres, blood) combined with the segmental
  resistances above; phase angle at 50 kHz ≈ 6-7° in healthy adults: A.J.D. Barbosa-Silva et
  al., Am. J. Clin. Nutr. 82 (2005) 49.
- Skin and electrode interface: J. Rosell et al., IEEE TBME 35 (1988) 649 (skin impedance
  1 Hz-1 MHz: at tens of kHz of the order of 10-100 Ω·cm², capacitive); gel Ag/AgCl electrodes
  are at the low end, dry electrodes ~10x higher.
With these defaults a 1.7 m body reads |Z| ≈ 450-550 Ω wrist to wrist at 50 kHz in the T-pose
(two arms ≈ 220 Ω each, the chest a few ohms), phase ≈ −7°.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class ColeTissue:
    rho0: float = 2.0        # Ω·m, low-frequency (extracellular) resistivity
    rho_inf: float = 1.35    # Ω·m, high-frequency resistivity
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

    def describe(self) -> dict:
        return {"formula": "Z = rho*(f)*sum(ds/A) + z_e/A_a + z_e/A_b + sum(2*z_s/A_contact)",
                "cole": asdict(self.tissue),
                "electrode_interface": None if self.electrode is None else asdict(self.electrode),
                "skin_contact_interface": None if self.skin_contact is None else asdict(self.skin_contact),
                "units": {"rho": "ohm*m", "fc": "Hz", "r": "ohm*m^2", "c": "F/m^2"}}

    def impedance(self, kfactor, freqs, area_a: float = 0.0, area_b: float = 0.0, contact_area=0.0) -> np.ndarray:
        """Complex impedance (T,F) from per-frame geometry factor K (T,) and contact area (T,)."""
        K = np.atleast_1d(np.asarray(kfactor, dtype=np.float64))[:, None]
        f = np.atleast_1d(np.asarray(freqs, dtype=np.float64))[None, :]
        Z = self.tissue.resistivity(f) * K
        if self.electrode is not None and area_a > 0 and area_b > 0:
            z = self.electrode.specific(f)
            Z = Z + z / max(area_a, self.min_area) + z / max(area_b, self.min_area)
        ca = np.broadcast_to(np.asarray(contact_area, dtype=np.float64), K.shape[:1])[:, None]
        if self.skin_contact is not None:
            touching = ca > 0
            Z = Z + np.where(touching, 2 * self.skin_contact.specific(f) / np.maximum(ca, self.min_area), 0)
        return Z


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
