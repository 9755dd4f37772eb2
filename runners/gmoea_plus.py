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

and, without run records, from the committed `budgets.csv` files (labels renamed where a
configuration changed its name, as when the model joined gmoea-plus's default GA branch and its
GAN went to 100 epochs per fit; `--only` keeps the labels named):

    python runners/gmoea_plus.py merge results/gmoea_plus_final/imf --sources \
        results/gmoea_plus/budgets.csv results/rm_meda/imf/budgets.csv \
        results/rm_meda/plus_rm/budgets.csv results/gmoea_plus_epochs/imf/budgets.csv \
        --rename gmoea-plus=gmoea-plus-de,plus-rm=gmoea-plus-e200,plus-e100=gmoea-plus \
        --only nsga2,gmoea-ga,portfolio,gmoea,rm-meda,portfolio-rm,gmoea-plus-de,gmoea-plus-e200,gmoea-plus \
        --also gmoea-plus-e200,gmoea-plus-de,rm-meda,portfolio-rm

write, from the run records (IGD read from the histories at each budget, `evogan.lab.anytime`):

- `budgets.csv`: IGD and HV of every run at 1,000, 3,000, 10,000 and 30,000 evaluations (those
  its budget reaches), the baselines' runs included in the ablation's;
- `counts.md`: wins/ties/losses (two-sided rank-sum, p < 0.05) of each candidate against gmoea
  and gmoea-ga (ablation), of gmoea-plus against each baseline of `FINAL_CONTROLS` (final), per
  problem and in total, with median IGD and the final population's range along x1..x(M-1);
- `wall.md` (final): median wall time per run and its ratio to gmoea-ga's;
- `phases.md` (phases, the label of `--new`): where in a run the GAN works, per problem: its
  share of the batches, the survival of its batches and of the GA branch's, per window of
  evaluations, and the portfolio's probability of a GAN batch at each budget;
- `figures/anytime-igd.png` (final, merge): median IGD and its quartiles against the budget per
  problem, for `FINAL_CONTROLS` and the new labels (`--plot` names others), and
  `figures/counts-LABEL.png`: each new label's wins/ties/losses against every other label per
  budget, the counts of `counts.md` drawn.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from evogan.core.errors import ConfigError
from evogan.lab.anytime import AnytimeTable, at_budget, campaign_budgets, counts_table
from evogan.lab.campaign import read_campaign_toml
from evogan.lab.collection import Collection, Run, collect
from evogan.lab.plots import draw_anytime, draw_counts
from evogan.lab.record import write_text_atomic

NEW = "gmoea-plus"
BASES = ("gmoea", "gmoea-ga")
"""The ablation measures each candidate against GMOEA (the operator's base) and its GA control."""

FINAL_CONTROLS = ("gmoea-ga", "nsga2", "portfolio", "gmoea")
"""The final comparison's baselines: the GA control, NSGA-II, the portfolio of the classic
operators alone (SBX + PM and DE, what gmoea-plus's GA branch is) and GMOEA; those a campaign
lacks are skipped."""

READ_COLUMNS = ("igd", "hv", "position_range_pop")
"""The history columns the tables read at each budget."""



def _median(values: Sequence[float]) -> float:
    """The median of the values that are not NaN; NaN if none is."""
    kept = [v for v in values if not math.isnan(v)]
    return float(np.median(kept)) if kept else math.nan


def medians_table(table: AnytimeTable, labels: Sequence[str], budget: int,
                  column: str = "igd") -> str:
    """Markdown: median `column` over seeds at `budget`, per problem (rows) and label."""
    lines = ["| problem | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for instance in table.order:
        cells = []
        for label in labels:
            median = _median(table.values(label, instance, budget, column))
            cells.append("—" if math.isnan(median) else f"{median:.3f}")
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
    table = AnytimeTable.from_runs(found, budgets, READ_COLUMNS)
    write_text_atomic(folder / "budgets.csv", table.to_csv())
    pairs = [(c, base) for c in candidates for base in BASES]
    lines = ["# gmoea-plus ablation: each option alone against gmoea and gmoea-ga", "",
             "IGD, two-sided rank-sum p < 0.05 over 11 seeds, read from the histories; `+` the "
             "candidate significantly better, `-` worse, `=` neither. gmoea and gmoea-ga are "
             f"the runs of `{baselines}` (to 10,000 evaluations) read at each budget.", "",
             "| candidate | " + " | ".join(f"vs {b} at {e:,}" for b in BASES for e in budgets)
             + " |", "|---|" + ":---:|" * (len(BASES) * len(budgets))]
    sections = {budget: counts_table(table, pairs, [budget]) for budget in budgets}
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
                  medians_table(table, labels, budget)]
    lines += ["# Median range of the population along x1..x(M-1) at 3,000 evaluations", "",
              "(`position_range_pop`; 1 is the whole range, the collapse shows as a small one)",
              "", medians_table(table, labels, 3_000, "position_range_pop")]
    write_text_atomic(folder / "counts.md", "\n".join(lines))


