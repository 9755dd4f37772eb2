"""GMOEA+ (`gmoea-plus`): GMOEA's GAN in a loop whose operators are chosen by credit, evogan's
answer to GMOEA's collapse on problems with variable linkages.

GMOEA (He et al., IEEE TCYB 2021) alternates its GAN and SBX + PM by a fixed schedule. Six
measured changes make GMOEA+ (results/gmoea_plus_ablation, results/gmoea_plus_epochs,
results/gmoea_plus_lazy, results/gmoea_plus_credit, results/gmoea_plus_final):

- `rule`: the GAN-or-GA choice of each batch is an adaptive portfolio learned from the survival
  share of each branch's batches (probability matching by default, floor 0.1), not the
  quadratic decay;
- `ga`: the GA branch is itself a portfolio, drawn per offspring from the survival of each
  operator's offspring, of SBX + PM, DE/rand/1/bin (Storn & Price 1997) and RM-MEDA's
  regularity model (Zhang, Zhou & Jin, IEEE TEVC 2008) fitted to the tournament's winners. DE's
  difference vectors and the model's local linear pieces follow the linkages of the IMF
  problems, where SBX + PM and the GAN both narrow the population to a corner; the model is
  what keeps improving after the GAN's early lead (the default since it beat the SBX + PM / DE
  branch, `ga="sbx-pm+de"`, in 42 suite-problem-budget cells at 10,000 and 30,000 evaluations
  and lost 9);
- `noise`: the generator's noise Gaussian is fitted to all parents, not to the real set (the one
  GAN-side option of the ablation that never lost to GMOEA; it ties GMOEA alone);
- `epochs`: the GAN trains 100 epochs per fit, not 200 (`EPOCHS`);
- `refit`: the GAN trains once per cycle of `w_max` batches only if the cycle has a GAN batch,
  just before the first (`refit="lazy"`; GMOEA trains before every cycle): the same quality
  (results/gmoea_plus_lazy) for about 20-30% less CPU, since later in a run the GA branch wins
  most batches;
- `epochs_late`, `late_below`: after its first `full_fits` (5) fits the GAN trains 20 epochs,
  not 100, while its batches' smoothed survival share is below 0.05 (`EPOCHS_LATE`,
  `LATE_BELOW`): the same quality (results/gmoea_plus_credit) for about half the CPU from
  10,000 evaluations on problems where the GAN's batches stop surviving (IMF, LSMOP), and full
  training where they keep surviving (ZDT1-3, DTLZ7).

`rule="schedule"`, `ga="sbx-pm"`, `noise="real"`, `epochs=200`, `refit="cycle"`,
`epochs_late=None` is GMOEA, bit for bit.
"""

from __future__ import annotations

from evogan.algorithms.gan_loop import GANLoop
from evogan.algorithms.gmoea import REFERENCE, check_real_set, gan_memory_bytes
from evogan.algorithms.portfolio import RULE_PARAMS, RULE_REFERENCE, classic_operators
from evogan.device import DEFAULT_CPU_THREADS
from evogan.operators import SBX, PolynomialMutation
from evogan.operators.combinators import Chain
from evogan.operators.portfolio import CREDITS, RULES, Portfolio, make_rule
from evogan.operators.rm import REPAIRS
from evogan.params import choice, integer, real
from evogan.registry import register_algorithm

__all__ = ["EPOCHS", "EPOCHS_LATE", "GA_BRANCHES", "LATE_BELOW", "make_gmoea_plus"]

EPOCHS = 100
"""GAN training epochs per fit: half of GMOEA's 200. Against 200 (results/gmoea_plus_epochs) it
keeps IMF's early lead over the GA and NSGA-II, and the GA branch, winning more batches, brings
IMF2 out of the GAN's collapse by 30,000 evaluations (10 of 11 seeds; IMF8 6 of 11), at 0.57x
the CPU time; it gives up some precision on ZDT/DTLZ and LSMOP up to 10,000."""

EPOCHS_LATE = 20
"""GAN training epochs of a fit after the first `full_fits` (5) while the GAN's batches survive
less than `LATE_BELOW`. 20 epochs at every fit lose the early lead (results/gmoea_plus_epochs);
after the first 5 fits they keep it (results/gmoea_plus_late)."""

LATE_BELOW = 0.05
"""The smoothed survival share of the GAN's batches below which a later fit is short. Short
later fits regardless of it lose ZDT1-3 and DTLZ7 from 10,000 evaluations, where the GAN's
batches still survive at 0.07-0.12 (results/gmoea_plus_late); with it those fits stay full
(results/gmoea_plus_credit)."""

GA_BRANCHES = ("sbx-pm+de+rm", "sbx-pm+de", "sbx-pm")
"""The GA branch: a portfolio of SBX + PM, DE and RM-MEDA's regularity model, the same without
the model, or GMOEA's SBX + PM alone."""


