"""The variation (offspring operator) contract, the learned-variation base, and combinators.

A variation maps evaluated parents on the unit cube to offspring on the unit cube:

    variation(X, F, n_offspring, *, rng) -> X_off

with `X` of shape (n, n_var) in [0, 1], `F` of shape (n, n_obj) or None (when the parents come
from another operator and are not evaluated), and `X_off` of shape (n_offspring, n_var) in [0, 1].
A plain function qualifies. Learned variations (every GAN operator) split the call into
`fit(X, F, *, rng)` and `sample(n, *, rng)`. Combinators (`Chain`, `Hybrid`) are in
`evogan.operators.combinators`, the adaptive `Portfolio` in `evogan.operators.portfolio`.

One optional hook lets a variation learn from selection: `credit(survived)`, with `survived` a
bool array of shape (n,), one flag per offspring the variation made since the last credit (in
the order its calls returned them), True where the offspring survived. The hosts (evogan's GA,
GMOEA's loop, `evogan.bridge.PymooMating`) call it through `evogan.credit.credit_offspring`
after survival; combinators forward each operator its own rows through `credit_variation`.

A variation whose attribute `credit_contribution` is true also wants to know how much each
offspring adds to the front: the hosts then call `credit(survived, contribution=c)`, with `c`
(n,) the share of the new population's front that each offspring holds alone
(`evogan.credit.contribution_shares`; 0 for one that did not survive or is dominated). Only
the hosts compute it, and only for a variation that asks; combinators forward flags alone, so
a variation that asks must be the one the host credits.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Protocol, runtime_checkable

import numpy as np

from evogan.core.errors import OperatorError

__all__ = [
    "LearnedVariation",
    "Variation",
    "checked_credit",
    "checked_offspring",
    "credit_variation",
    "discriminator_diagnostics",
    "operator_name",
    "reset_variation",
    "spread_diagnostics",
    "variation_diagnostics",
    "wants_contribution",
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

    def diagnostics(self) -> dict[str, float]:
        """Numbers of the last fit and sample worth logging per generation; the algorithm adds
        them to its metrics, so they reach the run history. None by default.

        evogan's operators share these names: `spread_real` / `spread_gen` and
        `position_range_real` / `position_range_gen` (`spread_diagnostics` of the real set and
        of the generated samples), `d_acc_*` and `d_prob_*` for `real`, `poor` and `gen`
        (`discriminator_diagnostics` on the real set, on the parents labelled fake, on the
        generated samples), and their losses. They must be computed from what the operator
        already holds and draw nothing from the run's generators, so that logging them cannot
        change a run.
        """
        return {}

    def to_device(self, device: str) -> None:
        """Train and sample on `device` ("cpu", "cuda", "cuda:N", "auto") from the next run on.

        The algorithm calls it at `setup` with the run's device; an operator without a `device`
        hyperparameter runs where it is.
        """
        if hasattr(self, "device"):
            self.device = device

    def reset(self) -> None:
        """Forget everything learned, so the next run starts from scratch."""
        for name in [name for name in vars(self) if name.endswith("_") and not name.startswith("_")]:
            delattr(self, name)

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        self.fit(X, F, rng=rng)
        return self.sample(n_offspring, rng=rng)


def spread_diagnostics(X: np.ndarray, n_position: int, suffix: str) -> dict[str, float]:
    """How widely the rows of `X` (n, n_var) on the unit cube spread, under `*_{suffix}` keys.

    `spread_{suffix}` is the per-variable standard deviation (population form, ddof 0) averaged
    over the variables; `position_range_{suffix}` the range (max - min) of each position
    variable x_1..x_{n_position} averaged over them (for M objectives the first M - 1 variables
    place a solution along the front in IMF, DTLZ, LSMOP and ZDT), left out when n_position is
    0. A population collapsed to one point has 0 for both; GMOEA's collapse on IMF1 shows as a
    position range far below the GA's.
    """
    X = np.asarray(X, dtype=float)
    result = {f"spread_{suffix}": float(X.std(axis=0).mean())}
    n_position = min(n_position, X.shape[1])
    if n_position > 0:
        position = X[:, :n_position]  # (n, n_position)
        result[f"position_range_{suffix}"] = float(np.ptp(position, axis=0).mean())
    return result


def discriminator_diagnostics(prob: np.ndarray, *, real: bool, suffix: str) -> dict[str, float]:
    """What a discriminator says of rows that are all real (`real=True`) or all fake.

    `d_acc_{suffix}` is the share of outputs `prob` (n,) in (0, 1) on the right side of 0.5
    (D(x) > 0.5 for real rows, < 0.5 for fake ones), `d_prob_{suffix}` the mean output: with 10
    real against 90 bad parents a discriminator can call everything fake, and its accuracy on
    the real set then stays 0 while its mean output still separates them. NaN for no rows.
    """
    prob = np.asarray(prob, dtype=float).reshape(-1)
    if prob.size == 0:
        return {f"d_acc_{suffix}": math.nan, f"d_prob_{suffix}": math.nan}
    right = prob > 0.5 if real else prob < 0.5
    return {f"d_acc_{suffix}": float(np.mean(right)), f"d_prob_{suffix}": float(prob.mean())}


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


def wants_contribution(variation: Variation) -> bool:
    """Whether the variation's `credit` hook asks for HV contributions (`credit_contribution`)."""
    return bool(getattr(variation, "credit_contribution", False))


def credit_variation(
    variation: Variation, survived: np.ndarray, contribution: np.ndarray | None = None
) -> None:
    """Tell a variation which of its offspring since the last credit survived, if it has the
    optional `credit` hook (see the module docstring); other variations are left alone. The
    (n,) `contribution` reaches only a variation that asks for it (`credit_contribution`)."""
    credit = getattr(variation, "credit", None)
    if not callable(credit):
        return
    survived = np.asarray(survived, dtype=bool)
    if wants_contribution(variation):
        credit(survived, contribution=contribution)
    else:
        credit(survived)


def checked_credit(survived: np.ndarray, n_made: int) -> np.ndarray:
    """`survived` as booleans if it has one flag per offspring made since the last credit.

    Raises:
        ValueError: a host that credited another number of offspring (a programming error).
    """
    survived = np.asarray(survived, dtype=bool)
    if survived.shape != (n_made,):
        raise ValueError(f"credit got {survived.size} survival flags for {n_made} offspring made "
                         "since the last credit")
    return survived


def variation_diagnostics(variation: Variation) -> dict[str, float]:
    """The variation's `diagnostics()` (numbers to log per generation), or {} if it has none."""
    diagnostics = getattr(variation, "diagnostics", None)
    return dict(diagnostics()) if callable(diagnostics) else {}
