"""gmoea-plus: each option of its GAN operator does what it says, all off it is GMOEA, and every
run can be read at any budget below its own (anytime reading of IGD from the history)."""

import math
from pathlib import Path

import numpy as np
import pytest

from evogan.cli import main
from evogan.core.errors import ConfigError
from evogan.core.rng import make_rng, torch_generator
from evogan.core.variation import spread_diagnostics
from evogan.gan.gmoea import generate_eval
from evogan.gan.gmoea_plus import GMOEAPlusGAN, rank_labels, spread_subset
from evogan.lab.anytime import at_budget
from evogan.lab.collection import Run
from evogan.lab.config import RunConfig
from evogan.lab.run import execute
from evogan.survival import spea2_fitness, spea2_select


def population(seed: int = 0, n: int = 40, n_var: int = 6):
    rng = make_rng(seed)
    X = rng.random((n, n_var))
    F = np.column_stack([X[:, 0], 1.0 - np.sqrt(X[:, 0]) + X[:, 1:].sum(axis=1)])
    return X, F


def test_spread_subset_is_greedy_max_min_distance():
    X, F = population(1)
    pool = spea2_select(F, 20)
    found = spread_subset(X, pool, 8)
    # independent: full distance matrix, then add the pool member farthest from the chosen ones
    D = np.sqrt(((X[pool][:, None, :] - X[pool][None, :, :]) ** 2).sum(axis=2))
    chosen = [0]
    for _ in range(7):
        nearest = D[:, chosen].min(axis=1)
        chosen.append(int(np.argmax(nearest)))
    assert found.tolist() == pool[chosen].tolist()
    assert found[0] == pool[0] and len(set(found.tolist())) == 8


