"""The parent-to-better conditional GAN: its improvement pairs, the variation contract, and that
it learns the direction in which a parent's neighbourhood improves."""

import numpy as np

from evogan.core.rng import make_rng
from evogan.gan.conditional import ParentToBetterGAN, improvement_pairs
from tests.variation_contract import assert_variation_contract


def test_every_dominated_solution_is_paired_with_its_nearest_dominator():
    rng = make_rng(5)
    X, F = rng.random((30, 4)), rng.random((30, 2))
    sources, targets = improvement_pairs(X, F)
    expected = {}
    for i in range(30):  # brute force, independent of the vectorised code
        better = [j for j in range(30) if (F[j] <= F[i]).all() and (F[j] < F[i]).any()]
        if better:
            expected[i] = min(better, key=lambda j: np.sum((X[j] - X[i]) ** 2))
    assert dict(zip(sources.tolist(), targets.tolist(), strict=True)) == expected
    assert 0 < len(expected) < 30


def test_it_meets_the_variation_contract():
    assert_variation_contract(lambda: ParentToBetterGAN(steps=5))


def test_it_learns_to_move_parents_the_way_their_better_neighbours_lie():
    """Objectives f = (x1, x2 + x3 + x4): a parent's dominators lie at lower values of every
    variable. Untrained (learning rate 0) no offspring dominates its parent; trained, nearly
    all do."""
    X = make_rng(3).uniform(0.3, 0.9, (100, 4))

    def objectives(X):
        return np.column_stack([X[:, 0], X[:, 1:].sum(axis=1)])

    dominating = []
    for lr in (0.0, 1e-3):
        gan = ParentToBetterGAN(steps=300, lr=lr, eta_m=1e9)  # mutation off in effect
        gan.fit(X, objectives(X), rng=make_rng(4))
        assert gan.diagnostics()["n_pairs"] == 90
        parents = X[make_rng(6).integers(100, size=400)]  # what sample draws with this rng
        F_child, F_parent = objectives(gan.sample(400, rng=make_rng(6))), objectives(parents)
        dominating.append(((F_child <= F_parent).all(1) & (F_child < F_parent).any(1)).mean())
    assert dominating[0] < 0.05 and dominating[1] > 0.9
