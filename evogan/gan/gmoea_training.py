"""GMOEA's GAN (He et al., IEEE TCYB 2021): its two networks and what its trainers share.

The generator and discriminator follow the official PyTorch code (EMI-Group/GMOEA, commit
c2031eb); `GanTrainer` holds the networks with their flat Adam buffers (`FlatAdam`) and the
`train` entry point. Two loops implement it: `evogan.gan.gmoea_fused.FusedGanTrainer` (torch, any
device) and `evogan.gan.gmoea_compiled.CompiledGanTrainer` (numba, the CPU). The operator that
uses them is `evogan.gan.gmoea.GMOEAGAN`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from evogan.gan.adam import Adam
from evogan.gan.elite_noise import EliteGaussian

__all__ = [
    "ADAM_BETAS",
    "ADAM_EPS",
    "BN_EPS",
    "BN_MOMENTUM",
    "G_LR_FACTOR",
    "FlatAdam",
    "GMOEADiscriminator",
    "GMOEAGenerator",
    "GanTrainer",
    "TrainingDraws",
    "build_networks",
    "minibatch_bounds",
]

BN_MOMENTUM, BN_EPS = 0.1, 1e-5  # PyTorch's BatchNorm1d defaults, as in the official code
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # PyTorch's Adam defaults, as in the official code
G_LR_FACTOR = 4.0  # the official code trains the generator at 4x the discriminator's rate


class GMOEAGenerator(nn.Module):
    """Noise (b, n_var) -> samples (b, n_var) in (0, 1) (official code).

    Three Linear(n_var, n_var) + BatchNorm1d layers with tanh, tanh, sigmoid activations.
    """

    def __init__(self, n_var: int) -> None:
        super().__init__()
        self.linear1, self.bn1 = nn.Linear(n_var, n_var), nn.BatchNorm1d(n_var)
        self.linear2, self.bn2 = nn.Linear(n_var, n_var), nn.BatchNorm1d(n_var)
        self.linear3, self.bn3 = nn.Linear(n_var, n_var), nn.BatchNorm1d(n_var)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.bn1(self.linear1(z)))
        h = torch.tanh(self.bn2(self.linear2(h)))
        return torch.sigmoid(self.bn3(self.linear3(h)))


class GMOEADiscriminator(nn.Module):
    """Solutions (b, n_var) -> probability (b, 1) that each is a good ("real") one.

    Linear(n_var, n_var), tanh, Linear(n_var, 1), sigmoid; no BatchNorm (official code).
    """

    def __init__(self, n_var: int) -> None:
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(n_var, n_var), nn.Linear(n_var, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.linear2(torch.tanh(self.linear1(x))))


def build_networks(
    n_var: int, *, device: str | torch.device, generator: torch.Generator
) -> tuple[GMOEAGenerator, GMOEADiscriminator]:
    """A freshly initialised generator and discriminator on `device`.

    PyTorch's default initialisation (weights and biases uniform in ±1/sqrt(fan_in), BatchNorm
    scale 1 and shift 0), drawn from `generator` instead of the global RNG: the modules are built
    on the meta device, so building them draws nothing.
    """
    with torch.device("meta"):
        networks = GMOEAGenerator(n_var), GMOEADiscriminator(n_var)
    with torch.no_grad():
        for network in networks:
            network.to_empty(device=device)
            for module in network.modules():
                if isinstance(module, nn.Linear):
                    bound = 1.0 / np.sqrt(module.in_features)
                    module.weight.uniform_(-bound, bound, generator=generator)
                    module.bias.uniform_(-bound, bound, generator=generator)
                elif isinstance(module, nn.BatchNorm1d):
                    module.reset_parameters()
    return networks


def minibatch_bounds(n: int, batch_size: int) -> list[tuple[int, int]]:
    """Row ranges [start, stop) of the minibatches of one epoch over `n` rows.

    Consecutive minibatches of `batch_size` rows, the last one shorter (as in the official code),
    except that a last minibatch of a single row joins the previous one: BatchNorm cannot
    normalise one sample in training mode (the official code would fail on it).
    """
    if n < 2:
        raise ValueError(f"GAN training needs at least 2 samples, got {n}")
    bounds = [(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    if bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], n)]
    return bounds


@dataclass(frozen=True)
class TrainingDraws:
    """All the randomness of one training, drawn up front in two batched calls.

    Attributes:
        order: (epochs, n) the order in which each epoch visits the population.
        noise: (epochs, 2, n, n_var) generator input; `noise[e, 0, a:b]` feeds the discriminator
            step of minibatch [a, b) in epoch e, `noise[e, 1, a:b]` its generator step.
    """

    order: torch.Tensor
    noise: torch.Tensor

    @classmethod
    def draw(
        cls, gaussian: EliteGaussian, n: int, epochs: int, generator: torch.Generator
    ) -> TrainingDraws:
        """Independent uniform orders per epoch and fresh noise for every step."""
        keys = torch.rand(epochs, n, generator=generator, device=gaussian.mean.device)
        noise = gaussian.sample(epochs * 2 * n, generator)
        return cls(
            order=torch.argsort(keys, dim=1),
            noise=noise.reshape(epochs, 2, n, -1),  # (epochs, 2, n, n_var)
        )


class FlatAdam:
    """Adam over all parameters of one network, kept in one flat buffer.

    Each Linear layer is stored as one block (out, in + 1) holding [weight | bias], so that its
    forward pass is one matrix product with inputs that carry a trailing column of ones and its
    weight and bias gradients come from one product too; each BatchNorm's scale and shift form
    one (2, n_var) block. The module's parameters become views into these blocks. The update is
    evogan's one Adam (`evogan.gan.adam`, one step over the whole buffer) with PyTorch's
    default hyperparameters, as `torch.optim.Adam` has them.
    """

    def __init__(self, network: nn.Module, lr: float) -> None:
        layers = [mod for mod in network.modules() if isinstance(mod, nn.Linear | nn.BatchNorm1d)]
        shapes = [
            (mod.out_features, mod.in_features + 1) if isinstance(mod, nn.Linear)
            else (2, mod.num_features)
            for mod in layers
        ]
        sizes = [rows * cols for rows, cols in shapes]
        first = next(network.parameters())
        self.param = torch.empty(sum(sizes), dtype=first.dtype, device=first.device)
        self.grad = torch.zeros_like(self.param)
        self.optimizer = Adam([self.param], lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS, stacked=False)
        # The moments and the step count, which the compiled loop updates in place too.
        (self.exp_avg,), (self.exp_avg_sq,) = (self.optimizer.state.exp_avg,
                                               self.optimizer.state.exp_avg_sq)
        self.step_count = self.optimizer.state.steps
        split = lambda flat: [
            part.view(shape) for part, shape in zip(flat.split(sizes), shapes, strict=True)
        ]
        self.blocks, self.grad_blocks = split(self.param), split(self.grad)
        with torch.no_grad():
            for mod, block in zip(layers, self.blocks, strict=True):
                linear = isinstance(mod, nn.Linear)
                weight, bias = (block[:, :-1], block[:, -1]) if linear else block
                weight.copy_(mod.weight)
                bias.copy_(mod.bias)
                mod.weight.data, mod.bias.data = weight, bias

    @property
    def lr(self) -> float:
        """The learning rate."""
        return self.optimizer.lr

    def step(self) -> None:
        """One Adam step with the gradients in `grad`."""
        self.optimizer.step([self.grad])


class GanTrainer:
    """What GMOEA's two training loops share: the networks, their flat Adam buffers, `train`.

    Subclasses implement `_train`, the loop itself: `FusedGanTrainer` in torch (any device),
    `evogan.gan.gmoea_compiled.CompiledGanTrainer` compiled for the CPU.
    """

    def __init__(
        self, generator: GMOEAGenerator, discriminator: GMOEADiscriminator, *, lr: float
    ) -> None:
        self.generator, self.discriminator = generator, discriminator
        self.adam_g = FlatAdam(generator, G_LR_FACTOR * lr)
        self.adam_d = FlatAdam(discriminator, lr)

    def train(
        self,
        X: torch.Tensor,
        labels: torch.Tensor,
        draws: TrainingDraws,
        *,
        batch_size: int,
        label_order: torch.Tensor | None = None,
    ) -> tuple[float, float]:
        """Train on `X` (n, n_var) with `labels` (n,) for `draws.order.shape[0]` epochs.

        Args:
            label_order: (epochs, n) how labels are ordered in each epoch; None (the correct
                choice) keeps each label with its solution. The official code's bug P1 amounts
                to `label_order = arange(n)` in every epoch.

        Returns:
            The mean discriminator and generator losses over the last epoch's minibatches.
        """
        with torch.no_grad():
            return self._train(X, labels, draws, batch_size, label_order)

    def _train(
        self,
        X: torch.Tensor,
        labels: torch.Tensor,
        draws: TrainingDraws,
        batch_size: int,
        label_order: torch.Tensor | None,
    ) -> tuple[float, float]:
        raise NotImplementedError


