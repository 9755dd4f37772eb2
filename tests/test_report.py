"""`evogan report` on records written elsewhere: tables, tests, ranks, figures, bad input."""

import argparse
import csv
import shutil
import struct

import matplotlib.text
import numpy as np
import pytest
from scipy import stats as sps

from evogan.cli import add_report_arguments, run_report_command
from evogan.core.errors import ConfigError
from evogan.lab import plots
from evogan.lab.collection import Run, median_run
from evogan.lab.config import RunConfig
from evogan.lab.plots import convergence_band
from evogan.lab.record import RunRecord, write_record
from evogan.lab.report import write_report
from evogan.lab.run import execute

ALGOS, PROBLEMS, SEEDS = ("ga", "nsga2", "nsga3"), ("zdt1", "dtlz2"), (1, 2)


@pytest.fixture(scope="module")
def elsewhere(tmp_path_factory):
    """Records as `evogan run` writes them, in a flat folder without a campaign file."""
    root = tmp_path_factory.mktemp("records")
    for algo in ALGOS:
        for problem in PROBLEMS:
            for seed in SEEDS:
                config = RunConfig(algo=algo, problem=problem, pop_size=12, max_evals=60, seed=seed)
                write_record(execute(config), root / f"{algo}-{problem}-s{seed}")
    return root


def report_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    return parser.parse_args(list(argv))


