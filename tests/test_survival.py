"""Tests of evogan.survival against hand-worked examples and brute-force references."""

import numpy as np
import pytest

from evogan.survival import (
    binary_tournament,
    crowding_by_front,
    crowding_distance,
    dominance_matrix,
    non_dominated_fronts,
    non_dominated_rank,
    nsga2_order,
    rank_crowding_select,
    spea2_fitness,
    spea2_select,
)

# Hand example: 0 and 1 are non-dominated; 0 dominates 2 and 3; 1 dominates 3 and 4;
# 2 and 4 dominate 3.
F_SMALL = np.array([[1.0, 3.0], [3.0, 1.0], [2.0, 4.0], [4.0, 4.0], [4.0, 2.0]])

# Five points on the line f1 + f2 = 4 (all non-dominated) at f1 = 0, 1, 2.5, 3, 4.
F_LINE = np.array([[0.0, 4.0], [1.0, 3.0], [2.5, 1.5], [3.0, 1.0], [4.0, 0.0]])


def _dominates(a, b):
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )


def _brute_rank(F):
    """Peel off non-dominated sets with an O(n^2) pairwise check per front."""
    n = len(F)
    rank = [-1] * n
    remaining = set(range(n))
    level = 0
    while remaining:
        front = {i for i in remaining if not any(_dominates(F[j], F[i]) for j in remaining)}
        for i in front:
            rank[i] = level
        remaining -= front
        level += 1
    return np.array(rank)


def _brute_spea2_fitness(F):
    n = len(F)
    strength = [sum(_dominates(F[i], F[j]) for j in range(n)) for i in range(n)]
    k = int(np.floor(np.sqrt(n)))
    fitness = []
    for i in range(n):
        raw = sum(strength[j] for j in range(n) if _dominates(F[j], F[i]))
        dists = sorted(float(np.linalg.norm(F[i] - F[j])) for j in range(n) if j != i)
        fitness.append(raw + 1.0 / (dists[k - 1] + 2.0))
    return np.array(fitness)


def _brute_truncation(F, n_keep):
    """Remove, one at a time, the point with the lexicographically smallest sorted distances."""
    alive = list(range(len(F)))
    while len(alive) > n_keep:
        vectors = [
            tuple(sorted(float(np.linalg.norm(F[i] - F[j])) for j in alive if j != i))
            for i in alive
        ]
        alive.pop(min(range(len(alive)), key=lambda p: (vectors[p], p)))
    return sorted(alive)


def _brute_spea2_select(F, n_select):
    """SPEA2 selection from the brute-force fitness and truncation, best fitness first."""
    fitness = _brute_spea2_fitness(F)
    front = [i for i in range(len(F)) if fitness[i] < 1]
    if len(front) <= n_select:
        chosen = sorted(range(len(F)), key=lambda i: (fitness[i], i))[:n_select]
    else:
        chosen = [front[p] for p in _brute_truncation(F[front], n_select)]
    return sorted(chosen, key=lambda i: (fitness[i], i))


# ---------------------------------------------------------------- ranks and fronts


def test_dominance_matrix_hand_example():
    expected = np.zeros((5, 5), dtype=bool)
    for i, j in [(0, 2), (0, 3), (1, 3), (1, 4), (2, 3), (4, 3)]:
        expected[i, j] = True
    np.testing.assert_array_equal(dominance_matrix(F_SMALL), expected)


@pytest.mark.parametrize("n_obj", [1, 2, 3, 5])
def test_dominance_matrix_matches_brute_force_with_ties(n_obj):
    rng = np.random.default_rng(n_obj)
    F = rng.integers(0, 3, size=(30, n_obj)).astype(float)  # many ties and duplicates
    expected = [[_dominates(a, b) for b in F] for a in F]
    np.testing.assert_array_equal(dominance_matrix(F), expected)


def test_rank_and_fronts_hand_example():
    np.testing.assert_array_equal(non_dominated_rank(F_SMALL), [0, 0, 1, 2, 1])
    fronts = non_dominated_fronts(F_SMALL)
    assert [f.tolist() for f in fronts] == [[0, 1], [2, 4], [3]]


def test_duplicates_share_a_rank():
    F = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_array_equal(non_dominated_rank(F), [0, 0, 1])


