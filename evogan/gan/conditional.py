"""A conditional GAN that maps a parent to a better solution near it: evogan's parent-to-better
operator, the candidate of issue 14 that conditions the generator on the parent it improves.

GMOEA's generator (He et al., IEEE TCYB 2021) maps noise to the region of its k real parents, so
every offspring lands near them; on IMF problems with variable linkages that region is a
corner of the Pareto set, and the population collapses onto it within two batches
(results/gmoea_plus/first_batches.md). A conditional GAN (Mirza & Osindero, arXiv 1411.1784)
learns p(y | x) instead: here x is a solution and y a solution near it that dominates it, so
the generator learns in which direction the neighbourhood of each parent improves, and its
offspring stay where their parents are along the front. The pairs come from the population
and the one of the previous fit (improvement the run itself made), as elite-guided learned
operators pair each solution with a better one near it.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from evogan.core.errors import ConfigError
from evogan.core.rng import torch_generator
from evogan.core.variation import LearnedVariation, discriminator_diagnostics, spread_diagnostics
from evogan.device import DEFAULT_CPU_THREADS, set_cpu_threads
from evogan.gan.losses import bce_fake, bce_real, nonsaturating_loss
from evogan.operators.pm import PolynomialMutation
from evogan.survival import dominance_matrix

__all__ = ["ParentToBetterGAN", "improvement_pairs"]


def improvement_pairs(X: np.ndarray, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) index arrays: every solution dominated by another of `X` (n, n_var),
    paired with the nearest one (Euclidean, decision space) of those that dominate it.

    Objectives `F` (n, n_obj); a solution nobody dominates is no source.
    """
    dominates = dominance_matrix(F)  # (n, n): i dominates j
    sources = np.flatnonzero(dominates.any(axis=0))
    if len(sources) == 0:
        return sources, sources
    distance = np.linalg.norm(X[sources, None, :] - X[None, :, :], axis=2)  # (s, n)
    distance[~dominates[:, sources].T] = np.inf  # only the solutions that dominate the source
    return sources, distance.argmin(axis=1)


def _mlp(n_in: int, width: int, n_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, width), nn.LeakyReLU(0.2), nn.Linear(width, width),
                         nn.LeakyReLU(0.2), nn.Linear(width, n_out))


