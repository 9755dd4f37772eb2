"""An adaptive operator portfolio: offspring drawn from several variations with probabilities
learned from which operator's offspring survive, or how much front they add.

Adaptive operator selection in the sense of Thierens (2005) and Fialho et al. (2010): a credit
updates a rule, and the rule gives the probability of each operator for the next draw, never
below a floor `p_min`. Four rules:

- `ProbabilityMatching`: q_i <- q_i + alpha (r_i - q_i), p_i = p_min + (1 - K p_min) q_i / sum q
  (D. E. Goldberg, "Probability matching, the magnitude of reinforcement, and classifier system
  bidding", Machine Learning 5, 1990; the form with a floor as in Thierens 2005). With K = 2,
  alpha = 0.3, p_min = 0.1 and q starting at 0.5 this is the GAN-or-GA rule measured in GMOEA's
  loop: p_GAN = 0.1 + 0.8 q_GAN / (q_GAN + q_GA).
- `AdaptivePursuit`: the same q, then the best operator's p moves by beta towards
  p_max = 1 - (K - 1) p_min and every other p by beta towards p_min (D. Thierens, "An adaptive
  pursuit strategy for allocating operator probabilities", GECCO 2005).
- `SlidingWindowUCB`: UCB1 on the rewards of a window of the last W applications (Á. Fialho,
  L. Da Costa, M. Schoenauer, M. Sebag, "Analyzing bandit-based adaptive operator selection
  mechanisms", Annals of Mathematics and Artificial Intelligence 60, 2010); the operators of
  highest upper bound share 1 - K p_min, every operator keeps p_min.
- `ThompsonSampling`: dynamic Thompson sampling on Beta posteriors whose pseudo-counts are
  capped at C (N. Gupta, O.-C. Granmo, A. Agrawala, "Thompson sampling for dynamic multi-armed
  bandits", ICMLA 2011; for operator selection L. Sun, K. Li, "Adaptive operator selection
  based on dynamic Thompson sampling for MOEA/D", PPSN 2020); p_i = p_min + (1 - K p_min) P_i,
  P_i the posterior probability that operator i is the best.

`FixedSchedule` is their non-adaptive control: probabilities written down per generation in
advance, credit ignored, to measure what a rule would have to do on a problem.

Two credits (`CREDITS`): the survival share of an operator's last offspring, or the share of the
new population's front (its hypervolume contributions) that they hold alone. Both reach the
portfolio through the variation contract's optional `credit` hook
(`evogan.credit.credit_offspring`), which evogan's GA, GMOEA's loop and
`evogan.bridge.PymooMating` call after survival; the hypervolume contributions are exact
(moocore) and cheap for two and three objectives, and cost a hypervolume computation per
front member beyond.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
from scipy import special

from evogan.core.errors import ConfigError
from evogan.core.variation import (
    Variation,
    checked_credit,
    credit_variation,
    operator_name,
    reset_variation,
)
from evogan.operators.combinators import Chain

__all__ = [
    "CREDITS",
    "PER",
    "RULES",
    "AdaptivePursuit",
    "CreditRule",
    "FixedSchedule",
    "Portfolio",
    "ProbabilityMatching",
    "SlidingWindowUCB",
    "ThompsonSampling",
    "make_rule",
]

PER = ("call", "offspring")
"""How a portfolio draws: one operator per call (a batch never mixes operators, as GMOEA's loop
does) or one operator per offspring (every operator gets credit at every generation)."""

CREDITS = ("survival", "hv")
"""What an operator is rewarded for: the share of its offspring that survived, or the share of
the new front's hypervolume contributions that its offspring hold (see `Portfolio`)."""


class CreditRule(Protocol):
    """Turns per-operator rewards into the probabilities of the next draw.

    `start(n_operators)` forgets everything; `probabilities()` is (K,) and sums to 1, every entry
    at least the rule's `p_min`; `update(rewards)` takes (K,) rewards in [0, 1], NaN for an
    operator that made no offspring since the last update.
    """

    p_min: float

    def start(self, n_operators: int) -> None: ...

    def probabilities(self) -> np.ndarray: ...

    def update(self, rewards: np.ndarray) -> None: ...


def _check_floor(p_min: float, n_operators: int) -> None:
    if not 0.0 <= p_min or n_operators * p_min > 1.0:
        raise ConfigError(f"p_min={p_min} does not fit {n_operators} operators; it must be in "
                         f"[0, 1/{n_operators}]")


