"""A Gaussian fitted to an elite set on the unit cube: the noise source of GMOEA-style generators.

GMOEA (He et al., IEEE TCYB 2021) feeds its generator noise drawn from N(mu, Sigma) of the
current elite ("real") solutions, clipped to [0, 1], so that generated offspring start near the
elites. The elite set is small (k = 10 by default) and usually smaller than the number of
variables, so Sigma is singular: it is factored once per fit with a symmetric eigendecomposition
whose negative round-off eigenvalues are clipped to zero, which works for any rank.

`EliteNoiseVariation` is what GMOEA's operator (`evogan.gan.gmoea.GMOEAGAN`) and its two
controls (`evogan.gan.controls`) share: the real set, this Gaussian, the noise drawn from it,
polynomial mutation of the samples, and the spread diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from evogan.core.errors import ConfigError
from evogan.core.rng import torch_generator
from evogan.core.variation import LearnedVariation, spread_diagnostics
from evogan.device import resolve_device
from evogan.operators.pm import PolynomialMutation
from evogan.survival import spea2_select

__all__ = ["EliteGaussian", "EliteNoiseVariation"]


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


class EliteNoiseVariation(LearnedVariation):
    """Offspring made from the elites' Gaussian: noise -> `_generate` -> polynomial mutation.

    The frame of GMOEA's operator (He et al., IEEE TCYB 2021) without its GAN, so that the GAN
    and its controls differ in `_generate` (and in training) alone. `fit` takes the `k` parents
    chosen by SPEA2 environmental selection as the real set and fits `EliteGaussian` to them
    (`_noise_rows`: `gmoea-plus` fits it to all parents instead);
    at the first fit a subclass builds what it needs (`_build`), at every fit it may learn
    (`_learn`). `sample` draws noise from the Gaussian, maps it by `_generate` and applies
    polynomial mutation.

    `diagnostics()` reports `spread_real` / `position_range_real` of the last real set and
    `spread_gen` / `position_range_gen` of the last generated samples before mutation
    (`evogan.core.variation.spread_diagnostics`, position variables x_1..x_{M-1}); a
    subclass adds its own through `_diagnostics`. Nothing of it draws random numbers.

    Args:
        k: size of the real set.
        eta_m: polynomial mutation's distribution index.
        prob_mutation: per-variable mutation probability; None means 1 / n_var.
        device: where noise is drawn and networks run: "cpu", "cuda", "cuda:N" or "auto".
    """

    def __init__(self, *, k: int = 10, eta_m: float = 20.0, prob_mutation: float | None = None,
                 device: str = "cpu") -> None:
        if int(k) != k or k < 1:
            raise ConfigError(f"{type(self).__name__}: k must be an integer >= 1, got {k!r}")
        self.k, self.eta_m, self.prob_mutation, self.device = k, eta_m, prob_mutation, device

    def fit(self, X: np.ndarray, F: np.ndarray | None, *, rng: np.random.Generator) -> None:
        """Pick the real set of the parents `X` (n, n_var) in [0, 1] by their objectives `F`
        (n, n_obj), fit the noise Gaussian to it, then `_learn`."""
        if F is None:
            raise ValueError(f"{type(self).__name__} needs the parents' objectives F to pick the "
                             "real set")
        X, F = np.asarray(X, dtype=float), np.asarray(F, dtype=float)
        n, n_var = X.shape
        real = spea2_select(F, min(self.k, n))
        if not hasattr(self, "device_"):
            self.device_ = resolve_device(self.device)
            self._build(n_var, rng)
        self.gaussian_ = EliteGaussian.fit(X[self._noise_rows(X, real)], device=self.device_)
        self._learn(X, real, rng)
        self.real_, self.n_position_ = real, F.shape[1] - 1
        self.real_spread_ = spread_diagnostics(X[real], self.n_position_, "real")

    def sample(self, n: int, *, rng: np.random.Generator) -> np.ndarray:
        """`n` offspring (n, n_var) in [0, 1]: `_generate` on the Gaussian's noise, then PM."""
        if not hasattr(self, "gaussian_"):
            raise RuntimeError(f"{type(self).__name__}.sample called before fit")
        noise = self.gaussian_.sample(n, torch_generator(rng, self.device_))  # (n, n_var)
        Y = self._generate(noise).double().cpu().numpy()  # (n, n_var)
        self.gen_spread_ = spread_diagnostics(Y, self.n_position_, "gen")
        mutation = PolynomialMutation(eta=self.eta_m, prob_var=self.prob_mutation)
        return mutation(Y, None, n, rng=rng)

    def diagnostics(self) -> dict[str, float]:
        """The spreads of the last real set and generated batch, and `_diagnostics()`."""
        return {**getattr(self, "real_spread_", {}), **getattr(self, "gen_spread_", {}),
                **self._diagnostics()}

    def _noise_rows(self, X: np.ndarray, real: np.ndarray) -> np.ndarray:
        """Indices of the parents the noise Gaussian is fitted to: the real set (GMOEA)."""
        return real

    def _build(self, n_var: int, rng: np.random.Generator) -> None:
        """Create the learned state at the first fit (nothing here)."""

    def _learn(self, X: np.ndarray, real: np.ndarray, rng: np.random.Generator) -> None:
        """Learn from the parents `X` (n, n_var) with the real set's indices `real` (nothing)."""

    def _generate(self, noise: torch.Tensor) -> torch.Tensor:
        """Map noise (n, n_var) on the unit cube to samples (n, n_var) in [0, 1]."""
        raise NotImplementedError

    def _diagnostics(self) -> dict[str, float]:
        """A subclass's own numbers (losses, discriminator accuracies)."""
        return {}
