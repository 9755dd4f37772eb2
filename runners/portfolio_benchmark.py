"""Adaptive operator portfolio benchmark: does a portfolio match its best single operator?

Two parts, each its own campaign folder under results/portfolio/:

- `ga`: evogan's GA (binary tournament, NSGA-II survival) with the `portfolio` of SBX + PM and DE
  under its four rules with survival credit (`portfolio`: probability matching,
  `portfolio-pursuit`, `portfolio-ucb`, `portfolio-thompson`) and probability matching with
  hypervolume-contribution credit (`portfolio-hv`) and adaptive pursuit with
  hypervolume-contribution credit and one operator per generation
  (`portfolio-pursuit-hv-call`), against the same GA with SBX + PM alone (`ga`) and DE alone
  (`ga-de`);
- `gmoea`: `gmoea-portfolio` (GMOEA's GAN or SBX + PM per batch, chosen by probability matching)
  against `gmoea` (the quadratic decay schedule) and `gmoea-ga` (SBX + PM alone); IMF1-10 first,
  then ZDT1-4, ZDT6 (the same folder: the campaign joins them), so a cut-short run still has
  the IMF suite whole.

Problems: IMF1-10 at n_var = 30, ZDT1-4 and ZDT6 at their default sizes; population 100,
10,000 evaluations, seeds 1..11. IGD and HV are also read from each run's history at 1,000 and
3,000 evaluations (valid: none of these algorithms depends on its budget). `budgets.csv` holds
every (label, problem, n_var, seed, evaluations, IGD, HV); `promise.md` the two-sided rank-sum
(p < 0.05) win/tie/loss counts of each portfolio against each of its single operators per
budget, and whether it is ever significantly worse than its best single operator (the one of
best median IGD in that cell).

    python runners/portfolio_benchmark.py --part ga [--workers 1]
    python runners/portfolio_benchmark.py --part gmoea [--suites imf]
    python runners/portfolio_benchmark.py --tables-only
    python runners/portfolio_benchmark.py --schedules

Re-running resumes: complete runs are skipped. `--schedules` writes `ga/schedules.md`: the same GA
with fixed schedules of the operators' probabilities (`FixedSchedule`, no credit) on the cells
the rules lose, to tell what an adaptive rule would have to do there (not resumable; minutes).
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import warnings
from pathlib import Path

import numpy as np

from evogan import SBX, DifferentialEvolution, PolynomialMutation, get_problem, igd, minimize, reference_front
from evogan.algorithms.ga import GeneticAlgorithm
from evogan.lab import anytime
from evogan.lab.campaign import Campaign, run_published_campaign
from evogan.lab.collection import Run, collect
from evogan.lab.record import write_text_atomic
from evogan.lab.report import write_report
from evogan.lab.run import environment
from evogan.lab.stats import compare
from evogan.operators.combinators import Chain
from evogan.operators.portfolio import FixedSchedule, Portfolio

OUT = Path("results/portfolio")
BUDGETS = (1_000, 3_000, 10_000)
SUITES = {
    "imf": ([f"imf{i}" for i in range(1, 11)], {f"imf{i}": {"n_var": 30} for i in range(1, 11)}),
    "zdt": (["zdt1", "zdt2", "zdt3", "zdt4", "zdt6"], {}),
}
PARTS = {
    # part -> (labels, the last one the report's control; label settings; portfolios; singles)
    "ga": (("portfolio", "portfolio-pursuit", "portfolio-ucb", "portfolio-thompson",
            "portfolio-hv", "portfolio-pursuit-hv-call", "ga-de", "ga"),
           {"portfolio-pursuit": {"algo": "portfolio", "rule": "pursuit"},
            "portfolio-pursuit-hv-call": {"algo": "portfolio", "rule": "pursuit", "credit": "hv",
                                          "per": "call"},
            "portfolio-ucb": {"algo": "portfolio", "rule": "ucb"},
            "portfolio-thompson": {"algo": "portfolio", "rule": "thompson"},
            "portfolio-hv": {"algo": "portfolio", "credit": "hv"},
            "ga-de": {"algo": "ga", "variation": "evogan.operators:DifferentialEvolution"}},
           ("portfolio", "portfolio-pursuit", "portfolio-ucb", "portfolio-thompson",
            "portfolio-hv", "portfolio-pursuit-hv-call"), ("ga", "ga-de")),
    "gmoea": (("gmoea-portfolio", "gmoea", "gmoea-ga"), {}, ("gmoea-portfolio",),
              ("gmoea", "gmoea-ga")),
}

SCHEDULES = {
    # name -> phases of p_de (generations, p_de); p_sbx_pm = 1 - p_de; the last holds for ever
    "sbx_pm alone": ((1, 0.0),),
    "de alone": ((1, 1.0),),
    "p_de 0.1": ((1, 0.1),),
    "p_de 0.2": ((1, 0.2),),
    "p_de 0.5": ((1, 0.5),),
    "sbx_pm 30 gen, then de": ((30, 0.0), (1, 1.0)),
    "p_de 0.1 30 gen, then de": ((30, 0.1), (1, 1.0)),
    "p_de 0.2 30 gen, then de": ((30, 0.2), (1, 1.0)),
    "p_de 0.5 30 gen, then de": ((30, 0.5), (1, 1.0)),
    "p_de 0.1 10 gen, 0.5 40 gen, then de": ((10, 0.1), (40, 0.5), (1, 1.0)),
}
"""Fixed schedules of the GA's operator probabilities (`--schedules`), 100 offspring a generation."""
SCHEDULE_PROBLEMS = ("imf1", "imf2", "zdt1", "zdt2", "zdt3", "zdt4")
"""The cells the rules lose: IMF1 and IMF2 at 10,000 (DE best), ZDT1-4 at 1,000 and 3,000
(SBX + PM)."""


