"""Bad input, command by command: one line on stderr naming the value, exit status 2 (bad input)
or 1 (a run that fails), never a traceback, and nothing written."""

import re
import textwrap
from pathlib import Path

import pytest

from evogan.cli import main
from evogan.lab.record import read_record

RUN = ["run", "--quiet", "--problem", "zdt1", "--max-evals", "200"]

USER_MODULES = {
    "raises.py": "raise RuntimeError('no licence server')\n",
    "broken.py": "def f(:\n",
    "ops.py": textwrap.dedent("""
        import numpy as np

        class NeedsArgs:
            def __init__(self, sigma):
                self.sigma = sigma

        def two_args(X, F):
            return X

        not_callable = 3

        def too_few(X, F, n, *, rng):
            return X[: n - 1]

        def outside(X, F, n, *, rng):
            return X[:n] * 2.0

        def as_list(X, F, n, *, rng):
            return X[:n].tolist()

        def nothing(X, F, n, *, rng):
            return None

        def nan(X, F, n, *, rng):
            out = X[:n].copy()
            out[0, 0] = np.nan
            return out

        def fine(X, F, n, *, rng):
            return X[rng.integers(0, len(X), n)]
        """),
    "imports_missing.py": "import evogan_no_such_module\n",
    "probs.py": textwrap.dedent("""
        import numpy as np
        from pymoo.core.problem import Problem


        class Good(Problem):
            def __init__(self, xl=0.0, xu=1.0, n_obj=2):
                super().__init__(n_var=3, n_obj=n_obj, xl=xl, xu=xu)

            def _evaluate(self, x, out, *args, **kwargs):
                out["F"] = np.column_stack([x[:, 0], 1 + x[:, 1:].sum(axis=1) - x[:, 0]])


        class NeedsArgs(Good):
            def __init__(self, scale):
                super().__init__()


        class Raises(Good):
            def __init__(self):
                raise ValueError("no data file")


        class NoBounds(Good):
            def __init__(self):
                super().__init__(xl=None, xu=None)


        class Inverted(Good):
            def __init__(self):
                super().__init__(xl=np.array([0.0, 1.0, 0.0]), xu=np.array([1.0, 0.0, 1.0]))


        class Infinite(Good):
            def __init__(self):
                super().__init__(xu=np.inf)


        class WrongShape(Good):
            def _evaluate(self, x, out, *args, **kwargs):
                out["F"] = x[:, :1]


        class AllNaN(Good):
            def _evaluate(self, x, out, *args, **kwargs):
                out["F"] = np.full((len(x), 2), np.nan)


        class LaterNaN(Good):
            def _evaluate(self, x, out, *args, **kwargs):
                super()._evaluate(x, out)
                # NaN for 0.1 < x_1 < 0.3: not at the two points checked when the problem is
                # built (x_1 = 0.64, 0.017), but in a fifth of the run's first population
                out["F"][(x[:, 0] > 0.1) & (x[:, 0] < 0.3), 1] = np.nan

            def _calc_pareto_front(self):
                return np.array([[0.0, 1.0], [1.0, 0.0]])


        class LaterRaise(LaterNaN):
            def _evaluate(self, x, out, *args, **kwargs):
                if ((x[:, 0] > 0.1) & (x[:, 0] < 0.3)).any():  # as LaterNaN: not at the checks
                    raise ZeroDivisionError("x_1 in (0.1, 0.3)")
                Good._evaluate(self, x, out)


        class BadFront(Good):
            def _calc_pareto_front(self):
                return np.array([0.0, 0.5, 1.0])


        class OneObjective(Good):
            def __init__(self):
                super().__init__(n_obj=1)


        class Multi(Good):
            kind = "multitask"


        class NotAProblem:
            pass


        def not_a_factory():
            return {"n_var": 3}


        number = 3
        """),
}

