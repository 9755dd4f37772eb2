"""Tests for evogan.problems: pymoo wrappers, locally generated reference fronts, input errors."""

import socket

import moocore
import numpy as np
import pytest
from pymoo.problems.many import dtlz, wfg
from pymoo.problems.multi import zdt

from evogan.core.errors import ConfigError
from evogan.core.problem import SINGLE_TASK
from evogan.problems import (
    available_problems,
    get_problem,
    hv_reference_point,
    problem_info,
    reference_front,
)
from evogan.problems.fronts import _cached_front

WFG = [f"wfg{i}" for i in range(1, 10)]
DTLZ = [f"dtlz{i}" for i in range(1, 8)]
ZDT = ["zdt1", "zdt2", "zdt3", "zdt4", "zdt6"]
IMF = [f"imf{i}" for i in range(1, 11)]


def _cases():
    """Every (name, n_obj) whose front is tested: 2 and 3 objectives where allowed."""
    return ([(n, 2) for n in ZDT] + [(n, m) for n in DTLZ + WFG for m in (2, 3)]
            + [(n, 3 if n in ("imf4", "imf8") else 2) for n in IMF])


def _covered(points, front, tol):
    """True where a front point weakly dominates point + tol: the front is at least this good."""
    chunks = np.array_split(points, -(-len(points) // 64))  # (<=64, n_obj) each
    # (chunk, 1, n_obj) against (1, n_front, n_obj)
    return np.concatenate([np.all(front <= c[:, None] + tol, axis=2).any(axis=1) for c in chunks])


def _beaten(points, front, tol):
    """True where a front point dominates point - tol: the front would be better than this
    Pareto-optimal point, so it is too good (or the point is not optimal)."""
    return _covered(points, front, -tol)


def _spacing(front):
    """The largest distance from a front point to its nearest neighbour: the sampling step."""
    from scipy.spatial import cKDTree

    return float(cKDTree(front).query(front, k=2)[0][:, 1].max())


# --- objective values against pymoo --------------------------------------------------------------

@pytest.mark.parametrize(("name", "cls", "n_var", "n_obj"), [
    ("zdt1", zdt.ZDT1, 30, 2), ("zdt3", zdt.ZDT3, 17, 2), ("zdt4", zdt.ZDT4, 10, 2),
    ("zdt6", zdt.ZDT6, 10, 2), ("dtlz1", dtlz.DTLZ1, 7, 3), ("dtlz7", dtlz.DTLZ7, 22, 3),
    ("dtlz5", dtlz.DTLZ5, 14, 5), ("wfg1", wfg.WFG1, 24, 3), ("wfg2", wfg.WFG2, 10, 2),
    ("wfg9", wfg.WFG9, 26, 4),
])
def test_wrappers_evaluate_like_pymoo(name, cls, n_var, n_obj):
    problem = get_problem(name, n_var=n_var, n_obj=n_obj)
    reference = cls(n_var=n_var) if name.startswith("zdt") else cls(n_var=n_var, n_obj=n_obj)
    X = np.random.default_rng(3).uniform(reference.xl, reference.xu, (50, n_var))
    np.testing.assert_array_equal(problem.evaluate(X), reference.evaluate(X))
    assert (problem.n_var, problem.n_obj, problem.benchmark_name) == (n_var, n_obj, name)


def test_defaults_follow_the_documented_rules():
    sizes = {name: (p.n_var, p.n_obj) for name in available_problems(SINGLE_TASK)
             for p in [get_problem(name)]}
    assert sizes["zdt1"] == (30, 2) and sizes["zdt4"] == (10, 2) and sizes["zdt6"] == (10, 2)
    assert sizes["dtlz1"] == (7, 3) and sizes["dtlz2"] == (12, 3) and sizes["dtlz7"] == (22, 3)
    assert sizes["wfg1"] == (24, 3) and sizes["imf4"] == (30, 3) and sizes["imf1"] == (30, 2)
    assert get_problem("dtlz7", n_obj=5).n_var == 24
    assert get_problem("dtlz2", n_var=np.int64(14), n_obj=np.int64(4)).n_var == 14
    assert get_problem("wfg4", n_obj=5).n_var == 28  # k = 8, l = 20
    assert len(available_problems(SINGLE_TASK)) == 43
    assert len(available_problems()) == 53  # and the CEC2017 multitask pairs, cec17-cims-mtop too
    assert sizes["c1dtlz1"] == (7, 3) and sizes["c3dtlz4"] == (12, 3)


def test_problem_info_describes_each_problem():
    info = problem_info("DTLZ2")
    assert info == {"name": "dtlz2", "kind": SINGLE_TASK, "n_obj": "an integer >= 2", "default_n_obj": 3,
                    "default_n_var": 12, "min_n_var": 3,
                    "description": "DTLZ2: spherical front sum f^2 = 1"}
    assert problem_info("imf8")["n_obj"] == "exactly 3"
    assert all(problem_info(n)["description"] for n in available_problems())


@pytest.mark.parametrize("name", available_problems(SINGLE_TASK))
def test_smallest_accepted_n_var_evaluates(name):
    info = problem_info(name)
    problem = get_problem(name, n_var=info["min_n_var"])
    X = np.random.default_rng(4).uniform(problem.xl, problem.xu, (7, problem.n_var))
    F = problem.evaluate(X, return_values_of=["F"])
    assert F.shape == (7, info["default_n_obj"]) and np.isfinite(F).all()
    with pytest.raises(ConfigError):
        get_problem(name, n_var=info["min_n_var"] - 1)


# --- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "named"), [
    ({"name": "zdt5"}, "'zdt5'"),
    ({"name": "zdt1", "n_obj": 3}, "n_obj=3"),
    ({"name": "imf4", "n_obj": 2}, "n_obj=2"),
    ({"name": "dtlz2", "n_obj": 1}, "n_obj=1"),
    ({"name": "dtlz2", "n_obj": 4, "n_var": 3}, "n_var=3"),
    ({"name": "zdt1", "n_var": 1}, "n_var=1"),
    ({"name": "wfg4", "n_obj": 3, "n_var": 4}, "n_var=4"),
    ({"name": "wfg2", "n_obj": 2, "n_var": 9}, "n_var=9"),
    ({"name": "imf8", "n_var": 2}, "n_var=2"),
    ({"name": "dtlz2", "n_var": 7.5}, "n_var=7.5"),
    ({"name": "dtlz2", "n_obj": True}, "n_obj=True"),
])
def test_bad_input_raises_one_line_config_error(kwargs, named):
    name = kwargs.pop("name")
    with pytest.raises(ConfigError) as info:
        get_problem(name, **kwargs)
    message = str(info.value)
    assert named in message and "\n" not in message


