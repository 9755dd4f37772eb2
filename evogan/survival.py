"""Survival and mating selection on objective matrices: NSGA-II ranking and crowding, SPEA2,
and Deb's constraint-domination for all of them (`constrained_objectives`)."""

from __future__ import annotations

from collections.abc import Sequence

import moocore
import numpy as np
from scipy.spatial.distance import cdist

__all__ = [
    "ELITE_SELECTIONS",
    "crowding_by_front",
    "binary_tournament",
    "constrained_objectives",
    "crowding_distance",
    "dominance_matrix",
    "non_dominated_fronts",
    "non_dominated_rank",
    "nsga2_order",
    "rank_crowding_select",
    "spea2_fitness",
    "spea2_select",
]

# All functions take F of shape (n, n_obj) and assume every objective is minimised.


def constrained_objectives(F: np.ndarray, cv: np.ndarray | None) -> np.ndarray:
    """Objectives under which Pareto dominance is Deb's constraint-domination.

    Deb, "An efficient constraint handling method for genetic algorithms", CMAME 186, 2000, and
    NSGA-II's constrained tournament (Deb et al., IEEE TEVC 2002): a feasible solution (cv <= 0)
    beats an infeasible one, of two infeasible ones the smaller violation wins, two feasible
    ones compare as usual. This is the one place where evogan applies that rule: every survival
    and tournament runs its usual selection on these objectives instead of `F`.

    Feasible rows keep their objectives. Every infeasible row is moved above the set's worst
    value in every objective by a step per level of violation: row i gets
    `top + level_i * (1 + |top|)` with `top` the column maxima of `F` and `level_i` = 1 for the
    smallest violation in the set, 2 for the next distinct one, and so on. So every feasible row
    dominates every infeasible one, and an infeasible row dominates exactly those with a larger
    violation (equal violations give equal rows). Consequences for the selections here:
    non-dominated sorting ranks the feasible fronts as before and then one front per violation
    level; NSGA-II survival keeps all feasible solutions (or the best of them by rank and
    crowding, which are unchanged) and fills up with the least-violating infeasible ones;
    SPEA2 does the same, with its strengths counting constraint-dominance (so when infeasible
    solutions are present the fitness of dominated feasible ones grows by their number per
    dominator); an elite set picked by either (the GAN operators' real set) is feasible first.

    Args:
        F: objectives, shape (n, n_obj).
        cv: constraint violation (n,) (`evogan.engine.constraint_violation`), or None.

    Returns:
        `F` itself (the same object) when every solution is feasible or `cv` is None, so
        unconstrained runs are untouched; else a new (n, n_obj) array.
    """
    F = np.asarray(F, dtype=float)
    if cv is None:
        return F
    cv = np.asarray(cv, dtype=float)
    infeasible = cv > 0
    if not infeasible.any():
        return F
    level = np.unique(cv[infeasible], return_inverse=True)[1] + 1  # (n_infeasible,), from 1
    top = F.max(axis=0)  # (n_obj,)
    ranked = F.copy()
    ranked[infeasible] = top + level[:, None] * (1.0 + np.abs(top))
    return ranked


def dominance_matrix(F: np.ndarray) -> np.ndarray:
    """Pairwise Pareto dominance: entry (i, j) is True when solution i dominates solution j.

    i dominates j when it is no worse in every objective and better in at least one.

    Args:
        F: objectives, shape (n, n_obj).

    Returns:
        Boolean matrix of shape (n, n); its diagonal is False.
    """
    F = np.asarray(F, dtype=float)
    n = len(F)
    no_worse = np.ones((n, n), dtype=bool)
    better = np.zeros((n, n), dtype=bool)
    for f in F.T:  # one (n, n) comparison per objective: no (n, n, n_obj) temporaries
        no_worse &= f[:, None] <= f[None, :]
        better |= f[:, None] < f[None, :]
    return no_worse & better


