"""GMOEA: the GAN operator, its fast training loop, and the algorithm with its GA-only control."""

import copy

import numpy as np
import pytest
import torch

from evogan.algorithms.gan_loop import GANLoop
from evogan.algorithms.gmoea import make_gmoea, make_gmoea_ga
from evogan.core.errors import ConfigError
from evogan.core.variation import LearnedVariation
from evogan.engine import minimize
from evogan.gan.elite_noise import EliteGaussian
from evogan.gan.gmoea import GMOEAGAN
from evogan.gan.gmoea_compiled import CompiledGanTrainer
from evogan.gan.gmoea_fused import FusedGanTrainer
from evogan.gan.gmoea_training import TrainingDraws, build_networks, minibatch_bounds
from evogan.indicators import igd
from evogan.operators import OPERATORS
from evogan.problems import get_problem, reference_front
from evogan.registry import algorithm_entry
from evogan.survival import spea2_select
from tests.runner_module import load_runner
from tests.variation_contract import assert_variation_contract


def _parents(n=30, n_var=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, n_var))
    F = np.c_[X[:, 0], 1.0 - np.sqrt(X[:, 0]) + X[:, 1:].sum(axis=1)]  # (n, 2)
    return X, F


# --- the operator -------------------------------------------------------------------------


def test_operator_passes_the_variation_contract():
    assert_variation_contract(lambda: GMOEAGAN(k=5, epochs=2))
    assert OPERATORS["gmoea"] is GMOEAGAN  # so the shared contract test runs its defaults too


def test_state_is_learned_in_fit_kept_across_fits_and_forgotten_by_reset():
    X, F = _parents()
    op = GMOEAGAN(k=5, epochs=1)
    assert isinstance(op, LearnedVariation) and not hasattr(op, "trainer_")
    rng = np.random.default_rng(0)
    op.fit(X, F, rng=rng)
    trainer = op.trainer_
    weight = trainer.generator.linear1.weight.detach().clone()
    op.fit(X, F, rng=rng)
    assert op.trainer_ is trainer  # networks and Adam state persist (official code)
    assert int(trainer.adam_g.step_count) == 2 * len(minibatch_bounds(30, 8))
    assert not torch.equal(weight, trainer.generator.linear1.weight)
    op.reset()
    assert not hasattr(op, "trainer_") and not hasattr(op, "gaussian_")


def test_real_set_is_the_spea2_selection_and_seeds_the_noise():
    X, F = _parents(n=40)
    op = GMOEAGAN(k=7, epochs=1)
    op.fit(X, F, rng=np.random.default_rng(1))
    expected = spea2_select(F, 7)
    assert np.array_equal(op.real_, expected)
    np.testing.assert_allclose(op.gaussian_.mean.numpy(), X[expected].mean(axis=0), atol=1e-6)
    reference = EliteGaussian.fit(X[expected])
    np.testing.assert_allclose(op.gaussian_.factor.numpy(), reference.factor.numpy())


@pytest.mark.parametrize("bad", [{"k": 0}, {"epochs": 0}, {"batch_size": 1}, {"k": 2.5}])
def test_bad_hyperparameters_are_config_errors(bad):
    with pytest.raises(ConfigError, match=next(iter(bad))):
        make_gmoea(**bad)


def test_fit_needs_objectives():
    with pytest.raises(ValueError, match="objectives"):
        GMOEAGAN().fit(np.random.default_rng(0).random((10, 3)), None, rng=np.random.default_rng(0))


def test_minibatches_never_leave_batchnorm_a_single_row():
    assert minibatch_bounds(100, 8)[-1] == (96, 100)
    assert minibatch_bounds(17, 8) == [(0, 8), (8, 17)]  # 17 = 2 * 8 + 1: no last minibatch of one row
    X, F = _parents(n=17)
    assert GMOEAGAN(k=4, epochs=1)(X, F, 5, rng=np.random.default_rng(0)).shape == (5, 6)


TRAINERS = [FusedGanTrainer, CompiledGanTrainer]


def _train_discriminator(trainer: type, shuffle_labels_bug: bool) -> tuple[float, float]:
    """Train on real rows at x = 1 and bad rows at x = 0; return D(1), D(0)."""
    n, n_var, k, epochs = 20, 4, 5, 30
    X = torch.zeros(n, n_var)
    X[:k] = 1.0
    labels = torch.zeros(n)
    labels[:k] = 1.0
    generator = torch.Generator().manual_seed(0)
    G, D = build_networks(n_var, device="cpu", generator=generator)
    draws = TrainingDraws.draw(EliteGaussian.fit(np.full((k, n_var), 0.5)), n, epochs, generator)
    label_order = None
    if shuffle_labels_bug:  # the official code: labels stay in population order
        label_order = torch.arange(n).repeat(epochs, 1)
    trainer(G, D, lr=1e-2).train(X, labels, draws, batch_size=8, label_order=label_order)
    with torch.no_grad():
        return D(torch.ones(1, n_var)).item(), D(torch.zeros(1, n_var)).item()