def _check_rate(name: str, value: float) -> None:
    if not 0.0 < value <= 1.0:
        raise ConfigError(f"{name}={value} is not accepted; it must be in (0, 1]")


class ProbabilityMatching:
    """Probability matching with a floor: p_i = p_min + (1 - K p_min) q_i / sum_j q_j.

    Args:
        alpha: adaptation rate of the quality estimates q (q <- q + alpha (reward - q)).
        p_min: the floor of every probability; K p_min must not exceed 1.
        q0: the initial quality of every operator.
    """

    def __init__(self, *, alpha: float = 0.3, p_min: float = 0.1, q0: float = 0.5) -> None:
        _check_rate("alpha", alpha)
        if not 0.0 < q0 <= 1.0:
            raise ConfigError(f"q0={q0} is not accepted; it must be in (0, 1]")
        self.alpha, self.p_min, self.q0 = alpha, p_min, q0

    def start(self, n_operators: int) -> None:
        _check_floor(self.p_min, n_operators)
        self.q_ = np.full(n_operators, self.q0)

    def update(self, rewards: np.ndarray) -> None:
        applied = ~np.isnan(rewards)
        self.q_[applied] += self.alpha * (rewards[applied] - self.q_[applied])

    def probabilities(self) -> np.ndarray:
        k, total = len(self.q_), self.q_.sum()
        share = self.q_ / total if total > 0 else np.full(k, 1.0 / k)  # nothing survived yet
        return self.p_min + (1.0 - k * self.p_min) * share


class AdaptivePursuit:
    """Adaptive pursuit (Thierens 2005): the operator of best quality is pursued.

    Args:
        alpha: adaptation rate of the quality estimates q.
        beta: learning rate of the probabilities.
        p_min: the floor of every probability; the best operator's goal is 1 - (K - 1) p_min.
        q0: the initial quality of every operator.
    """

    def __init__(self, *, alpha: float = 0.3, beta: float = 0.8, p_min: float = 0.1,
                 q0: float = 0.5) -> None:
        _check_rate("alpha", alpha)
        _check_rate("beta", beta)
        self.alpha, self.beta, self.p_min, self.q0 = alpha, beta, p_min, q0

    def start(self, n_operators: int) -> None:
        _check_floor(self.p_min, n_operators)
        self.q_ = np.full(n_operators, self.q0)
        self.p_ = np.full(n_operators, 1.0 / n_operators)

    def update(self, rewards: np.ndarray) -> None:
        applied = ~np.isnan(rewards)
        self.q_[applied] += self.alpha * (rewards[applied] - self.q_[applied])
        k = len(self.q_)
        goal = np.full(k, self.p_min)
        goal[int(np.argmax(self.q_))] = 1.0 - (k - 1) * self.p_min  # ties: the first operator
        self.p_ += self.beta * (goal - self.p_)

    def probabilities(self) -> np.ndarray:
        return self.p_.copy()


class SlidingWindowUCB:
    """Sliding-window UCB (Fialho et al. 2010) with a floor on every probability.

    Each update adds one (operator, reward) record per operator applied; the last `window`
    records give each operator's mean reward r_i and count n_i, and its bound
    r_i + c sqrt(2 ln(sum_j n_j) / n_i) (infinite for an operator absent from the window). The
    operators of highest bound share 1 - K p_min; every operator keeps p_min.

    Args:
        window: records kept (W).
        c: the exploration scale (rewards are survival shares in [0, 1]).
        p_min: the floor of every probability.
    """

    def __init__(self, *, window: int = 50, c: float = 0.5, p_min: float = 0.1) -> None:
        if window < 1:
            raise ConfigError(f"window={window} is not accepted; it must be an integer >= 1")
        if not c >= 0.0:
            raise ConfigError(f"c={c} is not accepted; it must be >= 0")
        self.window, self.c, self.p_min = window, c, p_min

    def start(self, n_operators: int) -> None:
        _check_floor(self.p_min, n_operators)
        self.n_operators_ = n_operators
        self.records_: deque[tuple[int, float]] = deque(maxlen=self.window)

    def update(self, rewards: np.ndarray) -> None:
        for i in np.flatnonzero(~np.isnan(rewards)):
            self.records_.append((int(i), float(rewards[i])))

    def bounds(self) -> np.ndarray:
        """Each operator's upper confidence bound, shape (K,); inf where it has no record."""
        k = self.n_operators_
        ops = np.array([i for i, _ in self.records_], dtype=int)
        rewards = np.array([r for _, r in self.records_], dtype=float)
        counts = np.bincount(ops, minlength=k).astype(float)
        sums = np.bincount(ops, weights=rewards, minlength=k)
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = sums / counts + self.c * np.sqrt(2.0 * np.log(max(counts.sum(), 1.0)) / counts)
        return np.where(counts > 0, bound, np.inf)

    def probabilities(self) -> np.ndarray:
        bound = self.bounds()
        best = bound == bound.max()
        k = self.n_operators_
        return self.p_min + (1.0 - k * self.p_min) * best / best.sum()


