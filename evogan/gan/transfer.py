"""EMT-GS's transfer GAN: a generator that maps samples of a source task into a target task.

Architecture, initialisation and training follow the reference code of EMT-GS (Liang, Zhu, Wang,
Li, Zhu, IEEE TEVC 27(4), 2023, DOI 10.1109/TEVC.2022.3189029; MATLAB in MToP):
an unconditional GAN whose "noise" is the source task's population. Reference quirks kept here
(the MToP code): batch normalisation always on batch statistics (Q3); Adam state recreated at every
training call (Q4); discriminator dropout as a raw 0/1 mask without 1/(1-p) rescaling, drawn
separately for the real and the fake pass (Q5); both gradients from one forward pass (Q6);
the last partial mini-batch dropped, so fewer samples than a batch means no training (Q7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as func

from evogan.gan.adam import Adam
from evogan.gan.losses import probability_discriminator_loss, probability_generator_loss
from evogan.gan.stacked import StackedMLP

__all__ = ["GANConfig", "TransferGANs"]


@dataclass(frozen=True)
class GANConfig:
    """Training hyperparameters of a transfer GAN (reference values)."""

    batch_size: int = 10
    lr_g: float = 3e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.7, 0.9)
    real_label: float = 0.9  # one-sided label smoothing of the discriminator's real term
    dropout: float = 0.5
    leaky_slope: float = 0.5
    discriminator_batch: str = "separate"  # or "joint" (an evogan variant, see TransferGANs)
    loss: str = "gan"  # or "wgan-gp" (an evogan variant, see TransferGANs)
    gradient_penalty: float = 10.0  # lambda of WGAN-GP


_WEIGHT_STDS = (0.03, 0.06, 0.06)
"""The reference's initialisation: first weights ~ N(0, 0.03^2), later ones ~ N(0, 0.06^2), biases
0 (and batch-norm scales 1, shifts 0)."""


def _batch_norm_params(n_layers: int, n_pairs: int, width: int, device: str) -> list[torch.Tensor]:
    """Scales (1) and shifts (0) of `n_layers` batch norms, `[gamma0, beta0, ...]`, (pairs, width)."""
    return [torch.full((n_pairs, width), value, device=device).requires_grad_(True)
            for _ in range(n_layers) for value in (1.0, 0.0)]


def _batch_norm(h: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """Batch normalisation of h (pairs, batch, width) over the batch, per pair and unit, always
    with the batch's own statistics (Q3; biased variance, eps 1e-5, as torch and MATLAB).

    `gamma`, `beta` are (pairs, width); the pairs become extra channels of one fused
    `batch_norm` call.
    """
    n_pairs, batch, width = h.shape
    flat = h.transpose(0, 1).reshape(batch, n_pairs * width)  # (batch, pairs * width)
    out = func.batch_norm(flat, None, None, gamma.reshape(-1), beta.reshape(-1), training=True)
    return out.reshape(batch, n_pairs, width).transpose(0, 1)  # (pairs, batch, width)


def _gather(values: torch.Tensor, index: np.ndarray) -> torch.Tensor:
    """Rows of each pair's samples: values (pairs, n, width), index (pairs, m) -> (pairs, m, width)."""
    rows = torch.as_tensor(index, device=values.device)
    return torch.gather(values, 1, rows[:, :, None].expand(-1, -1, values.shape[2]))


