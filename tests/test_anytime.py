"""The anytime table: readings of runs at budgets below their own, from run records or read back
from a committed budgets.csv, so that a campaign's counts can be recomputed without its records."""

from pathlib import Path

import pytest

from evogan.core.errors import ConfigError
from evogan.lab.anytime import AnytimeTable, counts_table, rank_sum_mark, tally
from evogan.lab.collection import Collection, Run
from evogan.lab.config import RunConfig
from evogan.lab.plots import draw_anytime, draw_counts
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


def three_instance_table(tmp_path) -> AnytimeTable:
    """`a` is better than `b` on zdt1 (every run), the same on zdt2, worse on zdt3, 6 seeds
    each, at budgets 1,000 and 3,000 (at 1,000 `a` is the same everywhere)."""
    rows = [HEADER]
    for seed in range(1, 7):
        for problem, a, b in (("zdt1", 0.1, 1.0), ("zdt2", 0.5, 0.5), ("zdt3", 1.0, 0.1)):
            for label, igd in (("a", a), ("b", b)):
                rows += [f"{label},{problem},30,{seed},1000,{0.5 + seed / 100},0\n",
                         f"{label},{problem},30,{seed},3000,{igd + seed / 100},0\n"]
    path = tmp_path / "budgets.csv"
    path.write_text("".join(rows))
    return AnytimeTable.read(path)


def test_tally_counts_the_marks_of_the_counts_table(tmp_path):
    table = three_instance_table(tmp_path)
    assert tally(table, "a", "b", 3_000) == {"+": 1, "=": 1, "-": 1, "n/a": 0}
    assert tally(table, "b", "a", 3_000) == {"+": 1, "=": 1, "-": 1, "n/a": 0}
    assert tally(table, "a", "b", 1_000) == {"+": 0, "=": 3, "-": 0, "n/a": 0}
    assert rank_sum_mark(table, "a", "b", ("zdt1", 30), 3_000) == "+"
    assert rank_sum_mark(table, "a", "b", ("zdt3", 30), 3_000) == "-"
    text = counts_table(table, [("a", "b")], (1_000, 3_000))
    assert "| W/T/L | 0/3/0 |" in text and "| W/T/L | 1/1/1 |" in text


def test_the_anytime_and_counts_figures_are_drawn_from_a_table(tmp_path):
    table = three_instance_table(tmp_path)
    anytime = draw_anytime(table, ["a", "b", "absent"], tmp_path / "f" / "anytime.png", "t")
    counts = draw_counts(table, "a", ["b"], tmp_path / "f" / "counts.png", "t")
    for path in (anytime, counts):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
