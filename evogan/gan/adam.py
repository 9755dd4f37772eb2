"""One Adam (Kingma & Ba, ICLR 2015) for every torch network of evogan, stacked or not.

A stack of P networks (`evogan.gan.stacked.StackedMLP`: E-GAN's children, EMT-GS's task pairs)
keeps one step count per row, so that each network's bias correction follows its own history: an
E-GAN child inherits its parent's moments and step count, and a new generation re-indexes the
rows (`AdamState.take`, `AdamState.concat`). A single network (E-GAN's discriminator as a stack
of one, GMOEA's flat parameter buffer) is the case of one row.

The update is PyTorch's fused Adam kernel (`torch.optim.Adam(fused=True)`; with its default
hyperparameters the same maths as `torch.optim.Adam`, up to rounding), called on every row of
every tensor with that row's step count: one call per step for all parameters, on any device.
GMOEA's compiled CPU loop (`evogan.gan.gmoea_compiled`) keeps a transcription of the same update
inside its numba kernel, the only other Adam in evogan.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

__all__ = ["Adam", "AdamState", "adam_step"]


@dataclass
class AdamState:
    """Adam's moments, shaped like the parameters, and the step count of each row.

    Attributes:
        exp_avg: first moments, one tensor per parameter tensor.
        exp_avg_sq: second moments, likewise.
        steps: (P,) float32 step count of each row of stacked parameters (leading dimension =
            network), or a 0-dim count for parameters that form one network.
    """

    exp_avg: list[torch.Tensor]
    exp_avg_sq: list[torch.Tensor]
    steps: torch.Tensor

    @classmethod
    def zeros(cls, params: Sequence[torch.Tensor], *, stacked: bool) -> AdamState:
        """A fresh state for `params`; `stacked` gives each row of the leading axis its count."""
        first = params[0]
        shape = (first.shape[0],) if stacked else ()
        return cls(
            [torch.zeros_like(p, memory_format=torch.contiguous_format) for p in params],
            [torch.zeros_like(p, memory_format=torch.contiguous_format) for p in params],
            torch.zeros(shape, dtype=torch.float32, device=first.device),
        )

    def take(self, index: torch.Tensor) -> AdamState:
        """The state of rows `index` (a new state; rows may repeat, e.g. one per child)."""
        return AdamState([m[index] for m in self.exp_avg], [v[index] for v in self.exp_avg_sq],
                         self.steps[index])

    def concat(self, other: AdamState) -> AdamState:
        """The rows of this state followed by those of `other`."""
        return AdamState(
            [torch.cat(pair) for pair in zip(self.exp_avg, other.exp_avg, strict=True)],
            [torch.cat(pair) for pair in zip(self.exp_avg_sq, other.exp_avg_sq, strict=True)],
            torch.cat([self.steps, other.steps]),
        )


def adam_step(
    params: Sequence[torch.Tensor],
    grads: Sequence[torch.Tensor],
    state: AdamState,
    *,
    lr: float,
    betas: tuple[float, float],
    eps: float = 1e-8,
) -> None:
    """One Adam step, in place on `params` and `state`; each row uses its own step count.

    Args:
        params: the parameter tensors, contiguous, (P, ...) each when `state.steps` is (P,).
        grads: their gradients, same shapes.
        state: the optimiser state of `params`, updated here.
        lr, betas, eps: Adam's hyperparameters.
    """
    state.steps.add_(1.0)
    if state.steps.dim() == 0:
        rows = list
        steps = [state.steps] * len(params)
    else:
        def rows(tensors: Iterable[torch.Tensor]) -> list[torch.Tensor]:
            return [row for t in tensors for row in t.unbind(0)]

        steps = list(state.steps.unbind(0)) * len(params)  # rows of each tensor, in order
    with torch.no_grad():
        torch._fused_adam_(
            rows(params), rows(g.contiguous() for g in grads), rows(state.exp_avg),
            rows(state.exp_avg_sq), [], steps, lr=lr, beta1=betas[0], beta2=betas[1],
            weight_decay=0.0, eps=eps, amsgrad=False, maximize=False,
        )


class Adam:
    """Adam over a fixed list of tensors: `adam_step` with the state and settings held.

    Args:
        params: the tensors to optimise (updated in place).
        lr, betas, eps: Adam's hyperparameters (`step` may override `lr` per call, for a
            learning-rate schedule).
        stacked: the tensors are stacks of networks along their leading axis, each row with
            its own step count (the rows all step together here).
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        *,
        lr: float,
        betas: tuple[float, float],
        eps: float = 1e-8,
        stacked: bool = True,
    ) -> None:
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.state = AdamState.zeros(self.params, stacked=stacked)

    def step(self, grads: Sequence[torch.Tensor], *, lr: float | None = None) -> None:
        """One step with `grads` (one per parameter tensor), at `lr` if given."""
        adam_step(self.params, grads, self.state, lr=self.lr if lr is None else lr,
                  betas=self.betas, eps=self.eps)
