"""Diagnostics of the learned operators and the GAN loop, GMOEA's controls, and the report panel."""

import math
import shutil

import numpy as np
import pytest
import torch

from evogan.core.errors import ConfigError
from evogan.core.rng import make_rng, torch_generator
from evogan.core.variation import discriminator_diagnostics, spread_diagnostics
from evogan.gan.controls import EliteGaussianSampler, UntrainedGenerator
from evogan.gan.elite_noise import EliteGaussian
from evogan.gan.gmoea import GMOEAGAN
from evogan.gan.gmoea_training import build_networks
from evogan.lab.config import RunConfig
from evogan.lab.record import write_record
from evogan.lab.report import write_report
from evogan.lab.run import execute
from evogan.operators.pm import PolynomialMutation
from evogan.survival import spea2_select

SPREADS = [f"{kind}_{where}" for kind in ("spread", "position_range")
           for where in ("pop", "real", "gen")]
DISCRIMINATOR = [f"d_{kind}_{where}" for kind in ("acc", "prob") for where in ("real", "poor", "gen")]


def population(seed: int = 0, n: int = 40, n_var: int = 6, n_obj: int = 2):
    rng = make_rng(seed)
    X = rng.random((n, n_var))
    return X, np.column_stack([X[:, 0], 1.0 - np.sqrt(X[:, 0]) + X[:, 1:].sum(axis=1)])[:, :n_obj]


def test_spread_is_the_mean_std_and_the_mean_range_of_the_position_variables():
    X = make_rng(3).random((25, 5))
    found = spread_diagnostics(X, 2, "pop")
    # independent computation: population std from its definition, ranges by sorting
    centred = X - X.sum(axis=0) / len(X)
    std = np.sqrt((centred**2).sum(axis=0) / len(X))
    ranges = [np.sort(X[:, j])[-1] - np.sort(X[:, j])[0] for j in range(2)]
    assert found["spread_pop"] == pytest.approx(std.mean(), rel=1e-12)
    assert found["position_range_pop"] == pytest.approx(sum(ranges) / 2, rel=1e-12)
    assert spread_diagnostics(np.full((7, 4), 0.3), 1, "pop") == {"spread_pop": 0.0,
                                                                  "position_range_pop": 0.0}
    assert spread_diagnostics(X, 0, "gen").keys() == {"spread_gen"}  # no position variables


def test_discriminator_diagnostics_count_the_right_side_of_one_half():
    prob = np.array([0.9, 0.2, 0.6, 0.5])
    assert discriminator_diagnostics(prob, real=True, suffix="real") == {
        "d_acc_real": 0.5, "d_prob_real": pytest.approx(0.55)}
    assert discriminator_diagnostics(prob, real=False, suffix="gen")["d_acc_gen"] == 0.25
    empty = discriminator_diagnostics(np.empty(0), real=False, suffix="poor")
    assert math.isnan(empty["d_acc_poor"]) and math.isnan(empty["d_prob_poor"])


def test_gmoea_operator_reports_accuracies_of_its_own_discriminator():
    X, F = population()
    gan = GMOEAGAN(k=10, epochs=5)
    rng = make_rng(1)
    assert math.isnan(gan.diagnostics()["loss_d"])  # nothing trained yet
    gan.fit(X, F, rng=rng)
    gan.sample(30, rng=rng)
    found = gan.diagnostics()
    with torch.no_grad():
        prob = gan.trainer_.discriminator(torch.as_tensor(X, dtype=torch.float32)).numpy()[:, 0]
    real = np.zeros(len(X), dtype=bool)
    real[spea2_select(F, 10)] = True
    assert found["d_acc_real"] == np.mean(prob[real] > 0.5)
    assert found["d_prob_poor"] == pytest.approx(prob[~real].mean(), rel=1e-6)
    assert found["spread_real"] == pytest.approx(X[real].std(axis=0).mean(), rel=1e-12)
    assert {name for name in SPREADS if not name.endswith("_pop")} | set(DISCRIMINATOR) <= found.keys()
    for name in DISCRIMINATOR:
        assert 0.0 <= found[name] <= 1.0, name


def test_diagnostics_draw_nothing_from_the_run_generator():
    """The elite-Gaussian control is exactly noise -> PM with the same draws, so computing its
    spreads takes no random number; calling diagnostics() changes nothing either."""
    X, F = population(seed=5)
    control, rng, replay = EliteGaussianSampler(k=8), make_rng(9), make_rng(9)
    control.fit(X, F, rng=rng)
    control.diagnostics()
    offspring = control.sample(50, rng=rng)
    control.diagnostics()
    gaussian = EliteGaussian.fit(X[spea2_select(F, 8)])
    noise = gaussian.sample(50, torch_generator(replay)).double().numpy()
    expected = PolynomialMutation(eta=20.0)(noise, None, 50, rng=replay)
    np.testing.assert_array_equal(offspring, expected)
    assert rng.random() == replay.random()
    assert control.diagnostics()["spread_gen"] == pytest.approx(noise.std(axis=0).mean(), 1e-12)


def test_controls_refuse_a_real_set_larger_than_the_population():
    with pytest.raises(ConfigError, match="k=30 is larger than the population"):
        execute(RunConfig(algo="gmoea-untrained", problem="zdt1", pop_size=20, max_evals=40,
                          params={"k": 30}))
    with pytest.raises(ConfigError, match="k must be an integer >= 1, got 0.5"):
        EliteGaussianSampler(k=0.5)


