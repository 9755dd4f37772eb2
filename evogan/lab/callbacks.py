"""Callbacks for `minimize`: the per-generation history of indicators and algorithm metrics."""

from __future__ import annotations

import numpy as np

from evogan.core.callback import RunState
from evogan.indicators import feasibility, feasible_front, hv, igd

__all__ = ["History", "IndicatorLog"]


class IndicatorLog:
    """Log a row every `every` evaluations and at the end: `n_evals`, `n_gen`, `elapsed_s`,
    the indicators of `measure` and the algorithm's own `metrics()`.

    Subclasses say what to measure; the cadence, the rows and `state.latest` are shared.
    """

    def __init__(self, *, every: int) -> None:
        self.every = max(1, every)
        self.rows: list[dict[str, float]] = []
        self._next_row_at = 0

    def measure(self, X: np.ndarray, F: np.ndarray, cv: np.ndarray) -> dict[str, float]:
        """The indicators of one row, from the population (X, F) in the problem's bounds and
        its constraint violation cv (n,)."""
        raise NotImplementedError

    def on_start(self, state: RunState) -> None:
        self.rows, self._next_row_at = [], 0

    def on_generation(self, state: RunState) -> None:
        metrics = state.algorithm.metrics()
        if state.n_evals >= self._next_row_at or state.n_evals >= state.max_evals:
            self._record(state, metrics)
            self._next_row_at = (state.n_evals // self.every + 1) * self.every

    def _record(self, state: RunState, metrics: dict[str, float]) -> None:
        row = {"n_evals": state.n_evals, "n_gen": state.n_gen, "elapsed_s": state.elapsed_s}
        row.update(self.measure(*state.algorithm.population()))
        row.update(metrics)
        self.rows.append(row)
        state.latest = row


class History(IndicatorLog):
    """Record indicators of the current population every `every` evaluations and at the end.

    Each row holds `n_evals`, `n_gen`, `elapsed_s`, IGD and HV of the non-dominated solutions
    of the population, and the algorithm's own `metrics()` (GAN losses, survival shares).
    On a constrained problem IGD and HV judge the feasible non-dominated solutions (NaN while
    none is feasible) and the row adds `feasible_share` and `best_cv`
    (`evogan.indicators.feasibility`); an unconstrained problem's rows have neither.
    IGD+ and GD are left to the final summary: against a 10,000-point front each indicator
    costs about 10 ms, several times a GA generation. Algorithms that evaluate one solution
    per step (MOEA/D) are sampled, not logged at every step, so the indicators' cost stays
    bounded.

    Args:
        front: the reference front (n_points, n_obj) for IGD, or None: rows without IGD.
        ref_point: the HV reference point (n_obj,).
        every: evaluations between two rows.
        constrained: whether the problem has constraints.
    """

    def __init__(
        self, front: np.ndarray | None, ref_point: np.ndarray, *, every: int,
        constrained: bool = False,
    ) -> None:
        super().__init__(every=every)
        self.front, self.ref_point, self.constrained = front, ref_point, constrained

    def measure(self, X: np.ndarray, F: np.ndarray, cv: np.ndarray) -> dict[str, float]:
        F = feasible_front(F, cv if self.constrained else None)
        names = ("hv",) if self.front is None else ("igd", "hv")
        if not len(F):
            row = dict.fromkeys(names, float("nan"))
        elif self.front is None:
            row = {"hv": hv(F, self.ref_point)}
        else:
            row = {"igd": igd(F, self.front), "hv": hv(F, self.ref_point)}
        return {**row, **feasibility(cv)} if self.constrained else row
