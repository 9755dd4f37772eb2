"""Tests for the IMF1-IMF10 problems (PlatEMO's definitions) and their reference fronts."""

import math

import numpy as np
import pytest

from evogan.problems import IMF, get_problem, reference_front

# A D = 4 point whose coordinates differ, so a reversed variable order changes g.
X_LINEAR = [0.5, 0.2, 0.4, 0.9]
X_NONLINEAR = [0.25, 0.16, 0.81, 0.0625]
X_WIDE = [0.25, 4.0, 0.81, 9.0]  # IMF9/IMF10 allow x_2..x_D up to 10


def _evaluate(number, x):
    return get_problem(f"imf{number}", n_var=len(x)).evaluate(np.array([x]))[0]


def _nonlinear_t(x):
    # t_i = x_i^(1 / (1 + 3 i / 4)) - x_1: exponents 1/2.5, 1/3.25, 1/4
    return [x[1] ** 0.4 - x[0], x[2] ** (1 / 3.25) - x[0], x[3] ** 0.25 - x[0]]


def test_imf1_imf2_imf3_at_a_hand_computed_point():
    # t_i = (1 + 5 i / 4) x_i - x_1, i = 2, 3, 4: 3.5 * 0.2 - 0.5, 4.75 * 0.4 - 0.5, 6 * 0.9 - 0.5
    g = 1 + 9 / 3 * (0.2**2 + 1.4**2 + 4.9**2)  # = 79.03
    np.testing.assert_allclose(_evaluate(1, X_LINEAR), [0.5, g * (1 - math.sqrt(0.5 / g))])
    np.testing.assert_allclose(_evaluate(2, X_LINEAR), [0.5, g - 0.25 / g])
    # phi(0.5) = 1 since sin(3 pi) = 0; move x_1 to 0.25 for a biased value 1 - e^-1
    np.testing.assert_allclose(_evaluate(3, X_LINEAR), [1.0, g * (1 - (1 / g) ** 2)], atol=1e-14)
    x = [0.25, 0.2, 0.4, 0.9]
    g = 1 + 9 / 3 * ((3.5 * 0.2 - 0.25) ** 2 + (4.75 * 0.4 - 0.25) ** 2 + (6 * 0.9 - 0.25) ** 2)
    f1 = 1 - math.exp(-1)  # sin(1.5 pi)^6 = 1
    np.testing.assert_allclose(_evaluate(3, x), [f1, g * (1 - (f1 / g) ** 2)])


def test_imf4_at_a_hand_computed_point():
    g = 1.4**2 + 4.9**2  # linked variables start at i = 3; no "1 +"
    a, b = math.pi / 4, math.pi * 0.1  # x_1 = 0.5 (elevation), x_2 = 0.2 (azimuth)
    expected = (1 + g) * np.array([math.cos(a) * math.cos(b), math.cos(a) * math.sin(b),
                                   math.sin(a)])
    np.testing.assert_allclose(_evaluate(4, X_LINEAR), expected)


def test_nonlinear_problems_at_a_hand_computed_point():
    t = _nonlinear_t(X_NONLINEAR)
    assert t[2] == pytest.approx(0.25)  # 0.0625^(1/4) - 0.25
    g = 1 + 9 / 3 * sum(v * v for v in t)
    np.testing.assert_allclose(_evaluate(5, X_NONLINEAR), [0.25, g * (1 - math.sqrt(0.25 / g))])
    np.testing.assert_allclose(_evaluate(6, X_NONLINEAR), [0.25, g * (1 - (0.25 / g) ** 2)])
    f1 = 1 - math.exp(-1) * math.sin(1.5 * math.pi) ** 6
    np.testing.assert_allclose(_evaluate(7, X_NONLINEAR), [f1, g * (1 - (f1 / g) ** 2)])
    g8 = t[1] ** 2 + t[2] ** 2
    a, b = math.pi / 8, math.pi * 0.08
    np.testing.assert_allclose(_evaluate(8, X_NONLINEAR), (1 + g8) * np.array(
        [math.cos(a) * math.cos(b), math.cos(a) * math.sin(b), math.sin(a)]))


