"""The optimisation loop: `minimize` drives an ask/tell algorithm on a problem within a budget."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
from pymoo.core.problem import Problem

from evogan.core.algorithm import Algorithm
from evogan.core.callback import Callback, RunState
from evogan.core.errors import ConfigError, EvaluationError, OperatorError
from evogan.core.rng import make_rng
from evogan.device import one_cpu_thread, same_cpu_threads

__all__ = ["EQUALITY_EPS", "Result", "constraint_violation", "evaluate", "minimize",
           "minimize_lockstep"]

EQUALITY_EPS = 1e-4
"""An equality constraint h(x) = 0 counts as the inequality |h(x)| - EQUALITY_EPS <= 0 (pymoo's
default tolerance, `Individual.default_config()["cv_eq"]["eps"]`)."""

@dataclass
class Result:
    """The outcome of `minimize`: the final population in the problem's bounds."""

    X: np.ndarray  # (pop_size, n_var)
    F: np.ndarray  # (pop_size, n_obj)
    CV: np.ndarray  # (pop_size,) constraint violation, 0 where feasible (all 0: unconstrained)
    n_evals: int
    n_gen: int
    wall_s: float
    seed: int
    callbacks: Sequence[Callback] = field(default_factory=tuple)


def constraint_violation(
    G: np.ndarray | None, H: np.ndarray | None = None, *, eps: float = EQUALITY_EPS
) -> np.ndarray:
    """Constraint violation CV (n,): the sum of the positive parts of the inequalities G <= 0
    (n, n_ieq_constr) and of |H| - eps for the equalities H = 0 (n, n_eq_constr).

    A solution is feasible when its CV is 0. This is pymoo's default CV (unscaled sum), so
    evogan's algorithms and pymoo's baselines rank the same solutions as feasible.
    """
    parts = [np.maximum(np.asarray(G, dtype=float), 0.0)] if G is not None else []
    if H is not None:
        parts.append(np.maximum(np.abs(np.asarray(H, dtype=float)) - eps, 0.0))
    if not parts:
        raise ValueError("constraint_violation needs G or H")
    return np.concatenate(parts, axis=1).sum(axis=1)


