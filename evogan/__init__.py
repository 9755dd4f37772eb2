"""evogan: evolutionary multiobjective optimisation with GANs as variation operators."""

from evogan.device import portable_cpu_math

portable_cpu_math()  # before anything imports torch: the same bits on every x86-64 CPU

# ruff: noqa: E402 (the imports below must follow the call above)

from evogan.bridge import PymooMating
from evogan.core.variation import LearnedVariation, Variation
from evogan.engine import Result, minimize
from evogan.indicators import gd, hv, igd, igd_plus
from evogan.operators import SBX, DifferentialEvolution, PolynomialMutation, RegularityModel
from evogan.operators.combinators import Chain, Hybrid, quadratic_decay
from evogan.operators.portfolio import Portfolio
from evogan.problems import get_problem, hv_reference_point, reference_front
from evogan.registry import available_algorithms, get_algorithm, register_algorithm

__all__ = [
    "SBX",
    "Chain",
    "DifferentialEvolution",
    "Hybrid",
    "LearnedVariation",
    "PolynomialMutation",
    "Portfolio",
    "PymooMating",
    "RegularityModel",
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