def schedule_igd(problem: str, phases: tuple[tuple[int, float], ...], seed: int,
                 budget: int) -> float:
    """IGD after `budget` evaluations of the `portfolio` GA whose probabilities follow `phases`."""
    instance = get_problem(problem, n_var=SUITES["imf"][1].get(problem, {}).get("n_var"))
    rule = FixedSchedule([(n, (1.0 - p_de, p_de)) for n, p_de in phases])
    variation = Portfolio({"sbx_pm": Chain(SBX(), PolynomialMutation()),
                           "de": DifferentialEvolution()}, rule=rule)
    result = minimize(instance, GeneticAlgorithm(pop_size=100, variation=variation), seed=seed,
                      max_evals=budget)
    return igd(result.F, reference_front(instance))


def write_schedules(out: Path, seeds: int) -> None:
    """schedules.md: median IGD of every schedule per problem and budget, marked by a rank-sum
    test (p < 0.05) against the better of the two operators alone (`+` better, `-` worse)."""
    values = {(name, problem, budget): [schedule_igd(problem, phases, seed, budget)
                                        for seed in range(1, seeds + 1)]
              for problem in SCHEDULE_PROBLEMS for budget in BUDGETS
              for name, phases in SCHEDULES.items()}
    columns = [(problem, budget) for problem in SCHEDULE_PROBLEMS for budget in BUDGETS]
    lines = ["# Fixed schedules of the operator probabilities (ga part)", "",
             f"The GA of `portfolio` (NSGA-II survival, population 100) with `FixedSchedule` "
             f"(p_sbx_pm = 1 - p_de, credit ignored; a generation is 100 offspring), seeds 1-{seeds}; "
             "median IGD, and `+`/`-` where a two-sided rank-sum (p < 0.05) finds the schedule "
             "better/worse than the better operator alone (`sbx_pm alone` or `de alone`, best "
             "median) in that cell.", "",
             "| schedule | " + " | ".join(f"{p} {b:,}" for p, b in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for name in SCHEDULES:
        cells = []
        for problem, budget in columns:
            best = min(("sbx_pm alone", "de alone"),
                       key=lambda s: np.median(values[(s, problem, budget)]))
            sample = values[(name, problem, budget)]
            mark = ("" if name == best else
                    compare(sample, values[(best, problem, budget)], higher_is_better=False).mark)
            cells.append(f"{np.median(sample):.3f}{mark.replace('=', '')}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    env = environment("cpu")
    lines += ["", f"Machine: {env['processor']} ({env['cpu_count']} cores), {env['platform']}; "
              + ", ".join(f"{k} {env[k]}" for k in ("python", "evogan", "torch", "numpy", "scipy",
                                                    "moocore", "pymoo")) + "."]
    write_text_atomic(out / "schedules.md", "\n".join(lines) + "\n")


def at_budget(run: Run, budget: int) -> dict[str, float]:
    """IGD and HV of the history row logged at `budget` evaluations (`evogan.lab.anytime`)."""
    row = anytime.at_budget(run, budget)
    return {"igd": float(row["igd"]), "hv": float(row["hv"]), "evaluations": int(row["n_evals"])}


def budget_rows(runs: list[Run]) -> list[dict[str, object]]:
    """One row per run and budget: label, problem, n_var, seed, evaluations, IGD, HV."""
    rows = []
    for run in runs:
        problem, _, n_var = run.instance
        for budget in BUDGETS:
            if budget <= run.max_evals:
                rows.append({"label": run.label, "problem": problem, "n_var": n_var,
                             "seed": int(run.record.summary["seed"]), **at_budget(run, budget)})
    return sorted(rows, key=lambda r: (r["label"], r["problem"], r["evaluations"], r["seed"]))


def promise_row(igd: dict[tuple, list[float]], portfolio: str, singles: tuple[str, ...],
                problems: list[str], budget: int) -> str:
    """W/T/L of `portfolio` against each single operator and the best one, on `problems`."""
    counts = {name: [0, 0, 0] for name in (*singles, "best")}
    worse = []
    for problem in problems:
        sample = igd.get((portfolio, problem, budget))
        controls = {s: igd.get((s, problem, budget)) for s in singles}
        if sample is None or any(c is None for c in controls.values()):
            continue
        best = min(singles, key=lambda s: np.median(controls[s]))
        for name, control in (*controls.items(), ("best", controls[best])):
            mark = compare(sample, control, higher_is_better=False).mark
            counts[name]["+=-".index(mark)] += 1
            if name == "best" and mark == "-":
                worse.append(f"{problem} ({best})")
    return (" | ".join("/".join(map(str, counts[n])) for n in (*singles, "best"))
            + f" | {', '.join(worse) or 'none'}")


def promise_table(rows: list[dict[str, object]], portfolios: tuple[str, ...],
                  singles: tuple[str, ...], problems: list[str]) -> list[str]:
    """Per portfolio, suite and budget: W/T/L against each single operator and the best one."""
    igd: dict[tuple, list[float]] = {}
    for row in rows:
        igd.setdefault((row["label"], row["problem"], row["evaluations"]), []).append(row["igd"])
    lines = ["| portfolio | suite | evaluations | " + " | ".join(f"vs {s} W/T/L" for s in singles)
             + " | vs best single W/T/L | significantly worse than the best single on |",
             "|---|---|---:|" + "---:|" * len(singles) + "---:|---|"]
    for portfolio in portfolios:
        for suite, (names, _) in SUITES.items():
            members = [p for p in names if p in problems]
            for budget in BUDGETS if members else ():
                lines.append(f"| {portfolio} | {suite} | {budget:,} | "
                             + promise_row(igd, portfolio, singles, members, budget) + " |")
    return lines


def probability_table(runs: list[Run], portfolios: tuple[str, ...], problems: list[str]) -> list[str]:
    """Per portfolio and problem: the median over seeds of each operator's probability at every
    budget (the history row logged there, as for IGD), to show when a rule moves."""
    lines = []
    for portfolio in portfolios:
        found = [r for r in runs if r.label == portfolio]
        if not found:
            continue
        columns = sorted(k for k in found[0].record.history[-1] if k.startswith("p_"))
        heads = [(c, b) for c in columns for b in BUDGETS]
        lines += ["", f"Probabilities of `{portfolio}` at each budget (median over seeds):", "",
                  "| problem | " + " | ".join(f"`{c}` {b:,}" for c, b in heads) + " |",
                  "|---|" + "---:|" * len(heads)]
        for problem in problems:
            cell = [r for r in found if r.instance[0] == problem]
            if cell:
                medians = [np.median([anytime.at_budget(r, b)[c] for r in cell]) for c, b in heads]
                lines.append(f"| {problem} | " + " | ".join(f"{m:.2f}" for m in medians) + " |")
    return lines


def credit_table(runs: list[Run], portfolios: tuple[str, ...], problems: list[str]) -> list[str]:
    """Per portfolio and problem: the median over seeds of each operator's mean reward over the
    generations of each budget window (up to 1,000, 1,000-3,000, 3,000-10,000 evaluations), as
    the rule saw it (`survival_<name>` or, under HV credit, `hv_<name>`; generations in which an
    operator made nothing are left out, and so are seeds in which it made nothing in the
    window), to show which operator the credit favours, and when."""
    lines = []
    windows = tuple(zip((0, *BUDGETS[:-1]), BUDGETS, strict=True))
    for portfolio in portfolios:
        found = [r for r in runs if r.label == portfolio]
        if not found:
            continue
        last = found[0].record.history[-1]
        kind = "hv_" if any(k.startswith("hv_") for k in last) else "survival_"
        columns = sorted(k for k in last if k.startswith(kind))
        heads = [(c, w) for w in windows for c in columns]
        lines += ["", f"Mean reward of each operator in `{portfolio}` per window of evaluations "
                  "(median over seeds):", "",
                  "| problem | " + " | ".join(f"`{c}` {lo:,}-{hi:,}" for c, (lo, hi) in heads)
                  + " |", "|---|" + "---:|" * len(heads)]
        for problem in problems:
            cell = [r for r in found if r.instance[0] == problem]
            if cell:
                with warnings.catch_warnings():  # an operator that made nothing in a window
                    warnings.simplefilter("ignore", RuntimeWarning)
                    medians = [np.nanmedian([np.nanmean([row[c] for row in r.record.history
                                                         if lo < row["n_evals"] <= hi])
                                             for r in cell]) for c, (lo, hi) in heads]
                lines.append(f"| {problem} | " + " | ".join(f"{m:.3f}" for m in medians) + " |")
    return lines


def write_tables(part: str, out: Path) -> None:
    """budgets.csv and promise.md of one part's campaign folder."""
    _, _, portfolios, singles = PARTS[part]
    found = collect(out)
    rows = budget_rows(found.runs)
    text = io.StringIO()
    writer = csv.DictWriter(text, ["label", "problem", "n_var", "seed", "evaluations", "igd", "hv"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / "budgets.csv", text.getvalue())
    problems = [p for p in found.problem_order if any(r["problem"] == p for r in rows)]
    lines = [f"# Portfolio against its single operators ({part} part)", "",
             "IGD, two-sided rank-sum, p < 0.05, seeds as in `budgets.csv` (read from each run's "
             "history at the budget). W: the portfolio significantly better; L: significantly "
             "worse. The best single operator is the one of best median IGD in each cell.", "",
             *promise_table(rows, portfolios, singles, problems),
             *probability_table(found.runs, portfolios, problems),
             *credit_table(found.runs, portfolios, problems)]
    write_text_atomic(out / "promise.md", "\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS), default="ga")
    parser.add_argument("--suites", default="imf,zdt", help="comma-separated, run in this order")
    parser.add_argument("--seeds", type=int, default=11)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--tables-only", action="store_true", help="only rebuild the tables")
    parser.add_argument("--schedules", action="store_true",
                        help="only write ga/schedules.md (fixed schedules, see above)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.schedules:
        write_schedules(OUT / "ga", args.seeds)
        return
    out = OUT / args.part
    labels, settings, _, _ = PARTS[args.part]
    if not args.tables_only:
        for suite in args.suites.split(","):
            problems, problem_settings = SUITES[suite]
            campaign = Campaign(algos=labels, problems=tuple(problems),
                                seeds=tuple(range(1, args.seeds + 1)), max_evals=(10_000,),
                                pop_size=100, algorithm=settings, problem=problem_settings)
            run_published_campaign(campaign, out, workers=args.workers)
        write_report(out)
    write_tables(args.part, out)


if __name__ == "__main__":
    main()