@pytest.mark.parametrize("n_obj", [1, 2, 3, 5])
def test_rank_matches_brute_force_on_random_data(n_obj):
    rng = np.random.default_rng(n_obj)
    F = rng.integers(0, 5, size=(40, n_obj)).astype(float)  # many ties and duplicates
    rank = non_dominated_rank(F)
    np.testing.assert_array_equal(rank, _brute_rank(F))
    fronts = non_dominated_fronts(F)
    np.testing.assert_array_equal(np.sort(np.concatenate(fronts)), np.arange(len(F)))
    for level, front in enumerate(fronts):
        assert (rank[front] == level).all()


def test_empty_input():
    assert non_dominated_rank(np.zeros((0, 2))).shape == (0,)
    assert non_dominated_fronts(np.zeros((0, 2))) == []


# ---------------------------------------------------------------- crowding distance


def test_crowding_distance_by_hand():
    # f1 range 4, f2 range 5. Point (1, 2): 3/4 + 4/5 = 1.55; point (3, 1): 3/4 + 2/5 = 1.15.
    F = np.array([[3.0, 1.0], [0.0, 5.0], [4.0, 0.0], [1.0, 2.0]])
    np.testing.assert_allclose(crowding_distance(F), [1.15, np.inf, np.inf, 1.55])


def test_crowding_distance_constant_objective_adds_nothing():
    F = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    np.testing.assert_allclose(crowding_distance(F), [np.inf, 1.0, np.inf])


def test_crowding_distance_small_sets_are_infinite():
    assert np.isinf(crowding_distance(np.array([[0.0, 1.0], [1.0, 0.0]]))).all()


def test_crowding_distance_is_scale_invariant():
    rng = np.random.default_rng(3)
    F = rng.random((12, 3))
    np.testing.assert_allclose(crowding_distance(F), crowding_distance(F * [1.0, 100.0, 0.01]))


# ---------------------------------------------------------------- NSGA-II selection


def test_rank_crowding_select_cuts_last_front_by_crowding():
    # front 0 is rows 0-3 (crowding inf, inf, 1.55 for row 3, 1.15 for row 2); row 4 is dominated
    F = np.array([[0.0, 5.0], [4.0, 0.0], [3.0, 1.0], [1.0, 2.0], [5.0, 5.0]])
    np.testing.assert_array_equal(rank_crowding_select(F, 3), [0, 1, 3])
    np.testing.assert_array_equal(rank_crowding_select(F, 4), [0, 1, 2, 3])
    np.testing.assert_array_equal(np.sort(rank_crowding_select(F, 5)), np.arange(5))


def test_rank_crowding_select_fills_by_fronts():
    np.testing.assert_array_equal(rank_crowding_select(F_SMALL, 4), [0, 1, 2, 4])
    assert rank_crowding_select(F_SMALL, 0).shape == (0,)


def test_rank_crowding_select_random_properties():
    rng = np.random.default_rng(5)
    F = rng.random((60, 2)) + rng.random((60, 1))  # several fronts
    chosen = rank_crowding_select(F, 25)
    assert len(np.unique(chosen)) == 25
    rank = non_dominated_rank(F)
    worst_kept = rank[chosen].max()
    assert (rank[np.setdiff1d(np.arange(60), chosen)] >= worst_kept).all()
    np.testing.assert_array_equal(chosen, rank_crowding_select(F, 25))


def test_nsga2_order_ranks_fronts_then_crowding():
    F = np.random.default_rng(0).random((60, 2))
    F[5] = F[6]  # a duplicate
    order = nsga2_order(F)
    rank = non_dominated_rank(F)
    assert np.all(np.diff(rank[order]) >= 0)
    crowding = crowding_by_front(F, rank)
    for r in np.unique(rank):
        members = np.flatnonzero(rank == r)
        assert np.allclose(crowding[members], crowding_distance(F[members]))
    # Its first k equal NSGA-II's survivors.
    assert set(order[:25]) == set(rank_crowding_select(F, 25))


def test_nsga2_order_hand_example_and_selection_order():
    # the F of the cut test above: front 0 by crowding (0 and 1 inf, then 3, then 2), then row 4
    F = np.array([[0.0, 5.0], [4.0, 0.0], [3.0, 1.0], [1.0, 2.0], [5.0, 5.0]])
    np.testing.assert_array_equal(nsga2_order(F), [0, 1, 3, 2, 4])
    # rank_crowding_select keeps a front taken whole in index order, a cut front in this order
    np.testing.assert_array_equal(rank_crowding_select(F, 4), [0, 1, 2, 3])
    assert nsga2_order(np.zeros((0, 2))).shape == (0,)


def test_rank_crowding_select_rejects_bad_size():
    with pytest.raises(ValueError, match="n_select"):
        rank_crowding_select(F_SMALL, 6)


