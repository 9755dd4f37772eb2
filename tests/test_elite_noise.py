"""The elite Gaussian reproduces the elite set's mean and covariance, on its span, for any rank."""

import numpy as np
import pytest
import torch

from evogan.gan.elite_noise import EliteGaussian


def _elites(k: int, n_var: int, seed: int = 0) -> np.ndarray:
    # small spread around the centre, so that clipping to [0, 1] never bites
    return 0.5 + 0.05 * np.random.default_rng(seed).standard_normal((k, n_var))


@pytest.mark.parametrize("k", [5, 12])  # rank-deficient (k - 1 < n_var) and full-rank
def test_samples_match_mean_and_covariance_on_span(k):
    n_var = 8
    real = _elites(k, n_var)
    gaussian = EliteGaussian.fit(real, dtype=torch.float64)
    Z = gaussian.sample(200_000, torch.Generator().manual_seed(1)).numpy()
    assert Z.shape == (200_000, n_var)
    np.testing.assert_allclose(Z.mean(axis=0), real.mean(axis=0), atol=1e-3)
    np.testing.assert_allclose(np.cov(Z, rowvar=False), np.cov(real, rowvar=False), atol=2e-4)
    # every draw lies in the affine span of the elites: mean + span of the centred rows
    centred = real - real.mean(axis=0)
    basis = np.linalg.svd(centred, full_matrices=False)[2][: np.linalg.matrix_rank(centred)]
    residual = (Z - real.mean(axis=0)) - (Z - real.mean(axis=0)) @ basis.T @ basis
    assert np.abs(residual).max() < 1e-12


def test_single_elite_gives_a_point_mass_and_draws_are_clipped():
    gaussian = EliteGaussian.fit(np.full((1, 3), 0.25))
    Z = gaussian.sample(10, torch.Generator().manual_seed(0))
    assert torch.equal(Z, torch.full((10, 3), 0.25))
    wide = EliteGaussian.fit(np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]]))
    Z = wide.sample(1000, torch.Generator().manual_seed(0))
    assert Z.min() >= 0.0 and Z.max() <= 1.0 and ((Z == 0) | (Z == 1)).any()


def test_same_generator_seed_gives_same_draws():
    gaussian = EliteGaussian.fit(_elites(4, 6))
    first = gaussian.sample(7, torch.Generator().manual_seed(3))
    assert torch.equal(first, gaussian.sample(7, torch.Generator().manual_seed(3)))
    assert first.dtype == torch.float32
