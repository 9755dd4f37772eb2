"""evogan's own genetic algorithm: pluggable variation and survival, on the unit cube."""

from __future__ import annotations

import numpy as np
from pymoo.core.problem import Problem

from evogan.core.bounds import from_unit, to_unit
from evogan.core.errors import ConfigError
from evogan.core.variation import (
    Variation,
    checked_offspring,
    reset_variation,
    variation_diagnostics,
)
from evogan.credit import credit_offspring, offspring_rows
from evogan.operators import SBX, PolynomialMutation
from evogan.operators.combinators import Chain
from evogan.operators.rm import REPAIRS, RegularityModel
from evogan.params import choice, integer, real
from evogan.registry import register_algorithm
from evogan.survival import (
    binary_tournament,
    constrained_objectives,
    crowding_by_front,
    non_dominated_rank,
    rank_crowding_select,
    spea2_fitness,
    spea2_select,
)

__all__ = ["MATINGS", "SURVIVALS", "GeneticAlgorithm", "make_ga", "make_rm_meda"]

SURVIVALS = ("rank-crowding", "spea2")
MATINGS = ("tournament", "population")


class GeneticAlgorithm:
    """A (mu + lambda) GA: tournament mating, any `Variation`, elitist survival.

    Each generation a binary tournament fills a mating pool of `n_offspring` parents (on
    (rank, -crowding) for `rank-crowding` survival, on SPEA2 fitness for `spea2`), or, with
    `mating="population"`, the whole population is the pool (as estimation-of-distribution
    algorithms such as RM-MEDA model it); the variation turns the pool into `n_offspring`
    offspring on the unit cube; survival keeps `pop_size` of
    parents and offspring, and tells the variation which offspring survived (its optional
    `credit` hook, which a `Portfolio` learns from), with their hypervolume contributions in the
    new population if it asks. With `rank-crowding` and SBX + PM this is NSGA-II (Deb et al.
    2002); with `spea2` it is the GA half of GMOEA. Under constraints, survival, tournament and
    the objectives the variation sees all follow Deb's constraint-domination
    (`evogan.survival.constrained_objectives`).

    Args:
        pop_size: population size N.
        n_offspring: offspring per generation; None means N.
        variation: the offspring operator; None means SBX(eta=20) followed by PM(eta=20).
        survival: "rank-crowding" (NSGA-II) or "spea2" (Zitzler et al. 2001).
        mating: "tournament" or "population" (see above).
    """

    def __init__(
        self, *, pop_size: int = 100, n_offspring: int | None = None,
        variation: Variation | None = None, survival: str = "rank-crowding",
        mating: str = "tournament",
    ) -> None:
        if pop_size < 4:
            raise ConfigError(f"pop_size must be an integer >= 4, got {pop_size}")
        if survival not in SURVIVALS:
            raise ConfigError(f"unknown survival {survival!r}; choose one of: {', '.join(SURVIVALS)}")
        if mating not in MATINGS:
            raise ConfigError(f"unknown mating {mating!r}; choose one of: {', '.join(MATINGS)}")
        self.pop_size = pop_size
        self.n_offspring = n_offspring or pop_size
        self.variation = variation if variation is not None else Chain(SBX(), PolynomialMutation())
        self.survival, self.mating = survival, mating

    def setup(self, problem: Problem, *, rng: np.random.Generator, device: str = "cpu") -> None:
        self.problem_, self.rng_ = problem, rng
        self.xl_, self.xu_ = np.asarray(problem.xl, float), np.asarray(problem.xu, float)
        reset_variation(self.variation)
        self.X_ = np.empty((0, problem.n_var))  # unit cube
        self.F_ = np.empty((0, problem.n_obj))
        self.cv_ = np.empty(0)
        self.ranked_F_ = self.F_  # F under constraint-domination (F itself when all feasible)
        self.mating_keys_: tuple[np.ndarray, ...] = ()

    def ask(self) -> np.ndarray:
        if len(self.X_) == 0:
            U = self.rng_.random((self.pop_size, self.problem_.n_var))
        else:
            pool = (np.arange(len(self.X_)) if self.mating == "population" else
                    binary_tournament(self.mating_keys_, self.n_offspring, rng=self.rng_))
            U = self.variation(self.X_[pool], self.ranked_F_[pool], self.n_offspring, rng=self.rng_)
            U = checked_offspring(U, self.n_offspring, self.problem_.n_var, self.variation)
        return from_unit(U, self.xl_, self.xu_)

    def tell(self, X: np.ndarray, F: np.ndarray, cv: np.ndarray) -> None:
        X_all = np.concatenate([self.X_, to_unit(X, self.xl_, self.xu_)])
        F_all = np.concatenate([self.F_, F])
        cv_all = np.concatenate([self.cv_, cv])
        ranked = constrained_objectives(F_all, cv_all)
        if self.survival == "spea2":
            keep = spea2_select(ranked, min(self.pop_size, len(F_all)))
        else:
            keep = rank_crowding_select(ranked, min(self.pop_size, len(F_all)))
        if len(self.X_):  # the first tell is the random initial population, not offspring
            credit_offspring(self.variation, offspring_rows(keep, len(self.X_), self.n_offspring),
                             ranked[keep])
        self.X_, self.F_, self.cv_ = X_all[keep], F_all[keep], cv_all[keep]
        self.ranked_F_ = constrained_objectives(self.F_, self.cv_)
        self.mating_keys_ = self._mating_keys(self.ranked_F_)

    def _mating_keys(self, F: np.ndarray) -> tuple[np.ndarray, ...]:
        if self.survival == "spea2":
            return (spea2_fitness(F),)
        rank = non_dominated_rank(F)
        return (rank, -crowding_by_front(F, rank))  # crowding within each front, as in NSGA-II

    def population(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return from_unit(self.X_, self.xl_, self.xu_), self.F_.copy(), self.cv_.copy()

    def metrics(self) -> dict[str, float]:
        """The variation's `diagnostics()` (a portfolio's probabilities), if it has any."""
        return variation_diagnostics(self.variation)


@register_algorithm(
    "ga", summary="evogan's GA: binary tournament, SBX + PM (or --variation), elitist survival",
    reference="Deb et al., IEEE TEVC 6(2), 2002; Zitzler et al., TIK-Report 103, 2001",
    params={"survival": choice(*SURVIVALS)},
)
def make_ga(
    *, pop_size: int = 100, survival: str = "rank-crowding", variation: Variation | None = None
) -> GeneticAlgorithm:
    return GeneticAlgorithm(pop_size=pop_size, survival=survival, variation=variation)


@register_algorithm(
    "rm-meda",
    summary="RM-MEDA: offspring sampled from a local-PCA model of the population, NSGA-II survival",
    reference="Q. Zhang, A. Zhou, Y. Jin, RM-MEDA: a regularity model-based multiobjective "
              "estimation of distribution algorithm, IEEE TEVC 12(1), 2008",
    params={"clusters": integer(ge=1), "extension": real(ge=0), "repair": choice(*REPAIRS)},
)
def make_rm_meda(*, pop_size: int = 100, clusters: int = 5, extension: float = 0.25,
                 repair: str = "clip") -> GeneticAlgorithm:
    """RM-MEDA: each generation models the whole population by `clusters` local (M - 1)-dimensional
    linear pieces extended by `extension` (`evogan.operators.RegularityModel`), samples N
    offspring from it, and keeps N of parents and offspring by non-dominated rank and crowding
    distance (NSGA-II's survival; the paper removes the most crowded solution of the last front
    one at a time, a refinement not reproduced). `repair` brings components back into the cube
    (`RegularityModel`: "clip", PlatEMO's, or "bounce-back")."""
    return GeneticAlgorithm(pop_size=pop_size, mating="population", variation=RegularityModel(
        clusters=clusters, extension=extension, repair=repair))
