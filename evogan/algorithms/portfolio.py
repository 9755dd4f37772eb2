"""Adaptive operator portfolios as algorithms: `portfolio` (evogan's GA choosing between SBX + PM
and DE, optionally RM-MEDA's model) and `gmoea-portfolio` (GMOEA's loop choosing between its GAN
and SBX + PM from credit instead of the quadratic decay schedule). The rules are in
`evogan.operators.portfolio`."""

from __future__ import annotations

from evogan.algorithms.ga import SURVIVALS, GeneticAlgorithm
from evogan.algorithms.gan_loop import GANLoop
from evogan.algorithms.gmoea import REFERENCE as GMOEA_REFERENCE
from evogan.algorithms.gmoea import make_gmoea
from evogan.core.variation import Variation
from evogan.device import DEFAULT_CPU_THREADS
from evogan.operators import SBX, DifferentialEvolution, PolynomialMutation, RegularityModel
from evogan.operators.combinators import Chain
from evogan.operators.portfolio import CREDITS, PER, RULES, Portfolio, make_rule
from evogan.operators.rm import REPAIRS
from evogan.params import choice, integer, real
from evogan.registry import register_algorithm

__all__ = ["CLASSIC_SETS", "classic_operators", "make_gmoea_portfolio", "make_portfolio"]

CLASSIC_SETS = ("sbx-pm+de", "sbx-pm+de+rm")
"""The classic portfolio's operators: SBX + PM and DE, or those and RM-MEDA's model."""


def classic_operators(name: str, sbx_pm: Variation, *, weight: float, cr: float,
                      rm_repair: str = "clip") -> dict[str, Variation]:
    """The operators of the set `name` (one of `CLASSIC_SETS`) by their logged names: `sbx_pm`
    (the given SBX + PM), `de` (DE/rand/1/bin) and, for "sbx-pm+de+rm", `rm` (RM-MEDA's
    regularity model, its out-of-bounds components repaired by `rm_repair`); `portfolio` and
    gmoea-plus's GA branch are portfolios of them."""
    operators = {"sbx_pm": sbx_pm, "de": DifferentialEvolution(weight=weight, cr=cr)}
    if name == "sbx-pm+de+rm":
        operators["rm"] = RegularityModel(repair=rm_repair)
    return operators

RULE_REFERENCE = (
    "D. E. Goldberg, Probability matching, the magnitude of reinforcement, and classifier system "
    "bidding, Machine Learning 5, 1990; D. Thierens, An adaptive pursuit strategy for allocating "
    "operator probabilities, GECCO 2005; "
    "A. Fialho, L. Da Costa, M. Schoenauer, M. Sebag, Analyzing bandit-based adaptive operator "
    "selection mechanisms, Ann. Math. Artif. Intell. 60, 2010; "
    "N. Gupta, O.-C. Granmo, A. Agrawala, Thompson sampling for dynamic multi-armed bandits, "
    "ICMLA 2011"
)

RULE_PARAMS = {
    "rule": choice(*RULES), "p_min": real(ge=0, le=0.5), "alpha": real(gt=0, le=1),
    "beta": real(gt=0, le=1), "window": integer(ge=1), "ucb_c": real(ge=0),
    "ts_cap": integer(ge=2),
}
"""The declared parameters of the credit rule, shared by the portfolio algorithms (p_min <= 1/K,
K = 2)."""