def test_the_untrained_generator_keeps_gmoeas_initial_weights():
    X, F = population(seed=2)
    control, rng = UntrainedGenerator(k=10), make_rng(4)
    for _ in range(3):
        control.fit(X, F, rng=rng)
        control.sample(20, rng=rng)
    initial, _ = build_networks(X.shape[1], device="cpu", generator=torch_generator(make_rng(4)))
    for name, value in initial.state_dict().items():
        torch.testing.assert_close(control.generator_.state_dict()[name], value, rtol=0, atol=0)
    assert "d_acc_real" not in control.diagnostics()  # it has no discriminator


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Short runs of GMOEA, its controls and NSGA-II on ZDT1 (bounds [0, 1]: X is the unit cube)."""
    root = tmp_path_factory.mktemp("controls")
    found = {}
    for algo in ("gmoea", "gmoea-elite-gaussian", "gmoea-untrained", "gmoea-ga", "nsga2"):
        for seed in (1, 2):
            config = RunConfig(algo=algo, problem="zdt1", n_var=8, pop_size=20, max_evals=200,
                               seed=seed, params={"epochs": 5} if algo == "gmoea" else {})
            found[algo, seed] = execute(config)
            write_record(found[algo, seed], root / f"{algo}-s{seed}")
    return root, found


def test_history_holds_sane_diagnostics(records):
    _, found = records
    for algo in ("gmoea", "gmoea-elite-gaussian", "gmoea-untrained", "gmoea-ga"):
        last = found[algo, 1].history[-1]
        X = found[algo, 1].X
        # the last row describes the final population, recomputed here with numpy alone
        assert last["spread_pop"] == pytest.approx(np.sqrt(X.var(axis=0)).mean(), rel=1e-12)
        assert last["position_range_pop"] == pytest.approx(X[:, 0].max() - X[:, 0].min())
        for row in found[algo, 1].history:
            for name in SPREADS + DISCRIMINATOR:
                value = row.get(name, math.nan)
                assert math.isnan(value) or value >= 0, (algo, name)
                if name.startswith("d_") and not math.isnan(value):
                    assert value <= 1.0, (algo, name)
    columns = {algo: set(found[algo, 1].history[-1]) for algo in ("gmoea", "gmoea-ga")}
    assert set(SPREADS) | set(DISCRIMINATOR) <= columns["gmoea"]
    assert {"spread_pop", "position_range_pop"} <= columns["gmoea-ga"]
    assert not set(DISCRIMINATOR) & columns["gmoea-ga"]
    assert "spread_gen" in found["gmoea-elite-gaussian", 1].history[-1]


@pytest.mark.parametrize("algo", ["gmoea-elite-gaussian", "gmoea-untrained"])
def test_controls_are_deterministic(records, algo):
    _, found = records
    again = execute(RunConfig(algo=algo, problem="zdt1", n_var=8, pop_size=20, max_evals=200,
                              seed=1))
    np.testing.assert_array_equal(again.F, found[algo, 1].F)
    assert again.history[-1]["spread_gen"] == found[algo, 1].history[-1]["spread_gen"]


def test_report_draws_the_diagnostics_panel(records, tmp_path):
    root, _ = records
    written = write_report(root, out=tmp_path, control="gmoea")
    panel = tmp_path / "figures" / "diagnostics-e200-zdt1.png"
    assert panel in written.figures and panel.stat().st_size > 10_000
    assert "diagnostics-e200-zdt1.png" in written.report.read_text()


def test_no_panel_for_runs_without_diagnostics(records, tmp_path):
    root, _ = records
    for seed in (1, 2):
        shutil.copytree(root / f"nsga2-s{seed}", tmp_path / "nsga2" / f"s{seed}")
    written = write_report(tmp_path / "nsga2", out=tmp_path / "out")
    assert not any(f.name.startswith("diagnostics") for f in written.figures)
    assert "Diagnostics" not in written.report.read_text()


def test_egan_operator_reports_spreads_and_accuracies():
    from evogan.gan.egan_offspring import EGANOffspring

    X, F = population(seed=6)
    operator, rng = EGANOffspring(n_elite=10, iterations=2), make_rng(3)
    operator.fit(X, F, rng=rng)
    Y = operator.sample(30, rng=rng)
    found = operator.diagnostics()
    assert {name for name in SPREADS if not name.endswith("_pop")} | set(DISCRIMINATOR) <= found.keys()
    assert found["spread_gen"] == pytest.approx(Y.std(axis=0).mean(), rel=1e-5)  # float32 samples
    for name in DISCRIMINATOR:
        assert 0.0 <= found[name] <= 1.0, name


def test_the_panel_leaves_out_what_no_shown_run_logged(records, tmp_path, monkeypatch):
    from evogan.lab import plots

    root, _ = records
    for seed in (1, 2):
        shutil.copytree(root / f"gmoea-ga-s{seed}", tmp_path / "ga" / f"s{seed}")
    titles = {}
    save = plots._save

    def inspect(fig, path):
        titles[path.stem] = [ax.get_title() for ax in fig.axes]
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", inspect)
    write_report(tmp_path / "ga", out=tmp_path / "out")
    assert titles["diagnostics-e200-zdt1"] == [
        "IGD of the median run", "decision-space spread (mean std per variable)",
        "range of the position variables x1..x(M-1)", "share of a batch that survives"]
