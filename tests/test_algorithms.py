"""Algorithms reach known IGD floors; pymoo's baselines run unchanged through the adapter."""

import logging
import re

import numpy as np
import pytest
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.optimize import minimize as pymoo_minimize
from pymoo.problems import get_problem as pymoo_problem

from evogan.bridge import PymooMating
from evogan.cli import main
from evogan.core.bounds import from_unit
from evogan.core.errors import ConfigError
from evogan.core.rng import derive_seed, make_rng
from evogan.engine import evaluate, minimize
from evogan.indicators import igd
from evogan.lab.config import RunConfig
from evogan.lab.run import execute
from evogan.operators import SBX, DifferentialEvolution, PolynomialMutation
from evogan.operators.combinators import Chain
from evogan.problems import get_problem
from evogan.registry import available_algorithms, get_algorithm
from evogan.survival import constrained_objectives


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


def test_nsga3_refuses_fewer_individuals_than_reference_directions(tmp_path, capsys):
    # 5 objectives need at least the 5 Das-Dennis axis directions; pymoo would run with
    # pop_size 4 after printing a three-line WARNING on stdout
    out = tmp_path / "nsga3"
    status = main(["run", "--algo", "nsga3", "--problem", "dtlz2", "--n-obj", "5",
                   "--pop-size", "4", "--max-evals", "40", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert re.fullmatch(r"evogan: error: nsga3 on 5 objectives needs pop_size >= 5 \(one "
                        r"individual per Das-Dennis reference direction\), got 4\n", captured.err)
    assert not out.exists()


def test_moead_says_and_records_the_population_it_uses(caplog, capsys):
    # MOEA/D's population is its 91 Das-Dennis directions for 3 objectives (12 partitions)
    config = RunConfig(algo="moead", problem="dtlz2", pop_size=100, max_evals=300, seed=1)
    with caplog.at_level(logging.WARNING):
        record = execute(config)
    assert capsys.readouterr().out == ""
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == ["moead on 3 objectives uses a population of 91 (the Das-Dennis "
                        "directions that fit in pop_size=100); pass --pop-size 91 to ask for it"]
    assert record.config["pop_size"] == 100  # what was asked, as campaigns compare it
    assert record.config["pop_size_used"] == 91
    assert record.summary["pop_size_used"] == 91
    assert len(record.X) == 91


@pytest.mark.parametrize("algo, pop_size", [("moead", 91), ("nsga3", 92), ("nsga2", 100)])
def test_baselines_use_the_population_asked_silently(caplog, capsys, algo, pop_size):
    config = RunConfig(algo=algo, problem="dtlz2", pop_size=pop_size, max_evals=2 * pop_size)
    with caplog.at_level(logging.WARNING):
        record = execute(config)
    assert capsys.readouterr().out == ""
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert record.config["pop_size_used"] == record.summary["pop_size_used"] == pop_size
    assert len(record.X) == pop_size


class CallsSinceReset:
    """SBX + PM that counts its calls since its last `reset` (a stand-in for learned state)."""

    def __init__(self) -> None:
        self.chain, self.calls, self.seen = Chain(SBX(), PolynomialMutation()), 0, []

    def reset(self) -> None:
        self.calls = 0

    def __call__(self, X, F, n_offspring, *, rng):
        self.calls += 1
        self.seen.append(self.calls)
        return self.chain(X, F, n_offspring, rng=rng)


def test_a_pymoo_mating_starts_its_variation_afresh_in_every_run(zdt1):
    problem, _ = zdt1
    variation = CallsSinceReset()
    mating = PymooMating(variation)
    for seed in (1, 2, 3):  # each run a new algorithm object, all with the same mating
        pymoo_minimize(problem, NSGA2(pop_size=20, mating=mating), ("n_evals", 200), seed=seed,
                       copy_algorithm=False)
    # 200 evaluations of 20: 9 offspring generations per run, never reset within one
    assert variation.seen == [*range(1, 10)] * 3


def test_bridge_hands_the_variation_feasible_first_objectives_under_constraints():
    # C2-DTLZ2 (catalog): the variation must see constrained_objectives(F, CV), as evogan's own
    # algorithms give it, not the raw F, so that its best rows are feasible ones.
    problem = get_problem("c2dtlz2")
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    chain = Chain(SBX(), PolynomialMutation())

    def recording(X, F, n_offspring, *, rng):
        seen.append((X.copy(), F.copy()))
        return chain(X, F, n_offspring, rng=rng)

    pymoo_minimize(problem, NSGA2(pop_size=40, mating=PymooMating(recording)),
                   ("n_evals", 200), seed=1)
    checked = 0
    for U, F_seen in seen:
        F, cv = evaluate(problem, from_unit(U, problem.xl, problem.xu))
        np.testing.assert_allclose(F_seen, constrained_objectives(F, cv), rtol=1e-9)
        feasible = cv <= 0
        if feasible.any() and not feasible.all():
            checked += 1
            assert not np.allclose(F_seen, F)  # infeasible rows were moved
            # every feasible row is better than every infeasible one in every objective
            assert np.all(F_seen[feasible].max(axis=0) < F_seen[~feasible].min(axis=0))
    assert checked > 0
