"""The README's code runs: the quick start's commands, the "Write your own operator" example and
the "Your own problem" file."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _section_code(heading: str) -> str:
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)[0]


def test_python_api_example_runs_and_reaches_a_good_igd(capsys):
    namespace: dict = {}
    exec(compile(_section_code("Python API"), "README:Python API", "exec"), namespace)
    igd_value, hv_value = map(float, capsys.readouterr().out.split())
    assert igd_value < 0.08  # GA + SPEA2 on DTLZ2 at 10,000 evaluations
    assert hv_value > 0.0


def test_user_operator_example_runs_in_evogan_and_in_pymoo():
    namespace: dict = {}
    exec(compile(_section_code("Write your own operator"), "README:operator", "exec"), namespace)
    igd, front = namespace["igd"], namespace["front"]
    # measured at seed 1, 5,000 evaluations: both well below 0.1
    assert igd(namespace["ours"].F, front) < 0.1
    assert igd(namespace["theirs"].F, front) < 0.1


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    quick_start = README.split("## Quick start\n", 1)[1].split("```")[1].strip().splitlines()
    assert len(quick_start) == 2
    assert quick_start[1].startswith('pip install -e ".[test')
    assert "grep -m1 '^pip install -e \".\\[test' README.md" in ci
    assert 'eval "$test_command"' in ci


def test_portfolio_example_runs_and_learns(capsys):
    exec(compile(_section_code("Adaptive operator portfolio"), "README:portfolio", "exec"), {})
    igd_value, p_de = map(float, re.fullmatch(r"IGD (\S+), p_de (\S+)\n", capsys.readouterr().out)
                          .groups())
    assert igd_value < 0.05  # measured 0.0154 (seed 1); SBX + PM alone 0.0141
    # measured: pursuit ends with DE at its ceiling 0.9 (late in the run DE's offspring survive
    # more often, although DE alone reaches only IGD 0.13 here): the probabilities did move
    assert p_de == 0.9


def test_user_problem_example_runs_from_the_command_line(tmp_path, monkeypatch):
    from evogan.cli import main
    from evogan.lab.record import read_record

    monkeypatch.chdir(tmp_path)
    Path("my_problem.py").write_text(_section_code("Your own problem"))
    assert main(["run", "--quiet", "--algo", "nsga2", "--problem", "my_problem.py:MyProblem",
                 "--n-var", "20", "--max-evals", "300", "--out", "rec"]) == 0
    record = read_record(tmp_path / "rec")
    assert record.summary["n_var"] == 20 and record.config["front_size"] == 1000
    assert 0 < record.summary["igd"] < 5  # ZDT1's g at 300 evaluations: far from the front


def test_constraints_example_reaches_the_constrained_front(capsys):
    namespace: dict = {}
    exec(compile(_section_code("Constraints"), "README:Constraints", "exec"), namespace)
    share, gap = map(float, capsys.readouterr().out.split())
    assert share == 1.0 and gap < 0.05  # measured: 0.015 at seed 1