# ---------------------------------------------------------------- SPEA2 fitness


def test_spea2_fitness_by_hand():
    # strengths S = [2, 2, 1, 0, 1]; raw R = [0, 0, S0, S0+S1+S2+S4, S1] = [0, 0, 2, 6, 2];
    # k = floor(sqrt(5)) = 2; 2nd-nearest distances: sqrt(8), sqrt(8), 2, 2, 2.
    d01 = 1.0 / (np.sqrt(8.0) + 2.0)
    expected = [d01, d01, 2.25, 6.25, 2.25]
    np.testing.assert_allclose(spea2_fitness(F_SMALL), expected)


def test_spea2_fitness_uses_raw_objectives():
    # scaling one objective changes the density term (no normalisation, as in PlatEMO)
    F = np.array([[0.0, 3.0], [1.0, 1.0], [3.0, 0.0], [2.0, 2.0]])
    scaled = F * [10.0, 1.0]
    assert not np.allclose(spea2_fitness(F), spea2_fitness(scaled))
    np.testing.assert_allclose(spea2_fitness(scaled), _brute_spea2_fitness(scaled))


@pytest.mark.parametrize("n", [1, 2, 7, 30])
def test_spea2_fitness_matches_brute_force(n):
    rng = np.random.default_rng(n)
    F = rng.integers(0, 6, size=(n, 3)).astype(float)
    fitness = spea2_fitness(F)
    if n == 1:
        np.testing.assert_array_equal(fitness, [0.0])
    else:
        np.testing.assert_allclose(fitness, _brute_spea2_fitness(F))
    np.testing.assert_array_equal(fitness < 1, non_dominated_rank(F) == 0)


# ---------------------------------------------------------------- SPEA2 selection


def test_spea2_select_fills_with_best_fitness():
    # non-dominated {0, 1} are too few; 2 and 4 tie at 2.25 and the lower index wins
    np.testing.assert_array_equal(spea2_select(F_SMALL, 3), [0, 1, 2])
    np.testing.assert_array_equal(spea2_select(F_SMALL, 4), [0, 1, 2, 4])


def test_spea2_truncation_hand_order():
    # Step 1: points 2 and 3 tie at nearest distance 0.5*sqrt2; their 2nd nearest are 1.5 and 1
    # (in units of sqrt2), so 3 goes. Step 2: 0 and 1 tie at 1; 2nd nearest 2.5 vs 1.5, so 1
    # goes. Comparing nearest neighbours only, with ties to the lower index, would remove 2, 0.
    np.testing.assert_array_equal(spea2_select(F_LINE, 4), [0, 1, 2, 4])
    np.testing.assert_array_equal(spea2_select(F_LINE, 3), [0, 2, 4])
    # a dominated point does not change the truncation of the front
    F = np.vstack([F_LINE, [[5.0, 5.0]]])
    np.testing.assert_array_equal(np.sort(spea2_select(F, 3)), [0, 2, 4])


def test_spea2_select_keeps_all_non_dominated_when_exact():
    chosen = spea2_select(F_LINE, 5)
    np.testing.assert_array_equal(np.sort(chosen), np.arange(5))


@pytest.mark.parametrize(("n_obj", "n_keep"), [(2, 10), (3, 17), (2, 1)])
def test_spea2_truncation_matches_brute_force(n_obj, n_keep):
    rng = np.random.default_rng(n_keep)
    if n_obj == 2:
        f1 = rng.random(40)
        F = np.column_stack([f1, 1.0 - np.sqrt(f1)])
    else:
        F = rng.random((40, 3))
        F /= np.linalg.norm(F, axis=1, keepdims=True)  # on the sphere: all non-dominated
    assert (non_dominated_rank(F) == 0).all()
    np.testing.assert_array_equal(np.sort(spea2_select(F, n_keep)), _brute_truncation(F, n_keep))


def test_spea2_truncation_with_duplicates_is_deterministic():
    F = np.array([[0.0, 1.0], [0.5, 0.5], [0.5, 0.5], [1.0, 0.0]])
    np.testing.assert_array_equal(np.sort(spea2_select(F, 3)), _brute_truncation(F, 3))


