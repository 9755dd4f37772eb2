"""Tests for LSMOP1-LSMOP9 (problems/lsmop.py): PlatEMO's values, Pareto sets and fronts.

Two independent references: tests/data/lsmop_platemo.npz holds values computed by PlatEMO's own
LSMOP*.m files in GNU Octave (regenerate with tests/make_lsmop_platemo_fixture.py), and
tests/lsmop_reference.py is a loop-based transcription of the same files that also covers sizes
the fixture does not.
"""

from pathlib import Path

import moocore
import numpy as np
import pytest

from evogan.cli import main
from evogan.core.errors import ConfigError
from evogan.problems import LSMOP, get_problem, hv_reference_point, problem_info, reference_front
from evogan.problems.lsmop import min_n_var, subcomponent_sizes
from tests import lsmop_reference

FIXTURE = Path(__file__).resolve().parent / "data" / "lsmop_platemo.npz"
NUMBERS = range(1, 10)
PLATEMO_SIZES = [(2, 100), (2, 300), (3, 100), (3, 300)]  # (M, D) in the fixture
ROSENBROCK = (3, 6, 7)  # problems with Rosenbrock groups: minimiser y = 1, not 0


def _reference(number, n_obj, X, nk=5):
    return np.array([lsmop_reference.evaluate(number, n_obj, list(x), nk) for x in X])


# --- objective values against PlatEMO ----------------------------------------------------------

@pytest.mark.parametrize(("n_obj", "n_var"), PLATEMO_SIZES)
def test_values_match_platemo_run_in_octave(n_obj, n_var):
    data = np.load(FIXTURE)
    X, F = data[f"X_m{n_obj}_d{n_var}"], data[f"F_m{n_obj}_d{n_var}"]
    assert X.shape == (5, n_var) and F.shape == (9, 5, n_obj)
    for number in NUMBERS:
        problem = get_problem(f"lsmop{number}", n_obj=n_obj, n_var=n_var)
        np.testing.assert_allclose(problem.evaluate(X), F[number - 1], rtol=1e-12, atol=0)


@pytest.mark.parametrize(("n_obj", "n_var"), PLATEMO_SIZES)
def test_loop_transcription_reproduces_octave_exactly(n_obj, n_var):
    """The transcription is faithful, so it can be trusted at sizes the fixture lacks."""
    data = np.load(FIXTURE)
    X, F = data[f"X_m{n_obj}_d{n_var}"], data[f"F_m{n_obj}_d{n_var}"]
    for number in NUMBERS:
        np.testing.assert_allclose(_reference(number, n_obj, X), F[number - 1], rtol=1e-15)


@pytest.mark.parametrize(("n_obj", "n_var"), PLATEMO_SIZES + [(2, 98), (3, 50), (4, 157),
                                                             (5, 78), (2, 19)])
def test_values_match_the_loop_transcription(n_obj, n_var):
    # (2, 98) and (3, 50) are sizes where floor(r D / nk) would give other subcomponents;
    # (5, 78) and (2, 19) are the smallest accepted D.
    rng = np.random.default_rng(n_obj * 1000 + n_var)
    for number in NUMBERS:
        problem = LSMOP(number, n_obj=n_obj, n_var=n_var)
        X = rng.uniform(problem.xl, problem.xu, (4, n_var))
        np.testing.assert_allclose(problem.evaluate(X), _reference(number, n_obj, X),
                                   rtol=1e-12, atol=0)


def test_other_subcomponent_counts_match_the_transcription():
    rng = np.random.default_rng(8)
    for number, nk in ((3, 2), (7, 8)):
        problem = LSMOP(number, n_obj=3, n_var=200, n_subcomponents=nk)
        X = rng.uniform(problem.xl, problem.xu, (3, 200))
        np.testing.assert_allclose(problem.evaluate(X), _reference(number, 3, X, nk), rtol=1e-12)


# --- subcomponent sizes --------------------------------------------------------------------------

