"""Label budgets (`--labels-per-class K`, `--label-fractions F`): their keys, folders and words.
Light on purpose (no torch): `weartwin compare` names a run's budget with it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """How many labelled real windows a fold may use (training AND validation together):
    `k` per class (`--labels-per-class`), or a `fraction` of each class (`--label-fractions`)."""
    fraction: float = 1.0
    k: int = 0

    @staticmethod
    def parse(value) -> "Budget":
        if isinstance(value, Budget):
            return value
        if isinstance(value, str) and value.startswith("k"):
            return Budget(k=int(value[1:]))
        return Budget(fraction=float(value))

    @property
    def key(self) -> str:          # "1", "0.1", "k10": metrics' sweep keys and fold folder names
        return f"k{self.k}" if self.k else f"{self.fraction:g}"

    @property
    def words(self) -> str:        # for logs: "budget=1" read as one label when it meant all
        if self.k:
            return f"{self.k} label{'s' if self.k != 1 else ''} per class"
        return "all labels" if self.full else f"{self.fraction * 100:g}% of labels"

    @property
    def folder(self) -> str:
        return f"k{self.k}" if self.k else f"frac{self.fraction:g}"

    @property
    def full(self) -> bool:
        return not self.k and self.fraction >= 1.0
