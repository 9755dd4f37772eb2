"""E-GAN: a discriminator against an evolving population of generators (Wang et al., TEVC 2019).

C. Wang, C. Xu, X. Yao, D. Tao, "Evolutionary Generative Adversarial Networks", IEEE Trans.
Evolutionary Computation 23(6):921-934, 2019 (arXiv:1803.00657).

One generation (`EGAN.step`):

1. **Variation.** Every parent generator is copied once per mutation; a mutation is a generator
   loss (minimax, non-saturating, least squares: `evogan.gan.losses`, whose
   `register_generator_loss` adds more), and each
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

All children share their shapes, so the population is one `evogan.gan.stacked.StackedMLP`
(leading dimension = individual, each with its own Adam step count, `evogan.gan.adam`) and a
generation runs as a few batched matmuls instead of a Python loop over networks; for the
per-child D gradients of step 2, D is copied once per child and stacked the same way, so one
backward pass gives every child's gradient. On the CPU, where these small operations cost more
in dispatch than in arithmetic, the whole generation runs as one numba-compiled call instead
(`evogan.gan.egan_compiled`: the same maths and draws, other roundings).

Deviations from the official toy code, and why: the discriminator has no BatchNorm, so a child's
score does not depend on which other children share its batch; the two expectations in `L_D` are
computed separately (the Theano toy script adds 64 real and 256 fake per-sample terms).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from evogan.core.errors import ConfigError
from evogan.core.rng import torch_generator
from evogan.gan.adam import Adam, AdamState, adam_step
from evogan.gan.losses import GENERATOR_LOSSES, bce_fake, bce_real, discriminator_loss
from evogan.gan.stacked import StackedMLP

__all__ = [
    "EGAN",
    "EGANConfig",
    "distance_fitness",
    "egan_fitness",
    "uniform_noise",
]

logger = logging.getLogger(__name__)

Sampler = Callable[[int, torch.Generator], torch.Tensor]
"""`(n, generator) -> (n, dim)` tensor: how real data and generator noise are drawn."""

_OUTPUTS = {"linear": None, "sigmoid": torch.sigmoid}
"""The generator's output layer by `EGANConfig.g_output`."""