def shown_labels(table: AnytimeTable, news: Sequence[str], also: Sequence[str]) -> list[str]:
    """The labels a final comparison shows, each once: `FINAL_CONTROLS`, gmoea-plus, `also`,
    `news`, those `table` holds."""
    return [label for label in dict.fromkeys((*FINAL_CONTROLS, NEW, *also, *news))
            if label in table.labels()]


def final_counts(table: AnytimeTable, news: Sequence[str], also: Sequence[str],
                 budgets: Sequence[int]) -> str:
    """counts.md of a final comparison: each label of `news` against `FINAL_CONTROLS`,
    gmoea-plus and the labels of `also` (those `table` holds), median IGD per budget and, where
    the table has it, the final population's range along x1..x(M-1)."""
    labels = shown_labels(table, news, also)
    lines = []
    for new in news:
        pairs = [(new, control) for control in labels if control != new]
        lines += [f"# {new} against {', '.join(b for _, b in pairs)}: wins / ties / losses", "",
                  "IGD, two-sided rank-sum p < 0.05 over the seeds, read from the histories at "
                  f"each budget; `+` {new} significantly better, `-` worse, `=` neither.", "",
                  counts_table(table, pairs, budgets)]
    for budget in budgets:
        lines += [f"# Median IGD at {budget:,} evaluations", "",
                  medians_table(table, labels, budget)]
    if any("position_range_pop" in row for row in table.rows):
        lines += [f"# Median range of the population along x1..x(M-1) at {budgets[-1]:,} "
                  "evaluations", "", medians_table(
                      table, [x for x in labels if x != "nsga2"], budgets[-1], "position_range_pop")]
    return "\n".join(lines)


def final(folder: Path, news: Sequence[str] = (NEW,), baselines: Sequence[Path] = (),
          also: Sequence[str] = (), plot: Sequence[str] = ()) -> None:
    """The final comparison's tables of each label of `news` against `FINAL_CONTROLS` (and
    against gmoea-plus when it is another candidate, and against the labels of `also`), from
    the runs of `folder` and of the `baselines` folders (`budgets.csv` holds `folder`'s own
    runs: the baselines' are in their own folders'); `plot`: as `draw_figures`."""
    found = collect(folder)
    budgets = campaign_budgets(max(run.max_evals for run in found.runs))
    table = AnytimeTable.from_runs(found, budgets, READ_COLUMNS)
    write_text_atomic(folder / "budgets.csv", table.to_csv())
    others = Collection(root=folder, problem_order=found.problem_order, runs=[
        run for baseline in baselines for run in collect(baseline).runs if run.label not in news])
    table += AnytimeTable.from_runs(others, budgets, READ_COLUMNS)
    found.runs += others.runs
    write_text_atomic(folder / "counts.md", final_counts(table, news, also, budgets))
    draw_figures(folder, table, news, also, plot)
    labels = shown_labels(table, news, also)
    ratios = [x for x in labels if x != "gmoea-ga"] if "gmoea-ga" in labels else []
    wall = ["# Wall time per run (median over seeds, s) and its ratio to gmoea-ga's", "",
            "| problem | " + " | ".join([*labels, *(f"{x} / gmoea-ga" for x in ratios)]) + " |",
            "|---|" + "---:|" * (len(labels) + len(ratios))]
    for instance in found.instances():
        median = {x: float(np.median([r.value("wall_s") for r in found.runs
                                      if r.label == x and r.instance == instance]))
                  for x in labels}
        wall.append(f"| {instance[0]} | " + " | ".join(
            [*(f"{median[x]:.2f}" for x in labels),
             *(f"{median[x] / median['gmoea-ga']:.1f}" for x in ratios)]) + " |")
    write_text_atomic(folder / "wall.md", "\n".join(wall) + "\n")


