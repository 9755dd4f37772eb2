"""RM-MEDA's regularity model (`evogan.operators.rm`) and the `rm-meda` algorithm."""

import numpy as np
import pytest

from evogan import get_algorithm, get_problem, igd, reference_front
from evogan.core.errors import ConfigError
from evogan.engine import minimize
from evogan.operators import RegularityModel
from evogan.operators.rm import local_pca

DIRECTION = np.array([1.0, 0.5, 0.25, 0.1, 0.8]) / np.linalg.norm([1.0, 0.5, 0.25, 0.1, 0.8])


def segment(t: np.ndarray, origin: float = 0.1, direction: np.ndarray = DIRECTION) -> np.ndarray:
    return origin + t[:, None] * direction  # (n, 5)


def test_offspring_fill_the_segment_extended_by_a_quarter_of_its_width_at_each_end():
    rng = np.random.default_rng(0)
    t = np.concatenate([[0.2, 0.6], rng.uniform(0.2, 0.6, 98)])  # the parents span [0.2, 0.6]
    Y = RegularityModel(latent_dim=1, clusters=1)(segment(t), None, 4000, rng=rng)
    along = (Y - 0.1) @ DIRECTION
    off_line = (Y - 0.1) - along[:, None] * DIRECTION
    assert np.abs(off_line).max() < 1e-8  # exact parents on a line: no residual variance
    assert along.min() >= 0.1 - 1e-12 and along.max() <= 0.7 + 1e-12  # 0.2 - 0.1, 0.6 + 0.1
    assert along.min() < 0.1 + 0.002 and along.max() > 0.7 - 0.002  # uniform: both ends reached
    assert abs(np.mean(along) - 0.4) < 0.01
    without = RegularityModel(latent_dim=1, clusters=1, extension=0.0)(segment(t), None, 4000,
                                                                        rng=rng)
    assert 0.2 - 1e-12 <= ((without - 0.1) @ DIRECTION).min()


def test_the_noise_has_the_variance_the_pieces_leave_unexplained():
    rng = np.random.default_rng(1)
    sigma, D = 0.01, 5
    X = segment(rng.uniform(0.1, 0.7, 4000)) + sigma * rng.standard_normal((4000, D))
    Y = RegularityModel(latent_dim=1, clusters=1, extension=0.0)(X, None, 20000, rng=rng)
    along = (Y - 0.1) @ DIRECTION
    off_line = (Y - 0.1) - along[:, None] * DIRECTION
    # D - 1 residual directions of variance ~sigma^2 each: mean squared distance (D - 1) sigma^2
    assert np.mean(np.sum(off_line**2, axis=1)) == pytest.approx((D - 1) * sigma**2, rel=0.05)


def test_local_pca_separates_two_segments_that_one_principal_line_cannot_fit():
    rng = np.random.default_rng(2)
    other = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    X = np.concatenate([segment(rng.uniform(0, 0.5, 60)),
                        segment(rng.uniform(0, 0.5, 60), origin=0.5, direction=other)])
    label = local_pca(X, 2, 1, np.random.default_rng(3))
    assert len(set(label[:60])) == 1 and len(set(label[60:])) == 1 and label[0] != label[60]
    for seed in range(20):  # compact starting pieces: separated from any start
        label = local_pca(X, 2, 1, np.random.default_rng(seed))
        assert len(set(label[:60])) == 1 and label[0] != label[60]
    Y = RegularityModel(latent_dim=1, clusters=2)(X, None, 500, rng=rng)
    near_first = np.abs((Y - 0.1) - ((Y - 0.1) @ DIRECTION)[:, None] * DIRECTION).max(axis=1)
    near_second = np.abs((Y - 0.5) - ((Y - 0.5) @ other)[:, None] * other).max(axis=1)
    assert np.all(np.minimum(near_first, near_second) < 1e-8)  # every offspring on a segment
    assert 0.3 < np.mean(near_first < 1e-8) < 0.7  # from both, by their lengths (equal here)