def uniform_noise(noise_dim: int, device: str | torch.device = "cpu") -> Sampler:
    """E-GAN's generator input `z ~ U(-1, 1)^noise_dim`."""

    def draw(n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.rand(n, noise_dim, generator=generator, device=device) * 2.0 - 1.0

    return draw


def _logits(discriminator: StackedMLP, x: torch.Tensor) -> torch.Tensor:
    """D's logits (..., B) of `x` (..., B, d); a stack of one D takes any batch of batches."""
    return discriminator.forward(x).squeeze(-1)  # (..., B, 1) -> (..., B)


# ----------------------------------------------------------------------------- fitness


def egan_fitness(
    discriminator: StackedMLP,
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    gamma: float,
    extra_fake: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """E-GAN fitness of C candidates from their samples, all candidates at once.

    `F = F_q + gamma * F_d` with `F_q = mean D(G(z))` and `F_d = -log ||grad_D L_D||`, the norm
    taken over all of D's parameters, `L_D` computed on `real` and the candidate's samples
    (`evogan.gan.losses.discriminator_loss`). This is the paper's form. The Theano code uses
    `log ||.||^2` with weight beta, so its beta equals gamma / 2 here (toy beta = 1 is gamma = 2).

    A diverse generator leaves D little to learn, hence a small gradient and a high F_d; a
    collapsed one lets D separate it easily and is penalised. This holds for a fresh or briefly
    trained D (pinned in the tests), not for every D: since the real term enters the same norm,
    after a few hundred generations a collapsed set sometimes scores higher (2 of 5 seeds on a
    small ring-8 setup).

    Args:
        discriminator: D, a stack of one network with a width-1 output.
        real: (n_real, d) real samples.
        fake: (C, n_fake, d) samples of each candidate.
        gamma: the diversity weight.
        extra_fake: (m, d) further fake rows shared by all candidates, or None.

    Returns:
        F, F_q, F_d, each of shape (C,).
    """
    n_cand = len(fake)
    shared = discriminator.detach(requires_grad=True)
    shared_loss = bce_real(_logits(shared, real))  # (1,): the terms all candidates share
    if extra_fake is not None:
        shared_loss = shared_loss + bce_fake(_logits(shared, extra_fake))
    shared_grads = torch.autograd.grad(shared_loss.sum(), shared.params)
    # One copy of D per candidate, stacked like the generators: W (C, in, out), b (C, out).
    # The gradient of the summed fake terms with respect to copy c is candidate c's own.
    copies = discriminator.take(torch.zeros(n_cand, dtype=torch.long,
                                            device=fake.device)).detach(requires_grad=True)
    fake_logits = _logits(copies, fake)  # (C, n_fake)
    fake_grads = torch.autograd.grad(bce_fake(fake_logits).sum(), copies.params)
    F_q = torch.sigmoid(fake_logits.detach()).mean(dim=1)
    sq_norm = sum(
        (g_shared.reshape(1, -1) + g_fake.reshape(n_cand, -1)).square().sum(dim=1)
        for g_shared, g_fake in zip(shared_grads, fake_grads, strict=True)
    )  # (C,)
    F_d = -0.5 * torch.log(sq_norm)
    return F_q + gamma * F_d, F_q, F_d


def distance_fitness(
    discriminator: StackedMLP, fake: torch.Tensor, *, gamma: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """IE-GAN's fitness of C candidates: `F = F_q + gamma * F_d`, F_d the samples' spread.

    `F_q = mean D(G(z))` as in E-GAN; `F_d` is the mean L1 distance between two of the
    candidate's samples (IE-GAN, Li et al. 2021: diversity in sample space instead of D's
    gradient). IE-GAN estimates it from 5 random permutations of the samples; here it is the
    mean over all pairs, the same quantity without the permutation noise.

    Args:
        discriminator: D, a stack of one network with a width-1 output.
        fake: (C, n_fake, d) samples of each candidate, n_fake >= 2.
        gamma: the diversity weight (IE-GAN's toys: 1).

    Returns:
        F, F_q, F_d, each of shape (C,).
    """
    with torch.no_grad():
        F_q = torch.sigmoid(_logits(discriminator, fake)).mean(dim=1)
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


class EGAN:
    """E-GAN trainer: one discriminator against a population of `mu` generators.

    Build with an `EGANConfig`, call `setup(rng=...)` to create the networks, then `step(...)`
    once per generation and `sample(n)` for data. Learned state ends in `_`: the generators
    `generators_` (a `StackedMLP` of `mu` networks) with their Adam state `g_state_` (one row,
    and one step count, per generator or per mutation), the discriminator `discriminator_` (a
    stack of one) and its optimiser `d_optimizer_`.

    On the CPU a generation runs as one compiled call (`evogan.gan.egan_compiled`: the same
    maths and random draws, other roundings) where the kernel supports the configuration;
    then the networks and Adam states are views of its flat buffers, updated in place.

    Args:
        config: hyperparameters.
        device: where the networks live ("cpu", "cuda", ...).
        compiled: run the generation through the kernel (True: fail if it cannot), eagerly in
            torch (False), or through the kernel where it supports the configuration and no
            layer is wider than `egan_compiled.KERNEL_MAX_WIDTH` (None, the default).
    """

    def __init__(self, config: EGANConfig, *, device: str = "cpu",
                 compiled: bool | None = None) -> None:
        self.config = config
        self.device = device
        self.compiled = compiled

    # -- construction

    def setup(self, *, rng: np.random.Generator) -> None:
        """Create D, `mu` generators and their optimiser state, all randomness from `rng`."""
        c = self.config
        self.generator_ = torch_generator(rng, self.device)
        self.generators_ = StackedMLP.init((c.noise_dim, *c.g_hidden, c.data_dim), n_stack=c.mu,
                                           weight_std=c.init_std, generator=self.generator_)
        self.discriminator_ = StackedMLP.init(
            (c.data_dim, *c.d_hidden, 1), n_stack=1, weight_std=c.init_std,
            generator=self.generator_,
        ).detach(requires_grad=True)
        self.d_optimizer_ = Adam(self.discriminator_.params, lr=c.lr_d, betas=c.betas_d)
        n_states = c.mu if c.optimizer_state == "per_individual" else len(c.mutations)
        zero_rows = torch.zeros(n_states, dtype=torch.long, device=self.device)
        self.g_state_ = AdamState.zeros(self.generators_.take(zero_rows).params, stacked=True)
        self.selection_counts_ = np.zeros(len(c.mutations) + 1, dtype=np.int64)  # last: parents
        self.n_generations_ = 0
        self.kernel_ = None
        if self._use_kernel():
            from evogan.gan.egan_compiled import CompiledGeneration  # numba, loaded when used

            self.kernel_ = CompiledGeneration(
                self.generators_, self.g_state_, self.discriminator_, self.d_optimizer_.state,
                mutations=c.mutations, sigmoid_output=c.g_output == "sigmoid",
                plus=c.selection == "plus", per_mutation=c.optimizer_state == "per_mutation",
                lr_g=c.lr_g, betas_g=c.betas_g, lr_d=c.lr_d,
                betas_d=c.betas_d, gamma=c.gamma,
            )
            self.generators_, self.g_state_ = self.kernel_.generators, self.kernel_.g_state
            self.discriminator_ = self.kernel_.discriminator
            self.d_optimizer_.params = self.discriminator_.params
            self.d_optimizer_.state = self.kernel_.d_state

    def _use_kernel(self) -> bool:
        """Whether `step` runs through the compiled kernel (`compiled`, see the class)."""
        if self.compiled is False:
            return False
        from evogan.gan.egan_compiled import KERNEL_LOSSES, KERNEL_MAX_WIDTH

        c = self.config
        unsupported = {
            "it runs on the CPU only": self.device != "cpu",
            "a registered generator loss": any(m not in KERNEL_LOSSES for m in c.mutations),
            "diversity 'distance'": c.diversity != "gradient",
            "selection 'random'": c.selection == "random",
        }
        reason = next((reason for reason, applies in unsupported.items() if applies), None)
        if self.compiled and reason is not None:
            raise ConfigError(f"the compiled E-GAN generation does not support {reason}")
        return reason is None and (self.compiled or max(
            c.noise_dim, c.data_dim, *c.g_hidden, *c.d_hidden) <= KERNEL_MAX_WIDTH)

    # -- generations

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
        return self.train(1, real, noise=noise, extra_fake=extra_fake, lr_scale=lr_scale)

    def train(
        self,
        generations: int,
        real: Sampler,
        *,
        noise: Sampler | None = None,
        extra_fake: torch.Tensor | None = None,
        lr_scale: float = 1.0,
    ) -> dict[str, float]:
        """Run `generations` generations, the same as calling `step` that many times.

        The compiled kernel runs them in one call (its draws made first, in `step`'s order:
        none depends on the training). Arguments as for `step`; returns the diagnostics of
        the last generation.
        """
        c = self.config
        noise = noise if noise is not None else uniform_noise(c.noise_dim, self.device)
        n_mut = len(c.mutations)
        n_children = n_mut * c.mu
        origin = np.arange(n_children) // c.mu  # child = mutation * mu + parent
        if c.selection == "plus":
            origin = np.concatenate([origin, np.full(c.mu, n_mut)])  # the parents last
        if self.kernel_ is not None:
            keep, scores, d_loss = self._compiled_generations(generations, real, noise,
                                                              extra_fake, lr_scale)
        else:
            runs = [self._eager_generation(real, noise, extra_fake, lr_scale)
                    for _ in range(generations)]
            keep, scores, d_loss = (np.stack(part) for part in zip(*runs, strict=True))
        # keep (generations, mu), scores (generations, 3 [F, F_q, F_d], n_cand), d_loss (generations,)
        self.selection_counts_ += np.bincount(origin[keep.ravel()], minlength=n_mut + 1)
        self.n_generations_ += generations
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("E-GAN generation %d: D loss %.4f, selection rates %s",
                         self.n_generations_, d_loss[-1], self.selection_rates())
        fitness, F_q, F_d = scores[-1][:, keep[-1]].mean(axis=1, dtype=np.float64)
        return {"d_loss": float(d_loss[-1]), "fitness": float(fitness), "F_q": float(F_q),
                "F_d": float(F_d)}

    def _eager_generation(
        self, real: Sampler, noise: Sampler, extra_fake: torch.Tensor | None, lr_scale: float
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """One generation in torch operations: the survivors' candidate indices (mu,), every
        candidate's F, F_q and F_d (3, n_cand), and the last D loss."""
        c = self.config
        n_children = len(c.mutations) * c.mu
        parent_of = torch.arange(n_children, device=self.device) % c.mu
        children, state = self._mutate(parent_of, noise, lr=c.lr_g * lr_scale)
        candidates = children
        if c.selection == "plus":
            candidates = children.concat(self.generators_)
            if c.optimizer_state == "per_individual":
                state = state.concat(self.g_state_)

        with torch.no_grad():
            z = self._noise(noise, candidates.n_stack, c.eval_size, common=c.common_noise)
            samples = candidates.forward(z, output=_OUTPUTS[c.g_output])  # (n_cand, eval_size, d)
        keep, fitness, F_q, F_d = self._select(samples, real, extra_fake)
        self.generators_ = candidates.take(keep)
        if c.optimizer_state == "per_individual":
            self.g_state_ = state.take(keep)
        else:
            self.g_state_ = state
        d_loss = self._train_discriminator(samples[keep], real, extra_fake, lr=c.lr_d * lr_scale)
        return keep.cpu().numpy(), torch.stack([fitness, F_q, F_d]).cpu().numpy(), d_loss

    def _compiled_generations(
        self, generations: int, real: Sampler, noise: Sampler, extra_fake: torch.Tensor | None,
        lr_scale: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`_eager_generation` `generations` times as one kernel call, on the same draws in the
        same order; the results stacked along a leading generation axis."""
        c = self.config
        n_children = len(c.mutations) * c.mu
        n_cand = n_children + (c.mu if c.selection == "plus" else 0)
        scored = n_cand > c.mu  # else a single loss under comma selection: nothing to choose
        draws = []
        for _ in range(generations):
            z_children = torch.stack([self._noise(noise, n_children, c.batch_size,
                                                  common=c.common_minibatch)
                                      for _ in range(c.steps_per_child)])
            z_eval = self._noise(noise, n_cand, c.eval_size, common=c.common_noise)
            real_eval = (real(c.eval_size, self.generator_) if scored
                         else torch.empty(0, c.data_dim))
            fake_rows = self._fake_rows()
            real_d = torch.stack([real(c.batch_size, self.generator_) for _ in range(c.d_steps)])
            draws.append((z_children, z_eval, real_eval, fake_rows, real_d))
        z_children, z_eval, real_eval, fake_rows, real_d = (
            torch.stack(part) for part in zip(*draws, strict=True))
        return self.kernel_.run(z_children, z_eval, real_eval, extra_fake, fake_rows, real_d,
                                lr_scale=lr_scale)

    def _noise(self, noise: Sampler, n_nets: int, n_rows: int, *, common: bool) -> torch.Tensor:
        """Generator inputs (n_nets, n_rows, noise_dim): one draw per network, or one shared."""
        if common:
            return noise(n_rows, self.generator_).expand(n_nets, n_rows, -1)
        return noise(n_nets * n_rows, self.generator_).view(n_nets, n_rows, -1)

    def _fake_rows(self) -> torch.Tensor:
        """The D steps' fake rows (d_steps * batch_size,): a random draw without replacement
        from the survivors' mu * eval_size evaluation samples."""
        c = self.config
        order = torch.randperm(c.mu * c.eval_size, generator=self.generator_, device=self.device)
        return order[: c.d_steps * c.batch_size]

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
            fitness, F_q, F_d = distance_fitness(self.discriminator_, samples, gamma=c.gamma)
        else:
            extra = None if extra_fake is None else extra_fake.to(self.device)
            fitness, F_q, F_d = egan_fitness(self.discriminator_,
                                             real(c.eval_size, self.generator_), samples,
                                             gamma=c.gamma, extra_fake=extra)
        return torch.argsort(fitness, descending=True, stable=True)[: c.mu], fitness, F_q, F_d

    def _mutate(
        self, parent_of: torch.Tensor, noise: Sampler, *, lr: float
    ) -> tuple[StackedMLP, AdamState]:
        """Copy each parent once per mutation and give every child its optimiser steps, batched."""
        c = self.config
        n_mut, n_children = len(c.mutations), len(parent_of)
        children = self.generators_.take(parent_of).detach(requires_grad=True)  # n_children
        mutation_of = torch.arange(n_children, device=self.device) // c.mu
        state = self.g_state_.take(parent_of if c.optimizer_state == "per_individual"
                                   else mutation_of)
        discriminator = self.discriminator_.detach()
        output = _OUTPUTS[c.g_output]
        for _ in range(c.steps_per_child):
            z = self._noise(noise, n_children, c.batch_size, common=c.common_minibatch)
            logits = _logits(discriminator, children.forward(z, output=output))
            logits = logits.view(n_mut, c.mu, c.batch_size)
            # Children are independent, so the gradient of the summed losses is each child's own.
            loss = sum(GENERATOR_LOSSES[name](logits[h]).sum() for h, name in
                       enumerate(c.mutations))
            grads = torch.autograd.grad(loss, children.params)
            adam_step(children.params, grads, state, lr=lr, betas=c.betas_g)
        if c.optimizer_state == "per_mutation":
            state = AdamState(
                [m.view(n_mut, c.mu, *m.shape[1:]).mean(dim=1) for m in state.exp_avg],
                [v.view(n_mut, c.mu, *v.shape[1:]).mean(dim=1) for v in state.exp_avg_sq],
                state.steps.view(n_mut, c.mu)[:, 0],
            )
        return children.detach(), state

    def _train_discriminator(
        self, samples: torch.Tensor, real: Sampler, extra_fake: torch.Tensor | None, *, lr: float
    ) -> float:
        """`d_steps` Adam steps on L_D with the survivors' evaluation samples as the fake data."""
        c = self.config
        d = self.discriminator_
        pool = samples.reshape(-1, c.data_dim)  # (mu * eval_size, d)
        fakes = pool[self._fake_rows()].view(c.d_steps, c.batch_size, -1)
        extra = None if extra_fake is None else extra_fake.to(self.device)
        loss = torch.zeros(())
        for fake in fakes:
            loss = discriminator_loss(
                _logits(d, real(c.batch_size, self.generator_)), _logits(d, fake),
                None if extra is None else _logits(d, extra),
            )
            self.d_optimizer_.step(torch.autograd.grad(loss.sum(), d.params), lr=lr)
        return float(loss.detach().sum())

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
            x = self.generators_.forward(z, output=_OUTPUTS[c.g_output]).reshape(c.mu * per, -1)
        order = torch.randperm(len(x), generator=generator, device=self.device)
        return x[order[:n]]  # (n, data_dim)

    def discriminate(self, x: torch.Tensor) -> torch.Tensor:
        """D(x) in (0, 1) for `x` (n, data_dim): (n,)."""
        with torch.no_grad():
            return torch.sigmoid(_logits(self.discriminator_, x))[0]

    def selection_rates(self) -> dict[str, float]:
        """Share of all survivors so far produced by each mutation (and "parent" under plus)."""
        total = max(int(self.selection_counts_.sum()), 1)
        names = [*self.config.mutations, "parent"]
        return {name: float(count) / total for name, count in zip(names, self.selection_counts_,
                                                                  strict=True)}