def draw_figures(folder: Path, table: AnytimeTable, news: Sequence[str], also: Sequence[str],
                 plot: Sequence[str] = ()) -> None:
    """`folder/figures/anytime-igd.png` (the labels of `plot`, by default `FINAL_CONTROLS` and
    `news`, those `table` holds) and `folder/figures/counts-NEW.png` for each label of `news`
    against every other label `final_counts` compares it with."""
    plotted = [x for x in (plot or (*FINAL_CONTROLS, *news)) if x in table.labels()]
    draw_anytime(table, plotted, folder / "figures" / "anytime-igd.png",
                 f"{folder.name}: median IGD against the budget, quartile band, "
                 f"{len({row['seed'] for row in table.rows})} seeds")
    shown = shown_labels(table, news, also)
    for new in news:
        draw_counts(table, new, [x for x in shown if x != new],
                    folder / "figures" / f"counts-{new}.png",
                    f"{new}: problems on which its IGD is significantly better / worse "
                    "(rank-sum p < 0.05)")


PHASE_COLUMNS = (
    ("gan_batch", "share of the batches the GAN made"),
    ("gan_survival", "share of a GAN batch that survived"),
    ("ga_survival", "share of a GA-branch batch that survived"),
)
"""The history columns `phases` averages over each window of evaluations."""


def _window_mean(run: Run, column: str, low: int, high: int) -> float:
    """Mean of `column` over the history rows of `run` logged in (low, high] evaluations (NaN
    rows, batches of the other branch, left out)."""
    values = [v for row in run.record.history if low < row["n_evals"] <= high
              and not math.isnan(v := float(row.get(column, math.nan)))]
    return float(np.mean(values)) if values else math.nan


def phases(folder: Path, label: str = NEW) -> None:
    """`folder/phases.md`: `phases_table` of the runs of `label` in `folder`."""
    write_text_atomic(folder / "phases.md", phases_table(collect(folder), label))


def phases_table(found: Collection, label: str = NEW) -> str:
    """Markdown: where in a run `label`'s GAN works. Per problem, the median over the seeds of
    each run's mean of `PHASE_COLUMNS` in each window between consecutive budgets (0-1,000,
    1,000-3,000, ...), and of the probability of a GAN batch (`p_gan`) at each budget; the last
    row, the median over the problems. Histories to 30,000 evaluations keep one generation in
    three, so the shares are estimates from the kept rows."""
    runs = [run for run in found.runs if run.label == label]
    budgets = campaign_budgets(max(run.max_evals for run in runs))
    windows = list(zip([0, *budgets[:-1]], budgets, strict=True))
    lines = [f"# {label}: where its GAN works", "",
             "Median over the seeds (and, last row, over the problems) of each run's mean in "
             "each window of evaluations, or of its value at each budget (`p_gan`). A history "
             "to 30,000 evaluations keeps one generation in three.", ""]
    header = "| problem | " + " | ".join(f"{a:,}-{b:,}" for a, b in windows) + " |"
    sections = [(f"{title} (`{column}`)", lambda run, w, c=column: _window_mean(run, c, *w),
                 header, windows) for column, title in PHASE_COLUMNS]
    sections.append(("probability of a GAN batch (`p_gan`) at each budget",
                     lambda run, b: float(at_budget(run, b).get("p_gan", math.nan)),
                     "| problem | " + " | ".join(f"{b:,}" for b in budgets) + " |", budgets))
    for title, read, head, points in sections:
        lines += [f"## {title}", "", head, "|---|" + "---:|" * len(points)]
        medians = []
        for instance in found.instances():
            mine = [run for run in runs if run.instance == instance]
            medians.append([_median([read(run, point) for run in mine]) for point in points])
            lines.append(f"| {instance[0]} | " + " | ".join(f"{m:.3f}" for m in medians[-1]) + " |")
        lines += ["| median | " + " | ".join(f"{_median(column):.3f}" for column in zip(
            *medians, strict=True)) + " |", ""]
    return "\n".join(lines)


