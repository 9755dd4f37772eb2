"""A user's own pymoo problem (`--problem FILE.py:NAME` / `MODULE:NAME`): IGD against its own
`pareto_front()`, HV only without one, the HV reference point rules, and campaigns."""

import csv
import hashlib
import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from evogan.cli import main
from evogan.lab.record import read_record
from evogan.problems.user import HV_SAMPLE_SEED, HV_SAMPLE_SIZE, problem_folder

PROBLEM_FILE = textwrap.dedent("""
    import numpy as np
    from pymoo.core.problem import Problem


    class WithFront(Problem):
        '''ZDT1's formulas on [0, 1]^n_var, with its front as 500 points.'''

        def __init__(self, n_var=6):
            super().__init__(n_var=n_var, n_obj=2, xl=0.0, xu=1.0)

        def _evaluate(self, x, out, *args, **kwargs):
            g = 1 + 9 * x[:, 1:].mean(axis=1)
            out["F"] = np.column_stack([x[:, 0], g * (1 - np.sqrt(x[:, 0] / g))])

        def _calc_pareto_front(self):
            f1 = np.linspace(0, 1, 500)
            return np.column_stack([f1, 1 - np.sqrt(f1)])


    class NoFront(WithFront):
        '''The same objectives on [0, 1] x [0, 2] x [0, 1]^2; no pareto_front().'''

        def __init__(self):
            super().__init__(n_var=4)
            self.xl = np.zeros(4)
            self.xu = np.array([1.0, 2.0, 1.0, 1.0])

        def _calc_pareto_front(self):
            return None


    class Constrained(WithFront):
        '''One inequality constraint; evogan's engine does not refuse it.'''

        def __init__(self):
            super().__init__()
            self.n_ieq_constr = 1

        def _evaluate(self, x, out, *args, **kwargs):
            super()._evaluate(x, out)
            out["G"] = 0.5 - x[:, :1]
""")