# (command line, expected exit status, pattern the one line must contain)
BAD_COMMANDS = [
    # --param: values converted to the declared type, ranges checked, conflicts refused
    (["--algo", "gmoea", "--param", "epochs=abc"], 2, "epochs=abc .* must be an integer >= 1"),
    (["--algo", "gmoea", "--param", "lr=fast"], 2, "lr=fast .* must be a number > 0"),
    (["--algo", "gmoea", "--param", "epochs=[1,2]"], 2, r"epochs=\[1,2\] .* an integer"),
    (["--algo", "gmoea", "--param", "epochs=1.5"], 2, "epochs=1.5 .* an integer"),
    (["--algo", "gmoea", "--param", "lr=-1"], 2, "lr=-1 .* a number > 0"),
    (["--algo", "gmoea", "--param", "shuffle_labels_bug=maybe"], 2, "true or false"),
    (["--algo", "gmoea", "--param", "k=200"], 2, "k=200 is larger than the population"),
    (["--algo", "gmoea", "--param", "speed=3"], 2, "has no parameter 'speed'"),
    (["--algo", "gmoea", "--param", "lr"], 2, "not of the form KEY=VALUE"),
    (["--algo", "gmoea", "--param", "lr=1e-3", "--param", "lr=1e-4"], 2, "lr is given twice"),
    (["--algo", "egan", "--param", "lr_g=-1"], 2, "lr_g=-1 .* a number > 0"),
    (["--algo", "egan", "--param", "gamma=NaN"], 2, "gamma=NaN .* a number >= 0"),
    (["--algo", "egan", "--param", "selection=best"], 2, "one of plus, comma, random"),
    (["--algo", "emt-gs", "--problem", "cec17-cihs", "--param", "cr=2"], 2,
     r"cr=2 .* in \[0, 1\]"),
    (["--algo", "emt-gs", "--problem", "cec17-cihs", "--param", "batch_size=0"], 2,
     "batch_size=0 .* an integer >= 1"),
    (["--algo", "mo-mfea", "--problem", "cec17-cihs", "--param", "operators=strong"], 2,
     "operators=strong is not accepted; operators must be one of mtop, mfea"),
    (["--algo", "gmoea", "--pop-size", "50", "--param", "pop_size=20"], 2,
     "pop_size is set by --pop-size"),
    (["--algo", "ga", "--param", "device=cuda"], 2, "device is set by --device"),
    # algorithm and problem of different kinds
    (["--algo", "gmoea", "--problem", "cec17-cihs"], 2,
     "gmoea solves single-task problems.* cec17-cihs is a multitask problem.*emt-gs"),
    (["--algo", "ga", "--problem", "cec17-cihs"], 2, "choose one of: emt-gs, mo-mfea, mt-nsga2"),
    (["--algo", "nsga3", "--problem", "cec17-cihs"], 2, "nsga3 solves single-task problems"),
    (["--algo", "emt-gs"], 2, "emt-gs solves multitask problems.* zdt1 is a single-task problem"),
    # a run that cannot fit in memory is refused before it starts
    (["--algo", "gmoea", "--n-var", "100000"], 2, r"needs about \d+\.\d GiB of memory"),
    # user operators that cannot be loaded ...
    (["--algo", "ga", "--variation", "missing.py:f"], 2, "no file missing.py"),
    (["--algo", "ga", "--variation", "raises.py:f"], 2,
     "importing raises.py raised RuntimeError: no licence server"),
    (["--algo", "ga", "--variation", "broken.py:f"], 2, "syntax error in .*broken.py line 1"),
    (["--algo", "ga", "--variation", "ops.py:NeedsArgs"], 2,
     r"NeedsArgs\(\) cannot be built without arguments"),
    (["--algo", "ga", "--variation", "ops.py:two_args"], 2,
     r"cannot be called as \(X, F, n_offspring, \*, rng\)"),
    (["--algo", "ga", "--variation", "ops.py:not_callable"], 2, "int is not callable"),
    (["--algo", "ga", "--variation", "ops.py:nope"], 2, "has no attribute 'nope'"),
    # ... or that break the operator contract during the run (exit status 1: the run failed)
    (["--algo", "ga", "--variation", "ops.py:too_few"], 1,
     r"operator too_few returned shape \(99, 30\); it was asked for 100 offspring"),
    (["--algo", "ga", "--variation", "ops.py:outside"], 1,
     r"operator outside returned values in \[.*\]; offspring must lie in the unit cube"),
    (["--algo", "ga", "--variation", "ops.py:as_list"], 1, "operator as_list returned list"),
    (["--algo", "ga", "--variation", "ops.py:nothing"], 1, "operator nothing returned NoneType"),
    (["--algo", "ga", "--variation", "ops.py:nan"], 1, "operator nan returned NaN or inf in 1"),
    # a user's problem that cannot be loaded, built or evaluated: one line naming the file
    (["--problem", "nofile.py:P"], 2, "--problem 'nofile.py:P': no file nofile.py"),
    (["--problem", "raises.py:P"], 2, "importing raises.py raised RuntimeError: no licence"),
    (["--problem", "broken.py:P"], 2, "syntax error in .*broken.py line 1"),
    (["--problem", "imports_missing.py:P"], 2,
     "cannot import imports_missing.py .*evogan_no_such_module"),
    (["--problem", "evogan_no_such_module:P"], 2, "cannot import evogan_no_such_module"),
    (["--problem", "probs.py:Nope"], 2, "probs.py has no attribute 'Nope'"),
    (["--problem", "probs.py:NotAProblem"], 2, "NotAProblem is a class but not a subclass of"),
    (["--problem", "probs.py:number"], 2, "number is a int, not a pymoo Problem"),
    (["--problem", "probs.py:not_a_factory"], 2, r"not_a_factory\(\) returned a dict, not a"),
    (["--problem", "probs.py:NeedsArgs"], 2,
     r"probs.py:NeedsArgs'.* cannot be built without arguments .*\(scale\)"),
    (["--problem", "probs.py:Raises"], 2, r"Raises\(\) raised ValueError: no data file"),
    (["--problem", "probs.py:Good", "--n-var", "5"], 2,
     "--n-var 5 is given, but Good.* has no parameter n_var"),
    (["--problem", "probs.py:NoBounds"], 2, "probs.py:NoBounds'.* NoBounds has no bounds"),
    (["--problem", "probs.py:Inverted"], 2, r"Inverted has xl\[1\] = 1 >= xu\[1\] = 0"),
    (["--problem", "probs.py:Infinite"], 2, r"Infinite.xu\[0\] = inf; bounds must be finite"),
    (["--problem", "probs.py:WrongShape"], 2,
     r"probs.py:WrongShape': evaluating 2 points raised Exception: Problem Error: F can not "
     r"be set, expected shape \(2, 2\) but provided \(2, 1\)$"),
    (["--problem", "probs.py:AllNaN"], 2, r"AllNaN returned non-finite objectives \[nan, nan\]"),
    (["--problem", "probs.py:BadFront"], 2,
     r"BadFront.pareto_front\(\) returned shape \(1, 3\); expected \(n >= 1, 2\)"),
    (["--problem", "probs.py:OneObjective"], 2, "OneObjective has n_obj=1; evogan's algorithms"),
    (["--problem", "probs.py:Multi", "--algo", "gmoea"], 2,
     "gmoea solves single-task problems.* probs.py:Multi is a multitask problem"),
    (["--problem", "probs.py:Multi", "--algo", "emt-gs"], 2,
     "probs.py:Multi: a multitask problem from user code is not supported"),
    # ... or whose objectives turn NaN during the run (exit status 1: the run failed)
    (["--problem", "probs.py:LaterNaN", "--algo", "nsga2"], 1,
     "evaluation failed: --problem 'probs.py:LaterNaN': problem LaterNaN returned non-finite"),
    (["--problem", "probs.py:LaterRaise", "--algo", "gmoea-ga"], 1,
     "evaluation failed: --problem 'probs.py:LaterRaise': problem LaterRaise failed to evaluate "
     r"100 solutions \(F\): ZeroDivisionError: x_1 in \(0.1, 0.3\)$"),
    # the HV reference point
    (["--algo", "nsga2", "--hv-ref", "1,1,1"], 2, "--hv-ref 1,1,1 has 3 values; zdt1 has 2"),
    (["--algo", "nsga2", "--hv-ref", "1,x"], 2, "--hv-ref '1,x' is not a point"),
    (["--algo", "emt-gs", "--problem", "cec17-cihs", "--hv-ref", "1,1"], 2,
     "--hv-ref is for single-task problems; cec17-cihs is multitask"),
    # where the record goes
    (["--out", "afile"], 2, "--out afile: is a file, not a folder"),
    (["--out", "notes", "--overwrite"], 2, "is a folder with other files than an evogan run"),
    (["--out", ".", "--overwrite"], 2, "is the current folder or contains it"),
    (["--out", "afile/sub"], 2, "cannot write there, .*afile is a file"),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A folder with the user's files of the table; returns a snapshot function of its tree."""
    monkeypatch.chdir(tmp_path)
    for name, text in USER_MODULES.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "afile").write_text("x")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    return lambda: sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")
                          if "__pycache__" not in p.parts)


