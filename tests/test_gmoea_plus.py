"""gmoea-plus: its generator noise is the parents' Gaussian, with GMOEA's noise it is GMOEA, and
every run can be read at any budget below its own (anytime reading of IGD from the history)."""

import math
from pathlib import Path

import numpy as np
import pytest

from evogan.cli import main
from evogan.core.errors import ConfigError
from evogan.core.rng import make_rng
from evogan.gan.gmoea_plus import GMOEAPlusGAN
from evogan.lab.anytime import at_budget
from evogan.lab.collection import Run
from evogan.lab.config import RunConfig
from evogan.lab.run import execute


def population(seed: int = 0, n: int = 40, n_var: int = 6):
    rng = make_rng(seed)
    X = rng.random((n, n_var))
    F = np.column_stack([X[:, 0], 1.0 - np.sqrt(X[:, 0]) + X[:, 1:].sum(axis=1)])
    return X, F


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
    assert np.linalg.matrix_rank(factor @ factor.T, tol=1e-9) == 6  # 40 parents, 6 variables
    gmoea = fitted(noise="real")  # GMOEA: the real set's mean and covariance
    factor = gmoea.gaussian_.factor.double().numpy()
    np.testing.assert_allclose(factor @ factor.T, np.cov(X[gmoea.real_].T), atol=1e-6)
    assert gmoea.real_.tolist() == fitted().real_.tolist()  # the same real set either way


def test_population_noise_feeds_training_and_sampling():
    """Same seed, same networks at the start: only the noise differs, and so does the batch."""
    plus, gmoea = fitted(1), fitted(1, noise="real")
    assert plus.diagnostics()["loss_d"] != gmoea.diagnostics()["loss_d"]
    assert not np.array_equal(plus.sample(8, rng=make_rng(2)), gmoea.sample(8, rng=make_rng(2)))


def test_unknown_noise_is_a_one_line_error():
    with pytest.raises(ConfigError, match="noise must be one of real, population, got 'elite'"):
        GMOEAPlusGAN(noise="elite")


def test_epochs_late_trains_fewer_epochs_after_the_first_full_fits(monkeypatch):
    from evogan.gan import gmoea
    from evogan.gan.gmoea_training import TrainingDraws

    epochs = []
    draw = TrainingDraws.draw

    def spy(gaussian, n, n_epochs, generator):
        epochs.append(n_epochs)
        return draw(gaussian, n, n_epochs, generator)

    monkeypatch.setattr(gmoea.TrainingDraws, "draw", staticmethod(spy))
    X, F = population(0)
    gan = GMOEAPlusGAN(k=10, epochs=3, epochs_late=1, full_fits=2)
    for seed in range(4):
        gan.fit(X, F, rng=make_rng(seed))
    assert epochs == [3, 3, 1, 1]
    epochs.clear()
    plain = GMOEAPlusGAN(k=10, epochs=3)
    for seed in range(3):
        plain.fit(X, F, rng=make_rng(seed))
    assert epochs == [3, 3, 3]


def test_late_below_keeps_fits_full_while_the_gan_batches_survive(monkeypatch):
    from evogan.gan import gmoea
    from evogan.gan.gmoea_training import TrainingDraws

    epochs = []
    draw = TrainingDraws.draw
    monkeypatch.setattr(gmoea.TrainingDraws, "draw", staticmethod(
        lambda gaussian, n, n_epochs, generator: epochs.append(n_epochs)
        or draw(gaussian, n, n_epochs, generator)))
    X, F = population(0)
    gan = GMOEAPlusGAN(k=10, epochs=3, epochs_late=1, full_fits=1, late_below=0.2)
    gan.fit(X, F, rng=make_rng(0))  # the one full fit
    gan.credit(np.array([True] * 5 + [False] * 5))  # q = 0.5 + 0.3 (0.5 - 0.5) = 0.5
    gan.fit(X, F, rng=make_rng(1))  # q >= 0.2: full
    for _ in range(3):  # q: 0.35, 0.245, 0.1715
        gan.credit(np.zeros(10, dtype=bool))
    gan.fit(X, F, rng=make_rng(2))  # q < 0.2: short
    assert epochs == [3, 3, 1]
    assert gan.survival_ == pytest.approx(0.1715)


