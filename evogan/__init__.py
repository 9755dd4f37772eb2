"""evogan: evolutionary multiobjective optimisation with GANs as variation operators."""

from evogan.bridge import PymooMating
from evogan.engine import Result, minimize
from evogan.indicators import gd, hv, igd, igd_plus
from evogan.operators import SBX, DifferentialEvolution, PolynomialMutation
from evogan.problems import get_problem, hv_reference_point, reference_front
from evogan.registry import available_algorithms, get_algorithm, register_algorithm
from evogan.variation import Chain, Hybrid, LearnedVariation, Variation, quadratic_decay

__all__ = [
    "SBX",
    "Chain",
    "DifferentialEvolution",
    "Hybrid",
    "LearnedVariation",
    "PolynomialMutation",
    "PymooMating",
    "Result",
    "Variation",
    "available_algorithms",
    "gd",
    "get_algorithm",
    "get_problem",
    "hv",
    "hv_reference_point",
    "igd",
    "igd_plus",
    "minimize",
    "quadratic_decay",
    "reference_front",
    "register_algorithm",
]