def test_sizes_follow_platemos_rule_not_floor_r_d_over_nk():
    assert subcomponent_sizes(100, 2) == (5, 14)  # floor(r_j D / nk) agrees at D = 100 M
    assert subcomponent_sizes(300, 3) == (12, 30, 16)
    assert subcomponent_sizes(98, 2) == (5, 13)  # floor(r_j D / nk): (5, 14)
    assert subcomponent_sizes(50, 3) == (1, 4, 2)  # floor(r_j D / nk): (2, 5, 2)
    for n_obj, n_var in ((2, 98), (3, 50), (6, 600), (10, 1000)):
        sublen, _ = lsmop_reference.setting(n_obj, n_var)
        assert subcomponent_sizes(n_var, n_obj) == tuple(sublen)


def test_variables_after_the_last_group_change_nothing():
    problem = LSMOP(2, n_obj=3, n_var=300)  # groups fill 5 * (12 + 30 + 16) = 290 of x_3..x_300
    X = np.random.default_rng(9).uniform(problem.xl, problem.xu, (6, 300))
    moved = X.copy()
    moved[:, 292:] = 10.0 - moved[:, 292:]
    np.testing.assert_array_equal(problem.evaluate(moved), problem.evaluate(X))
    moved[:, 291] = 10.0 - moved[:, 291]  # x_292, the last variable of group 3 (f_3)
    assert np.all(problem.evaluate(moved)[:, 2] != problem.evaluate(X)[:, 2])


@pytest.mark.parametrize("n_obj", range(2, 13))
def test_min_n_var_is_the_smallest_d_without_empty_subcomponents(n_obj):
    smallest = min_n_var(n_obj)
    assert min(subcomponent_sizes(smallest, n_obj)) == 1
    assert min(subcomponent_sizes(smallest - 1, n_obj)) == 0
    assert smallest <= 100 * n_obj  # the default D is accepted
    with pytest.raises(ValueError, match=f"n_var >= {smallest}"):
        LSMOP(1, n_obj=n_obj, n_var=smallest - 1)


# --- catalog ---------------------------------------------------------------------------------------

def test_catalog_builds_lsmop_with_platemos_defaults():
    problem = get_problem("LSMOP1")
    assert (problem.n_obj, problem.n_var, problem.benchmark_name) == (3, 300, "lsmop1")
    problem = get_problem("lsmop9", n_obj=5, n_var=120)
    assert (problem.n_obj, problem.n_var) == (5, 120)
    np.testing.assert_array_equal(problem.xl, 0.0)
    np.testing.assert_array_equal(problem.xu, [1.0] * 4 + [10.0] * 116)
    assert get_problem("lsmop5", n_obj=2).n_var == 200
    info = problem_info("lsmop5")
    assert (info["n_obj"], info["default_n_obj"], info["default_n_var"], info["min_n_var"]) == (
        "an integer >= 2", 3, 300, 27)


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"n_obj": 1}, "n_obj=1"), ({"n_obj": 3, "n_var": 26}, "n_var=26"),
    ({"n_obj": 2, "n_var": 18}, "n_var=18"),
])
def test_catalog_rejects_bad_sizes_in_one_line(kwargs, named):
    with pytest.raises(ConfigError) as info:
        get_problem("lsmop4", **kwargs)
    assert named in str(info.value) and "\n" not in str(info.value)


def test_evogan_list_shows_the_suite(capsys):
    assert main(["list"]) == 0
    listing = capsys.readouterr().out
    for number in NUMBERS:
        assert f"  lsmop{number} " in listing
    assert "n_var default 300: LSMOP9: sphere / Ackley" in listing


def test_out_of_bounds_input_is_clipped_as_platemo_does():
    problem = LSMOP(7, n_obj=2, n_var=100)
    X = np.random.default_rng(10).uniform(-2.0, 12.0, (20, 100))
    np.testing.assert_array_equal(problem.evaluate(X),
                                  problem.evaluate(np.clip(X, problem.xl, problem.xu)))


# --- Pareto sets and reference fronts ------------------------------------------------------------

