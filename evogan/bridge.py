"""Run any evogan variation inside a pymoo genetic algorithm: `NSGA2(mating=PymooMating(op))`."""

from __future__ import annotations

import numpy as np
from pymoo.core.duplicate import DefaultDuplicateElimination
from pymoo.core.infill import InfillCriterion
from pymoo.core.population import Population
from pymoo.core.problem import Problem
from pymoo.core.selection import Selection

from evogan.core.bounds import from_unit, to_unit
from evogan.core.variation import Variation, reset_variation
from evogan.credit import credit_offspring
from evogan.survival import constrained_objectives

__all__ = ["PymooMating"]


class PymooMating(InfillCriterion):
    """A pymoo mating (infill criterion) whose offspring come from an evogan `Variation`.

    The parents (the whole population, or those picked by `selection`) are mapped to the unit
    cube, handed to the variation with their objectives, and the offspring are mapped back into
    the problem's bounds. Under constraints the variation sees the constraint-aware objectives
    (`evogan.survival.constrained_objectives` of F and pymoo's CV: feasible rows first), as in
    evogan's own algorithms, so an operator that learns from the best rows learns from feasible
    ones. pymoo's generator (`random_state`, seeded by pymoo from its `seed`) is
    the variation's `rng`, so a seeded pymoo run stays reproducible.

    A variation with the `credit` hook (an adaptive `Portfolio`) learns which of its offspring
    survived, and, if it asks, their hypervolume contributions in the new population (see
    `evogan.core.variation`). pymoo has no survival callback for matings, but its survival
    keeps the very `Individual` objects it is given: so the mating remembers the offspring it
    made for one population, and when it is next called with a new population (the survivors
    of parents and those offspring), credits each remembered offspring that is among them, at
    its row there. Offspring that pymoo dropped as duplicates or never evaluated count as not
    surviving. The last generation's offspring get no credit (there is no next call).

    A new run starts the variation afresh (`reset_variation`: a portfolio's probabilities, a
    learned operator's networks), as evogan's own algorithms do in `setup`: pymoo has no setup
    call for a mating, so the mating notices a run's first call by another algorithm object or
    by its generation counter, lower than at the last call. A mating shared by several
    algorithms run one after another (pymoo's `minimize(..., copy_algorithm=False)`) thus starts
    each run as a fresh one would.

    Args:
        variation: any evogan variation (a plain function, an operator, a learned variation).
        selection: an optional pymoo `Selection` for the mating pool (e.g. pymoo's
            `TournamentSelection`); None passes the whole population.
        eliminate_duplicates: as in pymoo's genetic algorithms.
    """

    def __init__(
        self, variation: Variation, *, selection: Selection | None = None,
        eliminate_duplicates: bool = True,
    ) -> None:
        super().__init__(
            eliminate_duplicates=DefaultDuplicateElimination() if eliminate_duplicates else None
        )
        self.variation, self.selection = variation, selection
        self.listens_ = callable(getattr(variation, "credit", None))
        self.credited_pop_: Population | None = None  # the population the pending offspring are for
        self.pending_: list = []  # the Individuals made for it, in the order they were made
        self.run_: tuple[int, int] | None = None  # (id of the algorithm, its n_iter) at the last call

    def _start_run_if_new(self, algorithm: object) -> None:
        """Reset the variation and the pending credit when `algorithm` starts a new run."""
        run = (id(algorithm), int(getattr(algorithm, "n_iter", 0) or 0))
        if self.run_ is None or run[0] != self.run_[0] or run[1] < self.run_[1]:
            reset_variation(self.variation)
            self.credited_pop_, self.pending_ = None, []
        self.run_ = run

    def _credit(self, pop: Population) -> None:
        """Credit the offspring made for the previous population: which are in `pop` now."""
        if pop is self.credited_pop_:  # another call for the same generation (duplicates refill)
            return
        if self.pending_:
            row = {id(ind): i for i, ind in enumerate(pop)}
            rows = np.array([row.get(id(ind), -1) for ind in self.pending_])
            credit_offspring(self.variation, rows, _objectives(pop))
        self.credited_pop_, self.pending_ = pop, []

    def _do(
        self, problem: Problem, pop: Population, n_offsprings: int, random_state=None, **kwargs
    ) -> Population:
        self._start_run_if_new(kwargs.get("algorithm"))
        if self.listens_:
            self._credit(pop)
        if self.selection is not None:
            parents = self.selection(problem, pop, n_offsprings, 1, random_state=random_state,
                                     **kwargs)[:, 0]
            pop = pop[parents]
        xl, xu = np.asarray(problem.xl, float), np.asarray(problem.xu, float)
        U = to_unit(pop.get("X"), xl, xu)
        U_off = self.variation(U, _objectives(pop), n_offsprings, rng=random_state)
        off = Population.new(X=from_unit(U_off, xl, xu))
        if self.listens_:
            self.pending_.extend(off)
        return off


def _objectives(pop: Population) -> np.ndarray | None:
    """The population's constraint-aware objectives (n, n_obj), None if it is not evaluated."""
    F = pop.get("F")
    if F is None or not F.size:
        return None
    return constrained_objectives(F, pop.get("CV").reshape(len(F)))
