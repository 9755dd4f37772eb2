"""The optimisation loop: `minimize` drives an ask/tell algorithm on a problem within a budget."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from pymoo.core.problem import Problem

from evogan.core.algorithm import Algorithm
from evogan.core.callback import Callback, RunState
from evogan.core.errors import ConfigError, EvaluationError, OperatorError
from evogan.core.rng import make_rng

__all__ = ["Result", "evaluate", "minimize"]

@dataclass
class Result:
    """The outcome of `minimize`: the final population in the problem's bounds."""

    X: np.ndarray  # (pop_size, n_var)
    F: np.ndarray  # (pop_size, n_obj)
    n_evals: int
    n_gen: int
    wall_s: float
    seed: int
    callbacks: Sequence[Callback] = field(default_factory=tuple)


def evaluate(problem: Problem, X: np.ndarray) -> np.ndarray:
    """Objective values `F` (n, n_obj) of `X` (n, n_var); raises if any value is not finite."""
    F = np.asarray(problem.evaluate(X, return_values_of=["F"]), dtype=float)
    F = F.reshape(len(X), problem.n_obj)  # (n, n_obj)
    bad = ~np.isfinite(F).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise EvaluationError(
            f"problem {type(problem).__name__} returned non-finite objectives {F[row].tolist()} "
            f"for {int(bad.sum())} of {len(X)} solutions (first at x = {np.round(X[row], 6).tolist()})"
        )
    return F


def _checked_ask(algorithm: Algorithm, problem: Problem) -> np.ndarray:
    """The algorithm's next batch, refused with a one-line error if it is not a finite
    (n, n_var) array of at least one row."""
    X = algorithm.ask()
    name = type(algorithm).__name__
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != problem.n_var or not len(X):
        shape = X.shape if isinstance(X, np.ndarray) else type(X).__name__
        raise OperatorError(f"{name}.ask() returned {shape}, not an array of shape "
                            f"(n >= 1, {problem.n_var})")
    if not np.isfinite(X).all():
        raise OperatorError(f"{name}.ask() returned solutions with NaN or inf")
    return X


def _notify(callbacks: Sequence[Callback], hook: str, state: RunState) -> None:
    for callback in callbacks:
        method = getattr(callback, hook, None)
        if method is not None:
            method(state)


def minimize(
    problem: Problem,
    algorithm: Algorithm,
    *,
    seed: int,
    max_evals: int,
    callbacks: Sequence[Callback] = (),
    device: str = "cpu",
) -> Result:
    """Run `algorithm` on `problem` until `max_evals` evaluations are spent, never more.

    The seed becomes the run's only numpy generator, from which the algorithm derives every
    other one (torch generators included), so a run on the CPU is reproducible bit for bit.
    When a batch would overshoot the budget, only its first rows are evaluated and told.

    Raises:
        ConfigError: if `max_evals` is not a positive integer.
        EvaluationError: if the problem returns NaN or inf.
    """
    if int(max_evals) != max_evals or max_evals < 1:
        raise ConfigError(f"max_evals must be a positive integer, got {max_evals!r}")
    algorithm.setup(problem, rng=make_rng(seed), device=device)
    state = RunState(problem=problem, algorithm=algorithm, max_evals=int(max_evals))
    start = time.perf_counter()
    _notify(callbacks, "on_start", state)
    while state.n_evals < max_evals:
        X = _checked_ask(algorithm, problem)[: max_evals - state.n_evals]
        F = evaluate(problem, X)
        algorithm.tell(X, F)
        state.n_evals += len(X)
        state.n_gen += 1
        state.elapsed_s = time.perf_counter() - start
        _notify(callbacks, "on_generation", state)
    _notify(callbacks, "on_end", state)
    X_pop, F_pop = algorithm.population()
    return Result(
        X=X_pop, F=F_pop, n_evals=state.n_evals, n_gen=state.n_gen, wall_s=state.elapsed_s,
        seed=seed, callbacks=tuple(callbacks),
    )