@register_algorithm(
    "portfolio",
    summary="evogan's GA with an adaptive portfolio of SBX + PM and DE, learned from survival",
    reference=RULE_REFERENCE,
    params={**RULE_PARAMS, "per": choice(*PER), "credit": choice(*CREDITS),
            "survival": choice(*SURVIVALS), "operators": choice(*CLASSIC_SETS),
            "eta_c": real(ge=0), "eta_m": real(ge=0), "weight": real(gt=0, le=2),
            "cr": real(ge=0, le=1), "rm_repair": choice(*REPAIRS)},
)
def make_portfolio(
    *, pop_size: int = 100, rule: str = "matching", per: str = "offspring", p_min: float = 0.1,
    alpha: float = 0.3, beta: float = 0.8, window: int = 50, ucb_c: float = 0.5,
    ts_cap: int = 50, credit: str = "survival", survival: str = "rank-crowding",
    eta_c: float = 20.0, eta_m: float = 20.0,
    weight: float = 0.5, cr: float = 0.9, operators: str = "sbx-pm+de", rm_repair: str = "clip",
) -> GeneticAlgorithm:
    """The GA (binary tournament, elitist survival) whose offspring come from a `Portfolio` of
    `sbx_pm` (SBX then PM) and `de` (DE/rand/1/bin), and with `operators="sbx-pm+de+rm"` also
    `rm` (RM-MEDA's regularity model, `evogan.operators.RegularityModel`, fitted to the mating
    pool), its probabilities logged as `p_sbx_pm`, `p_de`, `p_rm` in the run history.

    Args:
        pop_size: population and offspring size N.
        rule: "matching" (probability matching), "pursuit" (adaptive pursuit), "ucb"
            (sliding-window UCB) or "thompson" (dynamic Thompson sampling).
        per: "offspring" (each offspring's operator drawn) or "call" (one per generation).
        p_min: the floor of each operator's probability.
        alpha: adaptation rate of the quality estimates (matching, pursuit).
        beta: learning rate of the probabilities (pursuit).
        window: records in the sliding window (ucb).
        ucb_c: exploration scale of the upper confidence bound (ucb).
        ts_cap: the cap C on each posterior's pseudo-counts, about the updates it remembers
            (thompson).
        credit: "survival" (each operator's survival share) or "hv" (the share of the new
            front's hypervolume contributions its offspring hold; logged as `hv_sbx_pm`,
            `hv_de`).
        survival: "rank-crowding" (NSGA-II) or "spea2".
        eta_c, eta_m: SBX and PM distribution indices.
        weight, cr: DE's differential weight and crossover rate.
        operators: which operators the portfolio holds, one of `CLASSIC_SETS`.
        rm_repair: how the model's out-of-bounds components are repaired ("clip" or
            "bounce-back", `RegularityModel`).
    """
    chosen = classic_operators(operators, Chain(SBX(eta=eta_c), PolynomialMutation(eta=eta_m)),
                               weight=weight, cr=cr, rm_repair=rm_repair)
    chooser = make_rule(rule, p_min=p_min, alpha=alpha, beta=beta, window=window, c=ucb_c,
                        cap=ts_cap)
    return GeneticAlgorithm(pop_size=pop_size, survival=survival,
                            variation=Portfolio(chosen, rule=chooser, per=per, credit=credit))


@register_algorithm(
    "gmoea-portfolio",
    summary="GMOEA with its GAN or SBX + PM chosen per batch by an adaptive portfolio",
    reference=f"{GMOEA_REFERENCE}; {RULE_REFERENCE}",
    params={**RULE_PARAMS, "k": integer(ge=2), "w_max": integer(ge=1), "epochs": integer(ge=1),
            "batch_size": integer(ge=1), "lr": real(gt=0), "eta_c": real(ge=0),
            "eta_m": real(ge=0), "cpu_threads": integer(ge=1, optional=True)},
)
def make_gmoea_portfolio(
    *, pop_size: int = 100, rule: str = "matching", p_min: float = 0.1, alpha: float = 0.3,
    beta: float = 0.8, window: int = 50, ucb_c: float = 0.5, ts_cap: int = 50, k: int = 10,
    w_max: int = 5,
    epochs: int = 200, batch_size: int = 8, lr: float = 1e-4, eta_c: float = 20.0,
    eta_m: float = 20.0, device: str | None = None,
    cpu_threads: int | None = DEFAULT_CPU_THREADS,
) -> GANLoop:
    """GMOEA (its GAN, refitted once per cycle of `w_max` batches, SPEA2 after every batch) whose
    batches come from the GAN or from SBX + PM as a two-operator portfolio draws them (one per
    batch), logged as `p_gan`, `p_ga`. The defaults are the rule measured on IMF1-10:
    p_GAN = 0.1 + 0.8 q_GAN / (q_GAN + q_GA), q <- q + 0.3 (survival share - q), q from 0.5.

    Args: the rule's (see `make_portfolio`) and GMOEA's (see `evogan.algorithms.gmoea`).
    """
    loop = make_gmoea(pop_size=pop_size, k=k, w_max=w_max, epochs=epochs, batch_size=batch_size,
                      lr=lr, eta_c=eta_c, eta_m=eta_m, device=device, cpu_threads=cpu_threads)
    loop.rule = make_rule(rule, p_min=p_min, alpha=alpha, beta=beta, window=window, c=ucb_c,
                          cap=ts_cap)
    return loop
