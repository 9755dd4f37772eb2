"""Per-task populations over a unified space, with NSGA-II survival per task: the shared loop.

Every multitask algorithm here keeps one population of `pop_size` individuals per task, each a
unified vector in [0, 1]^D_u evaluated on its own task only, and stored in NSGA-II order (front
ascending, crowding distance descending, ties by index: `evogan.survival.nsga2_order`), so that
row 0 is the task's best and a row's index is its within-task ("factorial") rank. Under
constraints the order is that of Deb's constraint-domination
(`evogan.survival.constrained_objectives`: feasible first, infeasible by violation), so every
tournament on the position and every operator that reads the order is constraint-aware too.
Subclasses only say how offspring are made.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from pymoo.core.problem import Problem

from evogan.core.errors import ConfigError
from evogan.problems.multitask import MultitaskProblem, is_multitask
from evogan.survival import constrained_objectives, nsga2_order

__all__ = ["MultitaskAlgorithm"]


class MultitaskAlgorithm(ABC):
    """Ask/tell loop shared by the multitask algorithms (see the module docstring).

    The first `ask` returns `pop_size` uniform random unified vectors per task; every later `ask`
    returns the subclass's offspring, each row tagged with its task in the problem's task column.
    `tell` merges each task's offspring with its population and keeps the best `pop_size` by
    NSGA-II. `metrics()` reports which share of the offspring came from inter-task transfer and
    which share of those survived.

    Args:
        pop_size: individuals per task (N).
    """

    def __init__(self, *, pop_size: int = 100) -> None:
        if pop_size < 2:
            raise ConfigError(f"pop_size must be at least 2, got {pop_size}")
        self.pop_size = pop_size

    # --- what subclasses provide ---

    def _setup(self) -> None:  # noqa: B027  (optional hook)
        """Build subclass state; `problem_`, `rng_` and `device_` are set."""

    @abstractmethod
    def _offspring(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Offspring from `U_` / `F_`: unified vectors (n, D_u) in [0, 1], their tasks (n,) and
        whether each came from inter-task transfer (n,) bool."""

    def _extra_metrics(self) -> dict[str, float]:
        """Subclass diagnostics of the last generation."""
        return {}

    # --- the protocol ---

    def setup(self, problem: Problem, *, rng: np.random.Generator, device: str = "cpu") -> None:
        """Start a new run on a multitask `problem`."""
        if not is_multitask(problem):
            raise ConfigError(
                f"{type(self).__name__} needs a multitask problem (e.g. cec17-cihs), "
                f"got {getattr(problem, 'name', type(problem).__name__)!r}"
            )
        self.problem_: MultitaskProblem = problem
        self.rng_ = rng
        self.device_ = device
        self.U_: list[np.ndarray] = []  # per task (N, D_u), NSGA-II order
        self.F_: list[np.ndarray] = []  # per task (N, n_obj_t)
        self.cv_: list[np.ndarray] = []  # per task (N,), constraint violation
        self.prev_U_: list[np.ndarray] = []  # the populations before the last survival
        self.transfer_: np.ndarray = np.zeros(0, dtype=bool)  # tags of the last ask's rows
        self.last_metrics_: dict[str, float] = {}
        self._setup()

    def ask(self) -> np.ndarray:
        """The next rows to evaluate, (n, D_u + 1): unified genes, then the task index."""
        n_tasks, n_unified = self.problem_.n_tasks, self.problem_.n_unified
        if not self.U_:
            U = self.rng_.random((n_tasks * self.pop_size, n_unified))
            task = np.repeat(np.arange(n_tasks), self.pop_size)
            transfer = np.zeros(len(U), dtype=bool)
        else:
            U, task, transfer = self._offspring()
        return self._asked(U, task, transfer)

    def _asked(self, U: np.ndarray, task: np.ndarray, transfer: np.ndarray) -> np.ndarray:
        """Offspring U (n, D_u) of tasks `task` (n,) as problem rows, remembering which came
        from transfer (n,) for `tell`."""
        self.transfer_ = transfer
        return self.problem_.with_task(U, task)

    def tell(self, X: np.ndarray, F: np.ndarray, cv: np.ndarray) -> None:
        """Per-task NSGA-II survival (under constraint-domination) of the evaluated rows
        `X` (m, D_u + 1), `F` (m, n_obj) with constraint violation `cv` (m,)."""
        transfer = self.transfer_[: len(X)]
        task = self.problem_.task_index(X)
        parts = self.problem_.split(X, F)
        cv_parts = [np.asarray(cv, dtype=float)[task == t] for t in range(len(parts))]
        if not self.U_:
            for (U_t, F_t), cv_t in zip(parts, cv_parts, strict=True):
                order = nsga2_order(constrained_objectives(F_t, cv_t))
                self.U_.append(U_t[order])
                self.F_.append(F_t[order])
                self.cv_.append(cv_t[order])
            self.prev_U_ = [U_t.copy() for U_t in self.U_]
            return
        self.prev_U_ = [U_t.copy() for U_t in self.U_]
        n_transfer_kept = 0
        for t, ((U_off, F_off), cv_off) in enumerate(zip(parts, cv_parts, strict=True)):
            U_all = np.vstack([self.U_[t], U_off])
            F_all = np.vstack([self.F_[t], F_off])
            cv_all = np.concatenate([self.cv_[t], cv_off])
            keep = nsga2_order(constrained_objectives(F_all, cv_all))[: self.pop_size]
            self.U_[t], self.F_[t], self.cv_[t] = U_all[keep], F_all[keep], cv_all[keep]
            offspring_kept = keep[keep >= len(self.prev_U_[t])] - len(self.prev_U_[t])
            n_transfer_kept += int(transfer[task == t][offspring_kept].sum())
        n_transfer = int(transfer.sum())
        self.last_metrics_ = {
            "transfer_share": n_transfer / len(X),
            "transfer_survival": n_transfer_kept / n_transfer if n_transfer else 0.0,
            **self._extra_metrics(),
        }

    def population(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All tasks' populations as problem rows (with the task column), objectives
        zero-padded, and their constraint violation (n,)."""
        X = np.vstack([self.problem_.with_task(U_t, t) for t, U_t in enumerate(self.U_)])
        F = np.zeros((len(X), self.problem_.n_obj))
        start = 0
        for F_t in self.F_:
            F[start : start + len(F_t), : F_t.shape[1]] = F_t
            start += len(F_t)
        return X, F, np.concatenate(self.cv_)

    def metrics(self) -> dict[str, float]:
        """Share of inter-task offspring, their survival rate, and subclass diagnostics."""
        return dict(self.last_metrics_)