def read_summary(root):
    with open(root / "summary.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_report_of_foreign_records_has_ranks_and_friedman(elsewhere, tmp_path):
    assert run_report_command(report_args(str(elsewhere), "--out", str(tmp_path))) == 0
    rows = read_summary(tmp_path)
    assert [(r["label"], r["problem"], r["seed"]) for r in rows] == [
        (a, p, str(s)) for p in ("dtlz2", "zdt1") for a in ALGOS for s in SEEDS]
    # medians (rows: dtlz2, zdt1; columns: ga, nsga2, nsga3) straight from summary.csv
    medians = np.array([[np.median([float(r["igd"]) for r in rows
                                    if (r["problem"], r["label"]) == (p, a)]) for a in ALGOS]
                        for p in ("dtlz2", "zdt1")])
    report = (tmp_path / "report.md").read_text()
    igd_table = report.split("### IGD (")[1].split("### IGD+")[0]
    ranks = sps.rankdata(medians, axis=1).mean(axis=0)
    assert "| mean rank | " + " | ".join(f"{r:.2f}" for r in ranks) + " |" in igd_table
    statistic = sps.friedmanchisquare(*medians.T).statistic
    assert f"Friedman test over 2 problems: chi-square = {statistic:.3f}" in igd_table
    assert "control **nsga3**" in report  # no campaign file: the last in alphabetical order
    assert "| +/-/= | 0/0/0 (2 n/a) | 0/0/0 (2 n/a) | control |" in igd_table  # 2 vs 2 seeds
    for name in ("fronts-e60-zdt1", "fronts-e60-dtlz2", "igd-evals-e60", "box-igd-e60"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 1000


def test_control_option_and_bad_input(elsewhere, tmp_path):
    written = write_report(elsewhere, control="ga", out=tmp_path, figures=False)
    report = written.report.read_text()
    assert "control **ga**" in report and "| control | 0/0/0 (2 n/a) | 0/0/0 (2 n/a) |" in report
    assert not (tmp_path / "figures").exists()
    with pytest.raises(ConfigError, match="--control 'moead' is not among"):
        run_report_command(report_args(str(elsewhere), "--control", "moead", "--out",
                                       str(tmp_path)))
    with pytest.raises(ConfigError, match="missing: no such folder"):
        run_report_command(report_args(str(tmp_path / "missing"), "--out", str(tmp_path)))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no run records"):
        run_report_command(report_args(str(tmp_path / "empty")))


def test_an_unreadable_record_is_listed_and_fails_the_command(elsewhere, tmp_path):
    broken = tmp_path / "broken-run"
    broken.mkdir()
    (broken / "summary.json").write_text("{}")  # no config.json, history.csv, final.npz
    write_record(execute(RunConfig(algo="nsga2", problem="zdt1", pop_size=12, max_evals=24)),
                 tmp_path / "good-run")
    assert run_report_command(report_args(str(tmp_path), "--no-figures")) == 1
    report = (tmp_path / "report.md").read_text()
    assert "- unreadable record: `broken-run`" in report and "**Warning**" not in report
    assert len(read_summary(tmp_path)) == 1
    shutil.copytree(tmp_path / "good-run", tmp_path / "copied-run")
    again = write_report(tmp_path, figures=False).report.read_text()
    assert "**Warning**: 1 record(s) repeat" in again


def test_a_truncated_final_npz_is_listed_as_unreadable_and_the_report_goes_on(tmp_path):
    for seed in (1, 2):
        write_record(execute(RunConfig(algo="nsga2", problem="zdt1", pop_size=12, max_evals=24,
                                       seed=seed)), tmp_path / f"run-s{seed}")
    final = tmp_path / "run-s2" / "final.npz"
    final.write_bytes(final.read_bytes()[:100])  # an interrupted copy
    assert run_report_command(report_args(str(tmp_path))) == 1
    report = (tmp_path / "report.md").read_text()
    assert "## Runs missing from the tables" in report
    assert "- unreadable record: `run-s2`: " in report and "final.npz" in report
    assert [row["seed"] for row in read_summary(tmp_path)] == ["1"]
    assert (tmp_path / "figures" / "fronts-e24-zdt1.png").exists()


@pytest.mark.parametrize("summary", ["{}", '{"problem": "zdt1", "seed": 2}', "[]"])
def test_a_summary_json_without_the_fields_of_the_tables_is_unreadable(tmp_path, summary):
    for seed in (1, 2):
        write_record(execute(RunConfig(algo="nsga2", problem="zdt1", pop_size=12, max_evals=24,
                                       seed=seed)), tmp_path / f"run-s{seed}")
    (tmp_path / "run-s2" / "summary.json").write_text(summary)  # parses, but says nothing
    assert run_report_command(report_args(str(tmp_path), "--no-figures")) == 1
    report = (tmp_path / "report.md").read_text()
    assert "- unreadable record: `run-s2`: " in report
    assert [row["seed"] for row in read_summary(tmp_path)] == ["1"]


def write_fake_record(root, algo: str, problem: str, seed: int, igd: float, hv: float,
                      hv_ref_point: list[float] | None = None) -> None:
    """A record with given indicators (no run behind it): the report's tables read only these."""
    config = {"algo": algo, "max_evals": 100, "pop_size": 10}
    if hv_ref_point is not None:
        config["hv_ref_point"] = hv_ref_point
    write_record(RunRecord(config=config,
                           summary={"problem": problem, "n_obj": 2, "n_var": 5, "seed": seed,
                                    "igd": igd, "igd_plus": igd, "hv": hv, "wall_s": 1.0},
                           X=np.zeros((1, 5)), F=np.zeros((1, 2))),
                 root / f"{algo}-{problem}-s{seed}")


def test_cells_with_too_few_seeds_for_significance_get_no_mark(tmp_path):
    # p1: 5 vs 5 seeds, a always better (exact p = 2/252); p2: 3 vs 3, a always better, but the
    # smallest possible p is 2/C(6, 3) = 0.1
    for seed in range(1, 6):
        write_fake_record(tmp_path, "a", "p1", seed, igd=0.1 + seed / 100, hv=0.9 - seed / 100)
        write_fake_record(tmp_path, "b", "p1", seed, igd=0.5 + seed / 100, hv=0.5 - seed / 100)
    for seed in range(1, 4):
        write_fake_record(tmp_path, "a", "p2", seed, igd=0.1 + seed / 100, hv=0.9 - seed / 100)
        write_fake_record(tmp_path, "b", "p2", seed, igd=0.5 + seed / 100, hv=0.5 - seed / 100)
    report = write_report(tmp_path, control="b", figures=False).report.read_text()
    assert "smallest possible p" in report.split("## Problems")[0]  # the rule, in the header
    for title in ("### IGD (", "### HV ("):
        table = report.split(title)[1].split("### ")[0]
        rows = {line.split(" | ")[0]: line for line in table.splitlines() if line.startswith("|")}
        assert rows["| p1"].startswith("| p1 | **") and rows["| p1"].count("**") == 2
        assert "** + | " in rows["| p1"]
        assert "n/a (3 vs 3 seeds: smallest possible p = 0.1)" in rows["| p2"]
        assert "**" not in rows["| p2"] and not any(f" {m} |" in rows["| p2"] for m in "+-=")
        assert rows["| +/-/="] == "| +/-/= | 1/0/0 (1 n/a) | control |"
        assert "n/a: too few seeds" in table and "not counted in +/-/=" in table
        assert "(3 vs 3 seeds: 2/C(6, 3) = 0.1) is not below 0.05" in table


def png_size(path) -> tuple[int, int]:
    """(width, height) in pixels, from the PNG header."""
    return struct.unpack(">II", path.read_bytes()[16:24])


def test_figures_are_legible_and_the_fronts_name_their_axes(elsewhere, tmp_path, monkeypatch):
    seen = {}
    save = plots._save

    def inspect(fig, path):  # what each figure holds, before _save closes it
        texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()
                 and t.get_visible()]
        seen[path.stem] = {
            "inches": tuple(fig.get_size_inches()),
            "smallest font": min(t.get_fontsize() for t in texts),
            "labels": [(ax.get_xlabel(), ax.get_ylabel(),
                        ax.get_zlabel() if hasattr(ax, "get_zlabel") else None)
                       for ax in fig.axes],
            "panel widths": [ax.get_position().width * fig.get_size_inches()[0]
                             for ax in fig.axes]}
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", inspect)
    write_report(elsewhere, out=tmp_path)
    assert sorted(seen) == ["box-igd-e60", "fronts-e60-dtlz2", "fronts-e60-zdt1", "igd-evals-e60"]
    assert seen["fronts-e60-zdt1"]["labels"] == [("f1", "f2", None)] * 3
    assert seen["fronts-e60-dtlz2"]["labels"] == [("f1", "f2", "f3")] * 3
    for name, figure in seen.items():
        width, height = png_size(tmp_path / "figures" / f"{name}.png")
        assert (width, height) == tuple(round(150 * inches) for inches in figure["inches"]), name
        assert width >= 1200, name  # was 648 px at 90 dpi
        assert figure["smallest font"] >= 9, name  # points; was 7
        assert min(figure["panel widths"]) >= 2.5, name  # inches of plotting area per panel


def test_an_hv_of_zero_is_explained_with_the_reference_point(tmp_path):
    for seed in range(1, 4):
        write_fake_record(tmp_path, "a", "p1", seed, igd=0.5, hv=0.0 if seed < 3 else 0.2,
                          hv_ref_point=[1.1, 1.1])
        write_fake_record(tmp_path, "b", "p1", seed, igd=0.4, hv=0.3)
        write_fake_record(tmp_path, "a", "p2", seed, igd=0.5, hv=0.0)
        write_fake_record(tmp_path, "b", "p2", seed, igd=0.4, hv=0.1)
    report = write_report(tmp_path, control="b", figures=False).report.read_text()
    hv_table = report.split("### HV (")[1].split("### ")[0]
    rows = {line.split(" | ")[0]: line for line in hv_table.splitlines() if line.startswith("|")}
    assert rows["| p1"].startswith("| p1 | 0.000e+00 (1.000e-01) † ")
    assert rows["| p2"].startswith("| p2 | 0.000e+00 (0.000e+00) † ")
    assert "†" not in rows["| p1"].split(" | ")[2] and "†" not in rows["| p2"].split(" | ")[2]
    assert ("† HV = 0 means that no final solution dominates the HV reference point, so the "
            "dominated volume is empty:") in hv_table
    assert "p1 (reference point [1.1, 1.1]): a in 2 of 3 runs" in hv_table
    assert "p2 (reference point not in the records): a in 3 of 3 runs" in hv_table
    assert "†" not in report.split("### HV (")[0]  # IGD tables: no such mark


def fake_run(seed: int, igd: float, history: list[tuple[int, float]] = ()) -> Run:
    record = RunRecord(config={"algo": "x", "max_evals": 30},
                       summary={"seed": seed, "igd": igd, "problem": "p", "n_obj": 2, "n_var": 3},
                       history=[{"n_evals": e, "igd": v} for e, v in history])
    return Run(folder=None, record=record)


def test_median_run_is_the_lower_middle_one():
    runs = [fake_run(1, 0.4), fake_run(2, 0.1), fake_run(3, 0.3), fake_run(4, 0.2)]
    assert median_run(runs).record.summary["seed"] == 4  # 0.1, [0.2], 0.3, 0.4
    assert median_run(runs[:3]).record.summary["seed"] == 3  # 0.1, [0.3], 0.4


def test_convergence_band_steps_each_history_on_the_union_of_evaluations():
    runs = [fake_run(1, 1.0, [(10, 3.0), (20, 2.0), (30, 1.0)]),
            fake_run(2, 2.0, [(10, 4.0), (30, 2.0)])]  # run 2 still has 4.0 at 20 evaluations
    evals, median, q25, q75 = convergence_band(runs)
    np.testing.assert_array_equal(evals, [10, 20, 30])
    np.testing.assert_allclose(median, [3.5, 3.0, 1.5])
    np.testing.assert_allclose(q25, [3.25, 2.5, 1.25])
    np.testing.assert_allclose(q75, [3.75, 3.5, 1.75])


def test_a_constrained_campaign_counts_infeasible_runs_as_worst_and_tables_feasibility(tmp_path):
    nan = float("nan")
    for seed in range(1, 6):
        # a: feasible, IGD 0.2-0.24; b: no feasible solution in seeds 1-3
        for algo, igd, share, best_cv in (("a", 0.2 + seed / 100, 1.0, 0.0),
                                          ("b", nan if seed <= 3 else 0.1, 0.0 if seed <= 3
                                           else 0.5, 2.0 * seed if seed <= 3 else 0.0)):
            write_record(RunRecord(
                config={"algo": algo, "max_evals": 100, "pop_size": 10},
                summary={"problem": "c", "n_obj": 2, "n_var": 5, "seed": seed, "igd": igd,
                         "igd_plus": igd, "hv": igd if igd == igd else nan, "wall_s": 1.0,
                         "feasible_share": share, "best_cv": best_cv},
                history=[{"n_evals": 100, "igd": igd, "hv": nan}],
                X=np.zeros((2, 5)), F=np.eye(2)), tmp_path / f"{algo}-s{seed}")
    written = write_report(tmp_path, control="b")
    report = written.report.read_text()
    igd_row = [line for line in report.split("### IGD (")[1].splitlines()
               if line.startswith("| c ")][0]
    assert igd_row == "| c | **2.300e-01 (2.000e-02)** = | inf (inf) |"  # b: 0.1, 0.1, inf x 3
    hv_row = [line for line in report.split("### HV (")[1].splitlines()
              if line.startswith("| c ")][0]
    assert hv_row.startswith("| c | **2.300e-01") and "| 0.000e+00 (1.000e-01) † |" in hv_row
    assert "counts as IGD = IGD+ = inf and HV = 0" in report
    table = report.split("### Feasibility")[1].split("### ")[0]
    assert "| c | 5/5; 1.00; 0 | 2/5; 0.00; 2 |" in table
    header = read_summary(tmp_path)[0]
    assert list(header)[list(header).index("hv") + 1:][:2] == ["feasible_share", "best_cv"]
    assert len(written.figures) == 3  # the figures leave the NaN runs out instead of failing


def test_unconstrained_summaries_keep_their_columns(tmp_path):
    write_fake_record(tmp_path, "a", "p", 1, igd=0.1, hv=0.5)
    write_report(tmp_path, figures=False)
    assert "feasible_share" not in read_summary(tmp_path)[0]


def test_the_header_names_a_labels_variation_and_the_cpu_arithmetic(tmp_path):
    config = RunConfig(algo="ga", problem="zdt1", pop_size=12, max_evals=60, seed=1,
                       variation="evogan.operators:DifferentialEvolution")
    write_record(execute(config), tmp_path / "records" / "ga-de")
    write_report(tmp_path / "records")
    header = (tmp_path / "records" / "report.md").read_text()
    assert "algorithm `ga` with variation `evogan.operators:DifferentialEvolution`" in header
    assert "torch_cpu_capability" in header and "mkl_cbwr" in header
