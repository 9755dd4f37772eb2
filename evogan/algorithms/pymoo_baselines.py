"""pymoo's NSGA-II, NSGA-III and MOEA/D run through evogan's ask/tell engine and run record.

The algorithms are pymoo's own implementations, untouched; evogan only feeds them the evaluated
solutions, so the budget, seeding, history and indicators are the same as for evogan's own
algorithms and comparisons are like for like. Constraints reach pymoo natively: each told
solution carries its violation as one inequality G = cv (pymoo's CV of it is cv itself), so
pymoo's own constraint handling (its feasibility-first survival and constrained tournaments)
decides, exactly as when pymoo evaluates the problem itself. pymoo's MOEA/D refuses
constrained problems; so does `moead` here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from math import comb

import numpy as np
from pymoo.algorithms.moo.moead import MOEAD
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.moo.nsga3 import NSGA3
from pymoo.core.algorithm import Algorithm as PymooAlgorithm
from pymoo.core.individual import Individual
from pymoo.core.problem import Problem
from pymoo.core.termination import NoTermination
from pymoo.util.ref_dirs import get_reference_directions

from evogan.core.errors import ConfigError
from evogan.core.rng import derive_seed
from evogan.params import integer
from evogan.registry import register_algorithm

__all__ = ["PymooBaseline", "das_dennis_directions"]

logger = logging.getLogger(__name__)


class PymooBaseline:
    """Adapter from a pymoo algorithm to evogan's ask/tell `Algorithm` protocol.

    Args:
        build: called with the problem at every `setup`, returns a fresh pymoo algorithm.

    After `setup`, `pop_size_` is the population pymoo actually uses (MOEA/D's is its number
    of reference directions, whatever pop_size was asked); the run record saves it.
    """

    def __init__(self, build: Callable[[Problem], PymooAlgorithm]) -> None:
        self.build = build

    def setup(self, problem: Problem, *, rng: np.random.Generator, device: str = "cpu") -> None:
        self.constrained_ = bool(problem.has_constraints())
        self.algorithm_ = self.build(problem)
        self.algorithm_.setup(problem, termination=NoTermination(), seed=derive_seed(rng))
        self.pop_size_ = int(self.algorithm_.pop_size)
        self.asked_ = None

    def ask(self) -> np.ndarray:
        self.asked_ = self.algorithm_.ask()
        # loop-wise algorithms (MOEA/D) ask for one Individual at a time
        return np.atleast_2d(self.asked_.get("X"))

    def tell(self, X: np.ndarray, F: np.ndarray, cv: np.ndarray) -> None:
        G = np.asarray(cv, dtype=float)[:, None]  # (m, 1): the violation as one inequality
        if isinstance(self.asked_, Individual):
            infills = self.asked_
            infills.set("F", F[0])
            if self.constrained_:
                infills.set("G", G[0])
        else:
            infills = self.asked_[: len(X)]
            infills.set("F", F)
            if self.constrained_:
                infills.set("G", G)
        self.algorithm_.evaluator.n_eval += len(X)
        self.algorithm_.tell(infills=infills)

    def population(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pop = self.algorithm_.pop
        cv = pop.get("CV")[:, 0] if self.constrained_ else np.zeros(len(pop))
        return pop.get("X"), pop.get("F"), np.asarray(cv, dtype=float)

    def metrics(self) -> dict[str, float]:
        return {}


def das_dennis_directions(n_obj: int, max_points: int) -> np.ndarray:
    """Das-Dennis reference directions: the most that do not exceed `max_points` (at least n_obj)."""
    n_partitions = 1
    while comb(n_partitions + 1 + n_obj - 1, n_obj - 1) <= max_points:
        n_partitions += 1
    return get_reference_directions("das-dennis", n_obj, n_partitions=n_partitions)


def _check_pop_size(pop_size: int) -> None:
    if pop_size < 4:
        raise ConfigError(f"pop_size must be an integer >= 4, got {pop_size}")


def _directions(algo: str, n_obj: int, pop_size: int) -> np.ndarray:
    """The Das-Dennis directions of `algo`, refused when even the n_obj axes exceed pop_size.

    pymoo's NSGA-III would run with fewer individuals than directions after printing a warning
    on stdout, and its MOEA/D would silently grow the population to the directions.
    """
    ref_dirs = das_dennis_directions(n_obj, pop_size)
    if len(ref_dirs) > pop_size:
        raise ConfigError(f"{algo} on {n_obj} objectives needs pop_size >= {len(ref_dirs)} (one "
                          f"individual per Das-Dennis reference direction), got {pop_size}")
    return ref_dirs


@register_algorithm(
    "nsga2", summary="pymoo's NSGA-II (SBX eta 15, PM eta 20)",
    reference="Deb et al., IEEE TEVC 6(2), 2002",
    params={},
)
def make_nsga2(*, pop_size: int = 100) -> PymooBaseline:
    _check_pop_size(pop_size)
    return PymooBaseline(lambda problem: NSGA2(pop_size=pop_size))


@register_algorithm(
    "nsga3", summary="pymoo's NSGA-III on Das-Dennis directions (at most pop_size of them)",
    reference="Deb & Jain, IEEE TEVC 18(4), 2014",
    params={},
)
def make_nsga3(*, pop_size: int = 100) -> PymooBaseline:
    _check_pop_size(pop_size)
    return PymooBaseline(
        lambda problem: NSGA3(ref_dirs=_directions("nsga3", problem.n_obj, pop_size),
                              pop_size=pop_size)
    )


@register_algorithm(
    "moead",
    summary="pymoo's MOEA/D (Tchebycheff for 2 objectives, PBI for more; population = the "
    "number of Das-Dennis directions <= pop_size)",
    reference="Zhang & Li, IEEE TEVC 11(6), 2007",
    params={"n_neighbors": integer(ge=2)},
)
def make_moead(*, pop_size: int = 100, n_neighbors: int = 20) -> PymooBaseline:
    _check_pop_size(pop_size)

    def build(problem: Problem) -> MOEAD:
        if problem.has_constraints():
            raise ConfigError(f"moead does not handle constraints (pymoo's MOEA/D refuses "
                              f"them); {getattr(problem, 'benchmark_name', type(problem).__name__)!r} has "
                              f"{problem.n_ieq_constr + problem.n_eq_constr}; use nsga2 or nsga3")
        ref_dirs = _directions("moead", problem.n_obj, pop_size)
        if len(ref_dirs) < pop_size:
            logger.warning("moead on %d objectives uses a population of %d (the Das-Dennis "
                           "directions that fit in pop_size=%d); pass --pop-size %d to ask for it",
                           problem.n_obj, len(ref_dirs), pop_size, len(ref_dirs))
        return MOEAD(ref_dirs=ref_dirs, n_neighbors=n_neighbors)

    return PymooBaseline(build)
