"""Variation operators: classic ones (SBX, PM, DE) and, in their own modules, the GAN operators.

`OPERATORS` maps the names that `evogan list` shows to the operator classes; every class in it
is built from keyword-only hyperparameters and passes the shared Variation contract test.
"""

from evogan.operators.de import DifferentialEvolution
from evogan.operators.egan import EGANOffspring
from evogan.operators.gmoea import GMOEAGAN
from evogan.operators.pm import PolynomialMutation
from evogan.operators.sbx import SBX

__all__ = ["GMOEAGAN", "EGANOffspring", "OPERATORS", "SBX", "DifferentialEvolution", "PolynomialMutation"]

OPERATORS: dict[str, type] = {
    "sbx": SBX,
    "pm": PolynomialMutation,
    "de": DifferentialEvolution,
    "gmoea": GMOEAGAN,
    "egan": EGANOffspring,
}
