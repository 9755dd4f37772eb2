"""EMT-GS's transfer GAN: a generator that maps samples of a source task into a target task.

Architecture, initialisation and training follow the reference code of EMT-GS (Liang, Zhu, Wang,
Li, Zhu, IEEE TEVC 27(4), 2023, DOI 10.1109/TEVC.2022.3189029; MATLAB in MToP, spec §2.3-2.4):
an unconditional GAN whose "noise" is the source task's population. Reference quirks kept here
(spec §2.8): batch normalisation always on batch statistics (Q3); Adam state recreated at every
training call (Q4); discriminator dropout as a raw 0/1 mask without 1/(1-p) rescaling, drawn
separately for the real and the fake pass (Q5); both gradients from one forward pass (Q6);
the last partial mini-batch dropped, so fewer samples than a batch means no training (Q7).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as func

__all__ = ["GANConfig", "TransferGAN"]

_EPS = 2.220446049250313e-16  # MATLAB's eps, as inside the reference's log-losses


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


def _generator_shapes(width: int) -> dict[str, tuple[int, ...]]:
    square, vector = (width, width), (width,)
    return {"w1": square, "b1": vector, "gamma1": vector, "beta1": vector,
            "w2": square, "b2": vector, "gamma2": vector, "beta2": vector,
            "w3": square, "b3": vector}


def _discriminator_shapes(width: int) -> dict[str, tuple[int, ...]]:
    vector = (width,)
    return {"w1": (width, width), "b1": vector, "gamma1": vector, "beta1": vector,
            "w2": (1, width), "b2": (1,)}


def _initial_parameters(
    shapes: dict[str, tuple[int, ...]], generator: torch.Generator, device: str
) -> dict[str, torch.Tensor]:
    """w1 ~ N(0, 0.03^2), other weights ~ N(0, 0.06^2), biases and BN offsets 0, BN scales 1
    (the reference's initialisation)."""
    params = {}
    for name, shape in shapes.items():
        if name.startswith("w"):
            std = 0.03 if name == "w1" else 0.06
            value = torch.randn(shape, generator=generator) * std
        else:
            value = torch.full(shape, 1.0 if name.startswith("gamma") else 0.0)
        params[name] = value.to(device).requires_grad_(True)
    return params


class TransferGAN:
    """One generator/discriminator pair G_{t<-k}, D_{t<-k} over samples of `width` values.

    The generator is Linear -> LeakyReLU(0.5) -> BatchNorm, twice, then Linear -> sigmoid (all
    width x width); the discriminator Linear(width, width) -> LeakyReLU(0.5) -> raw dropout ->
    BatchNorm -> Linear(width, 1) -> sigmoid. The networks are written as functions of one
    dictionary of parameters each (fewer Python layers than torch modules for networks this
    small), trained with torch's fused Adam.

    Args:
        width: length of one sample (N in the reference's column layout, D_u in the row layout).
        config: training hyperparameters.
        generator: torch generator for initialisation and dropout masks.
        device: where the networks live.
    """

    def __init__(
        self, width: int, *, config: GANConfig, generator: torch.Generator, device: str = "cpu"
    ) -> None:
        self.config, self.device, self.torch_generator = config, device, generator
        self.g_params_ = _initial_parameters(_generator_shapes(width), generator, device)
        self.d_params_ = _initial_parameters(_discriminator_shapes(width), generator, device)

    def _generate(self, z: torch.Tensor) -> torch.Tensor:
        p, slope = self.g_params_, self.config.leaky_slope
        h = func.leaky_relu(func.linear(z, p["w1"], p["b1"]), slope)
        # Batch statistics always, also when generating (Q3): no running estimates.
        h = func.batch_norm(h, None, None, p["gamma1"], p["beta1"], training=True)
        h = func.leaky_relu(func.linear(h, p["w2"], p["b2"]), slope)
        h = func.batch_norm(h, None, None, p["gamma2"], p["beta2"], training=True)
        return torch.sigmoid(func.linear(h, p["w3"], p["b3"]))

    def _discriminate(self, x: torch.Tensor) -> torch.Tensor:
        p, cfg = self.d_params_, self.config
        h = func.leaky_relu(func.linear(x, p["w1"], p["b1"]), cfg.leaky_slope)
        keep = torch.rand(h.shape, generator=self.torch_generator, device=h.device) >= cfg.dropout
        h = func.batch_norm(h * keep, None, None, p["gamma1"], p["beta1"], training=True)  # Q5
        return torch.sigmoid(func.linear(h, p["w2"], p["b2"]))

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(array, dtype=torch.float32, device=self.device)

    def translate(self, source: np.ndarray) -> np.ndarray:
        """Generator output (n, width) for source samples (n, width), normalised as one batch."""
        with torch.no_grad():
            return self._generate(self._tensor(source)).double().cpu().numpy()

    def train(
        self,
        real: np.ndarray,
        source: np.ndarray,
        *,
        epochs: int,
        rng: np.random.Generator,
        unpermute_output: bool = False,
    ) -> tuple[np.ndarray, float, float]:
        """Continue training on target samples `real` (n, width) with `source` (n, width) as input.

        The source samples are shuffled once per call and each epoch shuffles the real ones;
        mini-batch i pairs real batch i with source batch i. Returns the generator's output on
        the shuffled source (the reference's quirk Q2: rows are then out of the source's order)
        or, with `unpermute_output`, on the source in its own order; and the mean discriminator
        and generator losses of this call (nan when no step was taken).
        """
        cfg = self.config
        n = len(real)
        source_order = rng.permutation(n)
        shuffled_source = self._tensor(source[source_order])
        real_t = self._tensor(real)
        # Fresh Adam state at every call (Q4).
        g_params, d_params = list(self.g_params_.values()), list(self.d_params_.values())
        adam_g = torch.optim.Adam(g_params, lr=cfg.lr_g, betas=cfg.betas, fused=True)
        adam_d = torch.optim.Adam(d_params, lr=cfg.lr_d, betas=cfg.betas, fused=True)
        n_batches = n // cfg.batch_size
        d_losses, g_losses = [], []
        for _ in range(epochs):
            order = torch.as_tensor(rng.permutation(n), device=self.device)
            for i in range(n_batches):
                batch = slice(i * cfg.batch_size, (i + 1) * cfg.batch_size)
                fake = self._generate(shuffled_source[batch])
                d_real = self._discriminate(real_t[order[batch]])
                d_fake = self._discriminate(fake)
                d_loss = -torch.mean(
                    cfg.real_label * torch.log(d_real + _EPS) + torch.log(1.0 - d_fake + _EPS)
                )
                g_loss = -torch.mean(torch.log(d_fake + _EPS))
                # Both gradients from this one forward pass, then both steps (Q6).
                g_grads = torch.autograd.grad(g_loss, g_params, retain_graph=True)
                d_grads = torch.autograd.grad(d_loss, d_params)
                for param, grad in zip(g_params + d_params, g_grads + d_grads, strict=True):
                    param.grad = grad
                adam_d.step()
                adam_g.step()
                d_losses.append(d_loss.detach())
                g_losses.append(g_loss.detach())
        output = self.translate(source if unpermute_output else source[source_order])
        if not d_losses:
            return output, float("nan"), float("nan")
        return output, float(torch.stack(d_losses).mean()), float(torch.stack(g_losses).mean())
