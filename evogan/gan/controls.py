"""Controls that isolate what GMOEA's GAN contributes: its input sampled directly, and its
generator left untrained.

GMOEA (He et al., IEEE TCYB 2021) feeds its generator noise from a Gaussian fitted to the
elites and mutates the generated samples. Two questions separate the GAN from that frame:
does the elite Gaussian alone make offspring as good (`EliteGaussianSampler`), and does an
untrained generator of the same shape (`UntrainedGenerator`)? Both keep everything else of
GMOEA's operator (`evogan.gan.elite_noise.EliteNoiseVariation`: SPEA2 real set of `k`, the
Gaussian, polynomial mutation, the spread diagnostics); the algorithms that run them in GMOEA's
loop are `gmoea-elite-gaussian` and `gmoea-untrained` (`evogan.algorithms.gmoea`).
"""

from __future__ import annotations

import numpy as np
import torch

from evogan.core.rng import torch_generator
from evogan.gan.elite_noise import EliteNoiseVariation
from evogan.gan.gmoea import generate_eval
from evogan.gan.gmoea_training import build_networks

__all__ = ["EliteGaussianSampler", "UntrainedGenerator"]


class EliteGaussianSampler(EliteNoiseVariation):
    """The elite Gaussian that feeds GMOEA's generator, sampled directly (clipped to [0, 1]),
    then polynomial mutation: GMOEA's operator with the generator taken out."""

    def _generate(self, noise: torch.Tensor) -> torch.Tensor:
        return noise


class UntrainedGenerator(EliteNoiseVariation):
    """GMOEA's generator with its initial random weights, never trained, fed the elite
    Gaussian's noise and run in eval mode as GMOEA samples, then polynomial mutation.

    Its weights are drawn at the first fit exactly as GMOEA's are (`build_networks`, seeded
    from the run's generator), so with the same seed it starts from GMOEA's initial networks.
    """

    def _build(self, n_var: int, rng: np.random.Generator) -> None:
        self.generator_, _ = build_networks(
            n_var, device=self.device_, generator=torch_generator(rng, self.device_)
        )

    def _generate(self, noise: torch.Tensor) -> torch.Tensor:
        return generate_eval(self.generator_, noise)

