"""Variation operators: classic ones (SBX, PM, DE) and, in their own modules, the GAN operators."""

from evogan.operators.de import DifferentialEvolution
from evogan.operators.pm import PolynomialMutation
from evogan.operators.sbx import SBX

__all__ = ["SBX", "DifferentialEvolution", "PolynomialMutation"]
