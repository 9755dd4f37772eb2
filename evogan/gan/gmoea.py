"""GMOEA's GAN operator (He et al., IEEE TCYB 2021): a GAN trained on good versus bad parents.

C. He, S. Huang, R. Cheng, K. C. Tan, Y. Jin, "Evolutionary Multiobjective Optimization Driven by
Generative Adversarial Networks (GANs)", IEEE Transactions on Cybernetics, 2021 (arXiv 1910.04966).
The behaviour follows the official PyTorch code (EMI-Group/GMOEA, commit c2031eb), with its bugs
fixed; see `GMOEAGAN`.

The networks and what the training loops share are in `evogan.gan.gmoea_training`; the operator
trains with `evogan.gan.gmoea_compiled.CompiledGanTrainer` on the CPU (one numba-compiled loop)
and with `evogan.gan.gmoea_fused.FusedGanTrainer` elsewhere (torch, hand-written backward
passes), the same maths.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import torch

from evogan.core.errors import ConfigError
from evogan.core.rng import torch_generator
from evogan.core.variation import discriminator_diagnostics
from evogan.device import DEFAULT_CPU_THREADS, set_cpu_threads
from evogan.gan.elite_noise import EliteNoiseVariation
from evogan.gan.gmoea_fused import FusedGanTrainer
from evogan.gan.gmoea_training import TrainingDraws, build_networks

__all__ = ["GMOEAGAN", "generate_eval"]

logger = logging.getLogger(__name__)

def _trainer_class(device: str) -> type:
    """The compiled loop on the CPU (6x faster than the fused torch loop), torch elsewhere."""
    if device != "cpu":
        return FusedGanTrainer
    from evogan.gan.gmoea_compiled import CompiledGanTrainer  # imports numba: only if used

    return CompiledGanTrainer


class GMOEAGAN(EliteNoiseVariation):
    """GMOEA's GAN operator: learn the distribution of the best-spread parents, sample near it.

    He, Huang, Cheng, Tan, Jin, "Evolutionary Multiobjective Optimization Driven by Generative
    Adversarial Networks (GANs)", IEEE TCYB 2021 (arXiv 1910.04966); behaviour as in the
    official code (EMI-Group/GMOEA).

    `fit` labels the `k` parents chosen by SPEA2 environmental selection as real (1) and the
    rest as bad (0); the discriminator learns to tell real parents from bad parents and from
    generated samples, the generator learns to fool it. Generator input is noise from a
    Gaussian fitted to the real set, clipped to [0, 1]. The networks, their optimiser states and
    BatchNorm statistics are created in the first `fit` and kept across generations; each `fit`
    trains them further for `epochs` epochs. `sample` draws noise from the same Gaussian, runs
    the generator in eval mode and applies polynomial mutation. The frame (real set, Gaussian,
    mutation, spread diagnostics) is `EliteNoiseVariation`, shared with the controls of
    `evogan.gan.controls`. Under constraints the loop passes `F` under constraint-domination
    (`evogan.survival.constrained_objectives`), so the real set is the k best feasible parents,
    or, when fewer than k are feasible, all feasible ones and the least-violating others.

    `diagnostics()` adds to the spreads the last training's losses and wall time and the
    discriminator's accuracy and mean output, after training, on the real set (`d_acc_real`,
    `d_prob_real`), on the bad parents (`*_poor`) and on the last generated batch (`*_gen`,
    before mutation).

    Bugs of the official code that evogan fixes (the published results came from the
    buggy code):
      P1. labels were not shuffled with their solutions after each epoch, so from the second
          epoch on the real/bad labels sat on random solutions (`shuffle_labels_bug=True`
          reproduces this: population order for the labels after the first epoch);
      P2. the training noise's covariance was computed from a reshaped, scrambled elite matrix;
          here it is the elites' covariance, factored once per fit for any rank;
      P3. the noise and the decoded offspring used x / ub instead of min-max scaling; evogan
          operators work on the unit cube, mapped by `evogan.core.bounds` alone;
      P4. SPEA2's density term and truncation deviated from SPEA2; `evogan.survival` is standard;
      P5. SBX used (2u)^(-1/(eta+1)) for u > 0.5 (in the GA branch, `evogan.operators.SBX`);
      P6. the "binary" tournament compared three candidates (GA branch, `binary_tournament`);
      P7. the budget was overshot by up to w_max * N - 1 evaluations (the engine caps it).
    P1-P3 live in this operator; P4-P7 in the algorithm `gmoea`. Also handled: a last minibatch
    of one row (BatchNorm cannot train on it; it joins the previous one, P9) and noise clipping
    in training and sampling (P10).

    Args:
        k: size of the real set.
        epochs: training epochs per `fit`.
        batch_size: minibatch size.
        lr: the discriminator's Adam learning rate; the generator's is 4 * lr.
        eta_m: polynomial mutation's distribution index.
        prob_mutation: per-variable mutation probability; None means 1 / n_var.
        device: where the networks train and sample: "cpu", "cuda", "cuda:N" or "auto".
        cpu_threads: torch's intra-op threads when training on the CPU (None: leave as is);
            one is fastest for these small networks.
        shuffle_labels_bug: reproduce the official code's label/shuffle mismatch (P1).
    """

    def __init__(
        self,
        *,
        k: int = 10,
        epochs: int = 200,
        batch_size: int = 8,
        lr: float = 1e-4,
        eta_m: float = 20.0,
        prob_mutation: float | None = None,
        device: str = "cpu",
        cpu_threads: int | None = DEFAULT_CPU_THREADS,
        shuffle_labels_bug: bool = False,
    ) -> None:
        for name, value, least in (("epochs", epochs, 1), ("batch_size", batch_size, 2)):
            if int(value) != value or value < least:
                raise ConfigError(f"GMOEA GAN: {name} must be an integer >= {least}, got {value!r}")
        super().__init__(k=k, eta_m=eta_m, prob_mutation=prob_mutation, device=device)
        self.epochs, self.batch_size, self.lr, self.cpu_threads = epochs, batch_size, lr, cpu_threads
        self.shuffle_labels_bug = shuffle_labels_bug

    def _build(self, n_var: int, rng: np.random.Generator) -> None:
        """GMOEA's networks, initialised from `rng`, and the trainer that holds them."""
        generator, discriminator = build_networks(
            n_var, device=self.device_, generator=torch_generator(rng, self.device_)
        )
        self.trainer_ = _trainer_class(self.device_)(generator, discriminator, lr=self.lr)

    def _learn(self, X: np.ndarray, real: np.ndarray, rng: np.random.Generator) -> None:
        """Train for `epochs` epochs on the parents `X` (n, n_var), `real` labelled 1."""
        if self.device_ == "cpu":
            set_cpu_threads(self.cpu_threads)
        start = time.perf_counter()
        n, epochs = len(X), self._fit_epochs()
        generator = torch_generator(rng, self.device_)
        draws = TrainingDraws.draw(self.gaussian_, n, epochs, generator)
        labels = np.zeros(n)
        labels[real] = 1.0
        label_order = None
        if self.shuffle_labels_bug:  # labels stay in population order; epoch 0 is aligned
            label_order = torch.arange(n, device=self.device_).repeat(epochs, 1)
            label_order[0] = draws.order[0]
        X_t = torch.as_tensor(X, dtype=torch.float32, device=self.device_)  # (n, n_var)
        self.loss_d_, self.loss_g_ = self.trainer_.train(
            X_t, torch.as_tensor(labels, dtype=torch.float32, device=self.device_),
            draws, batch_size=self.batch_size, label_order=label_order,
        )
        self.train_seconds_ = time.perf_counter() - start  # .item() in train synchronises
        prob = self._discriminate(X_t)  # (n,), after training, as the offspring will meet it
        is_real = labels == 1.0
        self.d_fit_ = {**discriminator_diagnostics(prob[is_real], real=True, suffix="real"),
                       **discriminator_diagnostics(prob[~is_real], real=False, suffix="poor")}
        logger.debug(
            "GMOEA GAN trained %d epochs in %.3f s: D loss %.4f, G loss %.4f",
            epochs, self.train_seconds_, self.loss_d_, self.loss_g_,
        )

    def _fit_epochs(self) -> int:
        """The epochs of the fit about to train: `epochs` at every fit (GMOEA's)."""
        return self.epochs

    def _generate(self, noise: torch.Tensor) -> torch.Tensor:
        """The generator's output (n, n_var) in eval mode; D's accuracy on it is recorded."""
        Y = generate_eval(self.trainer_.generator, noise)
        self.d_gen_ = discriminator_diagnostics(self._discriminate(Y), real=False, suffix="gen")
        return Y

    def _discriminate(self, X: torch.Tensor) -> np.ndarray:
        """D(x) (n,) for rows `X` (n, n_var): no BatchNorm in D, so no state changes."""
        with torch.no_grad():
            return self.trainer_.discriminator(X).double().cpu().numpy().reshape(-1)

    def _diagnostics(self) -> dict[str, float]:
        """The last training's mean D and G losses (last epoch), its wall time (NaN before the
        first training) and what D says of the real set, the bad parents and the last batch."""
        losses = {name: getattr(self, f"{name}_", math.nan)
                  for name in ("loss_d", "loss_g", "train_seconds")}
        return {**losses, **getattr(self, "d_fit_", {}), **getattr(self, "d_gen_", {})}


def generate_eval(network: torch.nn.Module, noise: torch.Tensor) -> torch.Tensor:
    """A GMOEA generator's samples (n, n_var) from `noise` in eval mode (BatchNorm uses its
    running statistics), the network left in training mode afterwards."""
    network.eval()
    with torch.no_grad():
        Y = network(noise)
    network.train()
    return Y
