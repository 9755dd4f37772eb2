"""gmoea-plus: tables of its ablation and of its final comparisons, from finished campaigns.

The campaigns run with the CLI (commands in results/gmoea_plus*/README.md): the final
comparisons hold nsga2, gmoea-ga, portfolio, gmoea and gmoea-plus, on IMF1-10 at n_var = 30 to
30,000 evaluations (`results/gmoea_plus`), at n_var = 100 to 10,000 (`results/gmoea_plus_n100`),
on ZDT/DTLZ to 30,000 (`results/gmoea_plus_classic`) and on LSMOP1-9 to 30,000
(`results/gmoea_plus_lsmop`); `results/gmoea_plus_ablation` holds gmoea-plus with one option on
at a time, to 3,000, and its subfolders single candidates to 10,000 or 30,000. Then

    python runners/gmoea_plus.py ablation results/gmoea_plus_ablation --baselines results/gmoea_plus
    python runners/gmoea_plus.py final results/gmoea_plus
    python runners/gmoea_plus.py final results/gmoea_plus_ablation/pursuit \
        --new plus-pursuit0 --baselines results/gmoea_plus
    python runners/gmoea_plus.py final results/rm_meda/imf --new rm-meda,portfolio-rm \
        --baselines results/gmoea_plus

write, from the run records (IGD read from the histories at each budget, `evogan.lab.anytime`):

- `budgets.csv`: IGD and HV of every run at 1,000, 3,000, 10,000 and 30,000 evaluations (those
  its budget reaches), the baselines' runs included in the ablation's;
- `counts.md`: wins/ties/losses (two-sided rank-sum, p < 0.05) of each candidate against gmoea
  and gmoea-ga (ablation), of gmoea-plus against each baseline of `FINAL_CONTROLS` (final), per
  problem and in total, with median IGD and the final population's range along x1..x(M-1);
- `wall.md` (final): median wall time per run and its ratio to gmoea-ga's.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evogan.lab.anytime import budgets_csv, counts_table, values_at
from evogan.lab.collection import Collection, collect
from evogan.lab.record import write_text_atomic

NEW = "gmoea-plus"
BASES = ("gmoea", "gmoea-ga")
"""The ablation measures each candidate against GMOEA (the operator's base) and its GA control."""

FINAL_CONTROLS = ("gmoea-ga", "nsga2", "portfolio", "gmoea")
"""The final comparison's baselines: the GA control, NSGA-II, the portfolio of the classic
operators alone (SBX + PM and DE, what gmoea-plus's GA branch is) and GMOEA; those a campaign
lacks are skipped."""

ANYTIME_BUDGETS = (1_000, 3_000, 10_000, 30_000)
"""The budgets at which the issue reads IGD, those at or below a campaign's budget."""


def medians_table(found: Collection, labels: Sequence[str], budget: int,
                  column: str = "igd") -> str:
    """Markdown: median `column` over seeds at `budget`, per problem (rows) and label."""
    lines = ["| problem | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for instance in found.instances():
        cells = []
        for label in labels:
            try:
                values = values_at(found, label, instance, budget, column)
            except KeyError:  # an algorithm that does not log this column
                values = []
            cells.append(f"{np.median(values):.3f}" if values else "—")
        lines.append(f"| {instance[0]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def totals_line(table: str) -> str:
    """The W/T/L row of one budget's section of `counts_table`."""
    return next(line for line in table.splitlines() if line.startswith("| W/T/L"))


def ablation(folder: Path, baselines: Path) -> None:
    found = collect(folder)
    candidates = [label for label in found.labels() if label not in BASES]
    found.runs += [run for run in collect(baselines).runs if run.label in BASES]
    budgets = (1_000, 3_000)
    write_text_atomic(folder / "budgets.csv", budgets_csv(found, budgets))
    pairs = [(c, base) for c in candidates for base in BASES]
    lines = ["# gmoea-plus ablation: each option alone against gmoea and gmoea-ga", "",
             "IGD, two-sided rank-sum p < 0.05 over 11 seeds, read from the histories; `+` the "
             "candidate significantly better, `-` worse, `=` neither. gmoea and gmoea-ga are "
             f"the runs of `{baselines}` (to 10,000 evaluations) read at each budget.", "",
             "| candidate | " + " | ".join(f"vs {b} at {e:,}" for b in BASES for e in budgets)
             + " |", "|---|" + ":---:|" * (len(BASES) * len(budgets))]
    sections = {budget: counts_table(found, pairs, [budget]) for budget in budgets}
    for c in candidates:
        cells = []
        for base in BASES:
            for budget in budgets:
                column = pairs.index((c, base)) + 1
                cells.append(totals_line(sections[budget]).split("|")[column + 1].strip())
        lines.append(f"| {c} | " + " | ".join(cells) + " |")
    lines += ["", "# Per problem", ""] + [sections[b] for b in budgets]
    labels = [*BASES, *candidates]
    for budget in budgets:
        lines += [f"# Median IGD at {budget:,} evaluations", "",
                  medians_table(found, labels, budget)]
    lines += ["# Median range of the population along x1..x(M-1) at 3,000 evaluations", "",
              "(`position_range_pop`; 1 is the whole range, the collapse shows as a small one)",
              "", medians_table(found, labels, 3_000, "position_range_pop")]
    write_text_atomic(folder / "counts.md", "\n".join(lines))


def final(folder: Path, news: Sequence[str] = (NEW,), baselines: Sequence[Path] = (),
          also: Sequence[str] = ()) -> None:
    """The final comparison's tables of each label of `news` against `FINAL_CONTROLS` (and
    against gmoea-plus when it is another candidate, and against the labels of `also`), from
    the runs of `folder` and of the `baselines` folders (`budgets.csv` holds `folder`'s own
    runs: the baselines' are in their own folders')."""
    found = collect(folder)
    largest = max(run.max_evals for run in found.runs)
    budgets = sorted({*(b for b in ANYTIME_BUDGETS if b <= largest), largest})
    write_text_atomic(folder / "budgets.csv", budgets_csv(found, budgets))
    for baseline in baselines:
        found.runs += [run for run in collect(baseline).runs if run.label not in news]
    present = found.labels()
    labels = [label for label in dict.fromkeys((*FINAL_CONTROLS, NEW, *also, *news))
              if label in present]  # each once, in this order
    lines = []
    for new in news:
        pairs = [(new, control) for control in labels if control != new]
        lines += [f"# {new} against {', '.join(b for _, b in pairs)}: wins / ties / losses", "",
                  "IGD, two-sided rank-sum p < 0.05 over the seeds, read from the histories at "
                  f"each budget; `+` {new} significantly better, `-` worse, `=` neither.", "",
                  counts_table(found, pairs, budgets)]
    for budget in budgets:
        lines += [f"# Median IGD at {budget:,} evaluations", "",
                  medians_table(found, labels, budget)]
    lines += [f"# Median range of the population along x1..x(M-1) at {budgets[-1]:,} "
              "evaluations", "", medians_table(
                  found, [x for x in labels if x != "nsga2"], budgets[-1], "position_range_pop")]
    write_text_atomic(folder / "counts.md", "\n".join(lines))
    wall = ["# Wall time per run (median over seeds, s) and its ratio to gmoea-ga's", "",
            "| problem | " + " | ".join(labels) + " | " + " | ".join(
                f"{x} / gmoea-ga" for x in labels if x != "gmoea-ga") + " |",
            "|---|" + "---:|" * (2 * len(labels) - 1)]
    for instance in found.instances():
        median = {x: float(np.median([r.value("wall_s") for r in found.runs
                                      if r.label == x and r.instance == instance]))
                  for x in labels}
        wall.append(f"| {instance[0]} | " + " | ".join(f"{median[x]:.2f}" for x in labels)
                    + " | " + " | ".join(f"{median[x] / median['gmoea-ga']:.1f}"
                                         for x in labels if x != "gmoea-ga") + " |")
    write_text_atomic(folder / "wall.md", "\n".join(wall) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", choices=("ablation", "final"))
    parser.add_argument("campaign", type=Path, help="the campaign folder (its runs/ included)")
    parser.add_argument("--baselines", type=Path, nargs="+", default=[],
                        help="ablation: the campaign holding gmoea and gmoea-ga; final: "
                             "campaigns whose runs join the comparison (gmoea-plus's and its "
                             "controls', for a candidate named by --new)")
    parser.add_argument("--new", default=NEW,
                        help=f"final: the labels (comma-separated) compared with the controls "
                             f"(default {NEW})")
    parser.add_argument("--also", default="",
                        help="final: more labels (comma-separated) each new label is compared with")
    args = parser.parse_args()
    if args.table == "ablation":
        if len(args.baselines) != 1:
            parser.error("ablation needs one --baselines folder")
        ablation(args.campaign, args.baselines[0])
    else:
        final(args.campaign, args.new.split(","), args.baselines,
              [x for x in args.also.split(",") if x])


if __name__ == "__main__":
    main()
