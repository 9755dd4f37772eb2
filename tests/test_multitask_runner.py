"""runners/multitask_benchmark.py: EMT-GS's wins, ties and losses read from summary.csv files."""

import csv

import numpy as np
import pytest

from evogan.algorithms.multitask.metrics import multitask_score
from evogan.core.errors import ConfigError
from tests.runner_module import load_runner


def _summary(path, rows, *, max_evals=1000, front="f"):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["algo", "label", "problem", "max_evals",
                                                    "pop_size", "seed", "igd", "front_hash"])
        writer.writeheader()
        for label, problem, seed, igd in rows:
            writer.writerow({"algo": label, "label": label, "problem": problem,
                             "max_evals": max_evals, "pop_size": 100, "seed": seed, "igd": igd,
                             "front_hash": front})
    return path


def test_versus_counts_wins_ties_and_losses_per_task(tmp_path):
    runner = load_runner("multitask_benchmark")
    seeds = range(1, 7)  # 6 vs 6 seeds: separated samples give p = 2/924 < 0.05
    mine = [("emt-gs", "p-t1", s, 1.0 + s / 100) for s in seeds]
    mine += [("emt-gs", "p-t2", s, 5.0 + s / 100) for s in seeds]
    theirs = [("base", "p-t1", s, 2.0 + s) for s in seeds]  # emt-gs better on t1
    theirs += [("base", "p-t2", s, 1.0 + s / 100) for s in seeds]  # worse on t2
    theirs += [("tied", t, s, v) for _, t, s, v in mine]  # the same values: a tie
    cells = runner.read_cells([_summary(tmp_path / "a.csv", mine),
                               _summary(tmp_path / "b.csv", theirs)])
    text = runner.versus_report(cells)
    assert "| p-t1 | 1.035 | 5.5 + | 1.035 = |" in text
    assert "| p-t2 | 5.035 | 1.035 - | 5.035 = |" in text
    assert "| emt-gs wins/ties/losses | | 1/0/1 | 0/2/0 |" in text
    assert "mo-mfea-strong" not in text  # a section only for a label among the rows
    # the score pools the three labels' runs of both tasks, seed by seed
    table = {label: np.array([[cells[label, f"p-t{t}"][s] for t in (1, 2)] for s in seeds])
             for label in ("base", "emt-gs", "tied")}
    score = multitask_score(table)
    assert score["base"] < score["emt-gs"] == score["tied"]  # the best is bold
    assert (f"| p | **{score['base']:.3f}** | {score['emt-gs']:.3f} | {score['tied']:.3f} |"
            in text)


def test_summaries_of_other_budgets_fronts_or_the_same_cell_twice_are_refused(tmp_path):
    runner = load_runner("multitask_benchmark")
    a = _summary(tmp_path / "a.csv", [("emt-gs", "p-t1", 1, 1.0)])
    b = _summary(tmp_path / "b.csv", [("base", "p-t1", 1, 1.0)], max_evals=2000)
    with pytest.raises(ConfigError, match="mix budgets"):
        runner.read_cells([a, b])
    c = _summary(tmp_path / "c.csv", [("emt-gs", "p-t1", 2, 1.0)])
    with pytest.raises(ConfigError, match="emt-gs on p-t1 is in both"):
        runner.read_cells([a, c])
    d = _summary(tmp_path / "d.csv", [("base", "p-t1", 1, 1.0)], front="g")
    with pytest.raises(ConfigError, match="different reference fronts for p-t1"):
        runner.read_cells([a, d])