def test_the_loop_credits_the_gan_with_the_survival_of_its_batches_under_the_portfolio():
    from evogan import get_algorithm, get_problem, minimize

    class Metrics:  # the loop's metrics after each batch
        rows: list = []

        def on_generation(self, state) -> None:
            self.rows.append(algorithm.metrics())

    algorithm = get_algorithm("gmoea-plus", pop_size=20, epochs=2, epochs_late=1,
                              late_below=0.3)
    minimize(get_problem("zdt1"), algorithm, seed=3, max_evals=1_000, callbacks=[Metrics()])
    shares = [row["gan_survival"] for row in Metrics.rows if row["gan_batch"] == 1.0]
    assert shares  # the GAN made batches
    q = 0.5
    for share in shares:  # the rule's smoothing, from the shares the history logged
        q += 0.3 * (share - q)
    assert algorithm.gan.survival_ == pytest.approx(q)


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


def test_with_gmoeas_schedule_ga_and_noise_it_is_gmoea_bit_for_bit():
    settings = dict(problem="zdt1", pop_size=20, max_evals=1_400, seed=3)  # 14 fits
    plus = execute(RunConfig(algo="gmoea-plus", params={
        "epochs": 4, "noise": "real", "rule": "schedule", "ga": "sbx-pm", "refit": "cycle",
        "epochs_late": None}, **settings))
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
                                          ("gmoea-ga", {}), ("nsga2", {}), ("portfolio", {}),
                                          ("gmoea-portfolio", {"epochs": 4}), ("rm-meda", {}),
                                          ("portfolio", {"operators": "sbx-pm+de+rm"}),
                                          ("gmoea-plus", {"epochs": 4, "ga": "sbx-pm+de+rm"}),
                                          ("gmoea-plus", {"epochs": 4, "refit": "cycle"})])
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




def test_the_ga_branch_portfolio_learns_from_the_survival_of_its_own_offspring():
    """With the schedule choosing the branch, every GA batch goes to the SBX + PM / DE / RM
    portfolio, which is credited with exactly those offspring: its probabilities move away from
    the start (1/3 each) and stay within the floor, and they are logged every generation."""
    record = execute(RunConfig(algo="gmoea-plus", problem="zdt1", pop_size=20, max_evals=400,
                               seed=2, params={"epochs": 2, "rule": "schedule"}))
    p = np.array([[row[f"p_{name}"] for name in ("sbx_pm", "de", "rm")]
                  for row in record.history[1:]])
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert ((p >= 0.1 - 1e-12) & (p <= 0.8 + 1e-12)).all()  # floor 0.1 for each of 3
    assert np.abs(p - 1 / 3).max() > 0.01
    assert "p_gan" not in record.history[-1]  # the schedule, not a portfolio, picks the branch


def test_default_chooses_the_branch_by_credit_and_logs_both_portfolios():
    record = execute(RunConfig(algo="gmoea-plus", problem="zdt1", pop_size=20, max_evals=300,
                               seed=4, params={"epochs": 2}))
    last = record.history[-1]
    assert last["p_gan"] + last["p_ga"] == pytest.approx(1.0)
    assert last["p_sbx_pm"] + last["p_de"] + last["p_rm"] == pytest.approx(1.0)


def test_lazy_refit_trains_once_per_cycle_before_its_first_gan_batch_and_never_without_one():
    record = execute(RunConfig(algo="gmoea-plus", problem="zdt1", pop_size=20, max_evals=1020,
                               seed=2, params={"epochs": 2}))  # refit="lazy", the default
    batches = record.history[1:]  # the initial population first
    cycles = [batches[i:i + 5] for i in range(0, len(batches), 5)]  # w_max = 5
    assert len(cycles) == 10
    for cycle in cycles:
        gan = [row["gan_batch"] for row in cycle]
        expected = [0.0] * 5
        if 1.0 in gan:
            expected[gan.index(1.0)] = 1.0
        assert [row["trained"] for row in cycle] == expected
    assert any(1.0 not in [row["gan_batch"] for row in cycle] for cycle in cycles)
    assert sum(row["trained"] for row in batches) >= 2
