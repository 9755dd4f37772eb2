"""Constraints: the violation the engine computes, Deb's constraint-domination in every survival
and tournament, the constrained DTLZ problems and their fronts, and constrained run records."""

import math

import moocore
import numpy as np
import pytest
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.problem import Problem
from pymoo.optimize import minimize as pymoo_minimize
from pymoo.problems.many import cdtlz

from evogan.algorithms.multitask.base import MultitaskAlgorithm
from evogan.core.errors import ConfigError, EvaluationError
from evogan.core.rng import derive_seed, make_rng
from evogan.engine import EQUALITY_EPS, constraint_violation, evaluate, minimize
from evogan.indicators import igd
from evogan.lab.config import RunConfig
from evogan.lab.run import execute
from evogan.problems import get_problem
from evogan.problems.fronts import reference_front
from evogan.registry import get_algorithm
from evogan.survival import (
    binary_tournament,
    constrained_objectives,
    crowding_by_front,
    dominance_matrix,
    non_dominated_rank,
    nsga2_order,
    rank_crowding_select,
    spea2_fitness,
    spea2_select,
)


def deb_dominates(F: np.ndarray, cv: np.ndarray) -> np.ndarray:
    """Brute-force constraint-domination, pair by pair: (i, j) True when i beats j."""
    n = len(F)
    out = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            if cv[i] <= 0 and cv[j] > 0:
                out[i, j] = True
            elif cv[i] > 0 and cv[j] > 0:
                out[i, j] = cv[i] < cv[j]
            elif cv[i] <= 0 and cv[j] <= 0:
                out[i, j] = bool(np.all(F[i] <= F[j]) and np.any(F[i] < F[j]))
    return out


def random_case(seed: int, n: int = 40, n_obj: int = 3, share: float = 0.5):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, n_obj)) * rng.choice([1e-3, 1.0, 1e3])
    cv = np.where(rng.random(n) < share, 0.0, rng.choice([0.5, 1.0, 2.0, 3.5, 1e-9], size=n))
    return F, cv


# --- the violation -----------------------------------------------------------------------------


def test_constraint_violation_sums_positive_parts_and_equality_tolerance():
    G = np.array([[-1.0, 2.0], [0.5, 0.25], [-3.0, 0.0]])
    H = np.array([[0.0], [EQUALITY_EPS / 2], [-1.0]])
    np.testing.assert_allclose(constraint_violation(G, H), [2.0, 0.75, 1.0 - EQUALITY_EPS])
    np.testing.assert_allclose(constraint_violation(None, H), [0.0, 0.0, 1.0 - EQUALITY_EPS])
    assert EQUALITY_EPS == 1e-4  # pymoo's default


class Disc(Problem):
    """min (x1, x2) on [0, 1]^2 with x1 + x2 >= 1 (G) and x1 = x2 (H)."""

    def __init__(self, bad: bool = False):
        super().__init__(n_var=2, n_obj=2, n_ieq_constr=1, n_eq_constr=1, xl=0.0, xu=1.0)
        self.bad = bad

    def _evaluate(self, X, out, *args, **kwargs):
        out["F"] = X.copy()
        out["G"] = 1.0 - X.sum(axis=1) + (np.nan if self.bad else 0.0)
        out["H"] = X[:, 0] - X[:, 1]


def test_evaluate_returns_the_violation_of_g_and_h():
    X = np.array([[0.5, 0.5], [0.2, 0.2], [1.0, 0.0]])
    F, cv = evaluate(Disc(), X)
    np.testing.assert_array_equal(F, X)
    np.testing.assert_allclose(cv, [0.0, 0.6, 1.0 - EQUALITY_EPS])
    F, cv = evaluate(get_problem("dtlz2"), np.full((2, 12), 0.5))
    assert np.array_equal(cv, np.zeros(2))


def test_non_finite_constraints_are_an_evaluation_error():
    with pytest.raises(EvaluationError, match="non-finite constraints"):
        evaluate(Disc(bad=True), np.full((3, 2), 0.5))


# --- constraint-domination, one place ----------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_dominance_on_constrained_objectives_is_deb_constraint_domination(seed):
    F, cv = random_case(seed)
    np.testing.assert_array_equal(dominance_matrix(constrained_objectives(F, cv)),
                                  deb_dominates(F, cv))


def test_constrained_objectives_leave_feasible_sets_alone():
    F, _ = random_case(0)
    assert constrained_objectives(F, np.zeros(len(F))) is F
    assert constrained_objectives(F, None) is F


