"""Benchmark problems, with locally generated reference fronts."""

from evogan.problems.catalog import available_problems, get_problem, problem_info
from evogan.problems.fronts import hv_reference_point, reference_front
from evogan.problems.imf import IMF
from evogan.problems.lsmop import LSMOP

__all__ = [
    "IMF",
    "LSMOP",
    "available_problems",
    "get_problem",
    "hv_reference_point",
    "problem_info",
    "reference_front",
]
