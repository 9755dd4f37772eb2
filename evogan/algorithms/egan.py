"""`egan`: a GMOEA-style MOEA whose GAN operator is an E-GAN generator population.

evogan's combination of C. Wang, C. Xu, X. Yao, D. Tao, "Evolutionary Generative
Adversarial Networks", IEEE TEVC 23(6), 2019, inside the loop of C. He et al., "Evolutionary
Multiobjective Optimization Driven by Generative Adversarial Networks (GANs)", IEEE TCYB 2021.

It is GMOEA's loop (`evogan.algorithms.gan_loop.GANLoop`) with the E-GAN operator in the GAN's
place: each generation one operator makes all offspring, with GMOEA's switching schedule;
when the E-GAN branch is picked it fits on the whole population (`refit="picked"`: every time,
not once per cycle as GMOEA's GAN does) and samples, followed by polynomial mutation; otherwise
SBX + PM on parents picked by binary tournament on SPEA2 fitness. SPEA2 environmental selection
follows every batch. The networks persist between generations (warm start).
"""

from __future__ import annotations

from evogan.algorithms.gan_loop import REFITS, GANLoop
from evogan.core.errors import ConfigError
from evogan.operators import PolynomialMutation
from evogan.params import choice, flag, integer, real
from evogan.registry import register_algorithm
from evogan.survival import ELITE_SELECTIONS

__all__ = ["egan_memory_bytes", "make_egan"]


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
        "refit": choice(*REFITS),
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
    refit: str = "picked",
    device: str = "cpu",
) -> GANLoop:
    """Build `egan`; see `EGANOffspring` for the operator's hyperparameters. `refit`: when the
    operator trains its `iterations` E-GAN generations: every time its branch is picked
    ("picked"), once per cycle of `w_max` batches ("cycle", GMOEA's), or at its first pick in a
    cycle ("lazy"; `evogan.algorithms.gan_loop.REFITS`)."""
    if n_elite > pop_size:
        raise ConfigError(f"parameter n_elite={n_elite} is larger than the population "
                          f"({pop_size}); the GAN's real set is n_elite of its solutions")
    from evogan.gan.egan_offspring import EGANOffspring  # torch, imported when an egan is built

    offspring = EGANOffspring(n_elite=n_elite, elite_selection=elite_selection,
                              iterations=iterations, mu=mu, selection=selection, gamma=gamma,
                              lr_g=lr_g, lr_d=lr_d, common_noise=common_noise,
                              diversity=diversity, device=device)
    return GANLoop(pop_size=pop_size, w_max=w_max, gan=offspring, refit=refit,
                   gan_mutation=PolynomialMutation(), device=device)
