"""DE/rand/1/bin (Storn & Price, J. Global Optim. 1997) as a variation on the unit cube."""

import numpy as np
from pymoo.operators.crossover.binx import mut_binomial

__all__ = ["DifferentialEvolution"]


class DifferentialEvolution:
    """DE/rand/1/bin: mutant v = x_r1 + F (x_r2 - x_r3), binomial crossover with a target.

    Targets are the parents in turn; r1, r2, r3 are drawn at random and are distinct from each
    other whenever there are at least three parents. Components leaving [0, 1] are reflected
    back between the target's value and the violated bound (bounce-back), as in pymoo.

    Args:
        weight: the differential weight F.
        cr: crossover rate, per variable; at least one variable always comes from the mutant.
    """

    def __init__(self, *, weight: float = 0.5, cr: float = 0.9) -> None:
        self.weight, self.cr = weight, cr

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        n_var = X.shape[1]
        targets = X[np.arange(n_offspring) % len(X)]  # (n_offspring, n_var)
        donors = _distinct_donors(len(X), n_offspring, rng)  # (n_offspring, 3)
        mutant = X[donors[:, 0]] + self.weight * (X[donors[:, 1]] - X[donors[:, 2]])
        take = mut_binomial(n_offspring, n_var, self.cr, at_least_once=True, random_state=rng)
        trial = np.where(take, mutant, targets)
        low, high = trial < 0.0, trial > 1.0
        u = rng.random(trial.shape)
        trial = np.where(low, u * targets, trial)
        trial = np.where(high, targets + u * (1.0 - targets), trial)
        return np.clip(trial, 0.0, 1.0)


def _distinct_donors(n_parents: int, n_offspring: int, rng: np.random.Generator) -> np.ndarray:
    """Three donor indices per offspring, distinct within a row when n_parents >= 3."""
    if n_parents < 3:
        return rng.integers(0, n_parents, size=(n_offspring, 3))
    return np.argsort(rng.random((n_offspring, n_parents)), axis=1)[:, :3]
