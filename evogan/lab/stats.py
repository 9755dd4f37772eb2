"""Statistics of campaign results: median and IQR, rank-sum marks against a control, Friedman ranks.

The conventions follow PlatEMO's tables (Tian, Cheng, Zhang & Jin, IEEE CIM 12(4), 2017): each
algorithm is compared with a control algorithm by a two-sided Wilcoxon rank-sum test at the 5%
level and marked `+` (significantly better than the control), `-` (significantly worse) or `=`
(no significant difference). The rank-sum test is computed by `scipy.stats.mannwhitneyu`
(two-sided, `method="auto"`): the Mann-Whitney U test is the same test as Wilcoxon's rank-sum.
scipy gives the exact p-value when one sample has at most 8 values and there are no ties, and
otherwise the normal approximation with tie and continuity corrections (for 11 seeds per
algorithm, the usual case); `scipy.stats.ranksums` would always use the normal approximation
and ignore ties, which misjudges the tied values that converged runs produce.

Too few seeds can make significance impossible: a rank-sum test of n1 against n2 values has
C(n1 + n2, n1) equally likely rank orders under the null hypothesis, so no exact two-sided p is
below 2 / C(n1 + n2, n1), the p of two completely separated samples (`smallest_p`; 0.1 for 3
against 3 seeds). Where that floor is not below the level, `compare` marks `n/a` instead of
`+`, `-` or `=`, even where the normal approximation for tied values dips below the floor (two
constant samples of 3 give p = 0.047 there, a false `+` before this rule).

Values equal to `SIGNIFICANT_DIGITS` significant digits are ties. Runs that end on the same
solutions give indicator values that differ only by floating-point round-off (the same distances
summed in another order): on IMF2, 11 GMOEA+ runs and 10 GMOEA runs all collapsed onto the point
f = (0, 1) gave IGD 0.60952454715772 +- 1e-13, and the exact ranks of that noise made one better
GMOEA run a significant difference (p < 0.05). Rounded first, the 21 values tie.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

__all__ = ["ALPHA", "Comparison", "FriedmanResult", "compare", "friedman", "median_iqr",
           "rank_matrix", "round_off", "smallest_p"]

ALPHA = 0.05
"""Significance level of the rank-sum and Friedman tests."""

SIGNIFICANT_DIGITS = 10
"""Digits `compare` ranks by: well above the round-off of summing a front's distances (about
1e-13 relative), well below any difference between two fronts that matters."""


def round_off(values: Sequence[float]) -> np.ndarray:
    """`values` rounded to `SIGNIFICANT_DIGITS` significant digits (inf and NaN kept)."""
    return np.array([float(f"{v:.{SIGNIFICANT_DIGITS}g}") for v in values], dtype=float)


def median_iqr(values: Sequence[float]) -> tuple[float, float]:
    """Median and interquartile range (75th minus 25th percentile, linear interpolation).

    Infinite values (IGD of a constrained run with no feasible solution) are ordered last:
    a quantile between a finite value and inf is inf, and two equal quartiles give IQR 0.
    """
    values = np.asarray(values, dtype=float)
    levels = [25, 50, 75]
    lower = np.percentile(values, levels, method="lower")
    higher = np.percentile(values, levels, method="higher")
    with np.errstate(invalid="ignore"):
        linear = np.percentile(values, levels)
    q25, q50, q75 = np.where(lower == higher, lower, np.where(np.isnan(linear), higher, linear))
    return float(q50), 0.0 if q75 == q25 else float(q75 - q25)


def smallest_p(n1: int, n2: int) -> float:
    """The smallest two-sided rank-sum p that samples of sizes n1 and n2 can give.

    It is the exact p of two completely separated samples without ties, 2 / C(n1 + n2, n1)
    (at most 1), the value `compare` computes for them; tied values only raise an exact p.
    """
    return min(1.0, 2 / math.comb(n1 + n2, n1))


@dataclass(frozen=True)
class Comparison:
    """The rank-sum test of one algorithm's sample against the control's.

    Attributes:
        p: two-sided p-value (1.0 when every value of both samples is the same).
        mark: `+` significantly better than the control, `-` significantly worse, `=` neither,
            `n/a` when the sample sizes cannot give p < alpha (`smallest_p(n1, n2) >= alpha`),
            whatever `p` is.
    """

    p: float
    mark: str


def compare(sample: Sequence[float], control: Sequence[float], *, higher_is_better: bool,
            alpha: float = ALPHA) -> Comparison:
    """Two-sided Wilcoxon rank-sum test of `sample` against `control`, on values rounded to
    `SIGNIFICANT_DIGITS` (round-off differences tie).

    The direction of a significant difference comes from the U statistic (which sample tends to
    rank higher), not from the medians, so that it agrees with the test. Samples too small for
    any exact p below `alpha` get the mark `n/a` (see `smallest_p`).
    """
    a, b = round_off(sample), round_off(control)
    testable = smallest_p(a.size, b.size) < alpha
    if np.unique(np.concatenate([a, b])).size == 1:  # no ranks to compare: scipy would give NaN
        return Comparison(p=1.0, mark="=" if testable else "n/a")
    result = sps.mannwhitneyu(a, b, alternative="two-sided", method="auto")
    p = float(result.pvalue)
    if not testable:
        return Comparison(p=p, mark="n/a")
    if p >= alpha:
        return Comparison(p=p, mark="=")
    sample_higher = result.statistic > len(a) * len(b) / 2
    return Comparison(p=p, mark="+" if sample_higher == higher_is_better else "-")


def rank_matrix(values: np.ndarray, *, higher_is_better: bool) -> np.ndarray:
    """Ranks of the algorithms (columns) within each problem (row); 1 is best, ties averaged.

    Args:
        values: (n_problems, n_algorithms), e.g. the median IGD of each cell.
    """
    values = np.asarray(values, dtype=float)
    return sps.rankdata(-values if higher_is_better else values, axis=1)


@dataclass(frozen=True)
class FriedmanResult:
    """Mean rank per algorithm across problems and the Friedman test of equal ranks.

    `statistic` and `p` are NaN when the test does not apply (fewer than 3 algorithms or fewer
    than 2 problems).
    """

    mean_ranks: Mapping[str, float]
    statistic: float
    p: float


def friedman(values: np.ndarray, algorithms: Sequence[str], *,
             higher_is_better: bool) -> FriedmanResult:
    """Mean ranks and `scipy.stats.friedmanchisquare` over problems (rows) and algorithms
    (columns) of `values` (n_problems, n_algorithms)."""
    values = np.asarray(values, dtype=float)
    ranks = rank_matrix(values, higher_is_better=higher_is_better)
    mean_ranks = dict(zip(algorithms, ranks.mean(axis=0).tolist(), strict=True))
    n_problems, n_algorithms = values.shape
    if n_algorithms < 3 or n_problems < 2:
        return FriedmanResult(mean_ranks, float("nan"), float("nan"))
    result = sps.friedmanchisquare(*values.T)
    return FriedmanResult(mean_ranks, float(result.statistic), float(result.pvalue))