def test_unknown_name_lists_choices():
    with pytest.raises(ConfigError, match="dtlz7.*wfg9.*imf10"):
        get_problem("dtlz8")


def test_reference_front_needs_a_benchmark_problem():
    with pytest.raises(ConfigError, match="benchmark_name"):
        reference_front(zdt.ZDT1())


# --- reference fronts -----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "n_obj"), _cases())
def test_front_is_non_dominated_finite_and_read_only(name, n_obj):
    F = reference_front(get_problem(name, n_obj=n_obj))
    assert F.shape[1] == n_obj and np.isfinite(F).all()
    assert moocore.is_nondominated(F, keep_weakly=False).all()
    with pytest.raises(ValueError):
        F[0, 0] = 1.0


# The documented table in fronts.py.
_SIZES = {("zdt3", 2): 2000, ("dtlz1", 3): 9870, ("dtlz2", 3): 9870, ("dtlz5", 3): 2000,
          ("dtlz7", 2): 2000, ("dtlz7", 3): 10000, ("wfg1", 2): 2000, ("wfg1", 3): 9901,
          ("wfg2", 3): 9901, ("wfg3", 3): 2000, ("wfg9", 3): 9870, ("imf4", 3): 9870,
          ("imf3", 2): 2000, ("zdt1", 2): 2000, ("dtlz7", 4): 9261, ("dtlz2", 5): 8855}


