"""Did a change move a result? Rank-sum of the final IGD per (algorithm, problem) between two runs
of the same campaign, before and after a change, read from their `summary.csv` files.

    python runners/summary_equivalence.py BEFORE.csv AFTER.csv --out results/NAME/equivalence.md

A change that alters the random streams (a refactor that draws numbers in another order) should
leave each distribution where it was: with p < 0.05 about one comparison in twenty differs by
chance. The report lists every comparison with both medians and counts the ones below 0.05.

    python runners/summary_equivalence.py STORED.csv RERUN.csv --exact --rename old=new --out F

checks instead that a rerun reproduced stored runs bit for bit: every run of RERUN (labels of
STORED renamed by `--rename`, e.g. when a configuration became an algorithm's default) is matched
to the stored run of the same label, problem, n_var and seed, and `EXACT_COLUMNS` must be equal
as written (full precision). Without `--exact`, `--rename` pairs BEFORE's label with another
label of AFTER: `--rename egan=egan-cycle` tests a new configuration's runs against the stored
runs of the one it would replace.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

from evogan.lab.record import write_text_atomic

EXACT_COLUMNS = ("n_evals", "n_gen", "igd", "igd_plus", "gd", "hv", "front_size")
"""What `--exact` compares: every indicator and count of a run, not its wall time."""


def final_values(path: Path, indicator: str, label: str = "label", problem: str = "problem"
                 ) -> dict[tuple[str, str], list[float]]:
    """(label, problem) -> the indicator's values, one per seed, from a report's summary.csv
    (or any per-run table whose columns `label` and `problem` name them, e.g. a toy benchmark's
    runs.csv with `trainer` and `data`)."""
    cells: dict[tuple[str, str], list[float]] = defaultdict(list)
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            cells[row[label] or row.get("algo", ""), row[problem]].append(float(row[indicator]))
    return cells


def exact_lines(stored: Path, rerun: Path, rename: dict[str, str]) -> list[str]:
    """Markdown: each rerun run beside its stored twin, and how many are identical."""
    def rows(path: Path, names: dict[str, str]) -> dict[tuple, dict]:
        with open(path, newline="") as handle:
            return {(names.get(r["label"] or r["algo"], r["label"] or r["algo"]), r["problem"],
                     r["n_var"], r["seed"]): r for r in csv.DictReader(handle)}

    before, after = rows(stored, rename), rows(rerun, {})
    lines = ["| label | problem | n_var | seed | IGD stored | IGD rerun | identical |",
             "|---|---|---:|---:|---:|---:|---|"]
    same = 0
    for key in sorted(after, key=lambda k: (k[0], k[1], int(k[2]), int(k[3]))):
        twin = before.get(key)
        equal = twin is not None and all(twin[c] == after[key][c] for c in EXACT_COLUMNS)
        same += equal
        lines.append(f"| {' | '.join(key)} | {twin['igd'] if twin else '(none)'} | "
                     f"{after[key]['igd']} | {'yes' if equal else 'NO'} |")
    return lines + ["", f"{same} of {len(after)} rerun runs identical to the stored ones in "
                    f"{', '.join(EXACT_COLUMNS)}."]


def ranksum_lines(before_path: Path, after_path: Path, indicator: str, label: str,
                  problem: str, rename: dict[str, str]) -> tuple[list[str], int, int]:
    """Markdown rows of the rank-sum test of `indicator` per (label, problem), before (its labels
    renamed by `rename`) against after, with how many have p < 0.05 and how many there are
    (p = 1 where every value ties)."""
    before = {(rename.get(name, name), where): values for (name, where), values
              in final_values(before_path, indicator, label, problem).items()}
    after = final_values(after_path, indicator, label, problem)
    lines = [f"Two-sided Wilcoxon rank-sum test (`scipy.stats.mannwhitneyu`) of the final "
             f"{indicator.upper()} per algorithm and problem, before ({before_path.name}) "
             f"against after ({after_path.name}).", "",
             "| algorithm | problem | seeds | median before | median after | p |",
             "|---|---|---:|---:|---:|---:|"]
    below = 0
    for key in sorted(set(before) & set(after)):
        tied = len(set(before[key]) | set(after[key])) == 1
        p = 1.0 if tied else stats.mannwhitneyu(before[key], after[key],
                                                 alternative="two-sided").pvalue
        below += p < 0.05
        lines.append(f"| {key[0]} | {key[1]} | {len(before[key])} / {len(after[key])} | "
                     f"{np.median(before[key]):.4g} | {np.median(after[key]):.4g} | {p:.3f} |")
    return [*lines, ""], below, len(set(before) & set(after))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--indicator", default="igd",
                        help="the column compared; several comma-separated")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--problem-column", default="problem")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--title", default="Before and after a change")
    parser.add_argument("--exact", action="store_true",
                        help="check that AFTER reproduced BEFORE's runs bit for bit")
    parser.add_argument("--rename", default="",
                        help="OLD=NEW pairs (comma-separated) renaming BEFORE's labels")
    args = parser.parse_args()
    rename = dict(pair.split("=") for pair in args.rename.split(",") if pair)
    if args.exact:
        lines = [f"# {args.title}", "", f"Runs of {args.after.name} rerun against the stored runs "
                 f"of {args.before.name}, matched by label, problem, n_var and seed.", "",
                 *exact_lines(args.before, args.after, rename)]
        write_text_atomic(args.out, "\n".join(lines) + "\n")
        print(lines[-1])
        return
    lines, below, total = [f"# {args.title}", ""], 0, 0
    for indicator in args.indicator.split(","):
        section, moved, compared = ranksum_lines(args.before, args.after, indicator,
                                                 args.label_column, args.problem_column, rename)
        lines += section
        below, total = below + moved, total + compared
    lines += [f"{below} of {total} comparisons have p < 0.05 (about {0.05 * total:.1f} expected "
              "by chance when nothing moved)."]
    write_text_atomic(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