@pytest.mark.parametrize("trainer", TRAINERS)
def test_labels_stay_attached_to_their_solutions_across_epochs(trainer):
    real, bad = _train_discriminator(trainer, shuffle_labels_bug=False)
    assert real - bad > 0.2  # measured 0.42: D learned which solutions are real
    real, bad = _train_discriminator(trainer, shuffle_labels_bug=True)
    assert real - bad < 0.05  # measured -0.10: with bug P1 the labels are noise


@pytest.mark.parametrize("trainer", TRAINERS)
@pytest.mark.parametrize("n, n_var", [(30, 7), (17, 2)])  # 17 rows: a last minibatch of 9
def test_fast_loops_compute_what_the_eager_loop_computes(trainer, n, n_var):
    runner = load_runner("gmoea_training_speed")
    X, labels, draws, G, D = runner.training_problem(
        n=n, n_var=n_var, k=6, epochs=3, seed=3, device="cpu"
    )
    G_fused, D_fused = copy.deepcopy(G), copy.deepcopy(D)
    opt_g, opt_d = runner.eager_optimisers(G, D, 1e-4)
    eager = runner.eager_train(G, D, opt_g, opt_d, X, labels, draws, batch_size=8)
    fused = trainer(G_fused, D_fused, lr=1e-4).train(X, labels, draws, batch_size=8)
    np.testing.assert_allclose(fused, eager, rtol=1e-5)
    # the biases in front of BatchNorm and the running means that track them drift by
    # round-off in every loop (see FusedGanTrainer); everything else agrees
    drifting = {f"linear{i}.bias" for i in (1, 2, 3)} | {f"bn{i}.running_mean" for i in (1, 2, 3)}
    for name, value in G.state_dict().items():
        if name not in drifting:
            torch.testing.assert_close(G_fused.state_dict()[name], value, atol=1e-5, rtol=1e-5)
    for name, value in D.state_dict().items():
        torch.testing.assert_close(D_fused.state_dict()[name], value, atol=1e-5, rtol=1e-5)
    # and G's outputs in eval mode, which use the running means, agree
    z = draws.noise[0, 0]
    G.eval(), G_fused.eval()
    with torch.no_grad():
        torch.testing.assert_close(G_fused(z), G(z), atol=2e-4, rtol=0)  # measured 4.8e-5


# --- the algorithm ------------------------------------------------------------------------


class _CoinGAN(LearnedVariation):
    """A free stand-in for the GAN, to count the switching schedule over many batches."""

    device = "cpu"

    def fit(self, X, F, *, rng):
        self.fits_ = getattr(self, "fits_", 0) + 1

    def sample(self, n, *, rng):
        return rng.random((n, 3))


def test_switching_schedule_matches_quadratic_decay():
    w_max, cycles = 4, 600
    algorithm = GANLoop(pop_size=4, w_max=w_max, gan=_CoinGAN(), eta_c=20.0, eta_m=20.0)
    used = []

    class Record:
        def on_generation(self, state):
            used.append(state.algorithm.metrics()["gan_batch"])

    problem = get_problem("zdt1", n_var=3)
    minimize(problem, algorithm, seed=5, max_evals=4 * (1 + w_max * cycles), callbacks=[Record()])
    batches = np.array(used[1:]).reshape(cycles, w_max)  # generation 0: the initial population
    assert algorithm.gan.fits_ == cycles  # one training per w_max batches
    for i in range(w_max):
        p = 1.0 - (i / w_max) ** 2
        bound = 4.0 * np.sqrt(p * (1.0 - p) / cycles)
        assert abs(batches[:, i].mean() - p) <= bound, (i, batches[:, i].mean(), p)


def test_same_seed_same_run_and_reuse_starts_afresh():
    problem = get_problem("zdt1", n_var=5)
    algorithm = make_gmoea(pop_size=12, k=4, epochs=2)
    first = minimize(problem, algorithm, seed=11, max_evals=60)
    second = minimize(problem, algorithm, seed=11, max_evals=60)
    assert np.array_equal(first.F, second.F) and np.array_equal(first.X, second.X)
    other = minimize(problem, make_gmoea(pop_size=12, k=4, epochs=2), seed=12, max_evals=60)
    assert not np.array_equal(first.F, other.F)


