"""The contract every evogan Variation must meet; GAN operators' tests call it too."""

from collections.abc import Callable

import numpy as np

from evogan.core.variation import Variation, reset_variation


def assert_variation_contract(
    make: Callable[[], Variation], *, n_var: int = 6, n_parents: int = 20, n_offspring: int = 13
) -> None:
    """Shape, values in [0, 1], inputs untouched, same seed gives identical output (on the CPU)."""
    rng = np.random.default_rng(123)
    X = rng.random((n_parents, n_var))
    F = np.column_stack([X[:, 0], 1 - np.sqrt(X[:, 0]) + X[:, 1:].sum(axis=1)])  # (n, 2)
    X_before, F_before = X.copy(), F.copy()

    outputs = []
    for _ in range(2):
        variation = make()
        reset_variation(variation)
        outputs.append(variation(X, F, n_offspring, rng=np.random.default_rng(7)))
    first, second = outputs
    assert first.shape == (n_offspring, n_var)
    assert np.all(np.isfinite(first))
    assert first.min() >= 0.0 and first.max() <= 1.0
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(F, F_before)
    np.testing.assert_array_equal(first, second)
    different = make()(X, F, n_offspring, rng=np.random.default_rng(8))
    assert not np.array_equal(first, different), "a different seed should give different offspring"