class ThompsonSampling:
    """Dynamic Thompson sampling (Gupta, Granmo & Agrawala 2011) with a floor on every probability.

    Each operator's expected reward has a Beta(a_i, b_i) posterior, from the uniform Beta(1, 1).
    A reward r in [0, 1] counts as a fractional Bernoulli outcome, a_i += r and b_i += 1 - r;
    once a_i + b_i would exceed `cap` (C) both are scaled back to sum to C, so that the posterior
    forgets old rewards geometrically (weight C / (C + 1) per update, about the last C updates)
    and follows a best operator that changes, as in Dynamic Thompson Sampling for adaptive
    operator selection (L. Sun, K. Li, PPSN 2020).

    Thompson sampling picks each operator with the posterior probability that its draw is the
    largest; this rule computes that probability, P_i = E_{x ~ Beta_i}[prod_{j != i} F_j(x)]
    (F_j the posterior's distribution function), by quadrature to within 2e-3 rather than
    estimating it from draws, and keeps the floor: p_i = p_min + (1 - K p_min) P_i. The
    portfolio then draws its operators from p with the run's generator, which is Thompson
    sampling itself (one posterior draw per choice, the operator of largest draw chosen) mixed
    with a uniform choice of weight K p_min; nothing else is random, so `probabilities()` and
    the logged diagnostics draw nothing.

    Args:
        cap: C, the most pseudo-observations a posterior keeps (a_i + b_i <= C); >= 2.
        p_min: the floor of every probability.
    """

    _NODES = 256  # quantile nodes of the integral: error at most 1 / 512, below 3e-4 measured

    def __init__(self, *, cap: int = 50, p_min: float = 0.1) -> None:
        if cap < 2:
            raise ConfigError(f"cap={cap} is not accepted; it must be an integer >= 2 (the "
                             "prior's a + b)")
        self.cap, self.p_min = cap, p_min

    def start(self, n_operators: int) -> None:
        _check_floor(self.p_min, n_operators)
        self.a_ = np.ones(n_operators)
        self.b_ = np.ones(n_operators)
        self.p_ = np.full(n_operators, 1.0 / n_operators)

    def update(self, rewards: np.ndarray) -> None:
        applied = ~np.isnan(rewards)
        r = np.clip(rewards[applied], 0.0, 1.0)
        a, b = self.a_[applied] + r, self.b_[applied] + 1.0 - r
        shrink = np.minimum(1.0, self.cap / (a + b))
        self.a_[applied], self.b_[applied] = a * shrink, b * shrink
        k = len(self.a_)
        self.p_ = self.p_min + (1.0 - k * self.p_min) * self.best_probabilities()

    def best_probabilities(self) -> np.ndarray:
        """P_i, the posterior probability that operator i's draw is the largest, shape (K,).

        P_i = integral over u in (0, 1) of prod_{j != i} F_j(Q_i(u)) du, with Q_i the quantile
        function of operator i's posterior: a midpoint rule in u, whose integrand is monotone
        in [0, 1], so its error is at most 1 / (2 nodes) whatever the posteriors' widths (below
        3e-4 on 200 random pairs of posteriors with a, b in (0.05, 50)); the K values are then
        rescaled to sum to 1.
        """
        u = (np.arange(self._NODES) + 0.5) / self._NODES  # (nodes,)
        x = special.betaincinv(self.a_[:, None], self.b_[:, None], u)  # (K, nodes): Q_i(u)
        # cdf[i, j, :] = F_j(Q_i(u)), shape (K, K, nodes)
        cdf = special.betainc(self.a_[None, :, None], self.b_[None, :, None], x[:, None, :])
        cdf[np.arange(len(x)), np.arange(len(x))] = 1.0  # leave out j = i
        best = cdf.prod(axis=1).mean(axis=1)  # (K,)
        return best / best.sum()

    def probabilities(self) -> np.ndarray:
        return self.p_.copy()


