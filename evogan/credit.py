"""Credit after survival, for variations that learn from selection (the `credit` hook of
`evogan.core.variation`): where each offspring ended up, and the share of the front it holds."""

from __future__ import annotations

import numpy as np

from evogan.core.variation import Variation, credit_variation, wants_contribution
from evogan.indicators import hv_contributions, nondominated

__all__ = ["contribution_shares", "credit_offspring", "offspring_rows"]


def contribution_shares(F: np.ndarray) -> np.ndarray:
    """The share of the front's hypervolume contributions that each row of F holds, shape (n,).

    F (n, n_obj) is a population after survival (minimised; under constraints the
    constraint-aware objectives). Its first front is normalised by its own ideal and nadir points
    (an objective on which they coincide is left unscaled), the reference point is 1.1 in every
    normalised objective, and each row's exclusive contribution (`evogan.indicators.
    hv_contributions`: zero when dominated or duplicated) is divided by the sum over the front.
    The shares sum to 1 (all 0 when no row contributes, as for a front of duplicates), so they
    do not shrink as the front advances or fills up and compare across generations and problems.

    Cost, for a front of 100 points on a 2-core x86_64 VM (moocore 0.3.2): under 1 ms with 2 or
    3 objectives, 18 ms with 4, 90 ms with 5, 1.3 s with 6, once per generation.
    """
    F = np.asarray(F, dtype=float)
    front = F[nondominated(F)]  # (k, n_obj)
    ideal, nadir = front.min(axis=0), front.max(axis=0)
    scale = np.where(nadir > ideal, nadir - ideal, 1.0)
    c = hv_contributions((F - ideal) / scale, np.full(F.shape[1], 1.1))  # (n,)
    total = c.sum()
    return c / total if total > 0 else np.zeros(len(F))


def credit_offspring(variation: Variation, rows: np.ndarray, F: np.ndarray) -> None:
    """What a host calls after survival: credit `variation` with which offspring survived, and
    with their `contribution_shares` in the new population if it asks for them.

    Args:
        rows: (n,) the row of each offspring made since the last credit in the new population,
            -1 for one that did not survive (`offspring_rows`).
        F: (N, n_obj) the new population's objectives (constraint-aware under constraints).
    """
    rows = np.asarray(rows, dtype=int)
    survived = rows >= 0
    contribution = None
    if wants_contribution(variation):
        contribution = np.where(survived, contribution_shares(F)[rows], 0.0)
    credit_variation(variation, survived, contribution)


def offspring_rows(kept: np.ndarray, n_parents: int, n_offspring: int) -> np.ndarray:
    """(n_offspring,) ints: the row of each offspring in the population a selection over parents
    + offspring kept, -1 for one that did not survive.

    Args:
        kept: indices chosen by survival from the concatenation of `n_parents` parents followed
            by `n_offspring` offspring, in the order of the new population.
    """
    rows = np.full(n_offspring, -1)
    kept = np.asarray(kept)
    from_offspring = np.flatnonzero(kept >= n_parents)
    rows[kept[from_offspring] - n_parents] = from_offspring
    return rows