@pytest.mark.parametrize("argv, status, pattern", BAD_COMMANDS,
                         ids=[" ".join(argv) for argv, _, _ in BAD_COMMANDS])
def test_bad_run_command(argv, status, pattern, workdir, capsys):
    before = workdir()
    assert main([*RUN, *argv]) == status
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("evogan: ") and re.search(pattern, err), err
    assert workdir() == before  # nothing written, nothing removed
    assert Path("notes/todo.txt").read_text() == "keep me"


@pytest.mark.parametrize("argv, pattern", [
    (["--algos", "gmoea", "--param", "gmoea.epochs=abc"], "epochs=abc .* an integer >= 1"),
    (["--algos", "gmoea", "--param", "gmoea.pop_size=20"], "pop_size is set by --pop-size"),
    (["--algos", "gmoea", "--setting", "zdt1.n_var=many"], "n_var=many .* an integer >= 1"),
    (["--algos", "emt-gs"], "emt-gs solves multitask problems"),
    (["--algos", "nsga2", "--problems", "probs.py:Inverted"], "Inverted has xl"),
    (["--algos", "nsga2", "--problems", "zdt1,nofile.py:P"], "'nofile.py:P': no file"),
    (["--algos", "nsga2", "--setting", "zdt1.hv_ref=1"], "--hv-ref '1' is not a point"),
    (["--algos", "nsga2", "--hv-ref", "1,1,1"], "--hv-ref 1,1,1 has 3 values; zdt1 has 2"),
    (["--algos", "nsga2", "--problems", "zdt1,probs.py:Good,probs.py-Good"],
     "'probs.py:Good' and 'probs.py-Good' would share the record folder"),
])
def test_bad_compare_command(argv, pattern, workdir, capsys):
    before = workdir()
    assert main(["compare", "--quiet", "--problems", "zdt1", "--seeds", "1", "--max-evals", "200",
                 "--out", "camp", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(pattern, err), err
    assert workdir() == before


@pytest.mark.parametrize("value, expected", [
    ("False", False), ("no", False), ("off", False), ("0", False), ("TRUE", True), ("yes", True),
])
def test_boolean_parameters_are_booleans_in_the_run_and_the_record(value, expected, tmp_path):
    out = tmp_path / "r"
    assert main([*RUN, "--algo", "gmoea", "--max-evals", "100", "--param",
                 f"shuffle_labels_bug={value}", "--out", str(out)]) == 0
    record = read_record(out)
    assert record.config["params"] == {"shuffle_labels_bug": expected}
    assert record.config["algorithm_params"]["shuffle_labels_bug"] is expected


def test_numbers_are_converted_to_the_declared_type(tmp_path):
    out = tmp_path / "r"
    assert main([*RUN, "--algo", "gmoea-ga", "--param", "eta_c=15", "--param", "eta_m=1e1",
                 "--out", str(out)]) == 0
    params = read_record(out).config["params"]
    assert params == {"eta_c": 15.0, "eta_m": 10.0}
    assert all(type(v) is float for v in params.values())


def test_a_user_operator_that_keeps_the_contract_runs(workdir, tmp_path):
    assert main([*RUN, "--algo", "ga", "--variation", "ops.py:fine", "--out", "rec"]) == 0
    assert read_record(tmp_path / "rec").summary["n_evals"] == 200


def test_the_quick_start_runs_twice_and_keeps_both_records(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    command = ["run", "--algo", "nsga2", "--problem", "zdt1", "--max-evals", "200"]
    assert main(command) == 0 and main(command) == 0
    printed = capsys.readouterr().out
    first, second = Path("runs/nsga2-zdt1-m2-d30-s1"), Path("runs/nsga2-zdt1-m2-d30-s1-2")
    assert f"record: {first}\n" in printed and f"record: {second}\n" in printed
    assert read_record(first).summary == {**read_record(second).summary,
                                          "wall_s": read_record(first).summary["wall_s"]}


def test_overwrite_replaces_a_record_but_not_a_record_with_other_files(tmp_path, capsys):
    out = tmp_path / "rec"
    assert main([*RUN, "--algo", "nsga2", "--out", str(out)]) == 0
    assert main([*RUN, "--algo", "nsga2", "--seed", "2", "--out", str(out), "--overwrite"]) == 0
    assert read_record(out).summary["seed"] == 2
    (out / "my_notes.txt").write_text("keep me")
    assert main([*RUN, "--algo", "nsga2", "--out", str(out), "--overwrite"]) == 2
    assert "other files than an evogan run record" in capsys.readouterr().err
    assert (out / "my_notes.txt").read_text() == "keep me" and read_record(out).summary["seed"] == 2


def test_an_empty_folder_takes_the_record(tmp_path):
    (tmp_path / "empty").mkdir()
    assert main([*RUN, "--algo", "nsga2", "--out", str(tmp_path / "empty")]) == 0
    assert read_record(tmp_path / "empty").summary["n_evals"] == 200


def test_campaign_files_convert_values_like_the_command_line(tmp_path, capsys):
    from evogan.lab.campaign import Campaign

    path = tmp_path / "c.toml"
    path.write_text('algos = ["gmoea"]\nproblems = ["zdt1"]\n[algorithm.gmoea]\n'
                    'shuffle_labels_bug = "no"\nepochs = "50"\nlr = 2e-4\n')
    campaign = Campaign.from_toml(path)
    assert campaign.params("gmoea") == {"shuffle_labels_bug": False, "epochs": 50, "lr": 2e-4}
    assert "shuffle_labels_bug = false\nepochs = 50\n" in campaign.to_toml()
    path.write_text('algos = ["gmoea"]\nproblems = ["zdt1"]\n[algorithm.gmoea]\nlr = "fast"\n')
    assert main(["compare", str(path), "--out", str(tmp_path / "camp")]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"evogan: error: \[algorithm\.gmoea\]: parameter lr=fast .* > 0\n", err)
    assert not (tmp_path / "camp").exists()
