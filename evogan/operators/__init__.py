"""Variation operators: classic ones (SBX, PM, DE, RM-MEDA's regularity model), the adaptive
`Portfolio` and, in their own modules, the GAN operators.

`OPERATORS` maps the names that `evogan list` shows to the operator classes; every class in it
is built from keyword-only hyperparameters and passes the shared Variation contract test. The
GAN operators (`GMOEAGAN`, `EGANOffspring`) need torch and are imported when first used, so that
`import evogan` stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from evogan.operators.de import DifferentialEvolution
from evogan.operators.pm import PolynomialMutation
from evogan.operators.portfolio import Portfolio
from evogan.operators.rm import RegularityModel
from evogan.operators.sbx import SBX

__all__ = ["GMOEAGAN", "OPERATORS", "SBX", "DifferentialEvolution", "EGANOffspring",
           "PolynomialMutation", "Portfolio", "RegularityModel"]

_LAZY = {"GMOEAGAN": "evogan.gan.gmoea", "EGANOffspring": "evogan.gan.egan_offspring"}


def __getattr__(name: str) -> Any:
    """`GMOEAGAN` and `EGANOffspring`, imported (with torch) on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Operators(Mapping[str, type]):
    """Operator classes by name; a GAN operator's module is imported when it is looked up."""

    _CLASSES = {"sbx": "SBX", "pm": "PolynomialMutation", "de": "DifferentialEvolution",
                "rm": "RegularityModel", "gmoea": "GMOEAGAN", "egan": "EGANOffspring"}

    def __getitem__(self, name: str) -> type:
        class_name = self._CLASSES[name]
        return globals()[class_name] if class_name in globals() else __getattr__(class_name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._CLASSES)

    def __len__(self) -> int:
        return len(self._CLASSES)


OPERATORS: Mapping[str, type] = _Operators()
