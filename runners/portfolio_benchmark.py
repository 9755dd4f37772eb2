"""Adaptive operator portfolio benchmark: does a portfolio match its best single operator?

Two parts, each its own campaign folder under results/portfolio/:

- `ga`: evogan's GA (binary tournament, NSGA-II survival) with the `portfolio` of SBX + PM and DE
  under its four rules with survival credit (`portfolio`: probability matching,
  `portfolio-pursuit`, `portfolio-ucb`, `portfolio-thompson`) and probability matching with
  hypervolume-contribution credit (`portfolio-hv`), against the same GA with SBX + PM alone
  (`ga`) and DE alone (`ga-de`);
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

Re-running resumes: complete runs are skipped.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
from pathlib import Path

import numpy as np

from evogan.lab import anytime
from evogan.lab.campaign import Campaign, run_published_campaign
from evogan.lab.collection import Run, collect
from evogan.lab.record import write_text_atomic
from evogan.lab.report import write_report
from evogan.lab.stats import compare

OUT = Path("results/portfolio")
BUDGETS = (1_000, 3_000, 10_000)
SUITES = {
    "imf": ([f"imf{i}" for i in range(1, 11)], {f"imf{i}": {"n_var": 30} for i in range(1, 11)}),
    "zdt": (["zdt1", "zdt2", "zdt3", "zdt4", "zdt6"], {}),
}
PARTS = {
    # part -> (labels, the last one the report's control; label settings; portfolios; singles)
    "ga": (("portfolio", "portfolio-pursuit", "portfolio-ucb", "portfolio-thompson",
            "portfolio-hv", "ga-de", "ga"),
           {"portfolio-pursuit": {"algo": "portfolio", "rule": "pursuit"},
            "portfolio-ucb": {"algo": "portfolio", "rule": "ucb"},
            "portfolio-thompson": {"algo": "portfolio", "rule": "thompson"},
            "portfolio-hv": {"algo": "portfolio", "credit": "hv"},
            "ga-de": {"algo": "ga", "variation": "evogan.operators:DifferentialEvolution"}},
           ("portfolio", "portfolio-pursuit", "portfolio-ucb", "portfolio-thompson",
            "portfolio-hv"), ("ga", "ga-de")),
    "gmoea": (("gmoea-portfolio", "gmoea", "gmoea-ga"), {}, ("gmoea-portfolio",),
              ("gmoea", "gmoea-ga")),
}


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
    """Per portfolio and problem: the median over seeds of each operator's final probability."""
    lines = []
    for portfolio in portfolios:
        found = [r for r in runs if r.label == portfolio]
        if not found:
            continue
        columns = sorted(k for k in found[0].record.history[-1] if k.startswith("p_"))
        lines += ["", f"Final probabilities of `{portfolio}` (median over seeds):", "",
                  "| problem | " + " | ".join(f"`{c}`" for c in columns) + " |",
                  "|---|" + "---:|" * len(columns)]
        for problem in problems:
            cell = [r for r in found if r.instance[0] == problem]
            if cell:
                medians = [np.median([r.record.history[-1][c] for r in cell]) for c in columns]
                lines.append(f"| {problem} | " + " | ".join(f"{m:.2f}" for m in medians) + " |")
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
             *probability_table(found.runs, portfolios, problems)]
    write_text_atomic(out / "promise.md", "\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=sorted(PARTS), required=True)
    parser.add_argument("--suites", default="imf,zdt", help="comma-separated, run in this order")
    parser.add_argument("--seeds", type=int, default=11)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--tables-only", action="store_true", help="only rebuild the tables")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
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
