"""Multitask benchmark: EMT-GS against MO-MFEA (two settings) and one NSGA-II per task on the
CEC2017 pairs.

All nine CEC2017 multiobjective multitask pairs (cec17-cihs ... cec17-nils), 100 individuals
per task, 200,000 evaluations per problem (as in MToP), seeds 1..11 by default. The labels:
`emt-gs`; `mo-mfea` (MToP-faithful operators: SBX and PM eta 20, every child mutated);
`mo-mfea-strong` (`mo-mfea` with `operators=mfea`: SBX eta 2, PM eta 5, a child crossed or
mutated, never both); `nsga2` (one independent NSGA-II per task, the same total budget), the
control of the report's rank-sum tests: the question is whether transfer helps at all. The
report also gives the CEC2017 multitask score.

    python runners/multitask_benchmark.py [--seeds 11] [--workers 2] [--out results/multitask]
        [--labels emt-gs,mo-mfea,mo-mfea-strong,nsga2] [--problems cec17-cihs,...]
        [--compare-with OTHER/summary.csv ...]

Re-running resumes: complete runs are skipped. `--labels` runs a subset; `--compare-with` adds
the rows of earlier runs of this runner (same budget, population and seeds) to OUT/versus.md,
which counts the rank-sum wins, ties and losses of EMT-GS (and of mo-mfea-strong) against
every other label, per task, and gives the CEC2017 multitask score of every label (written
whenever one of the two is among the rows). `--problems cec17-cims-mtop` runs CIMS as MToP and
DDMTOLab define it.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np

from evogan.algorithms.multitask.metrics import multitask_score
from evogan.core.errors import ConfigError
from evogan.core.problem import MULTITASK
from evogan.lab.campaign import Campaign, run_published_campaign
from evogan.lab.record import write_text_atomic
from evogan.lab.report import write_report
from evogan.lab.stats import ALPHA, compare
from evogan.problems import available_problems
from evogan.problems.multitask import CEC17_VARIANTS

LABELS = ("emt-gs", "mo-mfea", "mo-mfea-strong", "nsga2")
SETTINGS = {"mo-mfea-strong": {"algo": "mo-mfea", "operators": "mfea"}}
SUBJECTS = ("emt-gs", "mo-mfea-strong")
"""The labels versus.md compares with every other label, when they are among the rows."""


def read_cells(paths: Sequence[Path]) -> dict[tuple[str, str], dict[int, float]]:
    """(label, task) -> {seed: final IGD} from summary.csv files of this runner.

    Raises:
        ConfigError: the files disagree on the budget, the population or a task's reference
            front (IGD values would not compare), or two hold one cell.
    """
    cells: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    budgets: set[tuple[str, str]] = set()
    fronts: dict[str, set[str]] = defaultdict(set)
    owner: dict[tuple[str, str], Path] = {}
    for path in paths:
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                key = row["label"] or row["algo"], row["problem"]
                if owner.setdefault(key, path) != path:
                    raise ConfigError(f"{key[0]} on {key[1]} is in both {owner[key]} and {path}")
                budgets.add((row["max_evals"], row["pop_size"]))
                fronts[key[1]].add(row.get("front_hash", ""))
                cells[key][int(row["seed"])] = float(row["igd"])
    if len(budgets) > 1:
        raise ConfigError(f"the summaries mix budgets (max_evals, pop_size): {sorted(budgets)}")
    mixed = sorted(task for task, hashes in fronts.items() if len(hashes) > 1)
    if mixed:
        raise ConfigError(f"the summaries use different reference fronts for {mixed[0]}")
    return dict(cells)


def versus_report(cells: dict[tuple[str, str], dict[int, float]]) -> str:
    """versus.md: one `versus_table` per label of `SUBJECTS` among the rows, then the CEC2017
    multitask score of every label."""
    seeds = sorted({seed for values in cells.values() for seed in values})
    present = {label for label, _ in cells}
    return "\n".join([
        "# Each label against the others, per task", "",
        f"Median final IGD over seeds {seeds[0]}-{seeds[-1]} ({len(seeds)} seeds); the mark is "
        f"the two-sided Wilcoxon rank-sum test (`evogan.lab.stats.compare`, p < {ALPHA:g}) of "
        "the section's label against that column: + significantly better (lower IGD), "
        "- significantly worse, = no significant difference.", "",
        *(line for subject in SUBJECTS if subject in present
          for line in versus_table(cells, subject)),
        *score_table(cells)])


def versus_table(cells: dict[tuple[str, str], dict[int, float]], subject: str) -> list[str]:
    """Markdown lines: per task, `subject`'s median final IGD against every other label's, with
    the rank-sum mark (+: `subject` significantly better, -: worse, =: no significant
    difference), and the win/tie/loss counts per label. Only tasks and labels with the same
    seeds compare."""
    tasks = sorted({task for label, task in cells if label == subject})
    others = [label for label in dict.fromkeys(label for label, _ in sorted(cells))
              if label != subject]
    lines = ["| task | " + subject + " | " + " | ".join(others) + " |",
             "|---|---:|" + "---:|" * len(others)]
    counts = {label: {"+": 0, "=": 0, "-": 0, "n/a": 0} for label in others}
    for task in tasks:
        mine = cells[subject, task]
        texts = []
        for label in others:
            theirs = cells.get((label, task))
            if theirs is None or set(theirs) != set(mine):
                texts.append("—")
                continue
            mark = compare(list(mine.values()), list(theirs.values()),
                           higher_is_better=False).mark
            counts[label][mark] += 1
            texts.append(f"{np.median(list(theirs.values())):.4g} {mark}")
        lines.append(f"| {task} | {np.median(list(mine.values())):.4g} | " + " | ".join(texts)
                     + " |")
    lines.append(f"| {subject} wins/ties/losses | | " + " | ".join(
        "{+}/{=}/{-}".format(**counts[label])
        + (f" ({counts[label]['n/a']} untested: too few seeds)" if counts[label]["n/a"] else "")
        for label in others) + " |")
    return [f"## {subject} against each other label", "", *lines, ""]


def score_table(cells: dict[tuple[str, str], dict[int, float]]) -> list[str]:
    """Markdown lines: the CEC2017 multitask score (`evogan.algorithms.multitask.metrics.multitask_score`)
    of every label on every problem (tasks PROBLEM-t1, PROBLEM-t2, ...), over all labels at
    once, and its mean over the problems. A label enters a problem's score only with every
    task of it on the same seeds."""
    labels = list(dict.fromkeys(label for label, _ in sorted(cells)))
    problems: dict[str, list[str]] = defaultdict(list)
    for task in sorted({task for _, task in cells}):
        problems[task.rsplit("-t", 1)[0]].append(task)
    lines = ["## CEC2017 multitask score (lower is better)", "",
             "Per problem: each task's IGD standardised over all runs of all the labels below, "
             "averaged over the tasks, then over the runs (Yuan et al. 2017; MToP's IGD_MTS).", "",
             "| problem | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    totals: dict[str, list[float]] = defaultdict(list)
    for problem, tasks in problems.items():
        igd = {}
        for label in labels:
            runs = [cells.get((label, task)) for task in tasks]
            if all(run is not None and set(run) == set(runs[0]) for run in runs):
                igd[label] = np.array([[run[seed] for run in runs] for seed in sorted(runs[0])])
        scores = multitask_score(igd)
        best = min(scores.values())
        for label, score in scores.items():
            totals[label].append(score)
        lines.append(f"| {problem} | " + " | ".join(
            "—" if label not in scores else f"**{scores[label]:.3f}**"
            if scores[label] == best else f"{scores[label]:.3f}" for label in labels) + " |")
    lines.append("| mean | " + " | ".join(
        f"{np.mean(totals[label]):.3f}" if len(totals[label]) == len(problems) else "—"
        for label in labels) + " |")
    return [*lines, ""]


def _fail(message: str) -> NoReturn:
    """End with a one-line error (exit status 2), as the evogan CLI does."""
    print(f"evogan: {message}", file=sys.stderr)
    sys.exit(2)


def _listed(text: str, accepted: Sequence[str], option: str) -> tuple[str, ...]:
    """The comma-separated names of `text`, each one of `accepted` (else a one-line error)."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names or any(name not in accepted for name in names):
        _fail(f"{option} {text!r}: choose from {', '.join(accepted)}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=11)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-evals", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=Path("results/multitask"))
    parser.add_argument("--labels", default=",".join(LABELS),
                        help=f"comma-separated subset of {', '.join(LABELS)}")
    parser.add_argument("--problems", default=None,
                        help="comma-separated multitask problems (default: the nine CEC2017 "
                        "pairs; cec17-cims-mtop is CIMS as MToP defines it)")
    parser.add_argument("--compare-with", type=Path, nargs="*", default=[],
                        help="summary.csv files of earlier runs of this runner, for versus.md")
    args = parser.parse_args()
    labels = _listed(args.labels, LABELS, "--labels")
    known = available_problems(MULTITASK)
    pairs = tuple(name for name in known if name not in CEC17_VARIANTS)
    problems = pairs if args.problems is None else _listed(args.problems, known, "--problems")
    missing = [path for path in args.compare_with if not path.is_file()]
    if missing:
        _fail(f"--compare-with {missing[0]}: no such file")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    campaign = Campaign(algos=labels, problems=problems,
                        seeds=tuple(range(1, args.seeds + 1)), max_evals=(args.max_evals,),
                        pop_size=100,
                        algorithm={label: SETTINGS[label] for label in labels if label in SETTINGS})
    run_published_campaign(campaign, args.out, workers=args.workers)
    written = write_report(args.out)
    try:
        cells = read_cells([written.summary, *args.compare_with])
    except ConfigError as error:
        _fail(str(error))
    if any(label in SUBJECTS for label, _ in cells):
        write_text_atomic(args.out / "versus.md", versus_report(cells))


if __name__ == "__main__":
    main()