class TransferGANs:
    """`n_pairs` independent generator/discriminator pairs G_{t<-k}, D_{t<-k}, trained in lockstep.

    Each generator is Linear -> LeakyReLU(0.5) -> BatchNorm, twice, then Linear -> sigmoid (all
    width x width); each discriminator Linear(width, width) -> LeakyReLU(0.5) -> raw dropout ->
    BatchNorm -> Linear(width, 1) -> sigmoid. The pairs share nothing but the loop: parameters
    carry a leading pair axis, layers are batched matrix products and the loss is the sum of the
    pairs' losses, so every pair gets exactly its own gradients and (element-wise) Adam steps,
    at the cost of one small network per step instead of one per pair.

    Quirk Q8 (found by evogan): the reference passes the real and the fake
    batch through the discriminator separately, and its batch normalisation then removes every
    unit's batch mean and scale, so the mean logit over a batch equals a constant whatever the
    input. The discriminator cannot see where a batch lies, only its standardised within-batch
    shape; in practice it settles near the constant D = 0.9/1.9 and the generator hardly learns.
    `config.discriminator_batch = "separate"` keeps this (faithful); "joint" (an evogan variant)
    normalises the real and the fake batch together in one pass, so location differences count.

    `config.loss = "wgan-gp"` (an evogan variant, after the WGAN follow-up of EMT-GS, MTMO-WGAN,
    LNCS DOI 10.1007/978-3-031-36622-2_32, whose details we could not read) trains a critic
    Linear -> LeakyReLU -> Linear without sigmoid, batch norm or dropout (Gulrajani et al.,
    NeurIPS 2017, advise against batch norm in the critic) with the Wasserstein loss and a
    gradient penalty of weight `config.gradient_penalty` on real/fake interpolates.

    Args:
        n_pairs: number of ordered task pairs, T (T - 1).
        width: length of one sample (N in the reference's column layout, D_u in the row layout).
        config: training hyperparameters.
        generator: torch generator for initialisation and dropout masks.
        device: where the networks live.
    """

    def __init__(
        self,
        n_pairs: int,
        width: int,
        *,
        config: GANConfig,
        generator: torch.Generator,
        device: str = "cpu",
    ) -> None:
        self.n_pairs, self.width = n_pairs, width
        self.config, self.device, self.torch_generator = config, device, generator
        self.generator_ = StackedMLP.init(
            (width,) * 4, n_stack=n_pairs, weight_std=_WEIGHT_STDS, generator=generator,
            device=device,
        ).detach(requires_grad=True)
        self.g_norm_ = _batch_norm_params(2, n_pairs, width, device)
        self.discriminator_ = StackedMLP.init(
            (width, width, 1), n_stack=n_pairs, weight_std=_WEIGHT_STDS[:2], generator=generator,
            device=device,
        ).detach(requires_grad=True)
        self.d_norm_ = _batch_norm_params(1 if config.loss == "gan" else 0, n_pairs, width, device)

    def _generate(self, z: torch.Tensor) -> torch.Tensor:
        """Generator outputs (pairs, batch, width) of inputs z (pairs, batch, width)."""
        slope, norm = self.config.leaky_slope, self.g_norm_

        def hidden(h: torch.Tensor, layer: int) -> torch.Tensor:
            return _batch_norm(func.leaky_relu(h, slope), norm[2 * layer], norm[2 * layer + 1])

        return self.generator_.forward(z, hidden=hidden, output=torch.sigmoid)

    def _discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """Discriminator outputs (pairs, batch) of samples x (pairs, batch, width)."""
        cfg, (gamma, beta) = self.config, self.d_norm_

        def hidden(h: torch.Tensor, layer: int) -> torch.Tensor:
            h = func.leaky_relu(h, cfg.leaky_slope)
            keep = torch.rand(h.shape, generator=self.torch_generator, device=h.device)
            return _batch_norm(h * (keep >= cfg.dropout), gamma, beta)  # raw mask (Q5)

        return self.discriminator_.forward(x, hidden=hidden, output=torch.sigmoid).squeeze(-1)

    def _critic(self, x: torch.Tensor) -> torch.Tensor:
        """WGAN-GP critic scores (pairs, batch) of samples x (pairs, batch, width)."""
        slope = self.config.leaky_slope
        return self.discriminator_.forward(
            x, hidden=lambda h, layer: func.leaky_relu(h, slope)
        ).squeeze(-1)

    def _gan_losses(
        self, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The reference's losses (pairs,) each: smoothed BCE for D, non-saturating for G."""
        cfg = self.config
        if cfg.discriminator_batch == "joint":
            d_both = self._discriminate(torch.cat([real, fake], dim=1))
            d_real, d_fake = d_both[:, : real.shape[1]], d_both[:, real.shape[1] :]
        else:
            d_real, d_fake = self._discriminate(real), self._discriminate(fake)
        d_loss = probability_discriminator_loss(d_real, d_fake, real_label=cfg.real_label)
        return d_loss, probability_generator_loss(d_fake)

    def _wasserstein_losses(
        self, real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """WGAN-GP losses (pairs,) each (Gulrajani et al., NeurIPS 2017)."""
        c_fake = self._critic(fake).mean(dim=1)
        weight = torch.rand((*real.shape[:2], 1), generator=self.torch_generator,
                            device=real.device)
        mix = (weight * real + (1.0 - weight) * fake.detach()).requires_grad_(True)
        (slope,) = torch.autograd.grad(self._critic(mix).sum(), mix, create_graph=True)
        penalty = ((slope.norm(dim=2) - 1.0) ** 2).mean(dim=1)
        d_loss = c_fake - self._critic(real).mean(dim=1) + self.config.gradient_penalty * penalty
        return d_loss, -c_fake

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(array, dtype=torch.float32, device=self.device)

    def _uniform(self, rng: np.random.Generator | Sequence[np.random.Generator], n: int
                 ) -> np.ndarray:
        """Uniform draws (pairs, n), from one generator or block by block from several."""
        if isinstance(rng, np.random.Generator):
            return rng.random((self.n_pairs, n))
        block = self.n_pairs // len(rng)
        return np.concatenate([r.random((block, n)) for r in rng])  # (pairs, n)

    def translate(self, source: np.ndarray) -> np.ndarray:
        """Generator outputs (pairs, n, width) for source samples (pairs, n, width); each pair's
        n samples are normalised as one batch."""
        with torch.no_grad():
            return self._generate(self._tensor(source)).double().cpu().numpy()

    def train(
        self,
        real: np.ndarray,
        source: np.ndarray,
        *,
        epochs: int,
        rng: np.random.Generator | Sequence[np.random.Generator],
        unpermute_output: bool = False,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Continue training on target samples `real` with `source` as input, (pairs, n, width).

        Per pair, the source samples are shuffled once per call and each epoch shuffles the real
        ones; mini-batch i pairs real batch i with source batch i; the last partial batch is
        dropped (Q7). Adam starts afresh at every call (Q4), both gradients come from one
        forward pass (Q6). The shuffles come from `rng`; given a sequence of K generators (K
        seeds' pairs stacked, `EMTGS.ask_many`), generator i shuffles the i-th block of
        pairs / K pairs, so that each seed draws from its own stream.

        Returns:
            The generators' outputs (pairs, n, width) on the shuffled source (the reference's
            quirk Q2: samples then come out of the source's order) or, with `unpermute_output`,
            on the source in its own order; and each pair's mean discriminator and generator
            losses over this call's steps, (pairs,) each (nan when no step was taken).
        """
        cfg = self.config
        n = real.shape[1]
        source_order = np.argsort(self._uniform(rng, n), axis=1)  # (pairs, n)
        shuffled_source = np.take_along_axis(source, source_order[:, :, None], axis=1)
        source_t, real_t = self._tensor(shuffled_source), self._tensor(real)
        g_params = self.generator_.params + self.g_norm_
        d_params = self.discriminator_.params + self.d_norm_
        adam_g = Adam(g_params, lr=cfg.lr_g, betas=cfg.betas)  # every pair steps together
        adam_d = Adam(d_params, lr=cfg.lr_d, betas=cfg.betas)
        n_batches = n // cfg.batch_size
        d_losses, g_losses = [], []
        for _ in range(epochs):
            real_order = np.argsort(self._uniform(rng, n), axis=1)  # (pairs, n)
            for i in range(n_batches):
                batch = slice(i * cfg.batch_size, (i + 1) * cfg.batch_size)
                fake = self._generate(source_t[:, batch])
                real_batch = _gather(real_t, real_order[:, batch])
                if cfg.loss == "wgan-gp":
                    d_loss, g_loss = self._wasserstein_losses(real_batch, fake)
                else:
                    d_loss, g_loss = self._gan_losses(real_batch, fake)
                g_grads = torch.autograd.grad(g_loss.sum(), g_params, retain_graph=True)
                d_grads = torch.autograd.grad(d_loss.sum(), d_params)
                adam_d.step(d_grads)
                adam_g.step(g_grads)
                d_losses.append(d_loss.detach())
                g_losses.append(g_loss.detach())
        output = self.translate(source if unpermute_output else shuffled_source)
        if not d_losses:
            nan = np.full(self.n_pairs, np.nan)
            return output, nan, nan
        return (output, torch.stack(d_losses).mean(dim=0).double().cpu().numpy(),
                torch.stack(g_losses).mean(dim=0).double().cpu().numpy())
