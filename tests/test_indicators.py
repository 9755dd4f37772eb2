"""Tests of evogan.indicators against hand-worked values and brute-force computations."""

import hashlib
import itertools
import math

import numpy as np
import pytest

from evogan.indicators import front_hash, gd, hv, igd, igd_plus, nondominated, quality


def _nearest(from_points, to_points, distance):
    return [min(distance(p, q) for q in to_points) for p in from_points]


def _euclid(p, q):
    return math.sqrt(sum((a - b) ** 2 for a, b in zip(p, q, strict=True)))


def _plus(z, a):
    """IGD+ distance from reference point z to solution a (minimisation)."""
    return math.sqrt(sum(max(ai - zi, 0.0) ** 2 for ai, zi in zip(a, z, strict=True)))


def _brute_hv(F, ref):
    """Inclusion-exclusion over all subsets of the boxes [f, ref]."""
    total = 0.0
    for size in range(1, len(F) + 1):
        for subset in itertools.combinations(range(len(F)), size):
            corner = np.max(F[list(subset)], axis=0)
            total += (-1) ** (size + 1) * np.prod(np.clip(ref - corner, 0.0, None))
    return total


@pytest.fixture
def random_sets():
    rng = np.random.default_rng(0)
    return rng.random((13, 3)), rng.random((29, 3))


def test_igd_gd_igd_plus_match_brute_force(random_sets):
    F, front = random_sets
    assert igd(F, front) == pytest.approx(np.mean(_nearest(front, F, _euclid)))
    assert gd(F, front) == pytest.approx(np.mean(_nearest(F, front, _euclid)))
    assert igd_plus(F, front) == pytest.approx(np.mean(_nearest(front, F, _plus)))
    assert gd(F, front) != pytest.approx(igd(F, front))  # the two really differ


def test_igd_plus_ishibuchi_example():
    # Example 4 of Ishibuchi et al. (EMO 2015): A is better than B, IGD+ agrees, IGD does not.
    front = np.array([[10, 0], [6, 1], [2, 2], [1, 6], [0, 10]], dtype=float)
    A = np.array([[4, 2], [3, 3], [2, 4]], dtype=float)
    B = np.array([[8, 2], [4, 4], [2, 8]], dtype=float)
    # per reference point, by hand: A: 2, 1, sqrt2, 1, 2; B: 2, sqrt5, 2 sqrt2, sqrt5, 2
    assert igd_plus(A, front) == pytest.approx((6 + math.sqrt(2)) / 5)
    assert igd_plus(B, front) == pytest.approx((4 + 2 * math.sqrt(5) + 2 * math.sqrt(2)) / 5)
    assert igd(A, front) > igd(B, front)


def test_indicators_are_zero_on_the_front():
    front = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    assert igd(front, front) == 0.0
    assert gd(front, front) == 0.0
    assert igd_plus(front, front) == 0.0
    # a point dominating the front is at IGD+ distance 0 from every reference point, GD > 0
    better = np.array([[0.0, 0.0]])
    assert igd_plus(better, front) == 0.0
    assert gd(better, front) == pytest.approx(math.sqrt(0.5))


def test_indicators_on_a_large_front():
    # 10,000 reference points against 100 solutions: the sizes of a real run
    rng = np.random.default_rng(1)
    f1 = np.linspace(0.0, 1.0, 10_000)
    front = np.column_stack([f1, 1.0 - np.sqrt(f1)])
    F = front[rng.choice(10_000, 100, replace=False)] + 0.01
    assert gd(F, front) < 0.0142  # each point is 0.01 * sqrt2 off in both coordinates at most
    assert 0.0 < igd(F, front) < 0.05


def test_hv_2d_by_hand():
    # staircase (1,3), (2,2), (3,1) below ref (4,4): columns of width 1 and heights 1, 2, 3
    F = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    ref = np.array([4.0, 4.0])
    assert hv(F, ref) == pytest.approx(6.0)
    # a dominated point, one outside the box, one on its border: nothing changes
    extra = np.array([[3.0, 3.0], [5.0, 0.0], [4.0, 0.5]])
    assert hv(np.vstack([F, extra]), ref) == pytest.approx(6.0)
    assert hv(extra[1:], ref) == 0.0
    assert hv(np.zeros((0, 2)), ref) == 0.0


def test_hv_3d_by_hand():
    assert hv(np.array([[0.0, 0.0, 0.0]]), np.array([1.0, 2.0, 3.0])) == pytest.approx(6.0)
    # boxes 2*2*1 and 1*1*2 overlapping in the unit cube [1,2]^3: 4 + 2 - 1
    F = np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
    assert hv(F, np.array([2.0, 2.0, 2.0])) == pytest.approx(5.0)


@pytest.mark.parametrize("n_obj", [2, 3, 4])
def test_hv_matches_inclusion_exclusion(n_obj):
    rng = np.random.default_rng(n_obj)
    F = rng.random((7, n_obj))
    ref = np.full(n_obj, 0.9)  # some points lie outside the reference box
    assert hv(F, ref) == pytest.approx(_brute_hv(F, ref))


def test_nondominated_mask():
    F = np.array([[1.0, 3.0], [3.0, 1.0], [2.0, 4.0], [1.0, 3.0], [2.0, 2.0], [3.0, 3.0]])
    np.testing.assert_array_equal(nondominated(F), [True, True, False, True, True, False])
    assert nondominated(np.zeros((0, 2))).shape == (0,)


def test_nondominated_matches_pairwise_check():
    rng = np.random.default_rng(4)
    F = rng.integers(0, 6, size=(50, 3)).astype(float)
    dominated = [
        any((F[j] <= F[i]).all() and (F[j] < F[i]).any() for j in range(len(F)))
        for i in range(len(F))
    ]
    np.testing.assert_array_equal(nondominated(F), ~np.array(dominated))


def test_front_hash_pins_values_and_shape():
    front = np.arange(6, dtype=float).reshape(3, 2)
    expected = hashlib.sha256(b"(3, 2)" + front.astype("<f8").tobytes()).hexdigest()
    assert front_hash(front) == expected
    assert front_hash(np.asfortranarray(front)) == expected  # memory layout does not matter
    assert front_hash(front.astype(np.float32)) == expected  # exactly representable values
    assert front_hash(front.reshape(2, 3)) != expected
    changed = front.copy()
    changed[1, 1] = np.nextafter(changed[1, 1], np.inf)
    assert front_hash(changed) != expected


def test_quality_uses_the_non_dominated_subset():
    front = np.array([[0.0, 1.0], [0.5, 0.5], [1.0, 0.0]])
    F_nd = np.array([[0.0, 1.0], [1.0, 0.0]])
    F = np.vstack([F_nd, [[2.0, 2.0]]])  # far dominated point
    ref = np.array([2.0, 2.0])
    result = quality(F, front, ref)
    assert set(result) == {"igd", "igd_plus", "gd", "hv"}
    assert result["gd"] == 0.0
    assert gd(F, front) == pytest.approx(math.sqrt(4.5) / 3)  # (2, 2) is sqrt(4.5) from (.5, .5)
    assert result["igd"] == pytest.approx(math.sqrt(0.5) / 3)
    assert result["igd_plus"] == pytest.approx(0.5 / 3)
    assert result["hv"] == pytest.approx(3.0)
    assert all(isinstance(v, float) for v in result.values())