@pytest.mark.parametrize("factory", [make_gmoea, make_gmoea_ga])
def test_budget_is_exact_and_metrics_count_the_evaluated_rows(factory):
    kwargs = {"epochs": 1, "k": 4} if factory is make_gmoea else {}
    problem = get_problem("zdt1", n_var=4)
    seen = []

    class Record:
        def on_generation(self, state):
            seen.append((state.n_evals, state.algorithm.metrics()))

    result = minimize(problem, factory(pop_size=10, **kwargs), seed=0, max_evals=37,
                      callbacks=[Record()])
    assert result.n_evals == 37 and [n for n, _ in seen] == [10, 20, 30, 37]
    assert len(result.X) == 10 and np.all(result.X >= problem.xl) and np.all(result.X <= problem.xu)
    share = seen[-1][1]["offspring_survival"]
    assert share * 7 == pytest.approx(round(share * 7))  # a share of the 7 evaluated rows


def test_gmoea_on_zdt1_reaches_a_measured_igd_floor():
    # Measured (seeds 0-4): IGD 0.854, 0.968, 0.486, 1.053, 0.590; the initial population: 2.07.
    # The GA-only control reaches 0.12-0.15 here: tiny budgets do not favour the GAN.
    problem = get_problem("zdt1", n_var=10)
    result = minimize(problem, make_gmoea(pop_size=40, k=10, epochs=20), seed=0, max_evals=1200)
    assert igd(result.F, reference_front(problem)) < 1.3


def test_registered_with_the_papers_defaults():
    entry = algorithm_entry("gmoea")
    params = entry.keyword_defaults()
    assert (params["pop_size"], params["k"], params["w_max"], params["epochs"]) == (100, 10, 5, 200)
    assert (params["batch_size"], params["lr"], params["device"]) == (8, 1e-4, None)
    assert "He" in entry.reference
    control = algorithm_entry("gmoea-ga").keyword_defaults()
    assert control == {"pop_size": 100, "eta_c": 20.0, "eta_m": 20.0}


USER_OPERATOR = '''
import numpy as np
from evogan import LearnedVariation


class EliteGaussian(LearnedVariation):
    """The README's operator: a Gaussian fitted to the better half of the parents."""

    def fit(self, X, F, *, rng):
        elite = X[np.argsort(F.sum(axis=1))[: len(X) // 2]]
        self.mean_, self.std_ = elite.mean(axis=0), elite.std(axis=0) + 1e-3
        self.fits_ = getattr(self, "fits_", 0) + 1

    def sample(self, n, *, rng):
        noise = rng.standard_normal((n, len(self.mean_)))
        return np.clip(self.mean_ + self.std_ * noise, 0.0, 1.0)

    def diagnostics(self):
        return {"elite_spread": float(self.std_.mean())} if hasattr(self, "std_") else {}
'''


def test_a_user_learned_operator_runs_in_the_gan_loop_from_the_cli_and_a_campaign(tmp_path):
    from evogan.cli import main
    from evogan.lab.collection import collect
    from evogan.lab.record import read_record

    (tmp_path / "my_op.py").write_text(USER_OPERATOR)
    spec = f"{tmp_path / 'my_op.py'}:EliteGaussian"
    out = tmp_path / "run"
    assert main(["run", "--quiet", "--algo", "gmoea", "--problem", "zdt1", "--max-evals", "1100",
                 "--variation", spec, "--out", str(out)]) == 0
    history = read_record(out).history
    # one refit per cycle of w_max = 5 batches, its diagnostics logged every generation after
    assert [row["trained"] for row in history[1:]] == [1.0, 0.0, 0.0, 0.0, 0.0] * 2
    assert all(row["elite_spread"] > 0 for row in history[1:])
    assert sum(row["gan_batch"] for row in history[1:]) >= 1
    campaign = tmp_path / "c.toml"
    campaign.write_text(f'algos = ["mine", "gmoea-ga"]\nproblems = ["zdt1"]\nseeds = 2\n'
                        f'max_evals = 600\n[algorithm.mine]\nalgo = "gmoea"\nvariation = "{spec}"\n')
    assert main(["compare", str(campaign), "--out", str(tmp_path / "camp"), "--workers", "1",
                 "--quiet", "--no-report"]) == 0
    runs = collect(tmp_path / "camp").runs
    assert sorted(run.label for run in runs) == ["gmoea-ga", "gmoea-ga", "mine", "mine"]
    assert {run.record.config["variation"] for run in runs if run.label == "mine"} == {spec}