@pytest.mark.parametrize("seed", range(6))
def test_spea2_select_equals_brute_force_on_grids_with_ties(seed):
    # integer objectives: distances are square roots of integers, exact in any implementation,
    # so equal gaps tie exactly and the tie-breaking (2nd nearest, ..., then the lower index)
    # decides; half the sets lie on a line (all non-dominated), where truncation removes most
    rng = np.random.default_rng(seed)
    n = int(rng.integers(12, 31))
    if seed % 2 == 0:
        f1 = rng.integers(0, 16, size=n)
        F = np.column_stack([f1, 15 - f1, rng.integers(0, 2, size=n)][: 2 + seed // 4])
    else:
        F = rng.integers(0, 4, size=(n, 2 + seed // 4))
    F = F.astype(float)
    truncated = 0
    for n_select in sorted({0, 1, n // 4, n // 2, n - 1, n}):
        expected = _brute_spea2_select(F, n_select)
        np.testing.assert_array_equal(spea2_select(F, n_select), expected)
        truncated += int((spea2_fitness(F) < 1).sum() > n_select)
    assert truncated >= 1  # the truncation ran, not only the fill by fitness


def test_spea2_truncation_follows_the_rule_when_distances_overflow():
    # distances of about 1e300 overflow to inf: all four non-dominated points tie at inf, so
    # the lowest indices go first (the self-distance, also inf, must not count as a neighbour)
    F = np.array([[0.0, 1e300], [1e300, 0.0], [5e299, 5e299], [6e299, 4e299], [1.0, 1e300]])
    with np.errstate(over="ignore"):  # the brute force's norms overflow too
        expected = _brute_spea2_select(F, 2)
    np.testing.assert_array_equal(spea2_select(F, 2), expected)
    np.testing.assert_array_equal(np.sort(expected), [2, 3])


def test_spea2_select_output_sorted_by_fitness():
    rng = np.random.default_rng(11)
    F = rng.random((50, 2))
    chosen = spea2_select(F, 20)
    assert len(np.unique(chosen)) == 20
    assert (np.diff(spea2_fitness(F)[chosen]) >= 0).all()


# ---------------------------------------------------------------- binary tournament


def test_tournament_better_always_wins_two_candidates():
    rng = np.random.default_rng(0)
    winners = binary_tournament((np.array([1.0, 0.0]),), 2000, rng=rng)
    # distinct candidates: 0 can only win against itself, which never happens
    np.testing.assert_array_equal(winners, np.ones(2000, dtype=int))


def test_tournament_lexicographic_keys_and_uniform_pairs():
    # rank ties between 0 and 1 are decided by the second key; 2 always loses.
    # Each of the 3 pairs has probability 1/3: P(0 wins) = 2/3, P(1 wins) = 1/3.
    keys = (np.array([0, 0, 1]), np.array([-2.0, -1.0, -5.0]))
    winners = binary_tournament(keys, 30000, rng=np.random.default_rng(1))
    counts = np.bincount(winners, minlength=3) / 30000
    assert counts[2] == 0
    np.testing.assert_allclose(counts[:2], [2 / 3, 1 / 3], atol=0.015)


def test_tournament_winner_never_worse_than_any_loser():
    rng = np.random.default_rng(2)
    key = rng.permutation(20).astype(float)
    winners = binary_tournament((key,), 5000, rng=rng)
    assert np.argmax(key) not in winners  # the worst loses every tournament it enters
    # with distinct keys P(win) of the r-th best is 2 (n - 1 - r) / (n (n - 1))
    rank = np.argsort(np.argsort(key))
    expected = 2 * (19 - rank) / (20 * 19)
    np.testing.assert_allclose(np.bincount(winners, minlength=20) / 5000, expected, atol=0.02)


def test_tournament_ties_are_broken_at_random():
    winners = binary_tournament((np.zeros(2),), 20000, rng=np.random.default_rng(3))
    assert abs(winners.mean() - 0.5) < 0.02
    winners = binary_tournament((np.zeros(5),), 20000, rng=np.random.default_rng(4))
    np.testing.assert_allclose(np.bincount(winners) / 20000, 0.2, atol=0.015)


def test_tournament_is_reproducible():
    keys = (np.random.default_rng(9).random(30),)
    a = binary_tournament(keys, 100, rng=np.random.default_rng(42))
    b = binary_tournament(keys, 100, rng=np.random.default_rng(42))
    c = binary_tournament(keys, 100, rng=np.random.default_rng(43))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_tournament_single_candidate_and_infinite_keys():
    np.testing.assert_array_equal(
        binary_tournament((np.array([3.0]),), 4, rng=np.random.default_rng(0)), np.zeros(4)
    )
    keys = (np.array([0, 0]), np.array([-np.inf, -1.0]))  # NSGA-II: extremes have -inf
    winners = binary_tournament(keys, 100, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(winners, np.zeros(100))

