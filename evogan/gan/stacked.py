"""A batch of P same-shaped MLPs held in one set of stacked tensors.

E-GAN's children, EMT-GS's task-pair GANs (and, next, many seeds at once) are networks of one
shape trained side by side. Stacked along a leading axis, weights (P, in, out) and biases
(P, out), they run as a few batched matrix products instead of a Python loop over networks, and
the gradient of a sum of per-network losses is each network's own. Selection among networks is
row indexing (`take`, `concat`); their optimiser is `evogan.gan.adam`, with a step count per row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

__all__ = ["Hidden", "StackedMLP", "relu_hidden"]

Hidden = Callable[[torch.Tensor, int], torch.Tensor]
"""What follows hidden layer `i`: `(pre-activations (P, B, width), i) -> activations`."""


def relu_hidden(h: torch.Tensor, layer: int) -> torch.Tensor:
    """The plain ReLU MLP's hidden activation."""
    return torch.relu(h)


class StackedMLP:
    """P MLPs of layer widths `sizes`: weights[l] (P, in_l, out_l), biases[l] (P, out_l).

    The tensors are held, not copied: `params` lists them as `[W0, b0, W1, b1, ...]` for an
    optimiser or for autograd, and `with_params` builds a stack over other tensors of the same
    shapes (detached copies, tensors that require grad, an optimiser's updated values).
    """

    def __init__(self, weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor]) -> None:
        if len(weights) != len(biases) or not weights:
            raise ValueError(f"a stacked MLP needs one bias per weight, got {len(weights)} "
                             f"weights and {len(biases)} biases")
        self.weights, self.biases = list(weights), list(biases)

    @classmethod
    def init(
        cls,
        sizes: Sequence[int],
        *,
        n_stack: int,
        generator: torch.Generator,
        weight_std: float | Sequence[float] | None = None,
        device: str | torch.device | None = None,
    ) -> StackedMLP:
        """`n_stack` independent networks, all randomness drawn from `generator`.

        Args:
            sizes: layer widths, input first (e.g. (n_var, 64, 64, 1)).
            n_stack: P, the number of networks.
            generator: the torch generator of the draws (layer by layer, weights before biases).
            weight_std: None draws PyTorch's default `U(-1/sqrt(in), 1/sqrt(in))` for weights
                and biases; a float (or one float per layer) draws `W ~ N(0, std^2)` with zero
                biases (E-GAN's toy networks: 0.02; EMT-GS: 0.03 then 0.06).
            device: where the tensors live (default: the generator's device).
        """
        device = generator.device if device is None else device
        n_layers = len(sizes) - 1
        stds = ([weight_std] * n_layers if weight_std is None or isinstance(weight_std, float | int)
                else list(weight_std))
        if len(stds) != n_layers:
            raise ValueError(f"weight_std has {len(stds)} values for {n_layers} layers")
        weights, biases = [], []
        for fan_in, fan_out, std in zip(sizes[:-1], sizes[1:], stds, strict=True):
            w_shape, b_shape = (n_stack, fan_in, fan_out), (n_stack, fan_out)
            if std is None:
                bound = 1.0 / math.sqrt(fan_in)
                W = (torch.rand(w_shape, generator=generator, device=generator.device) * 2 - 1)
                b = (torch.rand(b_shape, generator=generator, device=generator.device) * 2 - 1)
                W, b = W * bound, b * bound
            else:
                W = torch.randn(w_shape, generator=generator, device=generator.device) * std
                b = torch.zeros(b_shape, device=generator.device)
            weights.append(W.to(device))
            biases.append(b.to(device))
        return cls(weights, biases)

    # -- the tensors

    @property
    def params(self) -> list[torch.Tensor]:
        """The tensors `[W0, b0, W1, b1, ...]` (the stack's own, not copies)."""
        return [t for pair in zip(self.weights, self.biases, strict=True) for t in pair]

    def with_params(self, params: Sequence[torch.Tensor]) -> StackedMLP:
        """A stack over `params`, ordered as `self.params`."""
        return StackedMLP(params[0::2], params[1::2])

    @property
    def n_stack(self) -> int:
        """P, the number of networks."""
        return self.weights[0].shape[0]

    def take(self, index: torch.Tensor) -> StackedMLP:
        """The networks `index` (a new stack; a network may appear several times)."""
        return self.with_params([p[index] for p in self.params])

    def concat(self, other: StackedMLP) -> StackedMLP:
        """This stack's networks followed by `other`'s."""
        return self.with_params([torch.cat(pair) for pair in zip(self.params, other.params,
                                                                 strict=True)])

    def detach(self, *, requires_grad: bool = False) -> StackedMLP:
        """The same values cut from any graph, as new leaves that require grad if asked."""
        return self.with_params([p.detach().requires_grad_(requires_grad) for p in self.params])

    # -- the networks

    def layer(self, index: int, h: torch.Tensor) -> torch.Tensor:
        """Layer `index`'s affine map `b + h W` of `h` (P, B, in) -> (P, B, out).

        `h` may also be (B, in), shared by all P networks, or (Q, B, in) with P = 1, one network
        on Q batches. Always one fused `baddbmm` (bias and product in one call), so that a
        network's arithmetic does not depend on how its input was batched.
        """
        W, b = self.weights[index], self.biases[index].unsqueeze(-2)  # (P, in, out), (P, 1, out)
        if h.dim() == 2:
            h = h.expand(W.shape[0], -1, -1)  # (B, in) -> (P, B, in)
        elif h.shape[0] != W.shape[0]:
            W = W.expand(h.shape[0], -1, -1)  # one network, P = 1 -> (Q, in, out)
        return torch.baddbmm(b, h, W)

    def forward(
        self,
        x: torch.Tensor,
        *,
        hidden: Hidden = relu_hidden,
        output: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Every network on its own rows: `x` (P, B, in) -> (P, B, out).

        `x` may also be (B, in), fed to every network, or (Q, B, in) with P = 1, one network on
        Q batches. `hidden` follows every hidden layer (ReLU by default; batch norm, dropout and
        other activations fit here), `output` the last one (None: linear).
        """
        h = x
        last = len(self.weights) - 1
        for index in range(last):
            h = hidden(self.layer(index, h), index)
        h = self.layer(last, h)
        return h if output is None else output(h)
