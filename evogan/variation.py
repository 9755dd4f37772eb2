"""The variation (offspring operator) contract, the learned-variation base, and combinators.

A variation maps evaluated parents on the unit cube to offspring on the unit cube:

    variation(X, F, n_offspring, *, rng) -> X_off

with `X` of shape (n, n_var) in [0, 1], `F` of shape (n, n_obj) or None (when the parents come
from another operator and are not evaluated), and `X_off` of shape (n_offspring, n_var) in [0, 1].
A plain function qualifies. Learned variations (every GAN operator) split the call into
`fit(X, F, *, rng)` and `sample(n, *, rng)`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from evogan.errors import OperatorError

__all__ = [
    "Chain",
    "Hybrid",
    "LearnedVariation",
    "Variation",
    "checked_offspring",
    "operator_name",
    "quadratic_decay",
    "reset_variation",
]


@runtime_checkable
class Variation(Protocol):
    """Anything callable as `(X, F, n_offspring, *, rng) -> X_off` on the unit cube."""

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray: ...


class LearnedVariation(ABC):
    """A variation that learns a model of good solutions and samples offspring from it.

    Follows scikit-learn's estimator convention: the constructor only stores hyperparameters;
    `fit` creates the learned state in attributes whose names end in `_`; `reset` forgets it.
    Calling the object fits on the parents, then samples, so it is a `Variation` as well.
    Subclasses may skip refitting inside `fit` when their own schedule says so.
    """

    @abstractmethod
    def fit(self, X: np.ndarray, F: np.ndarray | None, *, rng: np.random.Generator) -> None:
        """Learn from the evaluated parents `X` (n, n_var) in [0, 1] with objectives `F`."""

    @abstractmethod
    def sample(self, n: int, *, rng: np.random.Generator) -> np.ndarray:
        """Return `n` offspring, shape (n, n_var), in [0, 1]."""

    def reset(self) -> None:
        """Forget everything learned, so the next run starts from scratch."""
        for name in [name for name in vars(self) if name.endswith("_") and not name.startswith("_")]:
            delattr(self, name)

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        self.fit(X, F, rng=rng)
        return self.sample(n_offspring, rng=rng)


def operator_name(variation: Variation) -> str:
    """How errors name an operator: a function's name, else its class's."""
    return getattr(variation, "__name__", None) or type(variation).__name__


def checked_offspring(X_off: object, n_offspring: int, n_var: int, variation: Variation) -> np.ndarray:
    """`X_off` as a float array if it keeps the variation contract, else a one-line error.

    The contract: a numpy array of real numbers, shape (n_offspring, n_var), finite, in [0, 1].
    Nothing is clipped or reshaped, so that a faulty operator is named instead of a problem
    later receiving its values.

    Raises:
        OperatorError: naming the operator and the first broken rule.
    """
    name, wanted = operator_name(variation), f"({n_offspring}, {n_var})"
    if not isinstance(X_off, np.ndarray):
        raise OperatorError(f"operator {name} returned {type(X_off).__name__}, not a numpy array "
                            f"of shape {wanted}")
    if X_off.shape != (n_offspring, n_var):
        raise OperatorError(f"operator {name} returned shape {X_off.shape}; it was asked for "
                            f"{n_offspring} offspring of {n_var} variables, shape {wanted}")
    if X_off.dtype.kind not in "fiub":
        raise OperatorError(f"operator {name} returned dtype {X_off.dtype}, not real numbers")
    X_off = X_off.astype(float, copy=False)
    bad = ~np.isfinite(X_off).all(axis=1)
    if bad.any():
        raise OperatorError(f"operator {name} returned NaN or inf in {int(bad.sum())} of "
                            f"{n_offspring} offspring")
    low, high = float(X_off.min()), float(X_off.max())
    if low < 0.0 or high > 1.0:
        raise OperatorError(f"operator {name} returned values in [{low:.6g}, {high:.6g}]; "
                            "offspring must lie in the unit cube [0, 1] (evogan maps them to the "
                            "problem's bounds)")
    return X_off


def reset_variation(variation: Variation) -> None:
    """Reset a variation's learned state if it has any (plain functions have none)."""
    reset = getattr(variation, "reset", None)
    if callable(reset):
        reset()


class Chain:
    """Apply variations one after another: the offspring of one are the parents of the next.

    `Chain(SBX(), PolynomialMutation())` is the classic GA offspring operator. Later stages get
    `F=None`, since their parents have not been evaluated.
    """

    def __init__(self, *stages: Variation) -> None:
        if not stages:
            raise ValueError("Chain needs at least one variation")
        self.stages = stages

    def reset(self) -> None:
        for stage in self.stages:
            reset_variation(stage)

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        X_off = self.stages[0](X, F, n_offspring, rng=rng)
        for stage in self.stages[1:]:
            X_off = stage(X_off, None, n_offspring, rng=rng)
        return X_off


Schedule = Callable[[int], float]


def quadratic_decay(w_max: int) -> Schedule:
    """GMOEA's switching schedule: call i uses the first operator with p = 1 - ((i mod w_max)/w_max)^2.

    With w_max = 5 the probabilities cycle through 1, .96, .84, .64, .36 (He et al., TCYB 2021).
    """
    if w_max < 1:
        raise ValueError(f"w_max must be >= 1, got {w_max}")
    return lambda call: 1.0 - ((call % w_max) / w_max) ** 2


class Hybrid:
    """Mix two variations by a probability that may follow a schedule over calls.

    Args:
        first: the variation chosen with probability `p`.
        second: the variation chosen otherwise.
        p: a constant probability, or a schedule `call_index -> probability`.
        per: "call" draws one operator for the whole batch (GMOEA's rule: a batch never mixes
            operators); "offspring" draws the operator for each offspring independently.

    After each call, `last_counts_` holds how many offspring each operator made, in the
    order (first, second), so algorithms can log which operator's offspring survive.
    """

    def __init__(
        self, first: Variation, second: Variation, *, p: float | Schedule = 0.5, per: str = "call"
    ) -> None:
        if per not in ("call", "offspring"):
            raise ValueError(f"per must be 'call' or 'offspring', got {per!r}")
        self.first, self.second, self.p, self.per = first, second, p, per
        self.calls_ = 0

    def reset(self) -> None:
        self.calls_ = 0
        reset_variation(self.first)
        reset_variation(self.second)

    def probability(self, call: int) -> float:
        """Probability of choosing `first` on call number `call` (0-based)."""
        return float(self.p(call) if callable(self.p) else self.p)

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        p = self.probability(self.calls_)
        self.calls_ += 1
        if self.per == "call":
            n_first = n_offspring if rng.random() < p else 0
        else:
            n_first = int(rng.binomial(n_offspring, p))
        parts = []
        if n_first > 0:
            parts.append(self.first(X, F, n_first, rng=rng))
        if n_first < n_offspring:
            parts.append(self.second(X, F, n_offspring - n_first, rng=rng))
        self.last_counts_ = (n_first, n_offspring - n_first)
        return np.concatenate(parts, axis=0)
