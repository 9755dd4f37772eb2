"""The ask/tell algorithm protocol that the engine drives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from pymoo.core.problem import Problem

__all__ = ["Algorithm", "LockstepAsk"]


@runtime_checkable
class Algorithm(Protocol):
    """A population-based optimiser driven by ask/tell.

    `setup` resets all run state. `ask` returns the next decision vectors to evaluate, in the
    problem's bounds, shape (n, n_var); the engine may evaluate only the first rows of a batch
    (to respect the budget) and then passes exactly those rows to `tell`, which performs
    environmental selection. An algorithm never evaluates the problem itself.

    Constraints: `tell` always receives the constraint violation `cv` of the rows (the sum of
    the positive parts of G and of |H| - eps, `evogan.engine.constraint_violation`; 0 means
    feasible), zeros for an unconstrained problem. An algorithm keeps the `cv` of its
    population, returns it from `population`, and ranks by Deb's constraint-domination
    (`evogan.survival.constrained_objectives`), which leaves unconstrained runs unchanged.
    """

    def setup(self, problem: Problem, *, rng: np.random.Generator, device: str = "cpu") -> None:
        """Prepare a new run on `problem`, drawing all randomness from `rng`."""

    def ask(self) -> np.ndarray:
        """Decision vectors to evaluate next, (n, n_var), inside the problem's bounds."""

    def tell(self, X: np.ndarray, F: np.ndarray, cv: np.ndarray) -> None:
        """Take the evaluated rows `X` (m, n_var), `F` (m, n_obj) and their constraint
        violation `cv` (m,) of the last `ask`, m <= n."""

    def population(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The current population `(X, F, cv)`, X in the problem's bounds, cv (n,)."""

    def metrics(self) -> dict[str, float]:
        """Diagnostics of the last generation (GAN losses, survival shares); may be empty."""


class LockstepAsk(Protocol):
    """The optional hook of batched seeds (`evogan.engine.minimize_lockstep`): a classmethod
    `ask_many` on an algorithm class that makes the next batch of K instances at once.

    The lockstep loop calls `type(a).ask_many(algorithms)` instead of each `a.ask()` when all K
    algorithms of a generation are instances of that one class. It must return, per algorithm,
    what its own `ask` would return in distribution (each drawing its own randomness from its own
    generator), and leave each in the state its `ask` would; what it may share is the work: a
    learned operator trains the K seeds' networks as one stacked network (EMT-GS's transfer
    GANs do, `evogan.algorithms.multitask.emtgs.EMTGS.ask_many`). The tells stay per algorithm.
    Without the hook the K asks run side by side, on several threads where the loop is given
    them: an algorithm whose work releases the GIL (GMOEA's compiled GAN training) then gains
    from the cores without a hook, each instance drawing only on its own state.
    """

    @classmethod
    def ask_many(cls, algorithms: Sequence[Algorithm]) -> list[np.ndarray]:
        """The next batch of each algorithm, (n_i, n_var) each, in the order given."""
