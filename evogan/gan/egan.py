"""E-GAN: a discriminator against an evolving population of generators (Wang et al., TEVC 2019).

C. Wang, C. Xu, X. Yao, D. Tao, "Evolutionary Generative Adversarial Networks", IEEE Trans.
Evolutionary Computation 23(6):921-934, 2019 (arXiv:1803.00657).

One generation (`EGAN.step`):

1. **Variation.** Every parent generator is copied once per mutation; a mutation is a generator
   loss (minimax, non-saturating, least squares; `register_generator_loss` adds more), and each
   child takes `steps_per_child` Adam steps on its loss against the current discriminator.
2. **Evaluation.** Each child draws `eval_size` samples and gets the fitness
   `F = F_q + gamma * F_d`, with the quality `F_q = mean D(G(z))` and the diversity
   `F_d = -log ||grad_D L_D||`, the gradient norm of the discriminator's loss on real data and
   the child's samples.
3. **Selection.** The best `mu` children survive (comma selection, as in the paper); with
   `selection="plus"` the parents compete too; `selection="random"` draws them uniformly, the
   ablation that tells what the fitness adds.
4. **Discriminator.** D takes `d_steps` Adam steps, its fake data being the survivors' evaluation
   samples (as the official code does).

All children share their shapes, so the population is held as stacked weight tensors
(leading dimension = individual) and a generation runs as a few batched matmuls instead of a
Python loop over networks; for the per-child D gradients of step 2, D is copied once per child
and stacked the same way, so one backward pass gives every child's gradient.

Deviations from the official toy code, and why: the discriminator has no BatchNorm, so a child's
score does not depend on which other children share its batch; the two expectations in `L_D` are
computed separately (the Theano toy script adds 64 real and 256 fake per-sample terms).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as nnf

from evogan.core.errors import ConfigError
from evogan.core.rng import torch_generator

__all__ = [
    "EGAN",
    "GENERATOR_LOSSES",
    "EGANConfig",
    "discriminator_loss",
    "distance_fitness",
    "egan_fitness",
    "init_mlp",
    "least_squares_loss",
    "minimax_loss",
    "mlp_forward",
    "nonsaturating_loss",
    "register_generator_loss",
    "uniform_noise",
]

logger = logging.getLogger(__name__)

GeneratorLoss = Callable[[torch.Tensor], torch.Tensor]
Sampler = Callable[[int, torch.Generator], torch.Tensor]
"""`(n, generator) -> (n, dim)` tensor: how real data and generator noise are drawn."""

GENERATOR_LOSSES: dict[str, GeneratorLoss] = {}


def register_generator_loss(name: str) -> Callable[[GeneratorLoss], GeneratorLoss]:
    """Register a mutation: a loss `logits (C, B) -> (C,)` that child `c` minimises.

    `logits` are the discriminator's pre-sigmoid outputs on each child's samples, so
    `D = sigmoid(logits)`; the loss must be the mean over the batch dimension.
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

    Saturates when D confidently rejects the samples, so it is rarely selected early on.
    """
    return -nnf.softplus(logits).mean(dim=-1)  # log(1 - sigmoid(l)) = -softplus(l)


@register_generator_loss("nonsaturating")
def nonsaturating_loss(logits: torch.Tensor) -> torch.Tensor:
    """The heuristic loss `-E_z[log D(G(z))]`: strong gradients where D rejects the samples."""
    return nnf.softplus(-logits).mean(dim=-1)  # -log(sigmoid(l)) = softplus(-l)


@register_generator_loss("least_squares")
def least_squares_loss(logits: torch.Tensor) -> torch.Tensor:
    """`E_z[(D(G(z)) - 1)^2]` on probabilities (LSGAN, Mao et al. 2017), as the Theano code does.

    The PyTorch port applies it to the raw logits instead, which pulls D towards sigmoid(1).
    """
    return (torch.sigmoid(logits) - 1.0).square().mean(dim=-1)


def discriminator_loss(
    real_logits: torch.Tensor,
    fake_logits: torch.Tensor,
    extra_fake_logits: torch.Tensor | None = None,
) -> torch.Tensor:
    """`L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))]`, each expectation a mean over its own rows.

    `extra_fake_logits` adds one more "fake" expectation (the non-elite solutions of the
    offspring operator, as GMOEA labels them).
    """
    loss = nnf.softplus(-real_logits).mean() + nnf.softplus(fake_logits).mean()
    if extra_fake_logits is not None:
        loss = loss + nnf.softplus(extra_fake_logits).mean()
    return loss


def uniform_noise(noise_dim: int, device: str | torch.device = "cpu") -> Sampler:
    """E-GAN's generator input `z ~ U(-1, 1)^noise_dim`."""

    def draw(n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.rand(n, noise_dim, generator=generator, device=device) * 2.0 - 1.0

    return draw


# ----------------------------------------------------------------------------- networks


def init_mlp(
    sizes: Sequence[int],
    *,
    n_stack: int | None,
    init_std: float | None,
    generator: torch.Generator,
    device: str | torch.device = "cpu",
) -> list[torch.Tensor]:
    """Weights of an MLP with layer widths `sizes`, as a flat list `[W0, b0, W1, b1, ...]`.

    With `n_stack = P`, `n_stack` independent networks are stacked: `W` (P, in, out), `b`
    (P, 1, out); otherwise `W` (in, out), `b` (out,). `init_std = None` draws PyTorch's default
    `U(-1/sqrt(in), 1/sqrt(in))` for weights and biases; a float draws `W ~ N(0, init_std)`, `b = 0`
    (the E-GAN toy networks use 0.02).
    """
    lead = () if n_stack is None else (n_stack,)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        w_shape, b_shape = (*lead, fan_in, fan_out), (*lead, 1, fan_out) if lead else (fan_out,)
        if init_std is None:
            bound = 1.0 / math.sqrt(fan_in)
            W = (torch.rand(w_shape, generator=generator, device=device) * 2 - 1) * bound
            b = (torch.rand(b_shape, generator=generator, device=device) * 2 - 1) * bound
        else:
            W = torch.randn(w_shape, generator=generator, device=device) * init_std
            b = torch.zeros(b_shape, device=device)
        params += [W, b]
    return params


def mlp_forward(params: Sequence[torch.Tensor], x: torch.Tensor, *, output: str) -> torch.Tensor:
    """ReLU MLP; `output` is "linear", "sigmoid" or "logit" (the last squeezes the width-1 output).

    Stacked weights `W` (P, in, out) take `x` (P, B, in) and give (P, B, out); unstacked `W`
    (in, out) take any `x` (..., in).
    """
    h = x
    n_layers = len(params) // 2
    for layer in range(n_layers):
        h = h @ params[2 * layer] + params[2 * layer + 1]
        if layer < n_layers - 1:
            h = torch.relu(h)
    if output == "sigmoid":
        return torch.sigmoid(h)
    if output == "logit":
        return h.squeeze(-1)  # (..., B, 1) -> (..., B)
    return h


# ----------------------------------------------------------------------------- fitness


def egan_fitness(
    d_params: Sequence[torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    gamma: float,
    extra_fake: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """E-GAN fitness of C candidates from their samples, all candidates at once.

    `F = F_q + gamma * F_d` with `F_q = mean D(G(z))` and `F_d = -log ||grad_D L_D||`, the norm
    taken over all of D's parameters, `L_D` computed on `real` and the candidate's samples
    (`discriminator_loss`). This is the paper's form. The Theano code uses `log ||.||^2` with
    weight beta, so its beta equals gamma / 2 here (toy beta = 1 is gamma = 2).

    A diverse generator leaves D little to learn, hence a small gradient and a high F_d; a
    collapsed one lets D separate it easily and is penalised. This holds for a fresh or briefly
    trained D (pinned in the tests), not for every D: since the real term enters the same norm,
    after a few hundred generations a collapsed set sometimes scores higher (2 of 5 seeds on a
    small ring-8 setup).

    Args:
        d_params: the discriminator's weights (unstacked), see `mlp_forward`.
        real: (n_real, d) real samples.
        fake: (C, n_fake, d) samples of each candidate.
        gamma: the diversity weight.
        extra_fake: (m, d) further fake rows shared by all candidates, or None.

    Returns:
        F, F_q, F_d, each of shape (C,).
    """
    n_cand = len(fake)
    shared = [p.detach().requires_grad_() for p in d_params]
    shared_loss = nnf.softplus(-mlp_forward(shared, real, output="logit")).mean()
    if extra_fake is not None:
        extra_logits = mlp_forward(shared, extra_fake, output="logit")
        shared_loss = shared_loss + nnf.softplus(extra_logits).mean()
    shared_grads = torch.autograd.grad(shared_loss, shared)
    # One copy of D per candidate, stacked like the generators: W (C, in, out), b (C, 1, out).
    # The gradient of the summed fake terms with respect to copy c is candidate c's own.
    copies = [
        (p.detach().unsqueeze(0) if p.dim() == 2 else p.detach().view(1, 1, -1))
        .repeat(n_cand, 1, 1).requires_grad_()
        for p in d_params
    ]
    fake_logits = mlp_forward(copies, fake, output="logit")  # (C, n_fake)
    fake_grads = torch.autograd.grad(nnf.softplus(fake_logits).mean(dim=1).sum(), copies)
    F_q = torch.sigmoid(fake_logits.detach()).mean(dim=1)
    sq_norm = sum(
        (g_shared.reshape(1, -1) + g_fake.reshape(n_cand, -1)).square().sum(dim=1)
        for g_shared, g_fake in zip(shared_grads, fake_grads, strict=True)
    )  # (C,)
    F_d = -0.5 * torch.log(sq_norm)
    return F_q + gamma * F_d, F_q, F_d


def distance_fitness(
    d_params: Sequence[torch.Tensor], fake: torch.Tensor, *, gamma: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """IE-GAN's fitness of C candidates: `F = F_q + gamma * F_d`, F_d the samples' spread.

    `F_q = mean D(G(z))` as in E-GAN; `F_d` is the mean L1 distance between two of the
    candidate's samples (IE-GAN, Li et al. 2021: diversity in sample space instead of D's
    gradient). IE-GAN estimates it from 5 random permutations of the samples; here it is the
    mean over all pairs, the same quantity without the permutation noise.

    Args:
        d_params: the discriminator's weights (unstacked), see `mlp_forward`.
        fake: (C, n_fake, d) samples of each candidate, n_fake >= 2.
        gamma: the diversity weight (IE-GAN's toys: 1).

    Returns:
        F, F_q, F_d, each of shape (C,).
    """
    with torch.no_grad():
        F_q = torch.sigmoid(mlp_forward(d_params, fake, output="logit")).mean(dim=1)
        n = fake.shape[1]
        F_d = torch.cdist(fake, fake, p=1).sum(dim=(1, 2)) / (n * (n - 1))
    return F_q + gamma * F_d, F_q, F_d


# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True, kw_only=True)
class EGANConfig:
    """Hyperparameters of E-GAN; defaults follow the official toy code unless noted.

    Attributes:
        data_dim: dimension of the data (2 for the toys, n_var for the offspring operator).
        noise_dim: dimension of the generator input z.
        g_hidden, d_hidden: hidden widths of G and D (toy code: three layers of 512).
        g_output: "linear" (toys) or "sigmoid" (outputs in the unit cube).
        mu: number of surviving generators (paper's toys: 1).
        mutations: names in `GENERATOR_LOSSES`; each parent gets one child per mutation.
        steps_per_child: Adam steps of each child on its loss (k_G; paper: 1).
        d_steps: discriminator steps per generation (n_D; toys 1, CIFAR-10 3).
        gamma: weight of F_d = -log ||grad|| (paper form). The Theano toy code's beta = 1 on
            log ||grad||^2 is gamma = 2, the default.
        diversity: "gradient" (E-GAN's F_d = -log ||grad_D L_D||, `egan_fitness`) or
            "distance" (IE-GAN's mean distance between a child's samples, `distance_fitness`;
            its weight on the toys is gamma = 1).
        batch_size: samples per child step and per D step (toys 64).
        eval_size: samples per child for the fitness and the D update (toys 256).
        selection: "comma" (the paper: parents always die), "plus" (parents compete) or
            "random" (the survivors are drawn uniformly from the children and no fitness is
            computed: the ablation of E-GAN's selection, i.e. a random loss per step as in
            Mustangs; it tells whether F's choice of child matters at all).
        optimizer_state: "per_individual" (default; the PyTorch port: each generator carries its
            own Adam moments, inherited by its children, so a lineage keeps its momentum) or
            "per_mutation" (the Theano code: one Adam state per loss; with mu > 1 the state of
            a loss becomes the mean of its mu children's, exact for mu = 1).
        lr_g, betas_g, lr_d, betas_d: Adam settings (toys: 1e-4; beta1 0.5 for G, 0 for D).
        init_std: N(0, init_std) weight init (toys 0.02); None for PyTorch's default.
        common_noise: score every candidate of a generation on the same evaluation noise z
            (common random numbers; they already share the real samples), so that the
            comparison of given children carries no evaluation noise. The official code draws
            fresh z per child. It does not make E-GAN's choice of loss reproducible: replaying
            one generation from the same state, the surviving loss is close to a uniform pick
            either way (results/egan_selection_noise), because the children, one Adam step on
            a fresh minibatch from their parent, differ by less than that minibatch's noise.
        common_minibatch: the children of a generation take their optimiser steps on the same
            noise minibatch, so that they differ only by their loss (common random numbers
            for the variation too). The official code draws a fresh minibatch per child.
    """

    data_dim: int
    noise_dim: int
    g_hidden: tuple[int, ...] = (512, 512, 512)
    d_hidden: tuple[int, ...] = (512, 512, 512)
    g_output: str = "linear"
    mu: int = 1
    mutations: tuple[str, ...] = ("minimax", "nonsaturating", "least_squares")
    steps_per_child: int = 1
    d_steps: int = 1
    gamma: float = 2.0
    diversity: str = "gradient"
    batch_size: int = 64
    eval_size: int = 256
    selection: str = "comma"
    optimizer_state: str = "per_individual"
    lr_g: float = 1e-4
    betas_g: tuple[float, float] = (0.5, 0.999)
    lr_d: float = 1e-4
    betas_d: tuple[float, float] = (0.0, 0.999)
    init_std: float | None = 0.02
    common_noise: bool = False
    common_minibatch: bool = False

    def __post_init__(self) -> None:
        for name in ("data_dim", "noise_dim", "mu", "steps_per_child", "d_steps", "batch_size",
                     "eval_size"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        unknown = [m for m in self.mutations if m not in GENERATOR_LOSSES]
        if unknown or not self.mutations:
            raise ConfigError(
                f"unknown mutation {unknown[0] if unknown else '(none)'!r}; "
                f"choose from: {', '.join(GENERATOR_LOSSES)}"
            )
        choices = {"g_output": ("linear", "sigmoid"), "selection": ("comma", "plus", "random"),
                   "diversity": ("gradient", "distance"),
                   "optimizer_state": ("per_individual", "per_mutation")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"{name} {getattr(self, name)!r} is not one of {', '.join(allowed)}"
                )
        if self.diversity == "distance" and self.eval_size < 2:
            raise ConfigError("diversity 'distance' needs eval_size >= 2 (pairs of samples)")
        if self.mu * self.eval_size < self.d_steps * self.batch_size:
            raise ConfigError(
                f"mu * eval_size = {self.mu * self.eval_size} survivor samples cannot fill "
                f"d_steps * batch_size = {self.d_steps * self.batch_size} fake rows"
            )


# ----------------------------------------------------------------------------- the trainer


@dataclass
class _AdamState:
    """Adam moments stacked like the parameters; `t` (P,) counts each row's steps."""

    m: list[torch.Tensor]
    v: list[torch.Tensor]
    t: torch.Tensor

    def take(self, index: torch.Tensor) -> _AdamState:
        return _AdamState([m[index] for m in self.m], [v[index] for v in self.v], self.t[index])

    def concat(self, other: _AdamState) -> _AdamState:
        return _AdamState(
            [torch.cat(pair) for pair in zip(self.m, other.m, strict=True)],
            [torch.cat(pair) for pair in zip(self.v, other.v, strict=True)],
            torch.cat([self.t, other.t]),
        )


def _expand(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return t.reshape(-1, *([1] * (like.dim() - 1)))  # (P,) -> (P, 1, ..., 1)


def _adam_step(
    params: list[torch.Tensor], grads: Sequence[torch.Tensor], state: _AdamState, *,
    lr: float, betas: tuple[float, float], eps: float = 1e-8,
) -> tuple[list[torch.Tensor], _AdamState]:
    """One Adam step (Kingma & Ba 2015) for each stacked network with its own step count."""
    beta1, beta2 = betas
    t = state.t + 1
    new_params, new_m, new_v = [], [], []
    for p, g, m, v in zip(params, grads, state.m, state.v, strict=True):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g.square()
        m_hat = m / _expand(1 - beta1**t, m)
        v_hat = v / _expand(1 - beta2**t, v)
        new_params.append(p - lr * m_hat / (v_hat.sqrt() + eps))
        new_m.append(m)
        new_v.append(v)
    return new_params, _AdamState(new_m, new_v, t)


class EGAN:
    """E-GAN trainer: one discriminator against a population of `mu` generators.

    Build with an `EGANConfig`, call `setup(rng=...)` to create the networks, then `step(...)`
    once per generation and `sample(n)` for data. Learned state ends in `_`.

    Args:
        config: hyperparameters.
        device: where the networks live ("cpu", "cuda", ...).
    """

    def __init__(self, config: EGANConfig, *, device: str = "cpu") -> None:
        self.config = config
        self.device = device

    # -- construction

    def setup(self, *, rng: np.random.Generator) -> None:
        """Create D, `mu` generators and their optimiser state, all randomness from `rng`."""
        c = self.config
        self.generator_ = torch_generator(rng, self.device)
        g_sizes = (c.noise_dim, *c.g_hidden, c.data_dim)
        d_sizes = (c.data_dim, *c.d_hidden, 1)
        self.g_params_ = init_mlp(g_sizes, n_stack=c.mu, init_std=c.init_std,
                                  generator=self.generator_, device=self.device)
        self.d_params_ = [
            p.requires_grad_() for p in init_mlp(d_sizes, n_stack=None, init_std=c.init_std,
                                                 generator=self.generator_, device=self.device)
        ]
        self.d_optimizer_ = torch.optim.Adam(self.d_params_, lr=c.lr_d, betas=c.betas_d)
        n_states = c.mu if c.optimizer_state == "per_individual" else len(c.mutations)
        self.g_state_ = self._zero_state(n_states)
        self.selection_counts_ = np.zeros(len(c.mutations) + 1, dtype=np.int64)  # last: parents
        self.n_generations_ = 0

    def _zero_state(self, n: int) -> _AdamState:
        zeros = [torch.zeros((n, *p.shape[1:]), device=self.device) for p in self.g_params_]
        return _AdamState(zeros, [z.clone() for z in zeros], torch.zeros(n, device=self.device))

    # -- one generation

    def step(
        self,
        real: Sampler,
        *,
        noise: Sampler | None = None,
        extra_fake: torch.Tensor | None = None,
        lr_scale: float = 1.0,
    ) -> dict[str, float]:
        """Run one E-GAN generation: mutate, score, select, then update D.

        Args:
            real: draws `n` real rows `(n, data_dim)` from a torch generator.
            noise: draws generator inputs `(n, noise_dim)`; None means U(-1, 1).
            extra_fake: (m, data_dim) rows that D also learns to reject (or None).
            lr_scale: multiplies both learning rates in this generation (for a schedule).

        Returns:
            Diagnostics: the discriminator loss, the survivors' mean F, F_q and F_d.
        """
        c = self.config
        noise = noise if noise is not None else uniform_noise(c.noise_dim, self.device)
        n_mut = len(c.mutations)
        n_children = n_mut * c.mu
        parent_of = torch.arange(n_children, device=self.device) % c.mu  # child = mutation * mu + j
        mutation_of = torch.arange(n_children) // c.mu

        children, state = self._mutate(parent_of, noise, lr=c.lr_g * lr_scale)
        candidates, origin = children, mutation_of
        if c.selection == "plus":
            candidates = [torch.cat([ch, pa]) for ch, pa in zip(children, self.g_params_,
                                                                  strict=True)]
            origin = torch.cat([mutation_of, torch.full((c.mu,), n_mut)])
            if c.optimizer_state == "per_individual":
                state = state.concat(self.g_state_)

        n_cand = len(origin)
        with torch.no_grad():
            if c.common_noise:
                z = noise(c.eval_size, self.generator_).expand(n_cand, c.eval_size, -1)
            else:
                z = noise(n_cand * c.eval_size, self.generator_).view(n_cand, c.eval_size, -1)
            samples = mlp_forward(candidates, z, output=c.g_output)  # (n_cand, eval_size, d)
        keep, fitness, F_q, F_d = self._select(samples, real, extra_fake)
        self.g_params_ = [p[keep] for p in candidates]
        if c.optimizer_state == "per_individual":
            self.g_state_ = state.take(keep)
        else:
            self.g_state_ = state
        self.selection_counts_ += np.bincount(origin[keep.cpu()].numpy(), minlength=n_mut + 1)
        self.n_generations_ += 1

        d_loss = self._train_discriminator(samples[keep], real, extra_fake, lr=c.lr_d * lr_scale)
        logger.debug("E-GAN generation %d: D loss %.4f, selection rates %s",
                     self.n_generations_, d_loss, self.selection_rates())
        keep_cpu = keep.cpu()
        return {
            "d_loss": d_loss,
            "fitness": float(fitness[keep_cpu].mean()),
            "F_q": float(F_q[keep_cpu].mean()),
            "F_d": float(F_d[keep_cpu].mean()),
        }

    def _select(
        self, samples: torch.Tensor, real: Sampler, extra_fake: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The survivors' indices among the candidates (samples `(n_cand, eval_size, d)`), and
        every candidate's F, F_q, F_d (NaN where nothing is scored)."""
        c = self.config
        n_cand = len(samples)
        unscored = torch.full((n_cand,), float("nan"))
        if c.selection == "random":
            keep = torch.randperm(n_cand, generator=self.generator_, device=self.device)[: c.mu]
            return keep, unscored, unscored, unscored
        if n_cand == c.mu:  # a single loss under comma selection: nothing to choose, a GAN step
            return torch.arange(c.mu, device=self.device), unscored, unscored, unscored
        if c.diversity == "distance":
            fitness, F_q, F_d = distance_fitness(self.d_params_, samples, gamma=c.gamma)
        else:
            extra = None if extra_fake is None else extra_fake.to(self.device)
            fitness, F_q, F_d = egan_fitness(self.d_params_, real(c.eval_size, self.generator_),
                                             samples, gamma=c.gamma, extra_fake=extra)
        return torch.argsort(fitness, descending=True, stable=True)[: c.mu], fitness, F_q, F_d

    def _mutate(
        self, parent_of: torch.Tensor, noise: Sampler, *, lr: float
    ) -> tuple[list[torch.Tensor], _AdamState]:
        """Copy each parent once per mutation and give every child its optimiser steps, batched."""
        c = self.config
        n_mut, n_children = len(c.mutations), len(parent_of)
        params = [p[parent_of] for p in self.g_params_]  # (n_children, ...)
        mutation_of = torch.arange(n_children, device=self.device) // c.mu
        if c.optimizer_state == "per_individual":
            state = self.g_state_.take(parent_of)
        else:
            state = self.g_state_.take(mutation_of)
        d_params = [p.detach() for p in self.d_params_]
        for _ in range(c.steps_per_child):
            params = [p.detach().requires_grad_() for p in params]
            if c.common_minibatch:
                z = noise(c.batch_size, self.generator_).expand(n_children, c.batch_size, -1)
            else:
                z = noise(n_children * c.batch_size, self.generator_).view(n_children, c.batch_size,
                                                                             -1)
            logits = mlp_forward(d_params, mlp_forward(params, z, output=c.g_output),
                                 output="logit").view(n_mut, c.mu, c.batch_size)
            # Children are independent, so the gradient of the summed losses is each child's own.
            loss = sum(GENERATOR_LOSSES[name](logits[h]).sum() for h, name in
                       enumerate(c.mutations))
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                params, state = _adam_step(params, grads, state, lr=lr, betas=c.betas_g)
        if c.optimizer_state == "per_mutation":
            state = _AdamState(
                [m.view(n_mut, c.mu, *m.shape[1:]).mean(dim=1) for m in state.m],
                [v.view(n_mut, c.mu, *v.shape[1:]).mean(dim=1) for v in state.v],
                state.t.view(n_mut, c.mu)[:, 0],
            )
        return [p.detach() for p in params], state

    def _train_discriminator(
        self, samples: torch.Tensor, real: Sampler, extra_fake: torch.Tensor | None, *, lr: float
    ) -> float:
        """`d_steps` Adam steps on L_D with the survivors' evaluation samples as the fake data."""
        c = self.config
        for group in self.d_optimizer_.param_groups:
            group["lr"] = lr
        pool = samples.reshape(-1, c.data_dim)  # (mu * eval_size, d)
        order = torch.randperm(len(pool), generator=self.generator_, device=self.device)
        fakes = pool[order[: c.d_steps * c.batch_size]].view(c.d_steps, c.batch_size, -1)
        extra = None if extra_fake is None else extra_fake.to(self.device)
        loss = torch.zeros(())
        for fake in fakes:
            loss = discriminator_loss(
                mlp_forward(self.d_params_, real(c.batch_size, self.generator_), output="logit"),
                mlp_forward(self.d_params_, fake, output="logit"),
                None if extra is None else mlp_forward(self.d_params_, extra, output="logit"),
            )
            self.d_optimizer_.zero_grad()
            loss.backward()
            self.d_optimizer_.step()
        return float(loss.detach())

    # -- using the result

    def sample(
        self, n: int, *, noise: Sampler | None = None, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """`n` samples (n, data_dim) from the survivors, split evenly among them and shuffled.

        `generator` draws the noise and the order (default: the trainer's own generator).
        """
        c = self.config
        noise = noise if noise is not None else uniform_noise(c.noise_dim, self.device)
        generator = generator if generator is not None else self.generator_
        per = -(-n // c.mu)
        with torch.no_grad():
            z = noise(c.mu * per, generator).view(c.mu, per, -1)
            x = mlp_forward(self.g_params_, z, output=c.g_output).reshape(c.mu * per, -1)
        order = torch.randperm(len(x), generator=generator, device=self.device)
        return x[order[:n]]  # (n, data_dim)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """D(x) in (0, 1) for `x` (..., data_dim)."""
        with torch.no_grad():
            return torch.sigmoid(mlp_forward(self.d_params_, x, output="logit"))

    def selection_rates(self) -> dict[str, float]:
        """Share of all survivors so far produced by each mutation (and "parent" under plus)."""
        total = max(int(self.selection_counts_.sum()), 1)
        names = [*self.config.mutations, "parent"]
        return {name: float(count) / total for name, count in zip(names, self.selection_counts_,
                                                                  strict=True)}