@register_algorithm(
    "gmoea-plus",
    summary="GMOEA with its GAN (100 epochs, 20 once its batches stop surviving, lazy refits) "
            "or a GA branch of SBX + PM, DE and RM-MEDA's model, chosen by survival credit "
            "(adaptive portfolios)",
    reference=f"{REFERENCE}; {RULE_REFERENCE}",
    params={
        **RULE_PARAMS, "rule": choice(*RULES, "schedule"), "ga": choice(*GA_BRANCHES),
        "noise": choice("population", "real"), "k": integer(ge=2), "w_max": integer(ge=1),
        "epochs": integer(ge=1), "batch_size": integer(ge=1), "lr": real(gt=0),
        "eta_c": real(ge=0), "eta_m": real(ge=0), "weight": real(gt=0, le=2),
        "cr": real(ge=0, le=1), "credit": choice(*CREDITS), "rm_repair": choice(*REPAIRS),
        "refit": choice("cycle", "lazy"), "epochs_late": integer(ge=1, optional=True),
        "full_fits": integer(ge=1), "late_below": real(ge=0, le=1, optional=True),
        "cpu_threads": integer(ge=1, optional=True),
    },
    memory_bytes=lambda n_var, pop_size, params: gan_memory_bytes(
        n_var, pop_size, params.get("epochs", EPOCHS)),
)
def make_gmoea_plus(
    *, pop_size: int = 100, rule: str = "matching", ga: str = "sbx-pm+de+rm",
    noise: str = "population", p_min: float = 0.1, alpha: float = 0.3, beta: float = 0.8,
    window: int = 50, ucb_c: float = 0.5, ts_cap: int = 50, k: int = 10, w_max: int = 5,
    epochs: int = EPOCHS, batch_size: int = 8, lr: float = 1e-4, eta_c: float = 20.0, eta_m: float = 20.0,
    weight: float = 0.5, cr: float = 0.9, credit: str = "survival", rm_repair: str = "clip",
    refit: str = "lazy", epochs_late: int | None = EPOCHS_LATE, full_fits: int = 5,
    late_below: float | None = LATE_BELOW, device: str | None = None,
    cpu_threads: int | None = DEFAULT_CPU_THREADS,
) -> GANLoop:
    """GMOEA's loop around `evogan.gan.gmoea_plus.GMOEAPlusGAN` with credit-driven operators.

    Args:
        rule: how each batch's branch (GAN or GA) is chosen: a portfolio rule of
            `evogan.operators.portfolio` ("matching", "pursuit", "ucb", "thompson"), or "schedule"
            (GMOEA's quadratic decay). The GA branch's portfolio (unless ga="sbx-pm") uses the same
            rule, or probability matching under "schedule"; both logged (`p_gan`, `p_sbx_pm`,
            `p_de`, ...).
        ga: "sbx-pm+de+rm" (a per-offspring portfolio of SBX + PM, DE and RM-MEDA's model,
            `RegularityModel`, fitted to the tournament's winners), "sbx-pm+de" (the portfolio
            without the model, the default until the model's campaigns) or "sbx-pm" (GMOEA's).
        noise: "population" (all parents' Gaussian feeds the generator) or "real" (GMOEA's).
        p_min, alpha, beta, window, ucb_c, ts_cap: the rules' hyperparameters (`make_portfolio`).
        weight, cr: DE's differential weight and crossover rate.
        rm_repair: how the model's out-of-bounds components are repaired ("clip" or
            "bounce-back", `RegularityModel`).
        credit: what both portfolios learn from: "survival" (share of the offspring that
            survived) or "hv" (share of the new front's hypervolume they hold alone).
        epochs: GAN training epochs per fit (`EPOCHS`; GMOEA's 200 with `epochs=200`).
        refit: when the GAN trains: "lazy" (before the first GAN batch of a cycle of `w_max`
            batches; a cycle of GA batches trains nothing) or "cycle" (GMOEA's: before every
            cycle; `evogan.algorithms.gan_loop.REFITS`).
        epochs_late, full_fits: the fits after the first `full_fits` train `epochs_late` epochs
            (`EPOCHS_LATE`; None: `epochs` at every fit, as before 2026-12-06's credit campaign).
        late_below: such a fit is short only while the GAN's smoothed batch survival is below
            it (`LATE_BELOW`; None: always; `GMOEAPlusGAN`).
        pop_size, k, w_max, batch_size, lr, eta_c, eta_m, device, cpu_threads: as `make_gmoea`.
    """
    check_real_set(k, pop_size)
    from evogan.gan.gmoea_plus import GMOEAPlusGAN  # torch, imported when it is built

    def chooser(name: str):
        return make_rule(name, p_min=p_min, alpha=alpha, beta=beta, window=window, c=ucb_c, cap=ts_cap)

    gan = GMOEAPlusGAN(noise=noise, epochs_late=epochs_late, full_fits=full_fits,
                       late_below=late_below, k=k,
                       epochs=epochs, batch_size=batch_size, lr=lr, eta_m=eta_m,
                       cpu_threads=cpu_threads)
    sbx_pm = Chain(SBX(eta=eta_c, prob=1.0), PolynomialMutation(eta=eta_m))
    branch = sbx_pm if ga == "sbx-pm" else Portfolio(
        classic_operators(ga, sbx_pm, weight=weight, cr=cr, rm_repair=rm_repair),
        rule=chooser("matching" if rule == "schedule" else rule), per="offspring", credit=credit)
    return GANLoop(pop_size=pop_size, w_max=w_max, gan=gan, eta_c=eta_c, eta_m=eta_m,
                   device=device, rule=None if rule == "schedule" else chooser(rule),
                   ga_variation=branch, credit=credit, refit=refit)