def test_the_latent_dimension_comes_from_the_objectives_and_bad_settings_are_refused():
    rng = np.random.default_rng(4)
    X = rng.random((30, 6))
    with pytest.raises(ConfigError, match="give latent_dim"):
        RegularityModel()(X, None, 5, rng=rng)
    assert RegularityModel()(X, rng.random((30, 3)), 5, rng=rng).shape == (5, 6)
    for bad in ({"latent_dim": 0}, {"clusters": 0}, {"extension": -0.1}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            RegularityModel(**bad)


def test_rm_meda_follows_the_linkage_of_imf1_where_nsga2_does_not():
    """IMF1's Pareto set is a line through the cube (x_i = x_1 / (1 + 5 i / D)); modelled as
    such, RM-MEDA converges where NSGA-II's per-variable operators crawl (seed 1, 5,000
    evaluations: RM-MEDA IGD 0.093, NSGA-II 0.249 when this test was written)."""
    problem = get_problem("imf1", n_var=30)
    front = reference_front(problem)
    result = {}
    for name in ("rm-meda", "nsga2"):
        algorithm = get_algorithm(name)
        minimize(problem, algorithm, seed=1, max_evals=5000)
        result[name] = igd(algorithm.population()[1], front)
    assert result["rm-meda"] < 0.15 and result["rm-meda"] < 0.5 * result["nsga2"]


def test_a_portfolio_with_the_model_logs_its_probability():
    algorithm = get_algorithm("portfolio", operators="sbx-pm+de+rm")
    minimize(get_problem("zdt1"), algorithm, seed=2, max_evals=600)
    p = algorithm.metrics()
    assert p["p_sbx_pm"] + p["p_de"] + p["p_rm"] == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="operators"):
        get_algorithm("portfolio", operators="sbx-pm+rm")


def test_gmoea_plus_takes_the_model_into_its_ga_branch():
    algorithm = get_algorithm("gmoea-plus", ga="sbx-pm+de+rm", epochs=2)
    minimize(get_problem("imf1", n_var=10), algorithm, seed=3, max_evals=1500)
    p = algorithm.metrics()
    assert p["p_sbx_pm"] + p["p_de"] + p["p_rm"] == pytest.approx(1.0)
    assert 0.0 < p["p_gan"] < 1.0


def test_the_population_is_the_mating_pool_when_asked():
    from evogan.algorithms.ga import GeneticAlgorithm

    seen = []

    def spy(X, F, n_offspring, *, rng):
        seen.append(len(X))
        return rng.random((n_offspring, X.shape[1]))

    algorithm = GeneticAlgorithm(pop_size=12, n_offspring=7, variation=spy, mating="population")
    minimize(get_problem("zdt1"), algorithm, seed=1, max_evals=12 + 3 * 7)
    assert seen == [12, 12, 12]  # the whole population, not a tournament pool of 7
    with pytest.raises(ConfigError, match="unknown mating 'roulette'"):
        GeneticAlgorithm(mating="roulette")


def test_bounce_back_puts_no_offspring_on_the_bounds_and_leaves_the_others_alone():
    """Parents along a segment inside the cube, 0.03 from the bound at one end, scattered by
    0.02: the model's noise takes some components below 0. Clipping piles them on the bound;
    bounce-back draws each between the bound and the model's point (inside the cube here: no
    extension), so off the bound and no farther than that point; components in range are the
    same draws in both."""
    rng = np.random.default_rng(3)
    parents = np.clip(segment(rng.uniform(0.0, 0.3, 200), origin=0.03)
                      + 0.02 * rng.standard_normal((200, 5)), 0.0, 1.0)
    clipped, bounced = (RegularityModel(latent_dim=1, clusters=1, extension=0.0, repair=repair)(
        parents, None, 2000, rng=np.random.default_rng(4)) for repair in ("clip", "bounce-back"))
    on_bound = clipped == 0.0
    assert on_bound.sum() > 50  # the pile that clipping makes (1% of the components)
    assert (bounced[on_bound] > 0.0).all() and ((bounced >= 0.0) & (bounced <= 1.0)).all()
    inside = (clipped > 0.0) & (clipped < 1.0)
    np.testing.assert_array_equal(bounced[inside], clipped[inside])
    # no farther from the bound than the model's points, which stay below the parents' top
    assert bounced[on_bound].max() < parents.max()


@pytest.mark.parametrize("algo, param", [("rm-meda", "repair"), ("portfolio", "rm_repair"),
                                         ("gmoea-plus", "rm_repair")])
def test_the_repair_is_an_option_of_every_algorithm_that_holds_the_model(algo, param):
    extra = {"operators": "sbx-pm+de+rm"} if algo == "portfolio" else {}
    models = regularity_models(get_algorithm(algo, **extra, **{param: "bounce-back"}))
    assert [model.repair for model in models] == ["bounce-back"]
    models = regularity_models(get_algorithm(algo, **extra))
    assert [model.repair for model in models] == ["clip"]
    with pytest.raises(ConfigError, match="bounce-back"):
        get_algorithm(algo, **extra, **{param: "reflect"})


def regularity_models(algorithm) -> list[RegularityModel]:
    """The RegularityModels of an algorithm's GA variation (gmoea-plus's GA branch), itself or
    among a portfolio's operators."""
    variation = getattr(algorithm, "ga_variation", None) or algorithm.variation
    return [op for op in getattr(variation, "operators", (variation,))
            if isinstance(op, RegularityModel)]