class FixedSchedule:
    """A non-adaptive control for the rules: probabilities fixed by generation, credit ignored.

    It answers what an adaptive rule could reach at best on a problem: a schedule that a rule
    would have to follow, written down in advance (say, DE at 0.5 for 30 generations, then DE
    alone). A generation is one `update` (one credit after survival).

    Args:
        phases: (generations, probabilities) pairs, in order: the probabilities (K,) hold for
            that many updates, then the next pair's; the last pair's hold for ever.
    """

    p_min = 0.0

    def __init__(self, phases: Sequence[tuple[int, Sequence[float]]]) -> None:
        if not phases:
            raise ConfigError("a FixedSchedule needs at least one phase")
        self.phases = tuple((int(n), np.asarray(p, dtype=float)) for n, p in phases)
        for n, p in self.phases:
            if n < 1 or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
                raise ConfigError(f"phase ({n}, {p.tolist()}) is not accepted: it must last at "
                                 "least one generation and its probabilities sum to 1")

    def start(self, n_operators: int) -> None:
        if any(len(p) != n_operators for _, p in self.phases):
            raise ConfigError(f"every phase must give {n_operators} probabilities")
        self.generation_ = 0

    def update(self, rewards: np.ndarray) -> None:
        self.generation_ += 1

    def probabilities(self) -> np.ndarray:
        ends = np.cumsum([n for n, _ in self.phases])
        phase = min(int(np.searchsorted(ends, self.generation_, side="right")), len(ends) - 1)
        return self.phases[phase][1].copy()


RULES = ("matching", "pursuit", "ucb", "thompson")
"""The rules by name, as `make_rule` and the `portfolio` algorithms' `rule` parameter take them."""


def make_rule(
    name: str, *, p_min: float = 0.1, alpha: float = 0.3, beta: float = 0.8, window: int = 50,
    c: float = 0.5, cap: int = 50,
) -> CreditRule:
    """The rule `name` ("matching", "pursuit", "ucb" or "thompson") with the hyperparameters it
    uses."""
    if name == "matching":
        return ProbabilityMatching(alpha=alpha, p_min=p_min)
    if name == "pursuit":
        return AdaptivePursuit(alpha=alpha, beta=beta, p_min=p_min)
    if name == "ucb":
        return SlidingWindowUCB(window=window, c=c, p_min=p_min)
    if name == "thompson":
        return ThompsonSampling(cap=cap, p_min=p_min)
    raise ConfigError(f"unknown rule {name!r}; choose one of: {', '.join(RULES)}")


def _label(variation: Variation) -> str:
    """A readable name: `sbx+polynomialmutation` for a Chain, else the operator's name."""
    if isinstance(variation, Chain):
        return "+".join(_label(stage) for stage in variation.stages)
    return operator_name(variation).lower()