@pytest.mark.parametrize(("name", "n_obj"), list(_SIZES))
def test_front_size_matches_the_documented_table(name, n_obj):
    assert len(reference_front(get_problem(name, n_obj=n_obj))) == _SIZES[(name, n_obj)]


def test_analytic_identities_on_fronts():
    def front(name, n_obj=None):
        return reference_front(get_problem(name, n_obj=n_obj))

    for name in ("dtlz2", "dtlz3", "dtlz4"):
        for m in (2, 3, 5):
            np.testing.assert_allclose((front(name, m) ** 2).sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(front("dtlz1", 3).sum(axis=1), 0.5, atol=1e-12)
    f = front("zdt1")
    np.testing.assert_allclose(f[:, 1], 1 - np.sqrt(f[:, 0]), atol=1e-12)
    np.testing.assert_array_equal(front("zdt4"), f)
    f = front("zdt2")
    np.testing.assert_allclose(f[:, 1], 1 - f[:, 0] ** 2, atol=1e-12)
    f = front("zdt6")
    np.testing.assert_allclose(f[:, 1], 1 - f[:, 0] ** 2, atol=1e-12)
    x = np.linspace(0.08, 0.083, 300_001)  # brute force around the minimiser of phi
    grid_min = np.min(1 - np.exp(-4 * x) * np.sin(6 * np.pi * x) ** 6)
    assert grid_min - 1e-12 <= f[:, 0].min() <= grid_min and f[:, 0].max() == 1.0
    assert f[:, 0].min() == pytest.approx(0.280775318815, abs=1e-12)
    f = front("zdt3")  # five pieces: gaps in f1 far wider than the sampling step
    assert np.sum(np.diff(f[:, 0]) > 0.05) == 4
    f1 = f[:, 0]
    np.testing.assert_allclose(f[:, 1], 1 - np.sqrt(f1) - f1 * np.sin(10 * np.pi * f1))
    for m in (3, 4):  # DTLZ5/6 curve: all but the last angle are pi/4, sum f^2 = 1
        f = front("dtlz5", m)
        np.testing.assert_allclose((f**2).sum(axis=1), 1.0, atol=1e-12)
        np.testing.assert_allclose(f[:, 0], f[:, 1], atol=1e-12)
    for m in (2, 3, 4):  # DTLZ7: f_M = 2 M - sum f_i (1 + sin 3 pi f_i), 2^(M-1) pieces
        f = front("dtlz7", m)
        head = f[:, :-1]
        np.testing.assert_allclose(f[:, -1], 2 * m - (head * (1 + np.sin(3 * np.pi * head))).sum(1))
        assert len(np.unique(head[:, 0] > 0.5)) == 2
    for name in WFG[3:]:  # WFG4-9: sum (f_m / 2m)^2 = 1
        f = front(name, 3)
        np.testing.assert_allclose(((f / [2, 4, 6]) ** 2).sum(axis=1), 1.0, atol=1e-12)
    f = front("wfg3", 3)  # degenerate line: f1 = f2 / 2 and f1 / 1 + f3 / 6 = 1
    np.testing.assert_allclose(f[:, 1], 2 * f[:, 0], atol=1e-12)
    np.testing.assert_allclose(f[:, 0] + f[:, 2] / 6, 1.0, atol=1e-12)


def test_dtlz7_front_has_no_dominated_points_for_many_objectives():
    f = reference_front(get_problem("dtlz7", n_obj=5))
    assert len(f) == 10000 and moocore.is_nondominated(f, keep_weakly=False).all()


def _pareto_optimal_X(name, problem, rng, n):
    """Decision vectors on the Pareto set of pymoo's DTLZ/ZDT/WFG definitions."""
    if name.startswith("wfg"):
        return problem._positional_to_optimal(rng.random((n, problem.k)))
    X = rng.random((n, problem.n_var))
    if name.startswith("dtlz"):
        X[:, problem.n_obj - 1:] = 0.0 if name in ("dtlz6", "dtlz7") else 0.5
    else:
        X[:, 1:] = 0.0
    return X


@pytest.mark.parametrize(("name", "n_obj"), [
    c for c in _cases() if not c[0].startswith(("imf", "wfg1"))
])
def test_front_agrees_with_pymoo_evaluated_pareto_set(name, n_obj):
    """Two-sided: the front covers pymoo's Pareto-optimal images up to its sampling step (not
    too bad), and never dominates them (not too good)."""
    problem = get_problem(name, n_obj=n_obj)
    F = reference_front(problem)
    Fp = problem.evaluate(_pareto_optimal_X(name, problem, np.random.default_rng(5), 500))
    assert _covered(Fp, F, _spacing(F)).all()
    margin = 1e-9
    if name in ("zdt3", "dtlz7", "wfg2"):
        # Their Pareto sets also map into dominated gaps: keep the points that a 20,000-point
        # sample does not dominate; those left near a piece's edge are beaten by well under one
        # sampling step (measured: at most 0.2 steps over seeds 0-3).
        big = problem.evaluate(_pareto_optimal_X(name, problem, np.random.default_rng(6), 20000))
        Fp, margin = Fp[~_beaten(Fp, big, 1e-12)], _spacing(F)
    assert not _beaten(Fp, F, margin).any()


def test_wfg1_front_agrees_with_pymoo_shape_functions():
    """WFG1's t3 (x^0.02) turns the rounding error of x / xu = 0.35 into an offset of ~0.07, so
    pymoo cannot evaluate its own optimal points exactly; compare with its shape functions."""
    for m in (2, 3):
        P = np.random.default_rng(6).random((400, m - 1))
        h = [wfg._shape_convex(P, j + 1) for j in range(m - 1)]
        h.append(wfg._shape_mixed(P[:, 0], A=5.0, alpha=1.0))
        Fp = 2 * np.arange(1, m + 1) * np.column_stack(h)
        F = reference_front(get_problem("wfg1", n_obj=m))
        assert _covered(Fp, F, _spacing(F)).all()
        assert not _beaten(Fp, F, 1e-9).any()


def test_random_points_are_dominated_by_the_front():
    for name, n_obj in [("zdt3", 2), ("dtlz7", 3), ("wfg2", 3), ("wfg6", 2)]:
        problem = get_problem(name, n_obj=n_obj)
        X = np.random.default_rng(7).uniform(problem.xl, problem.xu, (200, problem.n_var))
        assert _covered(problem.evaluate(X), reference_front(problem), 0.0).all()


def test_hv_reference_point_is_110_percent_of_the_nadir():
    np.testing.assert_allclose(hv_reference_point(get_problem("wfg4", n_obj=3)), [2.2, 4.4, 6.6])
    np.testing.assert_allclose(hv_reference_point(get_problem("zdt6")),
                               [1.1, 1.1 * (1 - 0.280775318815**2)], rtol=1e-11)


def test_front_is_cached_per_name_and_n_obj():
    a = reference_front(get_problem("dtlz2", n_obj=3))
    assert reference_front(get_problem("dtlz2", n_var=20, n_obj=3)) is a
    assert reference_front(get_problem("dtlz2", n_obj=4)).shape[1] == 4


def test_reference_front_never_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access during reference_front")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    _cached_front.cache_clear()
    for name, n_obj in [("dtlz7", 3), ("wfg1", 3), ("dtlz5", 3), ("wfg3", 2)]:
        assert len(reference_front(get_problem(name, n_obj=n_obj))) > 1000