@pytest.mark.parametrize("seed", range(4))
def test_rank_crowding_survival_is_feasible_first(seed):
    F, cv = random_case(seed, n=60, share=0.6)
    feasible = np.flatnonzero(cv <= 0)
    ranked = constrained_objectives(F, cv)
    # at least n feasible: NSGA-II's selection among the feasible alone
    n = len(feasible) - 3
    chosen = rank_crowding_select(ranked, n)
    np.testing.assert_array_equal(np.sort(chosen),
                                  np.sort(feasible[rank_crowding_select(F[feasible], n)]))
    # fewer: all feasible, then the least-violating infeasible ones
    n = len(feasible) + 5
    chosen = rank_crowding_select(ranked, n)
    assert set(feasible) <= set(chosen)
    extra = np.setdiff1d(chosen, feasible)
    assert cv[extra].max() <= np.sort(cv[cv > 0])[4]


@pytest.mark.parametrize("seed", range(4))
def test_spea2_survival_is_feasible_first(seed):
    F, cv = random_case(seed, n=50, share=0.4)
    feasible = np.flatnonzero(cv <= 0)
    ranked = constrained_objectives(F, cv)
    chosen = spea2_select(ranked, len(feasible) + 4)
    assert set(feasible) <= set(chosen)
    assert cv[np.setdiff1d(chosen, feasible)].max() <= np.sort(cv[cv > 0])[3]
    # at least n feasible and as many non-dominated: SPEA2's truncation among them
    front = feasible[non_dominated_rank(F[feasible]) == 0]
    n = max(1, len(front) - 2)
    np.testing.assert_array_equal(np.sort(spea2_select(ranked, n)),
                                  np.sort(feasible[spea2_select(F[feasible], n)]))
    fitness = spea2_fitness(ranked)
    assert fitness[cv <= 0].max() < fitness[cv > 0].min()


def test_nsga2_order_puts_feasible_first_then_by_violation():
    F, cv = random_case(3, n=30)
    order = nsga2_order(constrained_objectives(F, cv))
    n_feasible = int((cv <= 0).sum())
    assert np.all(cv[order[:n_feasible]] <= 0)
    assert np.all(np.diff(cv[order[n_feasible:]]) >= 0)
    feasible = np.flatnonzero(cv <= 0)
    np.testing.assert_array_equal(order[:n_feasible], feasible[nsga2_order(F[feasible])])


def test_tournament_on_constrained_keys_obeys_constraint_domination():
    F, cv = random_case(5, n=30)
    ranked = constrained_objectives(F, cv)
    rank = non_dominated_rank(ranked)
    keys = (rank, -crowding_by_front(ranked, rank))
    rng = np.random.default_rng(0)
    winners = binary_tournament(keys, 4000, rng=rng)
    rng = np.random.default_rng(0)  # the same draws: the two candidates of each tournament
    first = rng.integers(len(F), size=4000)
    second = rng.integers(len(F) - 1, size=4000)
    second += second >= first
    losers = np.where(winners == first, second, first)
    assert not deb_dominates(F, cv)[losers, winners].any()
    decided = deb_dominates(F, cv)[first, second] | deb_dominates(F, cv)[second, first]
    beats = deb_dominates(F, cv)[winners, losers]
    assert np.array_equal(beats[decided], np.ones(decided.sum(), dtype=bool))