def non_dominated_rank(F: np.ndarray) -> np.ndarray:
    """Pareto rank of each solution (non-dominated sorting, Deb et al., IEEE TEVC 2002).

    Rank 0 is the first front (no solution dominates it), rank 1 the front that is non-dominated
    once rank 0 is removed, and so on. Duplicated points share a rank. moocore's `pareto_rank`
    does the sorting (a dimension sweep in C, much faster than pairwise comparison).

    Args:
        F: objectives, shape (n, n_obj).

    Returns:
        Integer ranks, shape (n,).
    """
    F = np.asarray(F, dtype=float)
    if len(F) == 0:
        return np.zeros(0, dtype=int)
    return np.asarray(moocore.pareto_rank(F), dtype=int)


def non_dominated_fronts(F: np.ndarray) -> list[np.ndarray]:
    """Indices of the solutions in each front, best front first (see `non_dominated_rank`).

    Args:
        F: objectives, shape (n, n_obj).

    Returns:
        One ascending integer index array per front; together they partition range(n).
    """
    rank = non_dominated_rank(F)
    order = np.argsort(rank, kind="stable")
    boundaries = np.flatnonzero(np.diff(rank[order])) + 1
    return np.split(order, boundaries) if len(order) else []


def crowding_distance(F: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of each solution within the set F (Deb et al., IEEE TEVC 2002).

    For each objective the set is sorted; the two extreme solutions get infinity, every other
    solution adds the gap between its two neighbours divided by the objective's range in the set.
    An objective whose range is zero adds nothing. The distance estimates how much room a
    solution has around it, so that selection can prefer sparse regions of a front.

    Args:
        F: objectives of one front, shape (n, n_obj).

    Returns:
        Crowding distances, shape (n,); larger means less crowded.
    """
    F = np.asarray(F, dtype=float)
    n, n_obj = F.shape
    if n <= 2:
        return np.full(n, np.inf)
    order = np.argsort(F, axis=0, kind="stable")  # (n, n_obj)
    F_sorted = np.take_along_axis(F, order, axis=0)  # (n, n_obj)
    span = F_sorted[-1] - F_sorted[0]  # (n_obj,)
    gaps = F_sorted[2:] - F_sorted[:-2]  # (n - 2, n_obj): neighbour gap of each inner solution
    normalised = np.divide(gaps, span, out=np.zeros_like(gaps), where=span > 0)
    contribution = np.vstack([np.full((1, n_obj), np.inf), normalised, np.full((1, n_obj), np.inf)])
    distance = np.zeros((n, n_obj))
    np.put_along_axis(distance, order, contribution, axis=0)  # back to the input order
    return distance.sum(axis=1)


def crowding_by_front(F: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Crowding distance (n,) of each row of `F` (n, n_obj) within its own front `rank` (n,).

    The same values as `evogan.survival.crowding_distance` applied front by front, for all
    fronts at once: per objective, sort by (front, value) and take each point's neighbours in
    its front. Boundary points get inf; an objective with zero span in a front adds nothing.
    """
    n = len(F)
    crowding = np.zeros(n)
    if n == 0:
        return crowding
    positions = np.arange(n)
    for j in range(F.shape[1]):
        order = np.lexsort((F[:, j], rank))
        front, value = rank[order], F[order, j]
        first = np.r_[True, front[1:] != front[:-1]]
        last = np.r_[front[1:] != front[:-1], True]
        start = np.maximum.accumulate(np.where(first, positions, 0))
        end = np.minimum.accumulate(np.where(last, positions, n)[::-1])[::-1]
        span = value[end] - value[start]
        gap = np.zeros(n)
        gap[1:-1] = value[2:] - value[:-2]
        share = np.divide(gap, span, out=np.zeros(n), where=span > 0)
        crowding[order] += np.where(first | last, np.inf, share)
    return crowding


def _check_n_select(n_select: int, n: int) -> None:
    if not 0 <= n_select <= n:
        raise ValueError(f"n_select must be in [0, {n}] for {n} solutions, got {n_select}")


def _rank_and_nsga2_order(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pareto ranks (n,) of `F` (n, n_obj) and the indices (n,) that sort it in NSGA-II order."""
    rank = non_dominated_rank(F)
    return rank, np.lexsort((-crowding_by_front(F, rank), rank))


def nsga2_order(F: np.ndarray) -> np.ndarray:
    """Indices (n,) that sort `F` (n, n_obj) in NSGA-II order (Deb et al., IEEE TEVC 2002).

    Front ascending, crowding distance within the front descending, remaining ties by index.
    Its first k are NSGA-II's k survivors, the same set as `rank_crowding_select(F, k)`; a
    population kept in this order has its best row first, and a row's index is its rank in it.

    Args:
        F: objectives, shape (n, n_obj).

    Returns:
        A permutation of range(n), shape (n,).
    """
    return _rank_and_nsga2_order(np.asarray(F, dtype=float))[1]


def rank_crowding_select(F: np.ndarray, n_select: int) -> np.ndarray:
    """NSGA-II environmental selection (Deb et al., IEEE TEVC 2002): the first `n_select` of
    `nsga2_order(F)`.

    Whole fronts are taken best first while they fit; the front that does not fit is cut by
    descending crowding distance (computed within that front). Ties in crowding distance go to
    the lower index, so the selection is deterministic.

    Args:
        F: objectives, shape (n, n_obj).
        n_select: how many solutions survive, 0 <= n_select <= n.

    Returns:
        Indices of the survivors, shape (n_select,), ordered by front; within a front taken
        whole by index, within the front that is cut by descending crowding (NSGA-II order).
    """
    F = np.asarray(F, dtype=float)
    _check_n_select(n_select, len(F))
    rank, order = _rank_and_nsga2_order(F)
    survivors = order[:n_select]
    survivor_rank = rank[survivors]  # (n_select,)
    n_front = np.bincount(rank)  # size of each front
    n_kept = np.bincount(survivor_rank, minlength=len(n_front))
    in_cut_front = n_kept[survivor_rank] < n_front[survivor_rank]  # (n_select,)
    # within a whole front by index, within the cut front by position in the NSGA-II order
    within = np.where(in_cut_front, np.arange(n_select), survivors)
    return survivors[np.lexsort((within, survivor_rank))]


def _distances_without_self(F: np.ndarray) -> np.ndarray:
    """Euclidean distance matrix (n, n) in objective space with infinity on the diagonal."""
    distance = cdist(F, F)
    np.fill_diagonal(distance, np.inf)
    return distance


def spea2_fitness(F: np.ndarray) -> np.ndarray:
    """SPEA2 fitness (Zitzler, Laumanns & Thiele, TIK-Report 103, ETH Zurich 2001).

    The strength S(i) counts the solutions that i dominates; the raw fitness R(i) sums the
    strengths of the solutions that dominate i (0 for non-dominated solutions). The density
    D(i) = 1 / (sigma_i^k + 2) uses sigma_i^k, the Euclidean distance in raw (unnormalised)
    objective space to the k-th nearest other solution, k = floor(sqrt(n)), as PlatEMO does.
    Since D < 1, exactly the non-dominated solutions have fitness R + D < 1. Lower is better.

    Args:
        F: objectives, shape (n, n_obj).

    Returns:
        Fitness values, shape (n,).
    """
    F = np.asarray(F, dtype=float)
    return _spea2_fitness(F, _distances_without_self(F))


def _spea2_fitness(F: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """`spea2_fitness` of `F` (n, n_obj) given its `_distances_without_self` (n, n), which
    `spea2_select` reuses for the truncation."""
    n = len(F)
    if n == 0:
        return np.zeros(0)
    dominates = dominance_matrix(F)  # (n, n): i dominates j
    strength = dominates.sum(axis=1)  # (n,)
    raw = strength @ dominates  # R(i) = sum of S(j) over the j that dominate i
    if n == 1:
        return raw.astype(float)  # no neighbour: sigma is infinite and the density 0
    k = int(np.sqrt(n))
    sigma_k = np.partition(distance, k - 1, axis=1)[:, k - 1]  # (n,)
    return raw + 1.0 / (sigma_k + 2.0)


def _truncate(distance: np.ndarray, n_keep: int) -> np.ndarray:
    """SPEA2 archive truncation: a boolean mask (n,) of the `n_keep` solutions that stay, from
    their pairwise distances (n, n) (`_distances_without_self`).

    One solution is removed at a time: the one whose distances to the remaining others, sorted
    ascending, are lexicographically smallest (the most crowded one: nearest neighbour first,
    ties decided by the 2nd nearest, and so on). Remaining ties go to the lowest index.

    Each row of the distance matrix is sorted once; the removals then run in one compiled loop
    (`evogan.survival_compiled.truncate_sorted`, numba, imported on first use so that
    `import evogan` stays free of it) that skips the removed solutions in the sorted rows.
    """
    from evogan.survival_compiled import truncate_sorted

    key = distance.copy()
    np.fill_diagonal(key, -np.inf)  # each solution first in its own row, even among inf distances
    # ties in any order (not a stable sort): only the distances' values decide
    neighbours = np.argsort(key, axis=1)[:, 1:]  # (n, n - 1): the others, nearest first
    return truncate_sorted(distance, neighbours, n_keep)


def spea2_select(F: np.ndarray, n_select: int) -> np.ndarray:
    """SPEA2 environmental selection (Zitzler, Laumanns & Thiele 2001, as in PlatEMO).

    All solutions with fitness < 1 (the non-dominated ones) survive. If they are fewer than
    `n_select`, the best others by fitness fill up; if they are more, the archive truncation
    removes the most crowded ones one by one, recomputing the neighbourhoods after each removal,
    which keeps the extremes and spreads the survivors evenly.

    Args:
        F: objectives, shape (n, n_obj).
        n_select: how many solutions survive, 0 <= n_select <= n.

    Returns:
        Indices of the survivors, shape (n_select,), sorted by ascending fitness (ties by index).
    """
    F = np.asarray(F, dtype=float)
    _check_n_select(n_select, len(F))
    distance = _distances_without_self(F)  # (n, n)
    fitness = _spea2_fitness(F, distance)
    selected = fitness < 1.0
    n_non_dominated = int(selected.sum())
    if n_non_dominated <= n_select:
        chosen = np.argsort(fitness, kind="stable")[:n_select]
    else:
        front = np.flatnonzero(selected)
        # a pair's distance does not depend on the other rows: the front's block is its matrix
        chosen = front[_truncate(distance[np.ix_(front, front)], n_select)]
    return chosen[np.argsort(fitness[chosen], kind="stable")]


def binary_tournament(
    keys: Sequence[np.ndarray], n_select: int, *, rng: np.random.Generator
) -> np.ndarray:
    """Binary tournament mating selection on lexicographic keys (lower is better).

    Each tournament draws two distinct candidates uniformly at random; the one with the smaller
    first key wins, a tie on it is decided by the second key, and so on; a tie on all keys is
    decided by a fair coin. For NSGA-II pass `(rank, -crowding)`; for SPEA2 `(fitness,)`.

    Args:
        keys: one or more 1-D arrays of length n (n >= 1); use -inf/inf, not NaN.
        n_select: number of tournaments, i.e. of selected indices.
        rng: the source of randomness.

    Returns:
        Indices of the winners, shape (n_select,). With a single candidate it wins every time.
    """
    K = np.atleast_2d(np.asarray(keys, dtype=float))  # (n_keys, n)
    n = K.shape[1]
    if n == 1:
        return np.zeros(n_select, dtype=int)
    first = rng.integers(n, size=n_select)
    second = rng.integers(n - 1, size=n_select)
    second += second >= first  # distinct from first, still uniform over the others
    coin = rng.random(n_select) < 0.5
    K_first, K_second = K[:, first], K[:, second]  # (n_keys, n_select)
    differs = K_first != K_second
    deciding = differs.argmax(axis=0)  # (n_select,): the first key that differs
    tournaments = np.arange(n_select)
    first_better = K_first[deciding, tournaments] < K_second[deciding, tournaments]
    first_wins = np.where(differs.any(axis=0), first_better, coin)
    return np.where(first_wins, first, second)


ELITE_SELECTIONS = {"spea2": spea2_select, "rank-crowding": rank_crowding_select}
"""Environmental selections by name, for operators that pick an elite set (E-GAN's "real"
data): SPEA2's, as GMOEA does, or NSGA-II's."""
