"""GMOEA (He et al., IEEE TCYB 2021) and its GA-only control, as ask/tell algorithms."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from pymoo.core.problem import Problem

from evogan.core.bounds import from_unit
from evogan.core.errors import ConfigError
from evogan.core.variation import reset_variation
from evogan.device import DEFAULT_CPU_THREADS
from evogan.operators import SBX, PolynomialMutation
from evogan.operators.combinators import Chain, quadratic_decay
from evogan.params import flag, integer, real
from evogan.registry import register_algorithm
from evogan.survival import binary_tournament, spea2_fitness, spea2_select

if TYPE_CHECKING:
    from evogan.gan.gmoea import GMOEAGAN

__all__ = ["GMOEA", "make_gmoea", "make_gmoea_ga"]

REFERENCE = (
    "C. He, S. Huang, R. Cheng, K. C. Tan, Y. Jin, Evolutionary Multiobjective Optimization "
    "Driven by Generative Adversarial Networks (GANs), IEEE Trans. Cybernetics, 2021 "
    "(arXiv:1910.04966)"
)


class GMOEA:
    """GMOEA: after each GAN training, `w_max` batches of `pop_size` offspring (the official code's loop).

    Batch i (0-based) of a cycle comes from the GAN (`GMOEAGAN`, trained on the population at
    the start of the cycle) with probability 1 - (i / w_max)^2, otherwise from a GA: binary
    tournament on SPEA2 fitness, SBX and polynomial mutation. A batch never mixes the two.
    SPEA2 environmental selection on P ∪ Q follows every batch. With `gan=None` every batch
    comes from the GA: the GA-only control that isolates what the GAN contributes.

    The fixes of the official code's bugs are listed in `GMOEAGAN`; here: standard SPEA2 (P4),
    standard SBX (P5), a true binary tournament (P6), and the engine's exact budget (P7).
    Variation operators see the unit cube; `evogan.core.bounds` maps to and from the problem's box.

    `metrics()` reports, per generation (one evaluated batch): `gan_batch` (1 if the GAN made
    it, 0 for the GA, NaN for the initial population), `offspring_survival` (the share of
    the batch's offspring that survived selection), the same share under `gan_survival` or
    `ga_survival` (NaN under the other), `trained` (1 if the GAN was trained for this batch),
    and the last training's `loss_d`, `loss_g` and `train_seconds`.

    Args:
        pop_size: N, the population size and the size of each offspring batch.
        w_max: offspring batches per GAN training.
        gan: the GAN operator, or None for the GA-only control.
        eta_c: SBX distribution index (crossover probability 1, as in the official code).
        eta_m: polynomial mutation distribution index (rate 1 / n_var).
        device: where the GAN trains; None follows the run's device given to `setup`.
    """

    def __init__(
        self,
        *,
        pop_size: int,
        w_max: int,
        gan: GMOEAGAN | None,
        eta_c: float,
        eta_m: float,
        device: str | None = None,
    ) -> None:
        if pop_size < 2:
            raise ConfigError(f"pop_size must be at least 2, got {pop_size}")
        if w_max < 1:
            raise ConfigError(f"w_max must be at least 1, got {w_max}")
        self.pop_size, self.w_max, self.gan = pop_size, w_max, gan
        self.eta_c, self.eta_m, self.device = eta_c, eta_m, device
        self.gan_probability = quadratic_decay(w_max)

    def setup(self, problem: Problem, *, rng: np.random.Generator, device: str = "cpu") -> None:
        """Start a new run; the GAN trains on `device` unless this algorithm was given one."""
        self.problem_, self.rng_ = problem, rng
        self.xl_, self.xu_ = np.asarray(problem.xl, float), np.asarray(problem.xu, float)
        self.ga_ = Chain(SBX(eta=self.eta_c, prob=1.0), PolynomialMutation(eta=self.eta_m))
        if self.gan is not None:
            reset_variation(self.gan)
            self.gan.device = device if self.device is None else self.device
        self.X_ = self.F_ = None  # population on the unit cube, and its objectives
        self.offspring_ = None  # the last batch asked for, on the unit cube
        self.batch_ = 0  # index of the next batch within the current cycle
        self.metrics_ = dict.fromkeys(_METRIC_NAMES, math.nan)

    def ask(self) -> np.ndarray:
        """The initial population first, then one offspring batch of `pop_size` per call."""
        if self.X_ is None:
            self.offspring_ = self.rng_.random((self.pop_size, self.problem_.n_var))
            self.from_gan_ = None
        else:
            trained = self.gan is not None and self.batch_ == 0
            if trained:
                self.gan.fit(self.X_, self.F_, rng=self.rng_)
            self.from_gan_ = self.gan is not None and (
                self.rng_.random() < self.gan_probability(self.batch_)
            )
            if self.from_gan_:
                self.offspring_ = self.gan.sample(self.pop_size, rng=self.rng_)
            else:
                parents = binary_tournament((spea2_fitness(self.F_),), self.pop_size, rng=self.rng_)
                self.offspring_ = self.ga_(self.X_[parents], None, self.pop_size, rng=self.rng_)
            self.metrics_["trained"] = float(trained)
        return from_unit(self.offspring_, self.xl_, self.xu_)

    def tell(self, X: np.ndarray, F: np.ndarray) -> None:
        """Environmental selection on the population and the `len(X)` evaluated offspring."""
        m = len(X)
        U = self.offspring_[:m]  # exactly the rows asked for (X is their image in the bounds)
        if self.X_ is None:
            self.X_, self.F_ = U, np.asarray(F, float)
            return
        X_all = np.concatenate([self.X_, U])
        F_all = np.concatenate([self.F_, F])
        survivors = spea2_select(F_all, min(self.pop_size, len(F_all)))
        share = float(np.count_nonzero(survivors >= len(self.X_))) / m
        self.X_, self.F_ = X_all[survivors], F_all[survivors]
        self.batch_ = (self.batch_ + 1) % self.w_max
        self.metrics_.update(
            gan_batch=float(self.from_gan_),
            offspring_survival=share,
            gan_survival=share if self.from_gan_ else math.nan,
            ga_survival=math.nan if self.from_gan_ else share,
        )
        if self.gan is not None and hasattr(self.gan, "loss_d_"):
            self.metrics_.update(
                loss_d=self.gan.loss_d_, loss_g=self.gan.loss_g_,
                train_seconds=self.gan.train_seconds_,
            )

    def population(self) -> tuple[np.ndarray, np.ndarray]:
        return from_unit(self.X_, self.xl_, self.xu_), self.F_.copy()

    def metrics(self) -> dict[str, float]:
        return dict(self.metrics_)


_METRIC_NAMES = (
    "gan_batch", "offspring_survival", "gan_survival", "ga_survival", "trained", "loss_d",
    "loss_g", "train_seconds",
)


def gan_memory_bytes(n_var: int, pop_size: int, epochs: int) -> float:
    """Peak memory of GMOEA's GAN training, estimated from its shapes.

    Four n_var x n_var weight matrices (three in the generator, one in the discriminator), each
    held as float32 in about eight copies (parameters, gradients, two Adam moments, the
    compiled loop's and the torch modules' copies, activations of the same width), plus one
    epoch-major noise and data array of `epochs x 3 pop_size x n_var` float64.
    """
    return 8 * 4 * 4 * n_var**2 + 8 * epochs * 3 * pop_size * n_var


@register_algorithm(
    "gmoea",
    summary="GAN-driven MOEA: a GAN learns SPEA2's best-spread parents against the rest",
    reference=REFERENCE,
    params={
        "k": integer(ge=2), "w_max": integer(ge=1), "epochs": integer(ge=1),
        "batch_size": integer(ge=1), "lr": real(gt=0), "eta_c": real(ge=0), "eta_m": real(ge=0),
        "cpu_threads": integer(ge=1, optional=True), "shuffle_labels_bug": flag(),
    },
    memory_bytes=lambda n_var, pop_size, params: gan_memory_bytes(
        n_var, pop_size, params.get("epochs", 200)),
)
def make_gmoea(
    *,
    pop_size: int = 100,
    k: int = 10,
    w_max: int = 5,
    epochs: int = 200,
    batch_size: int = 8,
    lr: float = 1e-4,
    eta_c: float = 20.0,
    eta_m: float = 20.0,
    device: str | None = None,
    cpu_threads: int | None = DEFAULT_CPU_THREADS,
    shuffle_labels_bug: bool = False,
) -> GMOEA:
    """GMOEA with the official code's defaults, its bugs fixed.

    Args:
        pop_size: population and offspring batch size N.
        k: size of the GAN's real set.
        w_max: offspring batches per GAN training.
        epochs: GAN training epochs per training.
        batch_size: GAN minibatch size.
        lr: discriminator learning rate (the generator's is 4 * lr).
        eta_c: SBX distribution index of the GA branch.
        eta_m: polynomial mutation distribution index (GAN and GA offspring).
        device: where the GAN trains; None follows the run's device (`minimize(device=...)`,
            the CLI's `--device`), "auto" picks CUDA when available.
        cpu_threads: torch threads when training on the CPU (one is fastest here).
        shuffle_labels_bug: reproduce the official code's label/shuffle bug P1.
    """
    if k > pop_size:
        raise ConfigError(f"parameter k={k} is larger than the population ({pop_size}); the GAN's "
                          "real set is k of its solutions")
    from evogan.gan.gmoea import GMOEAGAN  # torch, imported when a GMOEA is built

    gan = GMOEAGAN(
        k=k, epochs=epochs, batch_size=batch_size, lr=lr, eta_m=eta_m,
        cpu_threads=cpu_threads, shuffle_labels_bug=shuffle_labels_bug,
    )
    return GMOEA(
        pop_size=pop_size, w_max=w_max, gan=gan, eta_c=eta_c, eta_m=eta_m, device=device
    )


@register_algorithm(
    "gmoea-ga",
    summary="GMOEA's loop with every batch from SBX + PM: the control that isolates the GAN",
    reference=REFERENCE,
    params={"eta_c": real(ge=0), "eta_m": real(ge=0)},
)
def make_gmoea_ga(*, pop_size: int = 100, eta_c: float = 20.0, eta_m: float = 20.0) -> GMOEA:
    """SPEA2 selection after every batch of binary tournament + SBX + PM offspring."""
    return GMOEA(pop_size=pop_size, w_max=1, gan=None, eta_c=eta_c, eta_m=eta_m)
