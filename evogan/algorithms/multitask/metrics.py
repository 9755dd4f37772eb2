"""Per-task quality of a multitask population, and the CEC2017 multitask score."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from evogan.indicators import hv, igd, nondominated, quality
from evogan.lab.callbacks import IndicatorLog
from evogan.problems.multitask import DEFAULT_FRONT_POINTS, MultitaskProblem

__all__ = [
    "MultitaskHistory",
    "multitask_quality",
    "multitask_score",
    "per_task_hv",
    "per_task_igd",
    "task_fronts",
]


def task_fronts(problem: MultitaskProblem, X: np.ndarray, F: np.ndarray) -> list[np.ndarray]:
    """Per task, the objectives (n_t, n_obj_t) of the first front of the task's rows of X, F.

    `X` (n, D_u + 1) and `F` (n, n_obj) are rows of the multitask problem (as `minimize` returns
    them); every task is judged only on the individuals evaluated on it.
    """
    return [F_t[nondominated(F_t)] for _, F_t in problem.split(X, F)]


def per_task_igd(
    problem: MultitaskProblem, X: np.ndarray, F: np.ndarray, *, n_points: int = DEFAULT_FRONT_POINTS
) -> np.ndarray:
    """IGD (T,) of each task's first front against its analytic reference front.

    As in MToP and the CEC2017 MO-MTO competition protocol: the mean Euclidean distance from each
    reference point to the nearest solution, objectives not normalised; the reference fronts
    have `n_points` points (9,870 on the three-objective sphere at the default 10,000).
    """
    return np.array([
        igd(front, problem.reference_front(t, n_points))
        for t, front in enumerate(task_fronts(problem, X, F))
    ])


def per_task_hv(
    problem: MultitaskProblem, X: np.ndarray, F: np.ndarray, *, n_points: int = DEFAULT_FRONT_POINTS
) -> np.ndarray:
    """Hypervolume (T,) of each task's first front; reference point 1.1 x the nadir of the
    task's reference front (1.1 in every objective for the CEC2017 tasks), as for single tasks."""
    values = []
    for t, front in enumerate(task_fronts(problem, X, F)):
        ref_point = 1.1 * problem.reference_front(t, n_points).max(axis=0)
        values.append(hv(front, ref_point))
    return np.array(values)


def multitask_quality(
    problem: MultitaskProblem, X: np.ndarray, F: np.ndarray, *, n_points: int = DEFAULT_FRONT_POINTS
) -> dict[str, float]:
    """Per-task IGD, IGD+, GD and HV as flat record fields: {"igd_t1", "igd_plus_t1", "gd_t1",
    "hv_t1", ..., "hv_tT"}, with the reference fronts and points of `per_task_igd`/`per_task_hv`."""
    fields = {}
    for t, front in enumerate(task_fronts(problem, X, F)):
        reference = problem.reference_front(t, n_points)
        values = quality(front, reference, 1.1 * reference.max(axis=0))
        fields.update({f"{name}_t{t + 1}": value for name, value in values.items()})
    return fields


class MultitaskHistory(IndicatorLog):
    """The multitask counterpart of `evogan.lab.callbacks.History`: rows hold `igd_t1`, `hv_t1`,
    ... (one per task) in place of `igd`, `hv`; IGD+ and GD only in the final summary.

    Args:
        problem: the multitask problem being solved.
        every: evaluations between two rows.
        n_points: reference-front size for IGD.
    """

    def __init__(
        self, problem: MultitaskProblem, *, every: int, n_points: int = DEFAULT_FRONT_POINTS
    ) -> None:
        super().__init__(every=every)
        self.problem, self.n_points = problem, n_points

    def measure(self, X: np.ndarray, F: np.ndarray, cv: np.ndarray) -> dict[str, float]:
        """Per-task IGD and HV; the multitask problems here are unconstrained, so cv is 0."""
        igd_values = per_task_igd(self.problem, X, F, n_points=self.n_points)
        hv_values = per_task_hv(self.problem, X, F, n_points=self.n_points)
        return {**{f"igd_t{t + 1}": float(v) for t, v in enumerate(igd_values)},
                **{f"hv_t{t + 1}": float(v) for t, v in enumerate(hv_values)}}


def multitask_score(igd_by_algorithm: Mapping[str, np.ndarray]) -> dict[str, float]:
    """The CEC2017 multitask score of each algorithm on one problem (lower is better).

    For each task, IGD is standardised over all algorithms and runs together (z-score; 0 where
    the standard deviation is 0); per algorithm and run the z-scores are averaged over the
    tasks, then over the runs (MToP's `IGD_MTS`, following the CEC2017 competition).

    Args:
        igd_by_algorithm: per algorithm, IGD of shape (n_runs, T); run counts may differ.

    Returns:
        Per algorithm, its score.
    """
    names = list(igd_by_algorithm)
    tables = [np.atleast_2d(np.asarray(igd_by_algorithm[name], dtype=float)) for name in names]
    pooled = np.vstack(tables)  # (all runs, T)
    mean, std = pooled.mean(axis=0), pooled.std(axis=0)
    safe = np.where(std > 0, std, 1.0)
    return {
        name: float(np.mean(np.where(std > 0, (table - mean) / safe, 0.0).mean(axis=1)))
        for name, table in zip(names, tables, strict=True)
    }