def test_multitask_survival_is_constraint_aware():
    """The shared per-task survival, told a violation by hand (the CEC2017 tasks have none)."""
    problem = get_problem("cec17-cims")
    algorithm = get_algorithm("mt-nsga2", pop_size=10)
    algorithm.setup(problem, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    for _ in range(3):
        X = algorithm.ask()
        F = problem.evaluate(X)
        cv = np.where(rng.random(len(X)) < 0.7, rng.random(len(X)), 0.0)
        algorithm.tell(X, F, cv)
    assert isinstance(algorithm, MultitaskAlgorithm)
    X_pop, F_pop, cv_pop = algorithm.population()
    for t in range(problem.n_tasks):
        cv_t = cv_pop[problem.task_index(X_pop) == t]
        n_feasible = int((cv_t <= 0).sum())
        assert np.all(cv_t[:n_feasible] == 0) and np.all(np.diff(cv_t[n_feasible:]) >= 0)


# --- the constrained DTLZ problems and their fronts --------------------------------------------


def _attainable(problem, rng, n):
    """Objectives and violations of random points whose distance variables lie at or near
    their optimum 0.5 (the spread differs per point, so g covers [0, about 1])."""
    X = rng.random((n, problem.n_var))
    k = problem.n_var - problem.n_obj + 1
    spread = rng.random((n, 1)) ** 2 * 0.4
    X[:, -k:] = 0.5 + rng.normal(size=(n, k)) * spread
    X = X.clip(0, 1)
    return evaluate(problem, X)


@pytest.mark.parametrize("name", ["c1dtlz1", "c2dtlz2", "c3dtlz4"])
@pytest.mark.parametrize("n_obj", [2, 3])
def test_constrained_fronts_are_feasible_and_not_dominated_by_feasible_points(name, n_obj):
    problem = get_problem(name, n_obj=n_obj)
    front = reference_front(problem)
    g = {"c1dtlz1": lambda f: cdtlz.constraint_c1_linear(f)[:, None],
         "c2dtlz2": lambda f: cdtlz.constraint_c2(f, problem.r)[:, None],
         "c3dtlz4": cdtlz.constraint_c3_spherical}[name](front)
    assert g.max() <= 1e-12  # every front point is feasible
    assert moocore.is_nondominated(front).all()
    F, cv = _attainable(problem, np.random.default_rng(n_obj), 20000)
    F = F[cv <= 0]
    assert len(F) > 100
    # no feasible attainable point dominates a front point (up to round-off)
    for chunk in np.array_split(F, 20):
        dominated = (chunk[:, None, :] <= front[None, :, :] - 1e-9).all(axis=2)
        assert not dominated.any()


def test_front_shapes_by_their_defining_property():
    c1 = reference_front(get_problem("c1dtlz1"))
    np.testing.assert_allclose(c1.sum(axis=1), 0.5)
    c2 = reference_front(get_problem("c2dtlz2"))
    np.testing.assert_allclose((c2**2).sum(axis=1), 1.0)
    assert 0.3 < len(c2) / len(reference_front(get_problem("dtlz2"))) < 0.9  # pieces of it
    c3 = reference_front(get_problem("c3dtlz4"))
    # on the boundary of the binding constraint: f_i^2 / 4 + sum_{j != i} f_j^2 = 1, i = argmax
    binding = (c3**2).sum(axis=1) - 0.75 * (c3**2).max(axis=1)
    np.testing.assert_allclose(binding, 1.0)


def test_default_sizes():
    assert [(get_problem(n).n_var, get_problem(n).n_obj) for n in ("c1dtlz1", "c2dtlz2",
                                                                   "c3dtlz4")] == [(7, 3), (12, 3),
                                                                                    (12, 3)]


# --- algorithms on constrained problems --------------------------------------------------------

ALGORITHMS = [("ga", {}), ("ga", {"survival": "spea2"}), ("gmoea-ga", {}),
              ("gmoea", {"epochs": 20}), ("egan", {"iterations": 3}), ("nsga2", {}),
              ("nsga3", {})]


@pytest.mark.parametrize(("algo", "params"), ALGORITHMS)
def test_every_algorithm_becomes_feasible_on_c2dtlz2(algo, params):
    record = execute(RunConfig(algo=algo, problem="c2dtlz2", pop_size=20, max_evals=600,
                               seed=2, params=params))
    share = [row["feasible_share"] for row in record.history]
    assert share[0] < 1.0 and share[-1] == 1.0
    assert record.summary["feasible_share"] == 1.0 and record.summary["best_cv"] == 0.0
    assert math.isfinite(record.summary["igd"])


def test_moead_refuses_constraints():
    with pytest.raises(ConfigError, match="moead does not handle constraints"):
        minimize(get_problem("c2dtlz2"), get_algorithm("moead"), seed=1, max_evals=200)


def test_no_feasible_solution_gives_nan_indicators_and_says_so():
    record = execute(RunConfig(algo="ga", problem="c1dtlz1", pop_size=20, max_evals=100, seed=1))
    assert record.summary["feasible_share"] == 0.0 and record.summary["best_cv"] > 0
    assert all(math.isnan(record.summary[k]) for k in ("igd", "igd_plus", "gd", "hv"))
    assert math.isnan(record.history[-1]["igd"]) and record.history[-1]["feasible_share"] == 0


def test_unconstrained_records_have_no_feasibility_fields():
    record = execute(RunConfig(algo="ga", problem="zdt1", pop_size=20, max_evals=100, seed=1))
    assert "feasible_share" not in record.summary and "feasible_share" not in record.history[0]


def test_pymoo_nsga2_gets_the_constraints_natively():
    """Through evogan (the violation told as one inequality) or alone, pymoo's NSGA-II ends
    with the same population on C3-DTLZ4 (three constraints)."""
    problem = get_problem("c3dtlz4")
    ours = minimize(problem, get_algorithm("nsga2"), seed=3, max_evals=2000)
    theirs = pymoo_minimize(problem, NSGA2(pop_size=100), ("n_evals", 2000),
                            seed=derive_seed(make_rng(3)))
    np.testing.assert_allclose(np.sort(ours.F, axis=0), np.sort(theirs.pop.get("F"), axis=0))
    np.testing.assert_allclose(np.sort(ours.CV), np.sort(theirs.pop.get("CV")[:, 0]))


def test_nsga2_ga_reaches_an_igd_bound_on_c2dtlz2():
    # measured: IGD 0.061 at seed 1 (0.057 and 0.108 at seeds 2 and 3: a run can miss one of
    # the feasible pieces of the sphere); the bound leaves margin
    problem = get_problem("c2dtlz2")
    result = minimize(problem, get_algorithm("ga"), seed=1, max_evals=6000)
    feasible = result.F[result.CV <= 0]
    assert len(feasible) == len(result.F)
    assert igd(feasible, reference_front(problem)) < 0.1
