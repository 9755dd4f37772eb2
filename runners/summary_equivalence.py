"""Did a change move a result? Rank-sum of the final IGD per (algorithm, problem) between two runs
of the same campaign, before and after a change, read from their `summary.csv` files.

    python runners/summary_equivalence.py BEFORE.csv AFTER.csv --out results/NAME/equivalence.md

A change that alters the random streams (a refactor that draws numbers in another order) should
leave each distribution where it was: with p < 0.05 about one comparison in twenty differs by
chance. The report lists every comparison with both medians and counts the ones below 0.05.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

from evogan.lab.record import write_text_atomic


def final_values(path: Path, indicator: str) -> dict[tuple[str, str], list[float]]:
    """(label, problem) -> the indicator's values, one per seed, from a report's summary.csv."""
    cells: dict[tuple[str, str], list[float]] = defaultdict(list)
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            cells[row["label"] or row["algo"], row["problem"]].append(float(row[indicator]))
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--indicator", default="igd")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--title", default="Before and after a change")
    args = parser.parse_args()
    before, after = final_values(args.before, args.indicator), final_values(args.after, args.indicator)
    lines = [f"# {args.title}", "",
             f"Two-sided Wilcoxon rank-sum test (`scipy.stats.mannwhitneyu`) of the final "
             f"{args.indicator.upper()} per algorithm and problem, before ({args.before.name}) "
             f"against after ({args.after.name}).", "",
             "| algorithm | problem | seeds | median before | median after | p |",
             "|---|---|---:|---:|---:|---:|"]
    below = 0
    for key in sorted(set(before) & set(after)):
        p = stats.mannwhitneyu(before[key], after[key], alternative="two-sided").pvalue
        below += p < 0.05
        lines.append(f"| {key[0]} | {key[1]} | {len(before[key])} / {len(after[key])} | "
                     f"{np.median(before[key]):.4g} | {np.median(after[key]):.4g} | {p:.3f} |")
    total = len(set(before) & set(after))
    lines += ["", f"{below} of {total} comparisons have p < 0.05 (about {0.05 * total:.1f} expected "
              "by chance when nothing moved)."]
    write_text_atomic(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
