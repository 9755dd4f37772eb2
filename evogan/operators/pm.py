"""Polynomial mutation (Deb & Goyal 1996) on the unit cube."""

import numpy as np
from pymoo.operators.mutation.pm import mut_pm

from evogan.operators._parents import draw_parents

__all__ = ["PolynomialMutation"]


class PolynomialMutation:
    """Polynomial mutation; pymoo's `mut_pm` does the maths.

    Mutates `n_offspring` parents (each used once before any is reused, in random order when
    fewer offspring than parents are asked for; in the given order when the counts match, so
    that it can follow a crossover inside a `Chain`).

    Args:
        eta: distribution index; larger means smaller steps.
        prob_var: per-variable mutation probability; None means 1 / n_var.
    """

    def __init__(self, *, eta: float = 20.0, prob_var: float | None = None) -> None:
        self.eta, self.prob_var = eta, prob_var

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        n_var = X.shape[1]
        if n_offspring == len(X):
            parents = np.asarray(X, dtype=float)
        else:
            parents = X[draw_parents(len(X), n_offspring, 1, rng)[:, 0]].astype(float)
        prob = self.prob_var if self.prob_var is not None else 1.0 / n_var
        mutated = mut_pm(
            parents,
            np.zeros(n_var),
            np.ones(n_var),
            np.full(n_offspring, self.eta, dtype=float),
            np.full(n_offspring, prob),
            at_least_once=False,
            random_state=rng,
        )
        return np.clip(mutated, 0.0, 1.0)
