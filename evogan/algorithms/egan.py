"""`egan`: a GMOEA-style MOEA whose GAN operator is an E-GAN generator population.

evogan's combination of C. Wang, C. Xu, X. Yao, D. Tao, "Evolutionary Generative
Adversarial Networks", IEEE TEVC 23(6), 2019, inside the loop of C. He et al., "Evolutionary
Multiobjective Optimization Driven by Generative Adversarial Networks (GANs)", IEEE TCYB 2021.

Each generation one operator makes all offspring: with probability `1 - ((t mod w_max)/w_max)^2`
(GMOEA's schedule, `evogan.core.variation.quadratic_decay`) the E-GAN operator fits on the whole
population and samples, followed by polynomial mutation; otherwise SBX + PM on parents picked by
binary tournament on SPEA2 fitness. SPEA2 environmental selection keeps `pop_size` of parents and
offspring. The networks persist between generations (warm start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from evogan.algorithms.ga import GeneticAlgorithm
from evogan.core.bounds import from_unit
from evogan.core.errors import ConfigError
from evogan.core.variation import Variation, checked_offspring
from evogan.operators import SBX, PolynomialMutation
from evogan.operators.combinators import Chain, Hybrid, quadratic_decay
from evogan.params import choice, flag, integer, real
from evogan.registry import register_algorithm
from evogan.survival import ELITE_SELECTIONS, binary_tournament, spea2_fitness

if TYPE_CHECKING:
    from evogan.gan.egan_offspring import EGANOffspring

__all__ = ["EGANAlgorithm", "TournamentMating", "make_egan"]


class TournamentMating:
    """Pick `n_offspring` parents by binary tournament on SPEA2 fitness, then apply `inner`."""

    def __init__(self, inner: Variation) -> None:
        self.inner = inner

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        if F is None:
            raise ValueError("TournamentMating needs the parents' objectives F")
        pool = binary_tournament((spea2_fitness(F),), n_offspring, rng=rng)
        return self.inner(X[pool], F[pool], n_offspring, rng=rng)


class EGANAlgorithm(GeneticAlgorithm):
    """GMOEA's loop (SPEA2 survival, hybrid schedule) with the E-GAN offspring operator.

    Unlike the plain GA, the variation receives the whole population, so that the GAN sees
    every parent once (elites as real, the rest as fake) and the SBX branch does its own
    tournament.

    Args:
        pop_size: population size N (offspring per generation: N).
        offspring: the E-GAN operator (its hyperparameters).
        w_max: length of GMOEA's switching window.
    """

    def __init__(self, *, pop_size: int, offspring: EGANOffspring, w_max: int = 5) -> None:
        hybrid = Hybrid(
            Chain(offspring, PolynomialMutation()),
            TournamentMating(Chain(SBX(), PolynomialMutation())),
            p=quadratic_decay(w_max),
            per="call",
        )
        super().__init__(pop_size=pop_size, variation=hybrid, survival="spea2")
        self.offspring = offspring

    def ask(self) -> np.ndarray:
        if len(self.X_) == 0:
            return super().ask()
        U = self.variation(self.X_, self.F_, self.n_offspring, rng=self.rng_)
        U = checked_offspring(U, self.n_offspring, self.problem_.n_var, self.variation)
        return from_unit(U, self.xl_, self.xu_)

    def metrics(self) -> dict[str, float]:
        """Share of this generation's offspring made by the GAN, and the E-GAN diagnostics."""
        counts = getattr(self.variation, "last_counts_", None)
        share = {} if counts is None else {"gan_share": counts[0] / max(sum(counts), 1)}
        return {**share, **self.offspring.diagnostics()}


def egan_memory_bytes(n_var: int, mu: int) -> float:
    """Peak memory of the E-GAN operator, estimated from its shapes: networks n_var wide (five
    n_var x n_var float32 matrices per generator-discriminator pair), for the mu parents, their
    3 mu children and the discriminator, each with gradients and two Adam moments."""
    return 4 * 4 * 5 * n_var**2 * (4 * mu + 1)


@register_algorithm(
    "egan",
    summary="E-GAN generator population (3 loss mutations, F_q + gamma F_d) as GMOEA's operator",
    reference="Wang et al., IEEE TEVC 23(6), 2019; He et al., IEEE TCYB 2021",
    params={
        "n_elite": integer(ge=2), "elite_selection": choice(*ELITE_SELECTIONS),
        "iterations": integer(ge=1), "mu": integer(ge=1),
        "selection": choice("plus", "comma", "random"), "gamma": real(ge=0),
        "lr_g": real(gt=0), "lr_d": real(gt=0), "common_noise": flag(),
        "diversity": choice("gradient", "distance"), "w_max": integer(ge=1),
    },
    memory_bytes=lambda n_var, pop_size, params: egan_memory_bytes(n_var, params.get("mu", 2)),
)
def make_egan(
    *,
    pop_size: int = 100,
    n_elite: int = 10,
    elite_selection: str = "spea2",
    iterations: int = 20,
    mu: int = 2,
    selection: str = "plus",
    gamma: float = 0.1,
    lr_g: float = 1e-3,
    lr_d: float = 1e-3,
    common_noise: bool = False,
    diversity: str = "gradient",
    w_max: int = 5,
    device: str = "cpu",
) -> EGANAlgorithm:
    """Build `egan`; see `EGANOffspring` for the operator's hyperparameters."""
    if n_elite > pop_size:
        raise ConfigError(f"parameter n_elite={n_elite} is larger than the population "
                          f"({pop_size}); the GAN's real set is n_elite of its solutions")
    from evogan.gan.egan_offspring import EGANOffspring  # torch, imported when an egan is built

    offspring = EGANOffspring(n_elite=n_elite, elite_selection=elite_selection,
                              iterations=iterations, mu=mu, selection=selection, gamma=gamma,
                              lr_g=lr_g, lr_d=lr_d, common_noise=common_noise,
                              diversity=diversity, device=device)
    return EGANAlgorithm(pop_size=pop_size, offspring=offspring, w_max=w_max)