class ParentToBetterGAN(LearnedVariation):
    """Offspring y = x + G(x, z) of parents x, G trained adversarially on improvement pairs.

    `fit` pools the parents with those of the previous fit, pairs every dominated solution of
    the pool with the nearest one that dominates it (`improvement_pairs`: "real" pairs
    (x, y)), and trains for `steps` full-batch steps: D(x, y) tells real pairs from (x, x +
    G(x, z)), G fools it (non-saturating loss), Adam on both. `sample` draws parents uniformly
    from the current population, applies the generator and polynomial mutation; offspring
    are clipped to the unit cube. The networks and optimiser states live across fits. With
    fewer than two pairs the fit leaves the networks as they are.

    `diagnostics()`: `n_pairs`, the last losses, D's accuracy on the real pairs and on the
    last generated ones, and the spreads of the targets (`*_real`) and of the generated
    offspring before mutation (`*_gen`).

    Args:
        steps: full-batch training steps per fit.
        noise_dim: dimension of the generator's Gaussian noise z.
        lr: both Adam learning rates (betas 0.5, 0.999).
        width: hidden width of both networks (None: n_var).
        eta_m, prob_mutation: polynomial mutation of the offspring (None: 1 / n_var).
        cpu_threads: torch's intra-op threads for training (None: leave as is).
    """

    def __init__(self, *, steps: int = 200, noise_dim: int = 8, lr: float = 1e-3,
                 width: int | None = None, eta_m: float = 20.0,
                 prob_mutation: float | None = None, device: str = "cpu",
                 cpu_threads: int | None = DEFAULT_CPU_THREADS) -> None:
        for name, value in (("steps", steps), ("noise_dim", noise_dim)):
            if int(value) != value or value < 1:
                raise ConfigError(f"parent-to-better GAN: {name} must be an integer >= 1, "
                                  f"got {value!r}")
        self.steps, self.noise_dim, self.lr, self.width = steps, noise_dim, lr, width
        self.eta_m, self.prob_mutation, self.device = eta_m, prob_mutation, device
        self.cpu_threads = cpu_threads

    def fit(self, X: np.ndarray, F: np.ndarray | None, *, rng: np.random.Generator) -> None:
        """Pair the parents `X` (n, n_var) and the previous fit's by dominance under `F` and
        train on the pairs."""
        if F is None:
            raise ValueError("ParentToBetterGAN needs the parents' objectives F to pair them")
        X, F = np.asarray(X, dtype=float), np.asarray(F, dtype=float)
        n_var = X.shape[1]
        if not hasattr(self, "generator_"):
            self._build(n_var, rng)
        pool_X, pool_F = X, F
        if hasattr(self, "previous_"):
            pool_X, pool_F = (np.concatenate(pair) for pair in zip(self.previous_, (X, F),
                                                                    strict=True))
        self.previous_ = (X, F)
        self.parents_, self.n_position_ = X, F.shape[1] - 1
        sources, targets = improvement_pairs(pool_X, pool_F)
        self.n_pairs_ = len(sources)
        if len(sources) >= 2:
            self._train(pool_X[sources], pool_X[targets], torch_generator(rng, self.device))
            self.real_spread_ = spread_diagnostics(pool_X[targets], self.n_position_, "real")

    def sample(self, n: int, *, rng: np.random.Generator) -> np.ndarray:
        """`n` offspring (n, n_var) in [0, 1] of parents drawn uniformly, then mutated."""
        if not hasattr(self, "parents_"):
            raise RuntimeError("ParentToBetterGAN.sample called before fit")
        parents = self.parents_[rng.integers(len(self.parents_), size=n)]
        x = torch.as_tensor(parents, dtype=torch.float32)
        z = torch.randn((n, self.noise_dim), generator=torch_generator(rng, self.device))
        with torch.no_grad():
            y = (x + self.generator_(torch.cat([x, z], dim=1))).clamp_(0.0, 1.0)
            self.d_gen_ = discriminator_diagnostics(
                torch.sigmoid(self.discriminator_(torch.cat([x, y], dim=1))).squeeze(1).numpy(),
                real=False, suffix="gen")
        Y = y.double().numpy()
        self.gen_spread_ = spread_diagnostics(Y, self.n_position_, "gen")
        return PolynomialMutation(eta=self.eta_m, prob_var=self.prob_mutation)(Y, None, n, rng=rng)

    def diagnostics(self) -> dict[str, float]:
        """Pairs, losses, D's accuracies and the spreads of the targets and offspring."""
        losses = {name: getattr(self, f"{name}_", math.nan)
                  for name in ("n_pairs", "loss_d", "loss_g")}
        return {**losses, **getattr(self, "d_fit_", {}), **getattr(self, "d_gen_", {}),
                **getattr(self, "real_spread_", {}), **getattr(self, "gen_spread_", {})}

    def _build(self, n_var: int, rng: np.random.Generator) -> None:
        """Both networks from `rng`; the generator's last layer starts near zero (y near x)."""
        width = self.width or n_var
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(rng.integers(2**63)))
            self.generator_ = _mlp(n_var + self.noise_dim, width, n_var)
            self.discriminator_ = _mlp(2 * n_var, width, 1)
        with torch.no_grad():
            self.generator_[-1].weight.mul_(0.1)
            self.generator_[-1].bias.zero_()
        self.adam_g_, self.adam_d_ = (
            torch.optim.Adam(net.parameters(), lr=self.lr, betas=(0.5, 0.999))
            for net in (self.generator_, self.discriminator_))

    def _train(self, x: np.ndarray, y: np.ndarray, generator: torch.Generator) -> None:
        """`steps` full-batch steps of D then G on the pairs (x, y), each (m, n_var)."""
        set_cpu_threads(self.cpu_threads)
        x = torch.as_tensor(x, dtype=torch.float32)
        y = torch.as_tensor(y, dtype=torch.float32)
        real = torch.cat([x, y], dim=1)
        for _ in range(self.steps):
            z = torch.randn((len(x), self.noise_dim), generator=generator)
            fake = (x + self.generator_(torch.cat([x, z], dim=1))).clamp(0.0, 1.0)
            loss_d = (bce_real(self.discriminator_(real).squeeze(1))
                      + bce_fake(self.discriminator_(torch.cat([x, fake.detach()], 1)).squeeze(1)))
            self.adam_d_.zero_grad()
            loss_d.backward()
            self.adam_d_.step()
            loss_g = nonsaturating_loss(self.discriminator_(torch.cat([x, fake], 1)).squeeze(1))
            self.adam_g_.zero_grad()
            loss_g.backward()
            self.adam_g_.step()
        self.loss_d_, self.loss_g_ = loss_d.item(), loss_g.item()
        with torch.no_grad():
            prob = torch.sigmoid(self.discriminator_(real)).squeeze(1).numpy()
        self.d_fit_ = discriminator_diagnostics(prob, real=True, suffix="real")