def listed_problems(folder: Path) -> tuple[str, ...]:
    """The problems `folder/campaign.toml` lists, in its order (none without the file), read
    without validating the campaign: a stored one may configure an option removed since, which
    only matters to running it again."""
    campaign = folder / "campaign.toml"
    return tuple(read_campaign_toml(campaign).get("problems", ())) if campaign.is_file() else ()


def merge(out: Path, sources: Sequence[Path], rename: dict[str, str], news: Sequence[str],
          also: Sequence[str], counts_only: bool = False, only: Sequence[str] = (),
          plot: Sequence[str] = ()) -> None:
    """A final comparison from committed `budgets.csv` files instead of run records: their rows
    (labels renamed by `rename`, only those of the labels `only` when it is given) joined into
    `out/budgets.csv` (not with `counts_only`, for a campaign folder whose own budgets.csv is
    among the sources), and `out/counts.md` as `final` writes it, without the position ranges
    (a budgets.csv holds IGD and HV only). Problems are ordered as the campaign.toml beside each
    file lists them."""
    tables = []
    for source in sources:
        tables.append(AnytimeTable.read(source, rename=rename,
                                        problem_order=listed_problems(source.parent)))
    table = sum(tables[1:], tables[0])
    if only:
        table = AnytimeTable([row for row in table.rows if row["label"] in only],
                             table.problem_order)
    budgets = sorted({row["budget"] for row in table.rows if row["label"] in news})
    out.mkdir(parents=True, exist_ok=True)
    if not counts_only:
        write_text_atomic(out / "budgets.csv", table.to_csv())
    write_text_atomic(out / "counts.md", final_counts(table, news, also, budgets))
    draw_figures(out, table, news, also, plot)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", choices=("ablation", "final", "merge", "phases"))
    parser.add_argument("campaign", type=Path, help="the campaign folder (its runs/ included); "
                        "merge: the folder to write")
    parser.add_argument("--baselines", type=Path, nargs="+", default=[],
                        help="ablation: the campaign holding gmoea and gmoea-ga; final: "
                             "campaigns whose runs join the comparison (gmoea-plus's and its "
                             "controls', for a candidate named by --new)")
    parser.add_argument("--new", default=NEW,
                        help=f"final: the labels (comma-separated) compared with the controls "
                             f"(default {NEW})")
    parser.add_argument("--also", default="",
                        help="final, merge: more labels (comma-separated) each new label is "
                             "compared with")
    parser.add_argument("--sources", type=Path, nargs="+", default=[],
                        help="merge: the budgets.csv files to join")
    parser.add_argument("--rename", default="",
                        help="merge: OLD=NEW label pairs (comma-separated) applied to the sources")
    parser.add_argument("--only", default="",
                        help="merge: keep only these labels (comma-separated, after --rename)")
    parser.add_argument("--plot", default="",
                        help="final, merge: the labels (comma-separated) of the anytime figure "
                             "(default: the controls and the new labels)")
    parser.add_argument("--counts-only", action="store_true",
                        help="merge: write counts.md only (the folder's budgets.csv is a source)")
    args = parser.parse_args()
    also = [x for x in args.also.split(",") if x]
    plot = [x for x in args.plot.split(",") if x]
    if args.table == "ablation":
        if len(args.baselines) != 1:
            parser.error("ablation needs one --baselines folder")
        ablation(args.campaign, args.baselines[0])
    elif args.table == "final":
        final(args.campaign, args.new.split(","), args.baselines, also, plot)
    elif args.table == "phases":
        phases(args.campaign, args.new)
    else:
        missing = [str(path) for path in args.sources if not path.is_file()]
        if not args.sources or missing:
            parser.error(f"merge needs --sources, files that exist (not {', '.join(missing)})"
                         if missing else "merge needs --sources")
        pairs = [pair.split("=") for pair in args.rename.split(",") if pair]
        if any(len(pair) != 2 for pair in pairs):
            parser.error(f"--rename takes OLD=NEW pairs, got {args.rename!r}")
        try:
            merge(args.campaign, args.sources, dict(pairs), args.new.split(","), also,
                  args.counts_only, [x for x in args.only.split(",") if x], plot)
        except ConfigError as error:
            parser.error(str(error))


if __name__ == "__main__":
    main()
