"""Single-task NSGA-II on every task of a multitask problem: the no-transfer baseline."""

from __future__ import annotations

import numpy as np

from evogan.algorithms.multitask.base import MultitaskAlgorithm
from evogan.operators import SBX, PolynomialMutation
from evogan.operators.combinators import Chain
from evogan.params import real
from evogan.registry import register_algorithm
from evogan.survival import binary_tournament

__all__ = ["PerTaskNSGA2"]


@register_algorithm(
    "mt-nsga2",
    summary="NSGA-II run independently on each task of a multitask problem (no transfer)",
    reference="Deb et al., IEEE TEVC 6(2), 2002, DOI 10.1109/4235.996017",
    params={"eta_c": real(ge=0), "eta_m": real(ge=0),
            "mutation_prob_var": real(ge=0, le=1, optional=True)},
    problem_kind="multitask",
)
class PerTaskNSGA2(MultitaskAlgorithm):
    """One independent NSGA-II population of `pop_size` per task, sharing the total budget.

    Each generation every task makes `pop_size` children from its own population: binary
    tournament on the position in the NSGA-II order (`binary_tournament`: two distinct
    candidates; the positions never tie), SBX, polynomial mutation, all in the unified space (so
    the variation is the same as MO-MFEA's and only transfer differs); survival per task as usual.
    Answers whether transfer between tasks helps at all.

    Args:
        pop_size: individuals per task.
        eta_c: SBX distribution index.
        eta_m: polynomial-mutation distribution index.
        mutation_prob_var: per-gene mutation probability; None means 1 / D_u.
    """

    def __init__(
        self,
        *,
        pop_size: int = 100,
        eta_c: float = 20.0,
        eta_m: float = 20.0,
        mutation_prob_var: float | None = None,
    ) -> None:
        super().__init__(pop_size=pop_size)
        self.eta_c, self.eta_m, self.mutation_prob_var = eta_c, eta_m, mutation_prob_var

    def _setup(self) -> None:
        self.variation_ = Chain(
            SBX(eta=self.eta_c), PolynomialMutation(eta=self.eta_m, prob_var=self.mutation_prob_var)
        )

    def _offspring(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        children = []
        for U_t in self.U_:
            position = np.arange(len(U_t))  # U_t is in NSGA-II order: lower is better
            pool = U_t[binary_tournament((position,), self.pop_size, rng=self.rng_)]
            children.append(self.variation_(pool, None, self.pop_size, rng=self.rng_))
        task = np.repeat(np.arange(len(self.U_)), self.pop_size)
        return np.vstack(children), task, np.zeros(len(task), dtype=bool)