def test_imf9_imf10_at_a_hand_computed_point():
    t = _nonlinear_t(X_WIDE)
    g9 = (2 + sum(v * v for v in t) / 4000
          - math.cos(t[0] / 1) * math.cos(t[1] / math.sqrt(2)) * math.cos(t[2] / math.sqrt(3)))
    g10 = 1 + 10 * 3 + sum(v * v - 10 * math.cos(2 * math.pi * v) for v in t)
    for number, g in ((9, g9), (10, g10)):
        np.testing.assert_allclose(_evaluate(number, X_WIDE), [0.25, g * (1 - math.sqrt(0.25 / g))])


def test_bounds_and_objective_counts():
    for number in range(1, 11):
        problem = get_problem(f"imf{number}", n_var=50)
        assert problem.n_obj == (3 if number in (4, 8) else 2) and problem.n_var == 50
        assert np.all(problem.xl == 0) and problem.xu[0] == 1
        assert np.all(problem.xu[1:] == (10 if number in (9, 10) else 1))
        assert problem.benchmark_name == f"imf{number}"


def test_out_of_bounds_input_is_clipped_as_platemo_does():
    problem = get_problem("imf7", n_var=10)
    X = np.random.default_rng(0).uniform(-0.5, 1.5, (20, 10))
    F = problem.evaluate(X)
    assert np.isfinite(F).all()
    np.testing.assert_array_equal(F, problem.evaluate(np.clip(X, 0, 1)))


def _front_residual(number, F):
    """How far F is from the analytic front equation."""
    if number in (4, 8):
        return np.abs((F**2).sum(axis=1) - 1)
    if number in (2, 3, 6, 7):
        return np.abs(F[:, 1] - (1 - F[:, 0] ** 2))
    return np.abs(F[:, 1] - (1 - np.sqrt(F[:, 0])))


@pytest.mark.parametrize("n_var", [30, 200])
@pytest.mark.parametrize("number", range(1, 11))
def test_pareto_set_maps_onto_the_reference_front(number, n_var):
    problem = get_problem(f"imf{number}", n_var=n_var)
    n_free = 2 if number in (4, 8) else 1
    x_free = np.random.default_rng(number).random((500, n_free))
    X = problem.pareto_set(x_free)
    assert X.shape == (500, n_var) and np.all(X >= problem.xl) and np.all(X <= problem.xu)
    F = problem.evaluate(X)
    front = reference_front(problem)
    assert _front_residual(number, F).max() <= 1e-10
    assert _front_residual(number, front).max() <= 1e-10
    # on the front's extent, and never dominated by a front point (the front is not too good)
    assert np.all(F >= front.min(axis=0) - 1e-10) and np.all(F <= front.max(axis=0) + 1e-10)
    beaten = [np.any(np.all(front <= f - 1e-10, axis=1)) for f in F]
    assert not any(beaten)


def test_imf3_front_starts_at_the_minimum_of_phi():
    front = reference_front(get_problem("imf3"))
    x = np.linspace(0, 1, 1_000_001)  # PlatEMO's brute-force grid lies ~3e-11 above the minimum
    platemo = np.min(1 - np.exp(-4 * x) * np.sin(6 * np.pi * x) ** 6)
    assert platemo - 1e-10 < front[:, 0].min() <= platemo
    np.testing.assert_allclose(front[-1], [1.0, 0.0])


def test_imf6_front_is_concave_not_the_official_codes_convex_one():
    front = reference_front(get_problem("imf6"))
    np.testing.assert_allclose(front[:, 1], 1 - front[:, 0] ** 2, atol=1e-12)
    order = np.argsort(front[:, 0])
    f1, f2 = front[order, 0], front[order, 1]
    slopes = np.diff(f2) / np.diff(f1)
    assert np.all(np.diff(slopes) < 0)  # decreasing slope: a concave curve
    mid = len(f1) // 2
    assert f2[mid] > 1 - np.sqrt(f1[mid]) + 0.2  # far above the convex 1 - sqrt(f1)


def test_random_points_are_dominated_by_the_front():
    for number in range(1, 11):
        problem = get_problem(f"imf{number}", n_var=30)
        F = problem.evaluate(np.random.default_rng(number).uniform(problem.xl, problem.xu,
                                                                   (200, 30)))
        front = reference_front(problem)
        assert all(np.any(np.all(front <= f, axis=1)) for f in F)


def test_any_number_of_variables_is_accepted():
    assert IMF(1, n_var=2).evaluate(np.array([[0.3, 0.3 / 6]]))[0, 1] == pytest.approx(
        1 - math.sqrt(0.3))
    with pytest.raises(ValueError, match="n_var >= 3"):
        IMF(8, n_var=2)