MODULE_FILE = textwrap.dedent("""
    from pymoo.problems.many import DTLZ2


    def make_problem(n_obj=3):
        '''A factory: DTLZ2 with 5 + n_obj variables.'''
        return DTLZ2(n_var=n_obj + 5, n_obj=n_obj)
""")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_problem.py").write_text(PROBLEM_FILE)
    (tmp_path / "usermod.py").write_text(MODULE_FILE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _zdt1(X):
    g = 1 + 9 * X[:, 1:].mean(axis=1)
    return np.column_stack([X[:, 0], g * (1 - np.sqrt(X[:, 0] / g))])


def _first_front(F):
    """Non-dominated rows of F, by pairwise comparison (no shared code with evogan)."""
    dominated = [(np.all(F <= f, axis=1) & np.any(F < f, axis=1)).any() for f in F]
    return F[~np.array(dominated)]


def _hv_2d(F, ref):
    """Exact 2-D hypervolume by a sweep over the sorted non-dominated points."""
    F = _first_front(F[np.all(F < ref, axis=1)])
    F = F[np.argsort(F[:, 0])]
    right = np.append(F[1:, 0], ref[0])
    return float(np.sum((right - F[:, 0]) * (ref[1] - F[:, 1])))


def test_a_problem_with_a_front_gets_igd_against_it(workdir):
    assert main(["run", "--quiet", "--algo", "nsga2", "--problem", "my_problem.py:WithFront",
                 "--n-var", "5", "--max-evals", "400", "--out", "rec"]) == 0
    record = read_record(workdir / "rec")
    assert record.summary["n_var"] == 5 and record.X.shape == (100, 5)
    np.testing.assert_allclose(record.F, _zdt1(record.X), rtol=1e-12)
    front = np.column_stack([np.linspace(0, 1, 500), 1 - np.sqrt(np.linspace(0, 1, 500))])
    F = _first_front(record.F)
    distances = np.linalg.norm(front[:, None, :] - F[None, :, :], axis=2)  # (500, n_nd)
    assert record.summary["igd"] == pytest.approx(distances.min(axis=1).mean(), rel=1e-9)
    assert record.summary["gd"] == pytest.approx(distances.min(axis=0).mean(), rel=1e-9)
    assert record.summary["hv"] == pytest.approx(_hv_2d(record.F, np.array([1.1, 1.1])), rel=1e-9)
    config = record.config
    assert config["front"] == "WithFront.pareto_front()" and config["front_size"] == 500
    values = np.ascontiguousarray(front, dtype="<f8")
    assert config["front_hash"] == hashlib.sha256(b"(500, 2)" + values.tobytes()).hexdigest()
    assert config["hv_ref_point"] == pytest.approx([1.1, 1.1])
    assert config["hv_ref_rule"] == "1.1 x the nadir of the reference front"
    assert config["problem_source"] == {
        "spec": "my_problem.py:WithFront", "file": str(workdir / "my_problem.py"),
        "sha256": hashlib.sha256((workdir / "my_problem.py").read_bytes()).hexdigest()}
    assert {"igd", "hv"} <= set(record.history[-1])


def test_without_a_front_only_hv_is_recorded_with_the_fixed_sample_point(workdir, capsys):
    for seed in ("1", "2"):
        assert main(["run", "--algo", "nsga2", "--problem", "my_problem.py:NoFront", "--seed",
                     seed, "--max-evals", "300", "--out", f"rec{seed}"]) == 0
    printed = capsys.readouterr().out
    assert "HV " in printed and "IGD" not in printed
    assert "front: none: NoFront has no pareto_front()" in printed
    records = [read_record(workdir / f"rec{seed}") for seed in ("1", "2")]
    xl, xu = np.zeros(4), np.array([1.0, 2.0, 1.0, 1.0])
    sample = xl + np.random.default_rng(HV_SAMPLE_SEED).random((HV_SAMPLE_SIZE, 4)) * (xu - xl)
    nadir = _first_front(_zdt1(sample)).max(axis=0)
    expected = np.where(nadir >= 0, 1.1 * nadir, 0.9 * nadir)
    for record in records:
        assert not {"igd", "igd_plus", "gd"} & set(record.summary)
        assert all("igd" not in row and "hv" in row for row in record.history)
        assert record.config["front"] == "none: NoFront has no pareto_front()"
        assert record.config["front_size"] is None and record.config["front_hash"] is None
        assert record.config["hv_ref_point"] == pytest.approx(expected.tolist(), rel=1e-12)
        assert "1000 uniform samples" in record.config["hv_ref_rule"]
        assert record.summary["hv"] == pytest.approx(_hv_2d(record.F, expected), rel=1e-9)
    assert records[0].summary["hv"] != records[1].summary["hv"]


def test_hv_ref_overrides_the_default_point(workdir):
    assert main(["run", "--quiet", "--algo", "nsga2", "--problem", "my_problem.py:NoFront",
                 "--max-evals", "200", "--hv-ref", "2,9", "--out", "rec"]) == 0
    record = read_record(workdir / "rec")
    assert record.config["hv_ref_point"] == [2.0, 9.0] and record.config["hv_ref"] == [2.0, 9.0]
    assert record.config["hv_ref_rule"] == "given (--hv-ref)"
    assert record.summary["hv"] == pytest.approx(_hv_2d(record.F, np.array([2.0, 9.0])))


def test_a_module_factory_gets_n_obj_and_a_constrained_problem_is_not_refused(workdir):
    assert main(["run", "--quiet", "--algo", "nsga2", "--problem", "usermod:make_problem",
                 "--n-obj", "2", "--max-evals", "200", "--out", "factory"]) == 0
    record = read_record(workdir / "factory")
    assert (record.summary["n_obj"], record.summary["n_var"]) == (2, 7)
    assert record.config["problem_source"]["file"] == str(workdir / "usermod.py")
    assert "igd" in record.summary  # pymoo's DTLZ2 has a pareto_front()
    assert main(["run", "--quiet", "--algo", "nsga2", "--problem", "my_problem.py:Constrained",
                 "--max-evals", "200", "--out", "constrained"]) == 0
    assert read_record(workdir / "constrained").summary["n_evals"] == 200


def test_default_folder_name_is_file_name_safe(workdir, capsys):
    assert main(["run", "--algo", "nsga2", "--problem", "my_problem.py:WithFront",
                 "--max-evals", "100"]) == 0
    assert Path("runs/nsga2-my_problem.py-WithFront-m2-d6-s1/summary.json").is_file()
    assert problem_folder("../probs/my.py:P") == "probs-my.py-P"
    assert problem_folder("zdt1") == "zdt1"


def test_a_campaign_runs_user_problems_and_reports_without_igd(workdir, capsys):
    command = ["compare", "--quiet", "--algos", "gmoea-ga,nsga2", "--problems",
               "my_problem.py:WithFront,my_problem.py:NoFront", "--seeds", "2", "--max-evals",
               "200", "--workers", "1", "--setting", "my_problem.py:WithFront.n_var=4",
               "--out", "camp"]
    assert main(command) == 0
    runs = workdir / "camp" / "runs"
    no_front = [read_record(p.parent) for p in runs.glob("*/my_problem.py-NoFront/*/*/summary.json")]
    with_front = [read_record(p.parent)
                  for p in runs.glob("*/my_problem.py-WithFront/*/*/summary.json")]
    assert len(no_front) == len(with_front) == 4
    assert {r.summary["n_var"] for r in with_front} == {4}
    points = {tuple(r.config["hv_ref_point"]) for r in no_front}
    assert len(points) == 1  # every algorithm and seed: one point, so HVs compare
    assert all("igd" not in r.summary for r in no_front)
    assert all("igd" in r.summary for r in with_front)
    report = (workdir / "camp" / "report.md").read_text()
    assert ("Not measured, no reference front: my_problem.py:NoFront (none: NoFront has no "
            "pareto_front())") in report
    assert "| my_problem.py:NoFront | 2 | 4 | none: NoFront has no pareto_front() |" in report
    assert "unreadable" not in report
    with open(workdir / "camp" / "summary.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["igd"] for row in rows if row["problem"] == "my_problem.py:NoFront"} == {""}
    assert all(float(row["hv"]) > 0 for row in rows)
    # the report's front figure finds the user's front again (its class takes n_var only)
    from evogan.lab.collection import collect
    from evogan.lab.plots import true_front

    drawn = {run.instance[0]: true_front(run) for run in collect(workdir / "camp").runs}
    assert drawn["my_problem.py:WithFront"].shape == (500, 2)
    assert drawn["my_problem.py:NoFront"] is None
    # the same command again finds every run complete
    assert main(command[:1] + ["--no-report"] + command[2:]) == 0
    assert "0 run(s) written, 8 already complete" in capsys.readouterr().out


def test_a_campaign_file_sets_a_user_problem_s_hv_ref_and_resume_checks_the_file(workdir,
                                                                                  capsys):
    Path("c.toml").write_text(textwrap.dedent("""
        algos = ["nsga2"]
        problems = ["my_problem.py:NoFront"]
        seeds = 1
        max_evals = 200

        [problem."my_problem.py:NoFront"]
        hv_ref = [3, 9.5]
        """))
    assert main(["compare", "--quiet", "--no-report", "c.toml", "--workers", "1", "--out",
                 "camp"]) == 0
    record = read_record(next(Path("camp/runs").glob("*/*/*/seed-1")))
    assert record.config["hv_ref_point"] == [3.0, 9.5]
    assert 'hv_ref = [3.0, 9.5]' in Path("camp/campaign.toml").read_text()
    assert json.loads(Path("camp/runs/nsga2/my_problem.py-NoFront/evals-200/seed-1/config.json")
                      .read_text())["problem"] == "my_problem.py:NoFront"
    # resuming after the file changed would mix two problems' records: refused
    before = Path("camp/campaign.toml").read_text()
    with open("my_problem.py", "a") as handle:
        handle.write("# edited\n")
    assert main(["compare", "--quiet", "--no-report", "c.toml", "--workers", "1", "--out",
                 "camp"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "problem file" in err and "has changed since the record" in err
    assert Path("camp/campaign.toml").read_text() == before


@pytest.mark.parametrize("value, point", [("1.1,2", (1.1, 2.0)), (" 1, 2 ", (1.0, 2.0)),
                                          ([3, 9.5], (3.0, 9.5)), (["1", 2], (1.0, 2.0))])
def test_hv_ref_forms(value, point):
    from evogan.lab.config import parse_point

    assert parse_point(value) == point


@pytest.mark.parametrize("value", ["1", "1,,2", "a,b", "nan,1", "1,inf", [True, 1], 3, [1, None]])
def test_hv_ref_refuses_what_is_not_a_point(value):
    from evogan.core.errors import ConfigError
    from evogan.lab.config import parse_point

    with pytest.raises(ConfigError, match=r"--hv-ref .* is not a point: give two or more finite"):
        parse_point(value)
