"""`evogan run` end to end, and a one-line error with exit status 2 for each bad input."""

import io
import json
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

from evogan.cli import ProgressLine, main
from evogan.core.callback import KERNEL_EVENT, RunState
from evogan.indicators import igd
from evogan.lab.record import read_record
from evogan.problems import get_problem, reference_front
from evogan.registry import get_algorithm


def _run(*args: str) -> int:
    return main(["run", "--quiet", *args])


def test_run_writes_a_complete_record(tmp_path, capsys):
    out = tmp_path / "rec"
    status = main(["run", "--algo", "ga", "--problem", "zdt1", "--max-evals", "1000",
                   "--seed", "3", "--out", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    record = read_record(out)
    summary = record.summary
    assert {"algo", "problem", "n_var", "n_obj", "seed", "n_evals", "igd", "igd_plus", "hv",
            "wall_s"} <= set(summary)
    assert (summary["algo"], summary["problem"], summary["seed"]) == ("ga", "zdt1", 3)
    assert summary["n_evals"] == 1000 and summary["n_var"] == 30
    assert f"{summary['igd']:.6g}" in printed
    # the summary's IGD is the IGD of the saved final population
    front = reference_front(get_problem("zdt1"))
    assert summary["igd"] == pytest.approx(igd(record.F, front))
    assert record.config["front_size"] == len(front)
    assert record.config["environment"]["numpy"] == np.__version__
    assert [row["n_evals"] for row in record.history] == list(range(100, 1001, 100))


def test_same_seed_reproduces_the_record(tmp_path):
    for name in ("a", "b"):
        assert _run("--algo", "nsga2", "--problem", "zdt2", "--max-evals", "600",
                    "--out", str(tmp_path / name)) == 0
    a, b = read_record(tmp_path / "a"), read_record(tmp_path / "b")
    np.testing.assert_array_equal(a.X, b.X)
    assert a.summary["igd"] == b.summary["igd"]


BAD_INPUTS = [
    (["--algo", "nope"], "unknown algorithm 'nope'; choose one of"),
    (["--problem", "zdt9"], "unknown problem 'zdt9'"),
    (["--problem", "zdt1", "--n-obj", "3"], "n_obj=3 is not accepted by zdt1"),
    (["--problem", "dtlz2", "--n-var", "2"], "n_var=2 is not accepted by dtlz2"),
    (["--pop-size", "2"], "--pop-size 2 is too small"),
    (["--max-evals", "50"], "--max-evals 50 is smaller than --pop-size 100"),
    (["--seed", "-1"], "--seed -1 is negative"),
    (["--device", "tpu"], "--device 'tpu' is not one of"),
    (["--param", "eta"], "--param 'eta' is not of the form KEY=VALUE"),
    (["--algo", "ga", "--param", "eta=3"], "algorithm 'ga' has no parameter 'eta'"),
    (["--variation", "nowhere.py:op", "--algo", "ga"], "--variation 'nowhere.py:op'"),
    (["--pop-size", "abc"], "invalid int value: 'abc'"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, capsys, args, message):
    budget = [] if "--max-evals" in args else ["--max-evals", "200"]
    try:
        status = _run(*args, *budget, "--out", str(tmp_path / "r"))
    except SystemExit as exit_:  # argparse's own type errors
        status = exit_.code
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "r").exists()


def test_cuda_without_gpu_is_refused(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert _run("--algo", "ga", "--device", "cuda", "--max-evals", "200",
                "--out", str(tmp_path / "r")) == 2
    assert "no CUDA GPU is available" in capsys.readouterr().err


def test_existing_record_is_refused_and_kept(tmp_path, capsys):
    out = tmp_path / "r"
    assert _run("--algo", "ga", "--problem", "zdt1", "--max-evals", "200", "--out", str(out)) == 0
    before = (out / "summary.json").read_text()
    assert _run("--algo", "ga", "--problem", "zdt1", "--max-evals", "300", "--out", str(out)) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "summary.json").read_text() == before
    assert _run("--algo", "ga", "--problem", "zdt1", "--max-evals", "300", "--out", str(out),
                "--overwrite") == 0
    assert json.loads((out / "summary.json").read_text())["n_evals"] == 300


def test_unwritable_output_folder_is_refused(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _run("--max-evals", "200", "--out", str(blocker / "sub")) == 2
    assert "cannot write" in capsys.readouterr().err
    assert blocker.read_text() == "x"


def test_nan_objectives_end_the_run_with_one_line(tmp_path, capsys, monkeypatch):
    from tests.test_engine import NaNProblem

    monkeypatch.setattr("evogan.lab.run.get_problem", lambda *a, **k: NaNProblem())
    monkeypatch.setattr("evogan.lab.run.reference_front", lambda p: np.array([[0.0, 1.0], [1.0, 0.0]]))
    monkeypatch.setattr("evogan.lab.run.hv_reference_point", lambda p: np.array([1.1, 1.1]))
    status = _run("--algo", "ga", "--max-evals", "500", "--out", str(tmp_path / "r"))
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "non-finite objectives" in err
    assert not (tmp_path / "r").exists()


def test_user_variation_file_runs_from_the_cli(tmp_path):
    module = tmp_path / "my_ops.py"
    module.write_text(
        "import numpy as np\n"
        "def jitter(X, F, n, *, rng):\n"
        "    rows = X[rng.integers(0, len(X), n)]\n"
        "    return np.clip(rows + 0.05 * rng.standard_normal(rows.shape), 0, 1)\n"
    )
    out = tmp_path / "r"
    assert _run("--algo", "ga", "--problem", "zdt1", "--max-evals", "2000",
                "--variation", f"{module}:jitter", "--out", str(out)) == 0
    assert read_record(out).config["variation"] == f"{module}:jitter"


@pytest.mark.parametrize(("omp", "threads"), [(None, 1), ("2", 2)])
def test_a_torch_run_uses_one_thread_unless_omp_num_threads_says_otherwise(tmp_path, omp, threads):
    # a fresh process: torch's thread count is per process and set once torch is imported
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if omp is not None:
        env["OMP_NUM_THREADS"] = omp
    subprocess.run([sys.executable, "-m", "evogan.cli", "run", "--quiet", "--algo", "egan",
                    "--problem", "zdt1", "--pop-size", "20", "--max-evals", "40",
                    "--out", str(tmp_path / "r")], env=env, check=True)
    assert read_record(tmp_path / "r").config["environment"]["torch_threads"] == threads


def test_console_script_lists_algorithms_and_problems():
    listing = subprocess.run([sys.executable, "-m", "evogan.cli", "list"], capture_output=True,
                             text=True, check=True).stdout
    for name in ("ga", "nsga2", "nsga3", "moead", "zdt1", "dtlz7", "wfg9", "imf10"):
        assert f"  {name} " in listing
    assert "lr=0.0001" in listing and "a number > 0" in listing  # gmoea's lr, default and range
    assert "  mt-nsga2 " in listing


def test_progress_line_says_the_kernel_compiles_and_times_the_run_from_after_it():
    stream = io.StringIO()
    progress = ProgressLine(stream)
    state = RunState(problem=None, algorithm=None, max_evals=10_000)
    kernel_log = logging.getLogger("evogan.gan.gmoea_compiled")
    evogan_log = logging.getLogger("evogan")
    level = evogan_log.level
    progress.on_start(state)
    state.n_evals, state.elapsed_s = 100, 0.05  # the initial population
    progress.on_generation(state)
    kernel_log.info("loading", extra={KERNEL_EVENT: "loading"})  # what the kernel logs
    assert "loading the GAN training kernel" in stream.getvalue().rsplit("\r", 1)[1]
    kernel_log.info("compiled in 20 s", extra={KERNEL_EVENT: "ready"})
    state.n_evals, state.elapsed_s = 200, 20.1  # the first trained generation, compile included
    progress.on_generation(state)
    assert "estimating" in stream.getvalue().rsplit("\r", 1)[1]
    state.n_evals, state.elapsed_s = 300, 21.1  # 1 s per 100 evaluations since
    progress.on_generation(state)
    assert "~   97s left" in stream.getvalue().rsplit("\r", 1)[1]  # not 682 s: compile excluded
    progress.on_end(state)
    assert progress._handler not in evogan_log.handlers and evogan_log.level == level


def test_a_constrained_run_prints_its_feasibility(tmp_path, capsys):
    assert main(["run", "--algo", "ga", "--problem", "c1dtlz1", "--pop-size", "20",
                 "--max-evals", "100", "--seed", "1", "--out", str(tmp_path / "r")]) == 0
    printed = capsys.readouterr().out
    assert "feasible share 0  best CV " in printed
    assert "(no feasible solution: no indicators)" in printed
    assert read_record(tmp_path / "r").summary["feasible_share"] == 0.0


@pytest.mark.parametrize(("env", "limited"), [(None, True), ("OPENBLAS_NUM_THREADS", False)])
def test_a_run_limits_blas_and_torch_to_one_thread_unless_the_user_set_a_count(
        tmp_path, monkeypatch, env, limited):
    """Every run goes through `evogan.engine.minimize_lockstep`, which holds BLAS and torch at
    one thread while the algorithms run (torch's count restored after): the command line's runs
    and `evogan.minimize` alike."""
    import torch
    from threadpoolctl import threadpool_info

    import evogan.engine
    from evogan.device import THREAD_ENV

    for name in THREAD_ENV:
        monkeypatch.delenv(name, raising=False)
    if env is not None:
        monkeypatch.setenv(env, "2")
    seen, torch_seen = [], []
    real = evogan.engine._run_lockstep

    def spy(*args, **kwargs):
        seen.extend(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")
        torch_seen.append(torch.get_num_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(evogan.engine, "_run_lockstep", spy)
    assert _run("--algo", "nsga2", "--problem", "zdt1", "--max-evals", "200",
                "--out", str(tmp_path / "r")) == 0
    torch.set_num_threads(2)
    try:
        evogan.engine.minimize(get_problem("zdt1"), get_algorithm("rm-meda"), seed=1,
                               max_evals=200)
        assert torch.get_num_threads() == 2  # restored
    finally:
        torch.set_num_threads(1)
    assert len(seen) >= 2 and (set(seen) == {1}) == (limited or os.cpu_count() == 1)
    assert torch_seen[-1] == (1 if limited else 2)


@pytest.mark.parametrize("command", ["run", "list", "compare", "report", "toy"])
def test_every_command_prints_its_help(command, capsys):
    """`evogan toy --help` raised argparse's "empty group" ValueError (a mutually exclusive
    group was created, empty, for every option of the toy, beside the one in use)."""
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: evogan {command}")


def test_a_refused_write_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    """A write the early checks let through (e.g. root writing into /proc, a full disk) ends
    with one line naming the path, not a traceback."""
    import evogan.lab.record

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "r"))

    monkeypatch.setattr(evogan.lab.record, "write_record", refuse)
    status = _run("--algo", "nsga2", "--problem", "zdt1", "--max-evals", "200",
                  "--out", str(tmp_path / "r"))
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and err == [f"evogan: error: cannot write {tmp_path / 'r'}: "
                                   "No space left on device"]
