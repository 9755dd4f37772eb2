"""Combinators of variations: `Chain` (one after another) and `Hybrid` (one or the other, by a
probability that may follow a schedule such as GMOEA's `quadratic_decay`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from evogan.core.variation import Variation, checked_credit, credit_variation, reset_variation

__all__ = ["Chain", "Hybrid", "Schedule", "quadratic_decay"]


class Chain:
    """Apply variations one after another: the offspring of one are the parents of the next.

    `Chain(SBX(), PolynomialMutation())` is the classic GA offspring operator. Later stages get
    `F=None`, since their parents have not been evaluated. Row i of the output descends from
    row i of every stage's output, so `credit` passes the same flags to every stage.
    """

    def __init__(self, *stages: Variation) -> None:
        if not stages:
            raise ValueError("Chain needs at least one variation")
        self.stages = stages

    def reset(self) -> None:
        for stage in self.stages:
            reset_variation(stage)

    def credit(self, survived: np.ndarray) -> None:
        """Forward the survival flags of the chain's offspring to every stage."""
        for stage in self.stages:
            credit_variation(stage, survived)

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
    order (first, second), so algorithms can log which operator's offspring survive; `credit`
    passes each operator the survival flags of its own offspring.
    """

    def __init__(
        self, first: Variation, second: Variation, *, p: float | Schedule = 0.5, per: str = "call"
    ) -> None:
        if per not in ("call", "offspring"):
            raise ValueError(f"per must be 'call' or 'offspring', got {per!r}")
        self.first, self.second, self.p, self.per = first, second, p, per
        self.calls_ = 0
        self.pending_: list[np.ndarray] = []  # per offspring since the last credit: from `first`?

    def reset(self) -> None:
        self.calls_ = 0
        self.pending_ = []
        reset_variation(self.first)
        reset_variation(self.second)

    def credit(self, survived: np.ndarray) -> None:
        """Forward to each operator the flags of the offspring it made since the last credit."""
        first = np.concatenate(self.pending_) if self.pending_ else np.empty(0, dtype=bool)
        survived = checked_credit(survived, len(first))
        self.pending_ = []
        credit_variation(self.first, survived[first])
        credit_variation(self.second, survived[~first])

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
        self.pending_.append(np.arange(n_offspring) < n_first)
        return np.concatenate(parts, axis=0)
