"""The GAN-in-the-loop algorithm: GMOEA's loop (He et al., IEEE TCYB 2021) around any learned
variation. `gmoea`, `gmoea-ga` and `egan` are configurations of it, and a user's own learned
operator runs in it from the command line (`evogan run --algo gmoea --variation my_op.py:MyOp`).

C. He, S. Huang, R. Cheng, K. C. Tan, Y. Jin, "Evolutionary Multiobjective Optimization Driven by
Generative Adversarial Networks (GANs)", IEEE TCYB 2021; the loop as the official code
(EMI-Group/GMOEA) runs it, with its bugs P4-P7 fixed (see `GANLoop`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from pymoo.core.problem import Problem

from evogan.core.bounds import from_unit
from evogan.core.errors import ConfigError
from evogan.core.variation import (
    LearnedVariation,
    Variation,
    checked_offspring,
    credit_variation,
    reset_variation,
    spread_diagnostics,
    variation_diagnostics,
    wants_contribution,
)
from evogan.credit import credit_offspring, offspring_rows
from evogan.operators import SBX, PolynomialMutation
from evogan.operators.combinators import Chain, quadratic_decay
from evogan.operators.portfolio import CreditRule, Portfolio
from evogan.survival import (
    binary_tournament,
    constrained_objectives,
    spea2_fitness,
    spea2_select,
)

__all__ = ["REFITS", "GANLoop"]

REFITS = ("cycle", "picked", "lazy")
"""When the learned variation refits: once per cycle of `w_max` batches, before the first
(GMOEA); every time its branch is picked, just before it samples (evogan's `egan`); or once per
cycle, just before the first batch of the cycle that it makes, so that a cycle in which it makes
none trains nothing (evogan's `gmoea-plus`)."""

_SCHEDULE_METRICS = ("gan_batch", "offspring_survival", "gan_survival", "ga_survival", "trained")


class GANLoop:
    """Offspring batches from a learned variation or from a GA, SPEA2 selection after each.

    After the initial population, batch i of a cycle of `w_max` comes from the learned
    variation with probability 1 - (i / w_max)^2 (`quadratic_decay`), otherwise from a GA:
    binary tournament on SPEA2 fitness, SBX (probability 1) and polynomial mutation. A batch
    never mixes the two, and SPEA2 environmental selection on P and the batch follows every
    batch. With `gan=None` every batch comes from the GA: the GA-only control that isolates
    what the learned variation contributes.

    The fixes of the official code's loop: standard SPEA2 (its bug P4), standard SBX (P5), a
    true binary tournament (P6) and the engine's exact budget (P7). Variations see the unit cube;
    `evogan.core.bounds` maps to and from the problem's box.

    Constraints: selection, tournament and the objectives given to the learned variation's
    `fit` are those of Deb's constraint-domination (`evogan.survival.constrained_objectives`).
    So a GAN that picks its real set by environmental selection on them (GMOEA's, E-GAN's)
    learns from feasible solutions first: its real set is the best feasible solutions when at
    least as many are feasible, else all feasible ones and the least-violating infeasible ones.

    `metrics()` reports per batch: `gan_batch` (1 if the learned variation made it, 0 for the GA,
    NaN for the initial population), `offspring_survival` (the share of the batch that survived
    selection), the same share under `gan_survival` or `ga_survival` (NaN under the other),
    `trained` (1 if the variation refitted for this batch), the population's spread in decision
    space (`spread_pop`, `position_range_pop`: `evogan.core.variation.spread_diagnostics` on the
    unit cube, position variables x_1..x_{M-1}), and whatever the variation's `diagnostics()`
    returns (spreads of its real set and samples, discriminator accuracies, GAN losses,
    training time, E-GAN's selection rates).

    With a `rule`, an adaptive `Portfolio` of the two branches, named `gan` and `ga`, replaces
    the schedule: it draws each batch's branch from probabilities learned from the survival share
    of each branch's batches, and its `p_gan`, `p_ga`, `survival_gan`, `survival_ga` join the
    metrics. The learned variation refits as `refit` says, whichever branch the rule picks.

    Args:
        pop_size: N, the population size and the size of each offspring batch.
        w_max: batches per cycle of the switching schedule.
        gan: the learned variation (a plain Variation is wrapped: it refits by remembering the
            parents), or None for the GA-only control.
        eta_c: SBX distribution index of the GA branch.
        eta_m: polynomial mutation distribution index of the GA branch.
        refit: "cycle" (GMOEA), "picked" or "lazy" (see `REFITS`).
        gan_mutation: applied to the learned variation's samples (None: as they are; GMOEA's
            operator mutates inside `sample`).
        device: where the learned variation trains; None follows the run's device given to
            `setup` (`LearnedVariation.to_device`).
        rule: a `CreditRule` (`evogan.operators.portfolio`) that chooses between the learned
            variation and the GA, per batch, instead of `quadratic_decay`; None keeps GMOEA's
            schedule.
        ga_variation: the GA branch's variation, applied to the tournament's parents (None:
            SBX with probability 1 and `eta_c`, then polynomial mutation with `eta_m`, GMOEA's);
            it is credited with the survival of its offspring (an adaptive `Portfolio` of
            classic operators learns from that).
        credit: what the `rule`'s portfolio learns from: "survival" (the share of a branch's
            batch that survived) or "hv" (the share of the new front's hypervolume that its
            offspring hold alone; `evogan.credit`). The GA branch's own variation gets the
            contributions too when it asks for them.
    """

    def __init__(
        self,
        *,
        pop_size: int,
        w_max: int,
        gan: LearnedVariation | Variation | None,
        eta_c: float = 20.0,
        eta_m: float = 20.0,
        refit: str = "cycle",
        gan_mutation: Variation | None = None,
        device: str | None = None,
        rule: CreditRule | None = None,
        ga_variation: Variation | None = None,
        credit: str = "survival",
    ) -> None:
        if pop_size < 2:
            raise ConfigError(f"pop_size must be at least 2, got {pop_size}")
        if w_max < 1:
            raise ConfigError(f"w_max must be at least 1, got {w_max}")
        if refit not in REFITS:
            raise ConfigError(f"refit must be one of {', '.join(REFITS)}, got {refit!r}")
        if rule is not None and gan is None:
            raise ConfigError("a portfolio rule needs a learned variation to choose against the GA")
        if gan is not None and not isinstance(gan, LearnedVariation):
            gan = _Remembering(gan)
        self.pop_size, self.w_max, self.gan, self.refit = pop_size, w_max, gan, refit
        self.eta_c, self.eta_m, self.gan_mutation, self.device = eta_c, eta_m, gan_mutation, device
        self.gan_probability = quadratic_decay(w_max)
        self.rule, self.ga_variation, self.credit = rule, ga_variation, credit

    def setup(self, problem: Problem, *, rng: np.random.Generator, device: str = "cpu") -> None:
        """Start a new run; the variation trains on `device` unless this loop was given one."""
        self.problem_, self.rng_ = problem, rng
        self.xl_, self.xu_ = np.asarray(problem.xl, float), np.asarray(problem.xu, float)
        self.ga_ = _TournamentBranch(
            self.ga_variation if self.ga_variation is not None
            else Chain(SBX(eta=self.eta_c, prob=1.0), PolynomialMutation(eta=self.eta_m)))
        if self.gan is not None:
            reset_variation(self.gan)
            self.gan.to_device(device if self.device is None else self.device)
        self.X_ = self.F_ = None  # population on the unit cube, and its objectives
        self.cv_ = self.ranked_F_ = None  # its constraint violation, F under constraint-domination
        self.offspring_ = None  # the last batch asked for, on the unit cube
        self.batch_ = 0  # index of the next batch within the current cycle
        self.cycle_fitted_ = False  # whether the learned variation refitted in this cycle
        self.portfolio_ = None
        if self.rule is not None:
            branches = {"gan": _GANBranch(self._gan_batch, self.gan), "ga": self.ga_}
            self.portfolio_ = Portfolio(branches,
                                        rule=self.rule, per="call", credit=self.credit)
            self.portfolio_.reset()
        self.metrics_ = dict.fromkeys(_SCHEDULE_METRICS, math.nan)

    def ask(self) -> np.ndarray:
        """The initial population first, then one offspring batch of `pop_size` per call."""
        if self.X_ is None:
            self.offspring_ = self.rng_.random((self.pop_size, self.problem_.n_var))
            self.from_gan_ = None
        else:
            self.offspring_ = self._batch()
        return from_unit(self.offspring_, self.xl_, self.xu_)

    def _batch(self) -> np.ndarray:
        """One batch of `pop_size` offspring on the unit cube from the schedule's operator."""
        gan, rng, n = self.gan, self.rng_, self.pop_size
        self.trained_ = gan is not None and self.refit == "cycle" and self.batch_ == 0
        if self.batch_ == 0:  # a new cycle: "lazy" has not refitted in it yet
            self.cycle_fitted_ = False
        if self.trained_:
            gan.fit(self.X_, self.ranked_F_, rng=rng)
        if self.portfolio_ is not None:
            U = self.portfolio_(self.X_, self.ranked_F_, n, rng=rng)
            self.from_gan_ = self.portfolio_.last_counts_[0] > 0
        else:
            self.from_gan_ = gan is not None and rng.random() < self.gan_probability(self.batch_)
            U = (self._gan_batch if self.from_gan_ else self.ga_)(
                self.X_, self.ranked_F_, n, rng=rng)
        self.metrics_["trained"] = float(self.trained_)
        return U

    def _gan_batch(
        self, X: np.ndarray, F: np.ndarray, n: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        """`n` samples of the learned variation (refitted first under refit="picked", and under
        refit="lazy" at its first batch of the cycle), mutated."""
        gan = self.gan
        if self.refit == "picked" or (self.refit == "lazy" and not self.cycle_fitted_):
            gan.fit(X, F, rng=rng)
            self.trained_ = self.cycle_fitted_ = True
        U = checked_offspring(gan.sample(n, rng=rng), n, self.problem_.n_var, gan)
        return U if self.gan_mutation is None else self.gan_mutation(U, None, n, rng=rng)

    def tell(self, X: np.ndarray, F: np.ndarray, cv: np.ndarray) -> None:
        """Environmental selection on the population and the `len(X)` evaluated offspring."""
        m = len(X)
        U = self.offspring_[:m]  # exactly the rows asked for (X is their image in the bounds)
        if self.X_ is None:
            self.X_, self.F_, self.cv_ = U, np.asarray(F, float), np.asarray(cv, float)
            self.ranked_F_ = constrained_objectives(self.F_, self.cv_)
            return
        X_all = np.concatenate([self.X_, U])
        F_all = np.concatenate([self.F_, F])
        cv_all = np.concatenate([self.cv_, cv])
        ranked = constrained_objectives(F_all, cv_all)
        survivors = spea2_select(ranked, min(self.pop_size, len(F_all)))
        share = float(np.count_nonzero(survivors >= len(self.X_))) / m
        # rows past m were never evaluated (the budget ran out): they did not survive
        rows = offspring_rows(survivors, len(self.X_), len(self.offspring_))
        credit_offspring(self.portfolio_ if self.portfolio_ is not None else
                         self.gan if self.from_gan_ else self.ga_, rows, ranked[survivors])
        self.X_, self.F_, self.cv_ = X_all[survivors], F_all[survivors], cv_all[survivors]
        self.ranked_F_ = constrained_objectives(self.F_, self.cv_)
        self.batch_ = (self.batch_ + 1) % self.w_max
        self.metrics_.update(
            gan_batch=float(self.from_gan_),
            offspring_survival=share,
            gan_survival=share if self.from_gan_ else math.nan,
            ga_survival=math.nan if self.from_gan_ else share,
        )

    def population(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return from_unit(self.X_, self.xl_, self.xu_), self.F_.copy(), self.cv_.copy()

    def metrics(self) -> dict[str, float]:
        spread = {} if self.X_ is None else spread_diagnostics(self.X_, self.F_.shape[1] - 1, "pop")
        diagnostics = self.gan.diagnostics() if self.gan is not None else {}
        chooser = self.portfolio_.diagnostics() if self.portfolio_ is not None else {}
        return {**self.metrics_, **spread, **diagnostics, **chooser,
                **variation_diagnostics(self.ga_)}


class _TournamentBranch:
    """The GA branch: binary tournament on SPEA2 fitness, then `variation` on the winners.

    Survival credit, and HV contributions when `variation` asks for them, go to `variation` (so
    a `Portfolio` of classic operators in the branch learns from it); the winners reach it with
    their objectives (under constraint-domination), which SBX, PM and DE ignore and RM-MEDA's
    model reads its dimension from.
    """

    def __init__(self, variation: Variation) -> None:
        self.variation = variation
        reset_variation(variation)

    @property
    def credit_contribution(self) -> bool:
        """The branch asks its host for HV contributions when its variation does."""
        return wants_contribution(self.variation)

    def __call__(
        self, X: np.ndarray, F: np.ndarray, n: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        parents = binary_tournament((spea2_fitness(F),), n, rng=rng)
        return checked_offspring(self.variation(X[parents], F[parents], n, rng=rng), n,
                                 X.shape[1], self.variation)

    def credit(self, survived: np.ndarray, *, contribution: np.ndarray | None = None) -> None:
        credit_variation(self.variation, survived, contribution)

    def diagnostics(self) -> dict[str, float]:
        return variation_diagnostics(self.variation)


class _GANBranch:
    """The GAN branch as a portfolio operator: the loop's batch maker, and the survival of its
    batches forwarded to the learned variation's `credit` hook, as the loop does without a
    portfolio."""

    def __init__(self, make: Callable[..., np.ndarray], variation: LearnedVariation) -> None:
        self.make, self.variation = make, variation

    def __call__(
        self, X: np.ndarray, F: np.ndarray, n: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        return self.make(X, F, n, rng=rng)

    def credit(self, survived: np.ndarray, *, contribution: np.ndarray | None = None) -> None:
        credit_variation(self.variation, survived, contribution)


class _Remembering(LearnedVariation):
    """A plain variation in the GAN's place: `fit` remembers the parents, `sample` calls it."""

    def __init__(self, variation: Variation) -> None:
        self.variation = variation

    @property
    def __name__(self) -> str:  # errors name the user's operator, not this wrapper
        return getattr(self.variation, "__name__", type(self.variation).__name__)

    def fit(self, X: np.ndarray, F: np.ndarray | None, *, rng: np.random.Generator) -> None:
        self.parents_ = (X, F)

    def sample(self, n: int, *, rng: np.random.Generator) -> np.ndarray:
        X, F = self.parents_
        return self.variation(X, F, n, rng=rng)

    def reset(self) -> None:
        super().reset()
        reset_variation(self.variation)

    def credit(self, survived: np.ndarray) -> None:
        """Forward the survival of the last batch to the wrapped variation."""
        credit_variation(self.variation, survived)

    def diagnostics(self) -> dict[str, float]:
        return variation_diagnostics(self.variation)
