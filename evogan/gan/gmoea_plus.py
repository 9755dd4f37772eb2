"""GMOEA+'s GAN operator: GMOEA's GAN with its generator fed noise that spreads as the whole
population does, the one option of its ablation that never lost to GMOEA
(results/gmoea_plus_ablation).

GMOEA (He et al., IEEE TCYB 2021) trains its GAN on the k = 10 parents that SPEA2 keeps against
the other 90 and feeds the generator the Gaussian of those 10. On IMF1-3 and IMF10 its
population collapses along the position variables (results/gmoea_controls). The ablation tried
five changes of what the GAN learns from and how its samples spread (a real set far apart in
decision space, this noise, a real set of 30, discriminator targets graded by rank, a batch
picked for spread from 4x oversampling); none beat GMOEA or stopped the collapse, and the four
others lost to it on some problems, so only this one is kept (the others are in the history of
this file, commit 56d9692). Its training can also be shortened once its batches stop surviving
(`epochs_late`, `late_below`; results/gmoea_plus_credit).
"""

from __future__ import annotations

import numpy as np

from evogan.core.errors import ConfigError
from evogan.device import DEFAULT_CPU_THREADS
from evogan.gan.gmoea import GMOEAGAN
from evogan.operators.portfolio import ProbabilityMatching

__all__ = ["NOISES", "GMOEAPlusGAN"]

SMOOTHING = ProbabilityMatching()
"""Whose quality estimate smooths the survival share of the GAN's batches for `late_below`:
q <- q + alpha (share - q) from q0, with the portfolio rule's defaults (alpha 0.3, q0 0.5)."""

NOISES = ("real", "population")
"""What the generator's noise Gaussian is fitted to: the real set (GMOEA) or all parents."""


class GMOEAPlusGAN(GMOEAGAN):
    """GMOEA's GAN operator whose generator noise may come from all parents' Gaussian.

    He, Huang, Cheng, Tan, Jin, "Evolutionary Multiobjective Optimization Driven by Generative
    Adversarial Networks (GANs)", IEEE TCYB 2021, for the operator itself. With
    `noise="population"` the Gaussian that feeds the generator, in training and in sampling, is
    fitted to all parents instead of the k real ones: it has full rank when there are more
    parents than variables (GMOEA's has rank k - 1) and spreads as the population does, so the
    generator's input is not narrowed to the real set. The real set, the labels, the networks,
    their training and the mutation are GMOEA's. With `noise="real"` (and no `epochs_late`) it is
    `GMOEAGAN`, bit for bit.

    With `epochs_late` set, the fits after the first `full_fits` train `epochs_late` epochs
    instead of `epochs`: the GAN's batches survive mostly early in a run
    (results/gmoea_plus_diagnostics), while later fits still cost full trainings. With
    `late_below` as well, such a fit is short only while the GAN's batches survive less than
    that: its survival credit (the `credit` hook, which GMOEA's loop calls after each GAN batch)
    is smoothed as the portfolio rule smooths it (`SMOOTHING`: q <- q + 0.3 (share - q), from
    0.5).

    Args:
        noise: one of `NOISES`.
        epochs_late: epochs of every fit after the first `full_fits` (None: `epochs` always).
        full_fits: how many fits train `epochs`.
        late_below: a later fit is short only while the smoothed survival share of the GAN's
            batches is below it (None: every later fit is short).
        k, epochs, batch_size, lr, eta_m, prob_mutation, device, cpu_threads: as `GMOEAGAN`
            (GMOEA's label bug P1 is not offered).
    """

    def __init__(
        self,
        *,
        noise: str = "population",
        epochs_late: int | None = None,
        full_fits: int = 5,
        late_below: float | None = None,
        k: int = 10,
        epochs: int = 200,
        batch_size: int = 8,
        lr: float = 1e-4,
        eta_m: float = 20.0,
        prob_mutation: float | None = None,
        device: str = "cpu",
        cpu_threads: int | None = DEFAULT_CPU_THREADS,
    ) -> None:
        if noise not in NOISES:
            raise ConfigError(f"GMOEA+ GAN: noise must be one of {', '.join(NOISES)}, "
                              f"got {noise!r}")
        super().__init__(k=k, epochs=epochs, batch_size=batch_size, lr=lr, eta_m=eta_m,
                         prob_mutation=prob_mutation, device=device, cpu_threads=cpu_threads)
        for name, value in (("epochs_late", epochs_late), ("full_fits", full_fits)):
            if value is not None and (int(value) != value or value < 1):
                raise ConfigError(f"GMOEA+ GAN: {name} must be an integer >= 1, got {value!r}")
        if late_below is not None and not 0.0 <= late_below <= 1.0:
            raise ConfigError(f"GMOEA+ GAN: late_below must be in [0, 1], got {late_below!r}")
        self.noise, self.epochs_late, self.full_fits = noise, epochs_late, full_fits
        self.late_below = late_below

    def _noise_rows(self, X: np.ndarray, real: np.ndarray) -> np.ndarray:
        return real if self.noise == "real" else np.arange(len(X))

    def credit(self, survived: np.ndarray) -> None:
        """Smooth the survival share of the last batch into `survival_` (`SMOOTHING`)."""
        if len(survived):
            q = getattr(self, "survival_", SMOOTHING.q0)
            self.survival_ = q + SMOOTHING.alpha * (float(np.mean(survived)) - q)

    def _fit_epochs(self) -> int:
        """`epochs` for the first `full_fits` fits, then `epochs_late` (when set), unless the
        smoothed survival of the GAN's batches is at least `late_below`."""
        self.fits_ = getattr(self, "fits_", 0) + 1  # fitted state: none before the first fit
        late = self.epochs_late is not None and self.fits_ > self.full_fits
        if late and self.late_below is not None:
            late = getattr(self, "survival_", SMOOTHING.q0) < self.late_below
        return self.epochs_late if late else self.epochs