def evaluate(problem: Problem, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Objectives `F` (n, n_obj) and constraint violation `cv` (n,) of `X` (n, n_var).

    A problem with constraints (pymoo's `n_ieq_constr` G <= 0, `n_eq_constr` H = 0) is asked
    for them too, and `cv` is `constraint_violation(G, H)`; an unconstrained one is asked for F
    only and `cv` is zeros.

    Raises:
        EvaluationError: if the problem's code raises, returns arrays of the wrong size, or
            any objective or constraint value is not finite.
    """
    n_ieq, n_eq = int(problem.n_ieq_constr), int(problem.n_eq_constr)
    wanted = ["F"] + ["G"] * (n_ieq > 0) + ["H"] * (n_eq > 0)
    try:  # the boundary to the problem's own code: its faults become one-line errors
        values = problem.evaluate(X, return_values_of=wanted)
        values = values if isinstance(values, tuple) else (values,)
        out = dict(zip(wanted, values, strict=True))
        F = np.asarray(out["F"], dtype=float).reshape(len(X), problem.n_obj)  # (n, n_obj)
        G = np.asarray(out["G"], dtype=float).reshape(len(X), n_ieq) if n_ieq else None
        H = np.asarray(out["H"], dtype=float).reshape(len(X), n_eq) if n_eq else None
    except Exception as error:  # noqa: BLE001 - any fault of the problem's code is reported
        message = " ".join(str(error).split()) or "no message"
        raise EvaluationError(
            f"problem {type(problem).__name__} failed to evaluate {len(X)} solutions "
            f"(F{', G' * (n_ieq > 0)}{', H' * (n_eq > 0)}): {type(error).__name__}: {message}"
        ) from error
    for name, values in (("objectives", F), ("constraints", G), ("constraints", H)):
        if values is None:
            continue
        bad = ~np.isfinite(values).all(axis=1)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise EvaluationError(
                f"problem {type(problem).__name__} returned non-finite {name} "
                f"{values[row].tolist()} for {int(bad.sum())} of {len(X)} solutions "
                f"(first at x = {np.round(X[row], 6).tolist()})"
            )
    cv = constraint_violation(G, H) if n_ieq or n_eq else np.zeros(len(X))
    return F, cv


def _checked(algorithm: Algorithm, problem: Problem, X: np.ndarray) -> np.ndarray:
    """`X`, what `algorithm` asked, if it is a finite (n >= 1, n_var) array (else OperatorError)."""
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
    numpy's BLAS and torch run on one CPU thread meanwhile (`evogan.device.one_cpu_thread`),
    as in the command line's runs and campaigns, so the bits are theirs.
    Each batch is told with its constraint violation (`evaluate`): zeros for an unconstrained
    problem. It is `minimize_lockstep` with one algorithm.

    Raises:
        ConfigError: if `max_evals` is not a positive integer.
        EvaluationError: if the problem returns NaN or inf (objectives or constraints).
    """
    (result,) = minimize_lockstep(problem, [algorithm], seeds=[seed], max_evals=max_evals,
                                  callbacks=[callbacks], device=device)
    return result


def _lockstep_asks(
    algorithms: Sequence[Algorithm], pool: ThreadPoolExecutor | None
) -> list[np.ndarray]:
    """Every algorithm's next batch: through their class's `ask_many` (`LockstepAsk`) where all
    share one class that has it, else each its own `ask`, on the threads of `pool` if given."""
    kind = type(algorithms[0])
    ask_many = getattr(kind, "ask_many", None)
    if ask_many is not None and all(type(a) is kind for a in algorithms):
        return list(ask_many(algorithms))
    if pool is None:
        return [algorithm.ask() for algorithm in algorithms]
    return list(pool.map(lambda algorithm: algorithm.ask(), algorithms))


def minimize_lockstep(
    problem: Problem,
    algorithms: Sequence[Algorithm],
    *,
    seeds: Sequence[int],
    max_evals: int,
    callbacks: Sequence[Sequence[Callback]] | None = None,
    device: str = "cpu",
    threads: int = 1,
) -> list[Result]:
    """Run K algorithms, algorithm i from `seeds[i]`, on one `problem` in lockstep, one
    generation of each at a time; each stops at exactly `max_evals` evaluations, as `minimize`.

    Every algorithm has its own numpy generator (`make_rng(seeds[i])`), population and
    `callbacks[i]`; their batches of a generation are evaluated in one call of the problem (rows
    are evaluated independently, so each F is what `minimize` would get). Where all algorithms
    are of one class with an `ask_many` classmethod (`evogan.core.algorithm.LockstepAsk`), the
    K asks of a generation go through it, which lets a learned operator train the K seeds'
    networks as one stacked network; otherwise each asks on its own and the K runs simply go
    side by side, their asks on up to `threads` threads: work that releases the GIL (GMOEA's
    compiled GAN training, `evogan.gan.gmoea_compiled`) then runs for several seeds at once,
    and each seed, having its own state and generators, computes what it computes alone (the
    threads run torch on the caller's number of CPU threads, `evogan.device.same_cpu_threads`).
    Every `Result.wall_s` is the time of the whole lockstep loop.

    Raises:
        ConfigError: if `max_evals` or `threads` is not a positive integer, or `seeds` and
            `callbacks` do not have one entry per algorithm.
        EvaluationError: if the problem returns NaN or inf (objectives or constraints).
    """
    if int(max_evals) != max_evals or max_evals < 1:
        raise ConfigError(f"max_evals must be a positive integer, got {max_evals!r}")
    if int(threads) != threads or threads < 1:
        raise ConfigError(f"threads must be a positive integer, got {threads!r}")
    callbacks = [()] * len(algorithms) if callbacks is None else callbacks
    if not algorithms or len(seeds) != len(algorithms) or len(callbacks) != len(algorithms):
        raise ConfigError(f"minimize_lockstep needs one seed and one callback list per algorithm, "
                          f"got {len(algorithms)} algorithms, {len(seeds)} seeds, "
                          f"{len(callbacks)} callback lists")
    with one_cpu_thread():
        return _run_lockstep(problem, algorithms, seeds, int(max_evals), callbacks, device,
                             threads)


def _run_lockstep(problem: Problem, algorithms: Sequence[Algorithm], seeds: Sequence[int],
                  max_evals: int, callbacks: Sequence[Sequence[Callback]], device: str,
                  threads: int) -> list[Result]:
    """`minimize_lockstep`'s loop, its arguments checked."""
    for algorithm, seed in zip(algorithms, seeds, strict=True):
        algorithm.setup(problem, rng=make_rng(seed), device=device)
    states = [RunState(problem=problem, algorithm=a, max_evals=max_evals) for a in algorithms]
    start = time.perf_counter()
    for state, hooks in zip(states, callbacks, strict=True):
        _notify(hooks, "on_start", state)
    workers = min(threads, len(algorithms))
    pool = ThreadPoolExecutor(workers, initializer=same_cpu_threads()) if workers > 1 else None
    with pool or nullcontext():
        while running := [i for i, state in enumerate(states) if state.n_evals < max_evals]:
            asked = _lockstep_asks([algorithms[i] for i in running], pool)
            batches = [_checked(algorithms[i], problem, X)[: max_evals - states[i].n_evals]
                       for i, X in zip(running, asked, strict=True)]
            F_all, cv_all = evaluate(problem, np.concatenate(batches))
            ends = np.cumsum([len(X) for X in batches])
            for i, X, F, cv in zip(running, batches, np.split(F_all, ends[:-1]),
                                   np.split(cv_all, ends[:-1]), strict=True):
                algorithms[i].tell(X, F, cv)
                state = states[i]
                state.n_evals += len(X)
                state.n_gen += 1
                state.elapsed_s = time.perf_counter() - start
                _notify(callbacks[i], "on_generation", state)
    loop_s = time.perf_counter() - start
    results = []
    for algorithm, seed, state, hooks in zip(algorithms, seeds, states, callbacks, strict=True):
        _notify(hooks, "on_end", state)
        X_pop, F_pop, cv_pop = algorithm.population()
        results.append(Result(
            X=X_pop, F=F_pop, CV=cv_pop, n_evals=state.n_evals, n_gen=state.n_gen,
            wall_s=loop_s, seed=seed, callbacks=tuple(hooks)))
    return results