def _front_residual(number, F):
    """Distance from the analytic front: sum f = 1, sum f^2 = 1, or LSMOP9's f_M (= DTLZ7's)."""
    if number <= 4:
        return np.abs(F.sum(axis=1) - 1.0)
    if number <= 8:
        return np.abs((F**2).sum(axis=1) - 1.0)
    head, m = F[:, :-1], F.shape[1]
    return np.abs(F[:, -1] - (2 * m - np.sum(head * (1 + np.sin(3 * np.pi * head)), axis=1)))


@pytest.mark.parametrize(("n_obj", "n_var"), [(2, 100), (3, 300), (3, 157), (5, 500)])
@pytest.mark.parametrize("number", NUMBERS)
def test_pareto_set_lands_on_the_front(number, n_obj, n_var):
    problem = get_problem(f"lsmop{number}", n_obj=n_obj, n_var=n_var)
    X = problem.pareto_set(np.random.default_rng(number).random((400, n_obj - 1)))
    inside = np.all(X <= problem.xu, axis=1)
    assert np.all(X >= problem.xl)
    if number not in ROSENBROCK:
        assert inside.all()
    X = X[inside]
    assert len(X) >= 300
    np.testing.assert_allclose(problem.distances(X), 0.0, atol=1e-10)
    F = problem.evaluate(X)
    assert _front_residual(number, F).max() <= 1e-9
    if number == 9:  # as DTLZ7, only x_m on the two pieces of its support map onto the front
        head = X[:, :n_obj - 1]
        F = F[np.all((head <= 0.2504) | ((head >= 0.6326) & (head <= 0.8584)), axis=1)]
        assert len(F) >= 20
    front = reference_front(problem)  # and no front point dominates it (the front is not too good)
    beaten = [np.any(np.all(front <= f - 1e-9, axis=1)) for f in F]
    assert not any(beaten)


def test_rosenbrock_minimiser_is_reachable_exactly_when_x1_is_at_most_0_9_near_x_d():
    """With y_i = slope_i x_i - 10 x_1 = 1 and x_i <= 10, x_1 <= 0.9 always works (slope >= 1);
    LSMOP7's last Rosenbrock variables (slope ~ 1) are out of reach for x_1 close to 1, so there
    its stated front is slightly better than the attainable one (left as in PlatEMO)."""
    for number in ROSENBROCK:
        problem = LSMOP(number, n_obj=3, n_var=300)
        x1 = np.linspace(0.0, 0.9, 91)[:, None]
        X = problem.pareto_set(np.hstack([x1, np.full_like(x1, 0.5)]))
        assert np.all(X <= problem.xu)
    problem = LSMOP(7, n_obj=2, n_var=100)
    assert np.any(problem.pareto_set(np.array([[1.0]])) > problem.xu)
    X = np.clip(problem.pareto_set(np.array([[1.0]])), problem.xl, problem.xu)
    assert problem.distances(X)[0, 1] > 1e-3


@pytest.mark.parametrize("n_obj", [2, 3, 4])
@pytest.mark.parametrize("number", NUMBERS)
def test_reference_front_satisfies_the_identity(number, n_obj):
    problem = get_problem(f"lsmop{number}", n_obj=n_obj)
    F = reference_front(problem)
    assert _front_residual(number, F).max() <= 1e-12
    assert moocore.is_nondominated(F, keep_weakly=False).all()
    expected = {2: 2000, 3: 10000 if number == 9 else 9870}.get(n_obj)
    assert expected is None or len(F) == expected
    if number == 9:
        np.testing.assert_array_equal(F, reference_front(get_problem("dtlz7", n_obj=n_obj)))
        assert len(np.unique(F[:, 0] > 0.5)) == 2  # disconnected: pieces on both sides
    np.testing.assert_allclose(hv_reference_point(problem), 1.1 * F.max(axis=0))


def test_random_points_are_dominated_by_the_front():
    for number in NUMBERS:
        problem = get_problem(f"lsmop{number}", n_obj=3)
        F = problem.evaluate(np.random.default_rng(number).uniform(problem.xl, problem.xu,
                                                                   (100, problem.n_var)))
        front = reference_front(problem)
        assert all(np.any(np.all(front <= f, axis=1)) for f in F)