class Portfolio:
    """Offspring from one of several variations, drawn with probabilities learned from credit.

    Each call draws one operator for the whole batch (`per="call"`) or one per offspring
    (`per="offspring"`, a multinomial split; each operator then makes its share, in the
    operators' order) from the rule's probabilities. After survival the host algorithm calls
    `credit(survived)` with one boolean per offspring made since the last credit, and each
    operator is rewarded (operators that made none keep their estimates):

    - `credit="survival"`: with the share of its offspring that survived;
    - `credit="hv"`: with the share of the new population's front that its offspring hold alone,
      the sum of their `evogan.credit.contribution_shares` (front normalised by its
      ideal and nadir points, reference point 1.1, exclusive contributions divided by their
      sum over the front), in [0, 1] and summing to at most 1 over the operators (the parents
      hold the rest). The hosts compute the shares for a portfolio that asks for them (its
      `credit_contribution` is true): evogan's GA, GMOEA's loop and `PymooMating`, when the
      portfolio is the variation they credit. The sum rewards an operator for how much front
      its offspring add, and so, under `per="offspring"`, also for making more of them.

    Sub-operators that listen for credit get theirs (their own rows, in order).

    `diagnostics()` gives `p_<name>`, the probability of each operator for the next draw, and
    `survival_<name>`, the share of its offspring that survived at the last credit (NaN if it
    made none), and under `credit="hv"` `hv_<name>`, its reward at the last credit, so hosts log
    them into the run history.

    Args:
        operators: the variations, by name (`{"sbx_pm": Chain(SBX(), PolynomialMutation()),
            "de": DifferentialEvolution()}`), or a sequence named after the operators.
        rule: a `CreditRule`, or its name in `RULES` with default hyperparameters.
        per: "call" or "offspring" (see `PER`).
        credit: "survival" or "hv" (see `CREDITS`).
    """

    def __init__(
        self, operators: Mapping[str, Variation] | Sequence[Variation], *,
        rule: CreditRule | str = "matching", per: str = "call", credit: str = "survival",
    ) -> None:
        if per not in PER:
            raise ConfigError(f"per must be one of {', '.join(PER)}, got {per!r}")
        if credit not in CREDITS:
            raise ConfigError(f"credit must be one of {', '.join(CREDITS)}, got {credit!r}")
        if isinstance(operators, Mapping):
            names, ops = [str(name) for name in operators], list(operators.values())
        else:
            ops = list(operators)
            names = [_label(op) for op in ops]
        if len(ops) < 2:
            raise ConfigError(f"a Portfolio needs at least two operators, got {len(ops)}")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ConfigError(f"operator names {repeated} repeat; name the operators with a dict")
        self.names, self.operators, self.per = tuple(names), tuple(ops), per
        self.credit_contribution = credit == "hv"  # asks the host for contribution shares
        self.rule = make_rule(rule) if isinstance(rule, str) else rule
        _check_floor(self.rule.p_min, len(ops))

    def reset(self) -> None:
        """Forget the learned probabilities and every operator's learned state."""
        self.rule.start(len(self.operators))
        self.pending_: list[np.ndarray] = []  # operator index of every offspring since the credit
        self.survival_ = np.full(len(self.operators), np.nan)
        self.hv_ = np.full(len(self.operators), np.nan)  # the last reward under credit="hv"
        for op in self.operators:
            reset_variation(op)

    def probabilities(self) -> np.ndarray:
        """The probability of each operator at the next draw, shape (K,)."""
        self._started()
        return self.rule.probabilities()

    def _started(self) -> None:
        if not hasattr(self, "pending_"):
            self.reset()

    def __call__(
        self, X: np.ndarray, F: np.ndarray | None, n_offspring: int, *, rng: np.random.Generator
    ) -> np.ndarray:
        p = self.probabilities()
        if self.per == "call":
            counts = np.zeros(len(p), dtype=int)
            counts[rng.choice(len(p), p=p)] = n_offspring
        else:
            counts = rng.multinomial(n_offspring, p)
        parts = [op(X, F, int(m), rng=rng) for op, m in zip(self.operators, counts, strict=True) if m > 0]
        self.pending_.append(np.repeat(np.arange(len(p)), counts))
        self.last_counts_ = tuple(int(m) for m in counts)
        return np.concatenate(parts, axis=0)

    def credit(self, survived: np.ndarray, *, contribution: np.ndarray | None = None) -> None:
        """Reward each operator for its offspring since the last credit (see the class).

        Args:
            survived: (n,) booleans, one per offspring made since the last credit, in the order
                the calls returned them.
            contribution: (n,) their contribution shares in the new population's front, which
                `credit="hv"` needs (hosts give them: `evogan.credit.credit_offspring`).

        Raises:
            ValueError: `credit="hv"` without contributions, as when the portfolio sits inside
                a combinator, which forwards survival flags only.
        """
        self._started()
        made = np.concatenate(self.pending_) if self.pending_ else np.empty(0, dtype=int)
        survived = checked_credit(survived, len(made))
        if self.credit_contribution and contribution is None:
            raise ConfigError("a Portfolio with credit='hv' was credited without hypervolume "
                             "contributions; it must be the variation its host credits, not "
                             "part of a combinator")
        self.pending_ = []
        k = len(self.operators)
        counts = np.bincount(made, minlength=k)
        kept = np.bincount(made, weights=survived, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.survival_ = np.where(counts > 0, kept / counts, np.nan)
        if self.credit_contribution:
            contribution = np.asarray(contribution, dtype=float).reshape(len(made))
            held = np.bincount(made, weights=contribution, minlength=k)
            self.hv_ = np.where(counts > 0, held, np.nan)
        self.rule.update((self.hv_ if self.credit_contribution else self.survival_).copy())
        for i, op in enumerate(self.operators):
            if counts[i]:
                credit_variation(op, survived[made == i],
                                 None if contribution is None else contribution[made == i])

    def diagnostics(self) -> dict[str, float]:
        """`p_<name>` (next draw), `survival_<name>` and, under credit="hv", `hv_<name>` (last
        credit) of every operator."""
        p = self.probabilities()
        names = self.names
        result = {**{f"p_{name}": float(v) for name, v in zip(names, p, strict=True)},
                  **{f"survival_{name}": float(v) for name, v in zip(names, self.survival_, strict=True)}}
        if self.credit_contribution:
            result.update({f"hv_{name}": float(v) for name, v in zip(names, self.hv_, strict=True)})
        return result
