"""Simulated binary crossover (Deb & Agrawal, Complex Systems 1995) on the unit cube."""

import numpy as np
from pymoo.operators.crossover.sbx import cross_sbx

from evogan.operators._parents import draw_parents

__all__ = ["SBX"]


class SBX:
    """Simulated binary crossover; pymoo's `cross_sbx` does the maths.

    Parents are paired at random; each pair yields two children and the batch is cut to
    `n_offspring`.

    Args:
        eta: distribution index; larger keeps children closer to their parents.
        prob: probability that a pair is crossed at all (else the children copy the parents).
        prob_var: probability that each variable of a crossed pair is recombined.
        prob_exchange: probability that the two children swap a variable (PlatEMO and pymoo: 0.5).
    """

    def __init__(
        self, *, eta: float = 20.0, prob: float = 1.0, prob_var: float = 0.5,
        prob_exchange: float = 0.5,
    ) -> None:
        self.eta, self.prob, self.prob_var, self.prob_exchange = eta, prob, prob_var, prob_exchange

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        n_pairs = -(-n_offspring // 2)
        n_var = X.shape[1]
        pairs = draw_parents(len(X), n_pairs, 2, rng)  # (n_pairs, 2)
        parents = X[pairs.T].astype(float)  # (2, n_pairs, n_var)
        crossed = rng.random((n_pairs, 1)) < self.prob
        children = cross_sbx(
            parents,
            np.zeros(n_var),
            np.ones(n_var),
            np.full((n_pairs, 1), self.eta, dtype=float),
            np.where(crossed, self.prob_var, 0.0),
            np.full((n_pairs, 1), self.prob_exchange),
            random_state=rng,
        )  # (2, n_pairs, n_var)
        return np.clip(children.reshape(2 * n_pairs, n_var)[:n_offspring], 0.0, 1.0)
