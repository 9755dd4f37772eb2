"""The shared Variation contract, over every operator evogan ships, plus the combinators."""

import numpy as np
import pytest

from evogan.core.variation import LearnedVariation, reset_variation
from evogan.operators import OPERATORS, SBX, DifferentialEvolution, PolynomialMutation
from evogan.operators.combinators import Chain, Hybrid, quadratic_decay
from tests.variation_contract import assert_variation_contract

COMBINED = {
    "sbx+pm": lambda: Chain(SBX(), PolynomialMutation()),
    "hybrid-call": lambda: Hybrid(SBX(), DifferentialEvolution(), p=quadratic_decay(5)),
    "hybrid-offspring": lambda: Hybrid(SBX(), PolynomialMutation(), p=0.3, per="offspring"),
}


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_registered_operator_meets_the_contract(name):
    assert_variation_contract(OPERATORS[name])


@pytest.mark.parametrize("name", sorted(COMBINED))
def test_combined_operators_meet_the_contract(name):
    assert_variation_contract(COMBINED[name])


def test_sbx_children_stay_between_spread_parents_on_average():
    rng = np.random.default_rng(0)
    X = np.array([[0.2] * 4, [0.8] * 4])
    children = SBX(eta=20)(X, None, 2000, rng=rng)
    # SBX is mean-preserving per pair: the children's mean equals the parents' mean
    assert abs(children.mean() - 0.5) < 0.01
    assert ((children > 0.15) & (children < 0.85)).mean() > 0.9


def test_polynomial_mutation_changes_about_one_variable_per_child():
    rng = np.random.default_rng(1)
    X = np.full((1000, 10), 0.5)
    Y = PolynomialMutation(eta=20)(X, None, 1000, rng=rng)
    changed_per_row = (Y != X).sum(axis=1)
    assert abs(changed_per_row.mean() - 1.0) < 0.1  # rate 1/n_var


def test_de_rand_1_bin_with_cr_one_is_the_mutant_vector():
    X = np.array([[0.3, 0.3], [0.5, 0.5], [0.35, 0.7], [0.6, 0.4]])  # mutants stay inside
    Y = DifferentialEvolution(weight=0.5, cr=1.0)(X, None, 200, rng=np.random.default_rng(2))
    # with cr = 1 every trial is x_r1 + 0.5 (x_r2 - x_r3) for distinct r1, r2, r3
    candidates = {
        tuple(np.round(X[a] + 0.5 * (X[b] - X[c]), 12))
        for a in range(4) for b in range(4) for c in range(4) if len({a, b, c}) == 3
    }
    assert all(tuple(np.round(y, 12)) in candidates for y in Y)
    assert len({tuple(np.round(y, 12)) for y in Y}) > 10


def test_quadratic_decay_gives_gmoea_probabilities():
    schedule = quadratic_decay(5)
    assert [schedule(i) for i in range(6)] == pytest.approx([1, 0.96, 0.84, 0.64, 0.36, 1])


def test_hybrid_per_call_never_mixes_a_batch_and_follows_the_schedule():
    first = lambda X, F, n, *, rng: np.zeros((n, X.shape[1]))
    second = lambda X, F, n, *, rng: np.ones((n, X.shape[1]))
    hybrid = Hybrid(first, second, p=quadratic_decay(5))
    rng = np.random.default_rng(3)
    X = rng.random((10, 3))
    n_cycles = 4000
    chose_first = np.zeros(5)
    for call in range(5 * n_cycles):
        out = hybrid(X, None, 7, rng=rng)
        assert np.all(out == out[0, 0])  # one operator per batch
        chose_first[call % 5] += out[0, 0] == 0
    expected = np.array([1, 0.96, 0.84, 0.64, 0.36])
    bound = 4 * np.sqrt(expected * (1 - expected) / n_cycles) + 1e-9
    assert np.all(np.abs(chose_first / n_cycles - expected) <= bound)


def test_hybrid_per_offspring_splits_by_binomial_counts():
    first = lambda X, F, n, *, rng: np.zeros((n, X.shape[1]))
    second = lambda X, F, n, *, rng: np.ones((n, X.shape[1]))
    hybrid = Hybrid(first, second, p=0.25, per="offspring")
    out = hybrid(np.zeros((4, 2)), None, 10_000, rng=np.random.default_rng(4))
    assert hybrid.last_counts_[0] + hybrid.last_counts_[1] == 10_000
    assert abs((out[:, 0] == 0).mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 10_000)


class _MeanModel(LearnedVariation):
    def fit(self, X, F, *, rng):
        self.mean_ = X.mean(axis=0)

    def sample(self, n, *, rng):
        return np.clip(self.mean_ + 0.01 * rng.standard_normal((n, len(self.mean_))), 0, 1)


def test_learned_variation_fits_then_samples_and_reset_forgets():
    model = _MeanModel()
    assert_variation_contract(lambda: _MeanModel())
    X = np.full((5, 3), 0.25)
    out = model(X, None, 4, rng=np.random.default_rng(5))
    assert np.allclose(out, 0.25, atol=0.05)
    reset_variation(model)
    assert not hasattr(model, "mean_")
