"""One Adam (Kingma & Ba, ICLR 2015) for every torch network of evogan, stacked or not.

A stack of P networks (`evogan.gan.stacked.StackedMLP`: E-GAN's children, EMT-GS's task pairs)
keeps one step count per row, so that each network's bias correction follows its own history: an
E-GAN child inherits its parent's moments and step count, and a new generation re-indexes the
rows (`AdamState.take`, `AdamState.concat`). A single network (E-GAN's discriminator as a stack
of one, GMOEA's flat parameter buffer) is the case of one row.

The update is `torch.optim.Adam`'s, with each row's own bias corrections. On the CPU it runs as
PyTorch's multi-tensor elementwise ops in `torch.optim.Adam`'s order, bit for bit the same as
`torch.optim.Adam` for one network; small tensors stay on one thread there (PyTorch's fused CPU
kernel dispatches every tensor, and so every row, to its thread pool, which cost E-GAN a factor
of ten on a busy two-core machine). On a GPU it is PyTorch's fused kernel, one launch for all
rows and tensors. GMOEA's compiled CPU loop (`evogan.gan.gmoea_compiled`) keeps a transcription
of the same update inside its numba kernel, the only other Adam in evogan.

Not `torch.optim.Adam` itself: it keeps one step count per tensor, not per row, and its first
step imports torch._dynamo, which costs seconds, a large share of a short EMT-GS run.
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
    if params[0].is_cuda:
        _fused_adam(params, grads, state, lr=lr, betas=betas, eps=eps)
        return
    beta1, beta2 = betas
    steps = state.steps.double()  # bias corrections in double, as torch.optim computes them
    neg_step_size = (-lr / (1.0 - beta1**steps)).float()  # (P,) or ()
    bias_correction2_sqrt = (1.0 - beta2**steps).sqrt().float()

    def per_row(values: torch.Tensor, like: list[torch.Tensor]) -> list[torch.Tensor]:
        return [values.reshape(-1, *[1] * (t.dim() - 1)) if values.dim() else values
                for t in like]  # (P,) -> (P, 1, ..., 1), to scale each row

    with torch.no_grad():
        grads = list(grads)
        torch._foreach_lerp_(state.exp_avg, grads, 1.0 - beta1)
        torch._foreach_mul_(state.exp_avg_sq, beta2)
        torch._foreach_addcmul_(state.exp_avg_sq, grads, grads, value=1.0 - beta2)
        denom = torch._foreach_sqrt(state.exp_avg_sq)
        torch._foreach_div_(denom, per_row(bias_correction2_sqrt, denom))
        torch._foreach_add_(denom, eps)
        update = torch._foreach_mul(state.exp_avg, per_row(neg_step_size, denom))
        torch._foreach_div_(update, denom)
        torch._foreach_add_(list(params), update)


def _fused_adam(
    params: Sequence[torch.Tensor],
    grads: Sequence[torch.Tensor],
    state: AdamState,
    *,
    lr: float,
    betas: tuple[float, float],
    eps: float,
) -> None:
    """The same step as PyTorch's fused kernel, every row of every tensor with its own count."""
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
