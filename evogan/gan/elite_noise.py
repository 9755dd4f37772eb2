"""A Gaussian fitted to an elite set on the unit cube: the noise source of GMOEA-style generators.

GMOEA (He et al., IEEE TCYB 2021) feeds its generator noise drawn from N(mu, Sigma) of the
current elite ("real") solutions, clipped to [0, 1], so that generated offspring start near the
elites. The elite set is small (k = 10 by default) and usually smaller than the number of
variables, so Sigma is singular: it is factored once per fit with a symmetric eigendecomposition
whose negative round-off eigenvalues are clipped to zero, which works for any rank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["EliteGaussian"]


@dataclass(frozen=True)
class EliteGaussian:
    """N(mean, factor @ factor.T) over the unit cube, sampled with an explicit torch generator.

    Attributes:
        mean: (n_var,) the elites' mean.
        factor: (n_var, n_var) a square root of their covariance (columns scaled eigenvectors).
    """

    mean: torch.Tensor
    factor: torch.Tensor

    @classmethod
    def fit(
        cls,
        real: np.ndarray,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> EliteGaussian:
        """Fit to the elite set `real` (k, n_var) in [0, 1].

        The covariance is the unbiased sample covariance of the rows (numpy's `np.cov(real.T)`,
        as GMOEA's generation step computes it; its training step scrambles the matrix by a
        reshape, bug P2, which is not reproduced). A single elite gives a zero covariance.
        """
        real = np.asarray(real, dtype=float)
        if real.ndim != 2 or len(real) == 0:
            raise ValueError(f"real must be a non-empty (k, n_var) array, got shape {real.shape}")
        mean = real.mean(axis=0)
        n_var = real.shape[1]
        if len(real) > 1:
            cov = np.cov(real, rowvar=False).reshape(n_var, n_var)  # (n_var, n_var)
        else:
            cov = np.zeros((n_var, n_var))
        eigval, eigvec = np.linalg.eigh(cov)
        # eigenvalues below round-off level (negative ones included) are zero: rank k - 1 < n_var
        tol = n_var * np.finfo(float).eps * max(float(eigval.max()), 0.0)
        factor = eigvec * np.sqrt(np.where(eigval > tol, eigval, 0.0))  # (n_var, n_var)
        return cls(
            mean=torch.as_tensor(mean, dtype=dtype, device=device),
            factor=torch.as_tensor(factor, dtype=dtype, device=device),
        )

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """`n` draws, shape (n, n_var), clipped to [0, 1], on the Gaussian's device."""
        n_var = int(self.mean.shape[0])
        eps = torch.randn(
            (n, n_var), generator=generator, dtype=self.mean.dtype, device=self.mean.device
        )
        return torch.addmm(self.mean, eps, self.factor.T).clamp_(0.0, 1.0)  # mean + factor @ eps
