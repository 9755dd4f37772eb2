"""The adversarial losses of evogan's GANs, on the discriminator's logits or probabilities.

On logits `l` (D = sigmoid(l)), written with softplus so that they stay finite where D saturates:
the three generator losses that E-GAN mutates with (Wang et al., IEEE TEVC 2019) and the
discriminator's binary cross-entropy (Goodfellow et al., NeurIPS 2014). `GENERATOR_LOSSES` names
the generator losses; `register_generator_loss` adds one.

On probabilities, with MATLAB's eps inside the logarithms: the non-saturating generator loss and
the one-sided label-smoothed discriminator loss exactly as EMT-GS's reference code computes them
(Liang et al., IEEE TEVC 2023; MToP), for its transfer GANs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as nnf

__all__ = [
    "GENERATOR_LOSSES",
    "MATLAB_EPS",
    "bce_fake",
    "bce_real",
    "discriminator_loss",
    "least_squares_loss",
    "minimax_loss",
    "nonsaturating_loss",
    "probability_discriminator_loss",
    "probability_generator_loss",
    "register_generator_loss",
]

GeneratorLoss = Callable[[torch.Tensor], torch.Tensor]

GENERATOR_LOSSES: dict[str, GeneratorLoss] = {}
"""Generator losses by name: `logits (..., B) -> (...,)`, the mean over the batch axis."""

MATLAB_EPS = 2.220446049250313e-16
"""MATLAB's eps, which EMT-GS's reference code adds inside its logarithms."""


def register_generator_loss(name: str) -> Callable[[GeneratorLoss], GeneratorLoss]:
    """Register a generator loss: `logits (..., B) -> (...,)` that a generator minimises.

    `logits` are the discriminator's pre-sigmoid outputs on a generator's samples, so
    `D = sigmoid(logits)`; the loss must be the mean over the last (batch) dimension. E-GAN
    children then mutate with it by name (`EGANConfig.mutations`).
    """

    def decorate(loss: GeneratorLoss) -> GeneratorLoss:
        if name in GENERATOR_LOSSES:
            raise ValueError(f"generator loss {name!r} is registered twice")
        GENERATOR_LOSSES[name] = loss
        return loss

    return decorate


@register_generator_loss("minimax")
def minimax_loss(logits: torch.Tensor) -> torch.Tensor:
    """`E_z[log(1 - D(G(z)))]` (Goodfellow et al. 2014), without the paper's 1/2, as in its code.

    Saturates when D confidently rejects the samples, so E-GAN rarely selects it early on.
    """
    return -nnf.softplus(logits).mean(dim=-1)  # log(1 - sigmoid(l)) = -softplus(l)


@register_generator_loss("nonsaturating")
def nonsaturating_loss(logits: torch.Tensor) -> torch.Tensor:
    """The heuristic loss `-E_z[log D(G(z))]`: strong gradients where D rejects the samples."""
    return nnf.softplus(-logits).mean(dim=-1)  # -log(sigmoid(l)) = softplus(-l)


@register_generator_loss("least_squares")
def least_squares_loss(logits: torch.Tensor) -> torch.Tensor:
    """`E_z[(D(G(z)) - 1)^2]` on probabilities (LSGAN, Mao et al. 2017), as E-GAN's Theano code.

    E-GAN's PyTorch port applies it to the raw logits instead, which pulls D towards sigmoid(1).
    """
    return (torch.sigmoid(logits) - 1.0).square().mean(dim=-1)


def bce_real(logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss on real rows, `-E_x[log D(x)]`: logits (..., B) -> (...,)."""
    return nnf.softplus(-logits).mean(dim=-1)


def bce_fake(logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss on fake rows, `-E_z[log(1 - D(G(z)))]`: (..., B) -> (...,)."""
    return nnf.softplus(logits).mean(dim=-1)


def discriminator_loss(
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    extra_fake_logits: torch.Tensor | None = None,
) -> torch.Tensor:
    """`L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]`, each expectation a mean over its own rows.

    `extra_fake_logits` adds one more "fake" expectation (the non-elite solutions of the E-GAN
    offspring operator, which GMOEA labels fake). Logits (..., B) each, the loss (...,).
    """
    loss = bce_real(real_logits) + bce_fake(fake_logits)
    if extra_fake_logits is not None:
        loss = loss + bce_fake(extra_fake_logits)
    return loss


def probability_generator_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """The non-saturating loss `-mean log(D(G(z)) + eps)` of probabilities `d_fake` (..., B)."""
    return -torch.log(d_fake + MATLAB_EPS).mean(dim=-1)


def probability_discriminator_loss(
    d_real: torch.Tensor, d_fake: torch.Tensor, *, real_label: float
) -> torch.Tensor:
    """`-mean[real_label log(D(x) + eps) + log(1 - D(G(z)) + eps)]` over the last axis.

    One-sided label smoothing as EMT-GS's reference code has it: the real term is scaled by
    `real_label` (0.9) without the `(1 - real_label) log(1 - D(x))` term of a smoothed BCE; real
    and fake samples pair up row by row, `d_real` and `d_fake` (..., B) each.
    """
    return -(real_label * torch.log(d_real + MATLAB_EPS)
             + torch.log(1.0 - d_fake + MATLAB_EPS)).mean(dim=-1)
