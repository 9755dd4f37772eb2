"""The engine: exact budget, determinism from the seed, NaN reporting, callbacks."""

import numpy as np
import pytest
from pymoo.core.problem import Problem
from pymoo.problems import get_problem as pymoo_problem

from evogan.core.errors import ConfigError, EvaluationError
from evogan.engine import minimize
from evogan.registry import get_algorithm


class CountingProblem(Problem):
    """ZDT1 that counts how many solutions it has evaluated."""

    def __init__(self):
        super().__init__(n_var=5, n_obj=2, xl=0.0, xu=1.0)
        self.inner = pymoo_problem("zdt1", n_var=5)
        self.count = 0

    def _evaluate(self, X, out, *args, **kwargs):
        self.count += len(X)
        out["F"] = self.inner.evaluate(X, return_values_of=["F"])


@pytest.mark.parametrize("algo", ["ga", "nsga2", "nsga3", "moead"])
@pytest.mark.parametrize("max_evals", [20, 137, 250])
def test_engine_never_exceeds_the_budget(algo, max_evals):
    problem = CountingProblem()
    result = minimize(problem, get_algorithm(algo, pop_size=20), seed=1, max_evals=max_evals)
    assert problem.count == max_evals
    assert result.n_evals == max_evals


@pytest.mark.parametrize("algo", ["ga", "nsga2"])
def test_same_seed_same_population_and_different_seeds_differ(algo):
    problem = pymoo_problem("zdt1", n_var=8)
    runs = [minimize(problem, get_algorithm(algo, pop_size=20), seed=s, max_evals=400).X
            for s in (5, 5, 6)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


class NaNProblem(Problem):
    def __init__(self):
        super().__init__(n_var=2, n_obj=2, xl=0.0, xu=1.0)

    def _evaluate(self, X, out, *args, **kwargs):
        F = np.column_stack([X[:, 0], 1 - X[:, 0]])
        F[X[:, 1] > 0.9] = np.nan
        out["F"] = F


def test_non_finite_objectives_raise_a_clear_error():
    with pytest.raises(EvaluationError, match="non-finite objectives"):
        minimize(NaNProblem(), get_algorithm("ga", pop_size=20), seed=0, max_evals=200)


def test_budget_must_be_positive():
    with pytest.raises(ConfigError, match="max_evals"):
        minimize(NaNProblem(), get_algorithm("ga"), seed=0, max_evals=0)


def test_callbacks_see_every_generation_in_order():
    seen = []

    class Recorder:
        def on_start(self, state):
            seen.append(("start", state.n_evals))

        def on_generation(self, state):
            seen.append(("gen", state.n_evals))

        def on_end(self, state):
            seen.append(("end", state.n_evals))

    minimize(pymoo_problem("zdt1", n_var=4), get_algorithm("ga", pop_size=10), seed=0,
             max_evals=35, callbacks=[Recorder()])
    assert seen == [("start", 0), ("gen", 10), ("gen", 20), ("gen", 30), ("gen", 35), ("end", 35)]