def test_spread_subset_takes_one_point_of_each_cluster():
    centres = np.array([[0.1, 0.1], [0.9, 0.1], [0.1, 0.9], [0.9, 0.9]])
    X = np.repeat(centres, 5, axis=0) + make_rng(2).normal(0, 0.01, (20, 2))  # 4 tight clusters
    picked = spread_subset(X, np.arange(20), 4)
    assert sorted(picked // 5) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="k must be in"):
        spread_subset(X, np.arange(3), 4)


def test_rank_labels_grade_the_others_by_spea2_fitness():
    X, F = population(3, n=12)
    real = spea2_select(F, 4)
    labels = rank_labels(F, real)
    assert np.all(labels[real] == 1.0)
    fitness = spea2_fitness(F)
    rest = [i for i in range(12) if i not in set(real.tolist())]
    rest.sort(key=lambda i: (fitness[i], i))
    assert [labels[i] for i in rest] == pytest.approx([1 - j / 9 for j in range(1, 9)])


def fitted(seed: int = 0, **options) -> GMOEAPlusGAN:
    X, F = population(seed)
    gan = GMOEAPlusGAN(k=10, epochs=3, **options)
    gan.fit(X, F, rng=make_rng(seed))
    return gan


def test_population_noise_has_the_parents_mean_and_covariance():
    X, _ = population(0)
    gaussian = fitted(noise="population").gaussian_
    factor = gaussian.factor.double().numpy()
    np.testing.assert_allclose(gaussian.mean.double().numpy(), X.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(factor @ factor.T, np.cov(X.T), atol=1e-6)
    gmoea = fitted()  # GMOEA: the real set's mean and covariance
    factor = gmoea.gaussian_.factor.double().numpy()
    np.testing.assert_allclose(factor @ factor.T, np.cov(X[gmoea.real_].T), atol=1e-6)


def test_spread_real_set_is_spread_subset_of_spea2s_best_2k():
    X, F = population(4)
    gan = fitted(4, real_set="spread")
    assert gan.real_.tolist() == spread_subset(X, spea2_select(F, 20), 10).tolist()
    assert gan.diagnostics()["spread_real"] > fitted(4).diagnostics()["spread_real"]


def test_rank_labels_reach_the_discriminator():
    X, F = population(5)
    binary, graded = fitted(5), fitted(5, labels="rank")
    np.testing.assert_array_equal(graded._labels(len(X), graded.real_),
                                  rank_labels(F, graded.real_))
    assert binary._labels(len(X), binary.real_).sum() == 10
    # same networks and draws, other targets: training ends elsewhere
    assert binary.diagnostics()["loss_d"] != graded.diagnostics()["loss_d"]


@pytest.mark.parametrize("option, value", [("real_set", "far"), ("noise", "elite"),
                                           ("labels", "soft"), ("samples", "wide")])
def test_unknown_option_is_a_one_line_error(option, value):
    with pytest.raises(ConfigError, match=f"{option} must be one of .*got '{value}'"):
        GMOEAPlusGAN(**{option: value})


def test_cli_refuses_an_unknown_option(capsys):
    assert main(["run", "--algo", "gmoea-plus", "--problem", "zdt1", "--param",
                 "noise=wide"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("evogan: ") and "wide" in err and "population" in err
    assert len(err.strip().splitlines()) == 1


def comparable(row: dict) -> dict:
    """A history row without its wall-clock columns, NaN made comparable."""
    return {key: ("nan" if isinstance(value, float) and math.isnan(value) else value)
            for key, value in row.items() if key not in ("elapsed_s", "train_seconds")}


def test_all_options_off_is_gmoea_bit_for_bit():
    settings = dict(problem="zdt1", pop_size=20, max_evals=200, seed=3)
    plus = execute(RunConfig(algo="gmoea-plus", params={"epochs": 4, "real_set": "spea2",
                                                        "noise": "real", "labels": "binary"},
                             **settings))
    gmoea = execute(RunConfig(algo="gmoea", params={"epochs": 4}, **settings))
    assert [comparable(r) for r in plus.history] == [comparable(r) for r in gmoea.history]
    np.testing.assert_array_equal(plus.F, gmoea.F)


def test_gmoea_plus_is_deterministic():
    config = RunConfig(algo="gmoea-plus", problem="zdt1", pop_size=20, max_evals=160, seed=5,
                       params={"epochs": 4})
    first, second = execute(config), execute(config)
    np.testing.assert_array_equal(first.F, second.F)
    assert [comparable(r) for r in first.history] == [comparable(r) for r in second.history]


@pytest.mark.parametrize("algo, params", [("gmoea", {"epochs": 4}), ("gmoea-plus", {"epochs": 4}),
                                          ("gmoea-ga", {}), ("nsga2", {})])
def test_history_up_to_a_budget_does_not_depend_on_the_run_budget(algo, params):
    """Campaigns read IGD at 1,000 and 3,000 evaluations from runs to 10,000: valid only if no
    algorithm looks at its budget."""
    short, long = (execute(RunConfig(algo=algo, problem="zdt1", pop_size=20, max_evals=budget,
                                     seed=11, params=params))
                   for budget in (100, 260))
    assert short.history[-1]["n_evals"] == 100
    prefix = [row for row in long.history if row["n_evals"] <= 100]
    assert [comparable(r) for r in prefix] == [comparable(r) for r in short.history]
    assert long.history[-1]["n_evals"] == 260


def test_anytime_reading_takes_the_last_row_at_or_below_the_budget():
    record = execute(RunConfig(algo="gmoea-ga", problem="zdt1", pop_size=20, max_evals=100,
                               seed=2))
    run = Run(Path("gmoea-ga-run"), record)
    assert at_budget(run, 60) == record.history[2]  # rows at 20, 40, 60, ...
    assert at_budget(run, 79)["n_evals"] == 60
    assert at_budget(run, 100) == record.history[-1]
    with pytest.raises(ValueError, match="stopped at 100 evaluations, before 120"):
        at_budget(run, 120)


def test_spread_samples_are_the_spread_subset_of_oversampled_candidates():
    gan = fitted(6, samples="spread", oversample=4, prob_mutation=0.0)
    offspring = gan.sample(8, rng=make_rng(9))
    # independent: the same 32 candidates from the same stream, then greedy max-min
    noise = gan.gaussian_.sample(32, torch_generator(make_rng(9), "cpu"))
    Y = generate_eval(gan.trainer_.generator, noise).double().numpy()  # (32, n_var)
    np.testing.assert_array_equal(offspring, Y[spread_subset(Y, np.arange(32), 8)])
    plain = fitted(6, prob_mutation=0.0).sample(8, rng=make_rng(9))
    np.testing.assert_allclose(plain, Y[:8], atol=1e-6)  # GMOEA: the first 8 of the stream
    assert gan.diagnostics()["spread_gen"] > spread_diagnostics(plain, 1, "gen")["spread_gen"]
    with pytest.raises(ConfigError, match="oversample must be an integer >= 1, got 0"):
        GMOEAPlusGAN(oversample=0)
