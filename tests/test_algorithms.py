"""Algorithms reach known IGD floors; pymoo's baselines run unchanged through the adapter."""

import numpy as np
import pytest
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.optimize import minimize as pymoo_minimize
from pymoo.problems import get_problem as pymoo_problem

from evogan.bridge import PymooMating
from evogan.engine import minimize
from evogan.errors import ConfigError
from evogan.indicators import igd
from evogan.operators import SBX, DifferentialEvolution, PolynomialMutation
from evogan.registry import available_algorithms, get_algorithm
from evogan.rng import derive_seed, make_rng
from evogan.variation import Chain


@pytest.fixture(scope="module")
def zdt1():
    problem = pymoo_problem("zdt1")  # n_var = 30
    return problem, problem.pareto_front()


@pytest.mark.parametrize("survival, floor", [("rank-crowding", 0.05), ("spea2", 0.05)])
def test_ga_on_zdt1_reaches_an_igd_floor(zdt1, survival, floor):
    # measured: IGD 0.014 (rank-crowding) and 0.017 (spea2) at seed 1; floors leave margin
    problem, front = zdt1
    result = minimize(problem, get_algorithm("ga", survival=survival), seed=1, max_evals=10_000)
    assert igd(result.F, front) < floor


def test_ga_runs_a_plain_function_variation(zdt1):
    problem, front = zdt1
    de = DifferentialEvolution(weight=0.5, cr=0.2)
    algorithm = get_algorithm("ga", variation=lambda X, F, n, *, rng: de(X, F, n, rng=rng))
    result = minimize(problem, algorithm, seed=2, max_evals=6000)
    assert igd(result.F, front) < 0.2


def test_pymoo_nsga2_through_evogan_equals_pymoo_alone(zdt1):
    problem, _ = zdt1
    ours = minimize(problem, get_algorithm("nsga2"), seed=3, max_evals=2000)
    theirs = pymoo_minimize(problem, NSGA2(pop_size=100), ("n_evals", 2000),
                            seed=derive_seed(make_rng(3)))
    np.testing.assert_allclose(np.sort(ours.F, axis=0), np.sort(theirs.pop.get("F"), axis=0))


def test_bridge_drives_pymoo_nsga2_with_an_evogan_operator(zdt1):
    problem, front = zdt1
    algorithm = NSGA2(pop_size=100, mating=PymooMating(Chain(SBX(), PolynomialMutation())))
    result = pymoo_minimize(problem, algorithm, ("n_evals", 10_000), seed=1)
    # measured 0.016 (seed 1); pymoo's own NSGA-II gives 0.015 at the same seed
    assert igd(result.F, front) < 0.05
    again = pymoo_minimize(problem, NSGA2(pop_size=100, mating=PymooMating(
        Chain(SBX(), PolynomialMutation()))), ("n_evals", 10_000), seed=1)
    np.testing.assert_array_equal(result.X, again.X)


def test_registry_lists_the_baselines_and_rejects_unknown_names():
    assert {"ga", "nsga2", "nsga3", "moead"} <= set(available_algorithms())
    with pytest.raises(ConfigError, match="unknown algorithm 'nope'.*nsga2"):
        get_algorithm("nope")
    with pytest.raises(ConfigError, match="no parameter 'eta'"):
        get_algorithm("nsga2", eta=3)
    with pytest.raises(ConfigError, match="survival=hype is not accepted; survival must be one of"):
        get_algorithm("ga", survival="hype")
