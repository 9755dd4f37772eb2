"""E-GAN as an offspring operator: a population of generators evolved against an elite-vs-rest D.

evogan's design, which combines
- E-GAN (Wang, Xu, Yao, Tao, IEEE TEVC 23(6), 2019): generators mutated by several losses and
  selected by F = F_q + gamma * F_d (`evogan.gan.egan`);
- GMOEA (He, Huang, Cheng, Tan, Jin, IEEE TCYB 2021): the discriminator learns the elite
  solutions as "real" and the rest of the population as "fake", and generator noise is drawn
  from a Gaussian fitted to the elites (`evogan.gan.elite_noise.EliteGaussian`).

Every `fit` runs a few E-GAN generations on the current population, continuing from the
networks of the previous call (warm start), so the operator follows the population as it moves.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from evogan.core.errors import ConfigError
from evogan.core.rng import torch_generator
from evogan.core.variation import LearnedVariation, discriminator_diagnostics, spread_diagnostics
from evogan.gan.egan import EGAN, EGANConfig
from evogan.gan.elite_noise import EliteGaussian
from evogan.survival import ELITE_SELECTIONS

__all__ = ["ELITE_SELECTIONS", "EGANOffspring"]

logger = logging.getLogger(__name__)



class EGANOffspring(LearnedVariation):
    """Offspring from an E-GAN generator population trained to tell elites from the rest.

    `fit(X, F)`: the `n_elite` best parents by environmental selection (`elite_selection`) are
    the real data; the other parents are extra fake data besides the generated samples. Under
    constraints the loop passes `F` under constraint-domination
    (`evogan.survival.constrained_objectives`): the elites are the best feasible parents, or,
    when fewer than `n_elite` are feasible, all feasible ones and the least-violating others. The
    E-GAN trainer then runs `iterations` generations: mutation of each generator by each loss,
    selection by F_q + gamma * F_d, discriminator update. `sample(n)` draws offspring from the
    surviving generators, their noise from the elites' Gaussian, as GMOEA does. `diagnostics()`
    reports the trainer's numbers and the spreads and accuracies GMOEA's operator reports.

    Args:
        n_elite: size of the elite ("real") set (GMOEA: 10).
        elite_selection: "spea2" (default, GMOEA) or "rank-crowding" (NSGA-II).
        iterations: E-GAN generations per `fit`.
        mu: surviving generators.
        selection: "plus" (default: with tiny data a bad step should not destroy a good
            generator) or "comma" (the paper).
        hidden: width of the two hidden layers of G and D; None means n_var (GMOEA's width).
        gamma: weight of the diversity F_d.
        diversity: "gradient" (E-GAN's F_d = -log ||grad_D L_D||) or "distance" (IE-GAN's
            mean L1 distance between a child's samples; `EGANConfig.diversity`).
        batch_size, eval_size: samples per child step / per child's evaluation.
        lr_g, lr_d: Adam learning rates (GMOEA uses 4e-4 and 1e-4 for 200 epochs per refit; with
            a few warm-started E-GAN generations per call, 1e-3 did better on ZDT1).
        common_noise: score all children on the same noise (`EGANConfig.common_noise`).
        device: where the networks train ("cpu", "cuda").
    """

    def __init__(
        self,
        *,
        n_elite: int = 10,
        elite_selection: str = "spea2",
        iterations: int = 20,
        mu: int = 2,
        selection: str = "plus",
        hidden: int | None = None,
        gamma: float = 0.1,
        diversity: str = "gradient",
        batch_size: int = 16,
        eval_size: int = 32,
        lr_g: float = 1e-3,
        lr_d: float = 1e-3,
        common_noise: bool = False,
        device: str = "cpu",
    ) -> None:
        if elite_selection not in ELITE_SELECTIONS:
            raise ConfigError(f"elite_selection {elite_selection!r} is not one of "
                              f"{', '.join(ELITE_SELECTIONS)}")
        if n_elite < 2 or iterations < 1:
            raise ConfigError(f"need n_elite >= 2 and iterations >= 1, got {n_elite}, {iterations}")
        self.n_elite, self.elite_selection, self.iterations = n_elite, elite_selection, iterations
        self.mu, self.selection, self.hidden, self.gamma = mu, selection, hidden, gamma
        self.batch_size, self.eval_size, self.lr_g, self.lr_d = batch_size, eval_size, lr_g, lr_d
        self.common_noise, self.diversity, self.device = common_noise, diversity, device

    def _config(self, n_var: int) -> EGANConfig:
        width = self.hidden or n_var
        return EGANConfig(
            data_dim=n_var, noise_dim=n_var, g_hidden=(width, width), d_hidden=(width, width),
            g_output="sigmoid", mu=self.mu, selection=self.selection, gamma=self.gamma,
            batch_size=self.batch_size, eval_size=self.eval_size, lr_g=self.lr_g, lr_d=self.lr_d,
            betas_d=(0.5, 0.999), init_std=None, common_noise=self.common_noise,
            diversity=self.diversity,
        )

    def fit(self, X: np.ndarray, F: np.ndarray | None, *, rng: np.random.Generator) -> None:
        """Continue training on parents `X` (n, n_var) in [0, 1] with objectives `F` (n, n_obj)."""
        if F is None:
            raise ValueError("EGANOffspring needs the parents' objectives F to pick the elites")
        n, n_var = X.shape
        if getattr(self, "gan_", None) is None or self.gan_.config.data_dim != n_var:
            self.gan_ = EGAN(self._config(n_var), device=self.device)
            self.gan_.setup(rng=rng)
        elite = ELITE_SELECTIONS[self.elite_selection](F, min(self.n_elite, n))
        is_elite = np.zeros(n, dtype=bool)
        is_elite[elite] = True
        E = torch.as_tensor(X[is_elite], dtype=torch.float32, device=self.device)
        rest = torch.as_tensor(X[~is_elite], dtype=torch.float32, device=self.device)
        self.noise_ = EliteGaussian.fit(X[is_elite], device=self.device)

        def real(m: int, generator: torch.Generator) -> torch.Tensor:
            return E[torch.randint(len(E), (m,), generator=generator, device=self.device)]

        self.metrics_ = self.gan_.train(self.iterations, real, noise=self.noise_.sample,
                                        extra_fake=rest if len(rest) else None)
        self.n_position_ = F.shape[1] - 1
        self.fit_diagnostics_ = {
            **spread_diagnostics(X[is_elite], self.n_position_, "real"),
            **discriminator_diagnostics(self._discriminate(E), real=True, suffix="real"),
            **discriminator_diagnostics(self._discriminate(rest), real=False, suffix="poor"),
        }
        logger.debug("E-GAN operator fit: %s, selection rates %s", self.metrics_,
                     self.gan_.selection_rates())

    def sample(self, n: int, *, rng: np.random.Generator) -> np.ndarray:
        """`n` offspring (n, n_var) in [0, 1] from the surviving generators."""
        generator = torch_generator(rng, self.device)
        X = self.gan_.sample(n, noise=self.noise_.sample, generator=generator)  # (n, n_var)
        self.sample_diagnostics_ = {
            **spread_diagnostics(X.cpu().numpy(), self.n_position_, "gen"),
            **discriminator_diagnostics(self._discriminate(X), real=False, suffix="gen"),
        }
        return X.cpu().numpy().astype(float).clip(0.0, 1.0)

    def _discriminate(self, X: torch.Tensor) -> np.ndarray:
        """D(x) (n,) of the rows `X` (n, n_var); draws nothing, changes nothing."""
        return self.gan_.discriminate(X).double().cpu().numpy().reshape(-1)

    def diagnostics(self) -> dict[str, float]:
        """The last E-GAN generation's D loss, F, F_q, F_d and each mutation's selection rate;
        the spreads of the last elite set and generated batch (`spread_diagnostics`), and D's
        accuracy and mean output on the elites, the rest and the generated batch, after the last fit."""
        if getattr(self, "gan_", None) is None:
            return {}
        rates = {f"select_{k}": v for k, v in self.gan_.selection_rates().items()}
        return {**getattr(self, "metrics_", {}), **rates, **getattr(self, "fit_diagnostics_", {}),
                **getattr(self, "sample_diagnostics_", {})}
