"""The anytime table: readings of runs at budgets below their own, from run records or read back
from a committed budgets.csv, so that a campaign's counts can be recomputed without its records."""

from pathlib import Path

import pytest

from evogan.core.errors import ConfigError
from evogan.lab.anytime import AnytimeTable, counts_table
from evogan.lab.collection import Collection, Run
from evogan.lab.config import RunConfig
from evogan.lab.run import execute

HEADER = "label,problem,n_var,seed,evaluations,igd,hv\n"


@pytest.fixture(scope="module")
def found() -> Collection:
    runs = [Run(Path(f"{algo}-{seed}"), execute(RunConfig(algo=algo, problem="zdt1", pop_size=20,
                                                          max_evals=200, seed=seed)))
            for algo in ("nsga2", "gmoea-ga") for seed in (1, 2, 3)]
    return Collection(root=Path("."), runs=runs)


def test_a_written_table_reads_back_with_the_same_readings_and_counts(found, tmp_path):
    table = AnytimeTable.from_runs(found, (100, 200))
    assert len(table.rows) == 12 and table.order == [("zdt1", 30)]
    path = tmp_path / "budgets.csv"
    path.write_text(table.to_csv())
    back = AnytimeTable.read(path, (100, 200))
    for label in ("nsga2", "gmoea-ga"):
        for budget in (100, 200):
            stored = table.values(label, ("zdt1", 30), budget)
            assert back.values(label, ("zdt1", 30), budget) == stored
    assert stored == [run.value("igd") for run in found.runs if run.label == "gmoea-ga"]
    pairs = [("gmoea-ga", "nsga2")]
    assert counts_table(back, pairs, (100, 200)) == counts_table(table, pairs, (100, 200))


def test_the_kth_reading_of_a_run_is_at_the_kth_budget(tmp_path):
    """A 30,000-evaluation history keeps every third generation: the reading for 1,000 is the
    row at 900. The budgets are by default those a campaign to the largest reading is read at
    (here 1,000 and 3,000). Labels are renamed on reading; instances follow the problem order given, then
    natural order (imf2 before imf10)."""
    path = tmp_path / "budgets.csv"
    path.write_text(HEADER + "plus-rm,imf10,30,1,900,0.5,0.1\nplus-rm,imf10,30,1,3000,0.4,0.2\n"
                    "plus-rm,imf2,30,1,900,0.7,0.0\nplus-rm,zdt1,30,1,900,0.2,0.3\n")
    table = AnytimeTable.read(path, rename={"plus-rm": "gmoea-plus"}, problem_order=["zdt1"])
    assert table.order == [("zdt1", 30), ("imf2", 30), ("imf10", 30)]
    assert table.values("gmoea-plus", ("imf10", 30), 1_000) == [0.5]
    assert table.values("gmoea-plus", ("imf10", 30), 3_000) == [0.4]
    assert table.values("gmoea-plus", ("imf2", 30), 3_000) == []  # that run stopped before
    assert table.values("plus-rm", ("imf10", 30), 1_000) == []


@pytest.mark.parametrize("content, message", [
    (HEADER + "a,zdt1,30,1,1200,0.5,0.1\n", r"at \[1200\] evaluations\) do not fit the budgets"),
    (HEADER + "a,zdt1,30,1,900,0.5,0.1\na,zdt1,30,1,1000,0.5,0.1\na,zdt1,30,1,3000,0.5,0.1\n",
     "do not fit the budgets"),
    ("label,problem,seed,evaluations,igd\na,zdt1,1,900,0.5\n", "no column n_var, hv"),
])
def test_a_file_that_does_not_fit_is_refused(tmp_path, content, message):
    path = tmp_path / "budgets.csv"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        AnytimeTable.read(path, (1_000, 3_000))
