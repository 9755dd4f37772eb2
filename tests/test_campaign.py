"""Campaigns end to end at a tiny budget: records, report, resume, kill -9 and SIGTERM, the lock,
the stored definition, failures, Ray."""

import argparse
import contextlib
import csv
import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

import evogan.lab.campaign as campaign_module
from evogan.cli import CampaignProgressLine as ProgressLine
from evogan.cli import add_compare_arguments, run_compare_command
from evogan.core.errors import ConfigError
from evogan.lab.backends import LocalPool, RayBackend
from evogan.lab.campaign import (
    Campaign,
    CampaignInterrupted,
    Progress,
    _lock,
    parse_seeds,
    plan,
    run_campaign,
    run_published_campaign,
)
from evogan.lab.record import read_record
from evogan.lab.report import write_report
from evogan.lab.run import execute

ARGS = ["--algos", "ga,nsga2", "--problems", "zdt1,dtlz2", "--seeds", "3", "--max-evals", "120",
        "--pop-size", "12", "--param", "ga.survival=spea2", "--quiet"]
TINY = Campaign(algos=("ga", "nsga2"), problems=("zdt1", "dtlz2"), seeds=(1, 2, 3),
                max_evals=(120,), pop_size=12, algorithm={"ga": {"survival": "spea2"}})
DETERMINISTIC = ("algo", "label", "problem", "n_obj", "n_var", "max_evals", "seed", "n_evals",
                 "igd", "igd_plus", "gd", "hv", "front_hash", "path")


def compare_args(*extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_compare_arguments(parser)
    return parser.parse_args([*ARGS, *extra])


def record_folders(out: Path) -> list[Path]:
    """The complete records under `out`, not the hidden staging folders (`.seed-N.*.tmp`) a run
    is written into before it is renamed into place; listed again if a staging folder is renamed
    while the listing walks it."""
    while True:
        try:
            return sorted(p.parent for p in (out / "runs").rglob("summary.json")
                          if not p.parent.name.startswith("."))
        except FileNotFoundError:
            continue


def summary_table(out: Path) -> list[dict[str, str]]:
    """The columns of summary.csv that do not depend on timing, freshly written for `out`."""
    write_report(out, figures=False)
    with open(out / "summary.csv", newline="") as handle:
        return [{k: row[k] for k in DETERMINISTIC} for row in csv.DictReader(handle)]


def fail_on_seed_2(config):
    """A run function that fails for seed 2 (module level, so spawned workers can import it)."""
    if config.seed == 2:
        raise RuntimeError("injected failure")
    return execute(config)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The tiny campaign run once through `evogan compare` on two workers."""
    out = tmp_path_factory.mktemp("campaign") / "tiny"
    assert run_compare_command(compare_args("--workers", "2", "--out", str(out))) == 0
    return out


def test_campaign_writes_one_record_per_run_and_saves_its_definition(finished):
    folders = record_folders(finished)
    assert [f.relative_to(finished).as_posix() for f in folders] == sorted(
        f"runs/{a}/{p}/evals-120/seed-{s}" for a in ("ga", "nsga2") for p in ("zdt1", "dtlz2")
        for s in (1, 2, 3))
    assert Campaign.from_toml(finished / "campaign.toml") == TINY
    record = read_record(finished / "runs/ga/zdt1/evals-120/seed-2")
    assert record.config["params"] == {"survival": "spea2"} and record.config["label"] == "ga"
    assert record.config["environment"]["torch_threads"] == 1  # the worker's thread limit
    # the worker ran exactly this configuration: same seed, same population as in-process
    direct = execute(TINY.runs()[1].config)
    assert TINY.runs()[1].folder.as_posix() == "runs/ga/zdt1/evals-120/seed-2"
    np.testing.assert_array_equal(record.F, direct.F)
    assert record.summary["igd"] == direct.summary["igd"]


def test_report_numbers_match_the_records(finished):
    summaries = [json.loads((f / "summary.json").read_text()) for f in record_folders(finished)]
    rows = list(csv.DictReader(open(finished / "summary.csv", newline="")))
    assert len(rows) == 12
    by_key = {(r["label"], r["problem"], int(r["seed"])): r for r in rows}
    for s in summaries:
        row = by_key[s["algo"], s["problem"], s["seed"]]
        assert float(row["igd"]) == s["igd"] and float(row["hv"]) == s["hv"]
    report = (finished / "report.md").read_text()
    igd_table = report.split("### IGD (")[1].split("###")[0]
    for problem in ("zdt1", "dtlz2"):
        line = next(x for x in igd_table.splitlines() if x.startswith(f"| {problem} |"))
        samples = {a: [s["igd"] for s in summaries if (s["algo"], s["problem"]) == (a, problem)]
                   for a in ("ga", "nsga2")}
        for values in samples.values():
            q25, q50, q75 = np.percentile(values, [25, 50, 75])
            assert f"{q50:.3e} ({q75 - q25:.3e})" in line
        p = sps.mannwhitneyu(samples["ga"], samples["nsga2"], alternative="two-sided").pvalue
        ga_cell = line.split("|")[2]
        # 3 vs 3 seeds cannot be significant (smallest possible p = 2/C(6, 3)): no mark
        assert p >= 0.05
        assert ga_cell.strip().endswith("n/a (3 vs 3 seeds: smallest possible p = 0.1)")
    assert "control **nsga2**" in report and "| +/-/= |" in igd_table
    assert "seeds: 1-3 (3 seeds)" in report and "| zdt1 | 2 | 30 | 2000 |" in report
    for name in ("fronts-e120-zdt1", "fronts-e120-dtlz2", "igd-evals-e120", "box-igd-e120"):
        assert (finished / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"figures/{name}.png" in report


def test_resume_skips_complete_runs_and_redoes_incomplete_ones(finished, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    stamps = {f: (f / "summary.json").stat().st_mtime_ns for f in record_folders(out)}
    again = run_campaign(TINY, out, backend=LocalPool(1))
    assert (len(again.written), len(again.skipped)) == (0, 12)
    assert {f: (f / "summary.json").stat().st_mtime_ns for f in record_folders(out)} == stamps

    incomplete = out / "runs/ga/zdt1/evals-120/seed-2"
    (incomplete / "summary.json").unlink()  # as if the record were cut before summary.json
    staging = out / "runs/nsga2/dtlz2/evals-120/.seed-3.abc123.tmp"
    staging.mkdir()
    (staging / "config.json").write_text('{"half": ')
    resumed = run_campaign(TINY, out, backend=LocalPool(1))
    assert resumed.written == [incomplete] and len(resumed.skipped) == 11 and resumed.ok
    assert not staging.exists()
    assert summary_table(out) == summary_table(finished)


def test_a_corrupt_record_is_reported_and_left_untouched(finished, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    corrupt = out / "runs/nsga2/zdt1/evals-120/seed-1/summary.json"
    corrupt.write_text('{"igd": 0.1, ')
    result = run_campaign(TINY, out, backend=LocalPool(1))
    assert not result.ok and result.written == [] and len(result.skipped) == 11
    assert [folder for folder, _ in result.corrupt] == [corrupt.parent]
    assert corrupt.read_text() == '{"igd": 0.1, '
    assert run_compare_command(compare_args("--out", str(out), "--no-report")) == 1
    assert "unreadable record: `runs/nsga2/zdt1/evals-120/seed-1`" in write_report(
        out, figures=False).report.read_text()


def test_records_of_a_different_campaign_are_not_overwritten(finished, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    with pytest.raises(ConfigError, match="pop_size=12, the campaign asks 16"):
        run_campaign(dataclasses.replace(TINY, pop_size=16), out)


def test_sigkill_mid_campaign_loses_only_runs_in_flight(finished, tmp_path):
    out = tmp_path / "killed"
    script = ("import argparse, sys\n"
              "from evogan.cli import add_compare_arguments\n"
              "from evogan.cli import run_compare_command\n"
              "parser = argparse.ArgumentParser(); add_compare_arguments(parser)\n"
              "sys.exit(run_compare_command(parser.parse_args(sys.argv[1:])))\n")
    process = subprocess.Popen([sys.executable, "-c", script, *ARGS, "--workers", "1",
                                "--out", str(out)], start_new_session=True)
    deadline = time.monotonic() + 120
    while len(record_folders(out)) < 2:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the driver and its worker, at once
    process.wait()
    survivors = record_folders(out)
    assert 2 <= len(survivors) < 12
    for folder in survivors:
        read_record(folder)  # every finished record reads back
    assert run_compare_command(compare_args("--out", str(out), "--workers", "2",
                                            "--no-report")) == 0
    assert len(record_folders(out)) == 12
    assert not [p for p in (out / "runs").rglob(".*") if p.name != ".campaign.lock"]
    assert summary_table(out) == summary_table(finished)


def test_a_failing_run_does_not_stop_the_campaign(tmp_path):
    campaign = Campaign(algos=("nsga2",), problems=("zdt1",), seeds=(1, 2, 3), max_evals=(120,),
                        pop_size=12)
    result = run_campaign(campaign, tmp_path, backend=LocalPool(2), run=fail_on_seed_2)
    note = tmp_path / "runs/nsga2/zdt1/evals-120/seed-2.failed.json"
    assert [(f.name, m) for f, m in result.failed] == [("seed-2", "RuntimeError: injected failure")]
    assert len(result.written) == 2 and not (tmp_path / "runs/nsga2/zdt1/evals-120/seed-2").exists()
    failure = json.loads(note.read_text())
    assert failure["config"]["seed"] == 2 and "fail_on_seed_2" in failure["traceback"]
    assert "- failed: `runs/nsga2/zdt1/evals-120/seed-2.failed.json`: RuntimeError: injected " \
        "failure" in write_report(tmp_path, figures=False).report.read_text()
    retried = run_campaign(campaign, tmp_path, backend=LocalPool(1))
    assert retried.ok and len(retried.written) == 1 and not note.exists()


def test_ray_gives_the_same_records_as_the_process_pool(finished, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'evogan[ray]')")
    subset = dataclasses.replace(TINY, problems=("dtlz2",))  # its runs are a part of TINY's
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        result = run_campaign(subset, tmp_path, backend=RayBackend())
    finally:
        ray.shutdown()
    assert result.ok and len(result.written) == 6
    for folder in record_folders(tmp_path):
        remote = read_record(folder)
        pool = read_record(finished / folder.relative_to(tmp_path))
        np.testing.assert_array_equal(remote.X, pool.X)
        np.testing.assert_array_equal(remote.F, pool.F)
        assert {k: v for k, v in remote.summary.items() if k != "wall_s"} == {
            k: v for k, v in pool.summary.items() if k != "wall_s"}


def test_campaign_file_round_trip_and_errors(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('algos = ["ga-spea2", "nsga2"]\nproblems = ["dtlz2"]\nseeds = "4-6"\n'
                    'max_evals = 200\npop_size = 20\n\n[algorithm.ga-spea2]\nalgo = "ga"\n'
                    'survival = "spea2"\n\n[problem.dtlz2]\nn_obj = 4\n')
    campaign = Campaign.from_toml(path)
    assert campaign.seeds == (4, 5, 6) and campaign.max_evals == (200,)
    assert campaign.algo_name("ga-spea2") == "ga" and campaign.params("ga-spea2") == {
        "survival": "spea2"}
    assert [s.config.n_obj for s in campaign.runs()] == [4] * 6
    (tmp_path / "again.toml").write_text(campaign.to_toml())
    assert Campaign.from_toml(tmp_path / "again.toml") == campaign
    path.write_text('algos = ["ga"]\nproblems = ["zdt1"]\nbudget = 3\n')
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['budget'\]"):
        Campaign.from_toml(path)


@pytest.mark.parametrize("argv, message", [
    (["--algos", "nope", "--problems", "zdt1", "--out", "x"], "'nope' .* is not registered"),
    (["--algos", "ga", "--problems", "zdt9", "--out", "x"], "unknown problem 'zdt9'"),
    (["--algos", "ga", "--problems", "zdt1", "--seeds", "x", "--out", "x"], "--seeds 'x'"),
    (["--algos", "ga", "--problems", "zdt1"], "--out is required"),
    (["--algos", "ga,ga", "--problems", "zdt1", "--out", "x"], "lists a value twice"),
    (["--algos", "ga", "--problems", "zdt1", "--param", "ga.speed=3", "--out", "x"],
     "algorithm 'ga' has no parameter 'speed'"),
    (["--algos", "ga", "--problems", "zdt1", "--setting", "zdt1.n_obj=3", "--out", "x"],
     "n_obj=3 is not accepted by zdt1"),
    (["--algos", "ga", "--problems", "zdt1", "--gpus-per-run", "0.5", "--out", "x"],
     "--gpus-per-run needs --ray"),
    (["--algos", "ga", "--problems", "zdt1", "--ray", "--gpus-per-run", "0.5", "--out", "x"],
     "add --device cuda"),
    (["--algos", "ga", "--problems", "zdt1", "--ray", "--device", "cuda", "--out", "x"],
     "on Ray needs --gpus-per-run"),
    (["c.toml", "--algos", "ga"], "either a campaign file or --algos"),
    (["--algos", "ga", "--problems", "zdt1", "--batch-seeds", "0", "--out", "x"],
     "--batch-seeds 0 must be a positive integer"),
])
def test_bad_input_gives_one_line_config_errors(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser()
    add_compare_arguments(parser)
    with pytest.raises(ConfigError, match=message) as error:
        run_compare_command(parser.parse_args(argv))
    assert "\n" not in str(error.value)
    assert not (tmp_path / "x" / "runs").exists()


def test_seed_forms():
    assert parse_seeds("3") == (1, 2, 3) and parse_seeds("3,7,9") == (3, 7, 9)
    assert parse_seeds("0-2") == (0, 1, 2)


def test_progress_line_counts_runs_failures_and_time_left():
    stream = io.StringIO()
    progress = Progress(total=10, skipped=2, done=3, failed=1,
                        started=time.perf_counter() - 40.0)
    ProgressLine(stream)(progress)
    line = stream.getvalue()
    assert line.startswith("\r    6/10 runs (2 already done)  1 failed  0:40 elapsed")
    assert "~0:40 left" in line  # 4 runs in 40 s, 4 to go


# --- the driver alone is killed or stopped: its workers, fork server and resource tracker go too

LONG_RUNS = ["compare", "--algos", "nsga2", "--problems", "zdt1", "--seeds", "2",
             "--max-evals", "120,10000000", "--pop-size", "12", "--workers", "2", "--no-report"]
needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")


def session_processes(sid: int) -> list[int]:
    """The live (not zombie) processes of session `sid`, from /proc (psutil is no dependency)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:  # ended meanwhile
            continue
        fields = stat.rpartition(")")[2].split()  # state, ppid, pgrp, session, ...
        if fields and fields[0] != "Z" and int(fields[3]) == sid:
            pids.append(int(entry.name))
    return pids


@contextlib.contextmanager
def campaign_in_flight(out: Path):
    """`evogan compare` in a session of its own, once its two short runs are recorded and its two
    long ones (minutes each) run on two workers; whatever of the session is left at the end is
    killed, so that a failing test leaks nothing."""
    log = open(out.parent / f"{out.name}.stderr", "w+")
    process = subprocess.Popen([sys.executable, "-m", "evogan.cli", *LONG_RUNS, "--out", str(out)],
                               start_new_session=True, stdout=log, stderr=log, text=True)
    try:
        deadline = time.monotonic() + 60
        # driver, resource tracker, fork server and two workers
        while len(record_folders(out)) < 2 or len(session_processes(process.pid)) < 5:
            assert process.poll() is None and time.monotonic() < deadline, \
                Path(log.name).read_text()
            time.sleep(0.05)
        yield process, log
    finally:
        for pid in session_processes(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait()
        log.close()


def left_after(sid: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while session_processes(sid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return session_processes(sid)


@needs_proc
def test_killing_only_the_driver_ends_every_process_of_the_campaign(tmp_path):
    out = tmp_path / "orphans"
    with campaign_in_flight(out) as (process, _):
        process.kill()  # kill -9 of the driver alone, not of its process group
        process.wait()
        assert left_after(process.pid, 10) == []
    for folder in record_folders(out):
        read_record(folder)


@needs_proc
@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGINT"])
def test_sigterm_or_ctrl_c_on_the_driver_stops_the_campaign_and_keeps_its_records(
        tmp_path, signum, status, capsys):
    out = tmp_path / "stopped"
    with campaign_in_flight(out) as (process, log):
        process.send_signal(signum)
        assert process.wait(timeout=30) == status
        assert left_after(process.pid, 10) == []
        log.seek(0)
        lines = log.read().splitlines()
    assert lines == [f"evogan: interrupted by {signal.Signals(signum).name}: 2 of 4 runs "
                     f"recorded in {out} (2 in this session); the same command resumes the "
                     "campaign"], "\n".join(lines)
    for folder in record_folders(out):
        read_record(folder)
    assert not list(out.rglob(".*"))  # no staging folder, no lock file
    state = plan(Campaign.from_toml(out / "campaign.toml"), out)
    assert (len(state.complete), len(state.todo), state.corrupt) == (2, 2, [])
    parser = argparse.ArgumentParser()
    add_compare_arguments(parser)
    assert run_compare_command(parser.parse_args([*LONG_RUNS[1:], "--max-evals", "120",
                                                  "--out", str(out)])) == 0
    assert "0 run(s) written, 2 already complete, 0 failed" in capsys.readouterr().out


# --- OUT/.campaign.lock


def test_the_lock_file_goes_when_the_campaign_ends(finished, tmp_path):
    assert not (finished / ".campaign.lock").exists()
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    with pytest.raises(ConfigError, match="different campaign"):
        run_campaign(dataclasses.replace(TINY, pop_size=16), out)
    assert not (out / ".campaign.lock").exists()


def test_the_lock_keeps_a_second_campaign_out_even_while_the_first_removes_it(tmp_path,
                                                                             monkeypatch):
    with _lock(tmp_path):
        with pytest.raises(ConfigError, match="another campaign is running there"), _lock(tmp_path):
            pass
    assert not (tmp_path / ".campaign.lock").exists()
    # A campaign opens the lock file; before it locks it, the holder ends and removes the file.
    fcntl = pytest.importorskip("fcntl")
    flock = fcntl.flock

    def holder_ends_first(handle, operation):
        monkeypatch.setattr(fcntl, "flock", flock)
        with _lock(tmp_path):  # the holder locks the file the campaign has open
            pass
        flock(handle, operation)

    monkeypatch.setattr(fcntl, "flock", holder_ends_first)
    with _lock(tmp_path):  # it must not hold a lock on the removed file, but on the one at the path
        assert (tmp_path / ".campaign.lock").exists()
        with pytest.raises(ConfigError, match="another campaign is running there"), \
                _lock(tmp_path):
            pass
    assert not (tmp_path / ".campaign.lock").exists()


# --- a campaign into a folder that holds another one: OUT/campaign.toml keeps their union


def test_part_of_a_campaign_run_again_keeps_the_whole_definition(finished, tmp_path, capsys):
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    parser = argparse.ArgumentParser()
    add_compare_arguments(parser)
    part = parser.parse_args(["--algos", "nsga2", "--problems", "zdt1", "--seeds", "2",
                              "--max-evals", "120", "--pop-size", "12", "--out", str(out)])
    assert run_compare_command(part) == 0
    assert Campaign.from_toml(out / "campaign.toml") == TINY
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("0 run(s) written, 2 already complete, 0 failed")  # seeds 1, 2
    assert printed[1] == (f"  {out / 'campaign.toml'} keeps the union with the campaign stored "
                          "there: 2 algorithms (ga, nsga2) x 2 problems (zdt1, dtlz2) x 3 seeds "
                          "(1-3) x 1 budget (120) = 12 runs")
    report = (out / "report.md").read_text()  # the report still covers the whole campaign
    assert "control **nsga2**" in report and "seeds: 1-3 (3 seeds)" in report


def test_new_algorithms_and_seeds_join_the_stored_campaign(finished, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    more = Campaign(algos=("ga2",), problems=("zdt1",), seeds=(4,), max_evals=(120,), pop_size=12,
                    algorithm={"ga2": {"algo": "ga"}})
    result = run_campaign(more, out, backend=LocalPool(1))
    assert result.ok and len(result.written) == 1
    stored = Campaign.from_toml(out / "campaign.toml")
    # the stored control (the last algorithm) stays last
    assert stored == dataclasses.replace(TINY, algos=("ga", "ga2", "nsga2"), seeds=(1, 2, 3, 4),
                                         algorithm={**TINY.algorithm, "ga2": {"algo": "ga"}})
    assert result.campaign == stored
    state = plan(stored, out)  # it describes every record in OUT, and resumes the rest
    assert (len(state.complete), len(state.todo), state.conflicts) == (13, 11, [])


def test_each_part_of_a_published_campaign_keeps_its_timing(finished, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    first = {"workers": 2, "runs_written": 12, "runs_skipped": 0, "wall_s": 3.5, "machine": "m"}
    (out / "timing.json").write_text(json.dumps(first))  # the single-session form of older files
    more = dataclasses.replace(TINY, algos=("ga",), problems=("zdt1",), seeds=(4,))
    assert len(run_published_campaign(more, out, workers=1).written) == 1
    timing = json.loads((out / "timing.json").read_text())
    assert timing["sessions"][0] == first
    assert [s["runs_written"] for s in timing["sessions"]] == [12, 1]
    assert timing["runs_written"] == 13
    assert timing["wall_s"] == round(3.5 + timing["sessions"][1]["wall_s"], 1)
    run_published_campaign(more, out, workers=1)  # all complete: nothing timed, nothing lost
    assert json.loads((out / "timing.json").read_text()) == timing


@pytest.mark.parametrize("change, message", [
    ({"algos": ("ga",)}, r"label 'ga' is ga \{'survival': 'spea2'\} in one campaign and ga \{\} "
                         "in the other"),
    ({"pop_size": 16}, "pop_size is 12 in one campaign and 16 in the other"),
    ({"problems": ("dtlz2",), "problem": {"dtlz2": {"n_obj": 4}}},
     r"problem 'dtlz2' is \{\} in one campaign and \{'n_obj': 4\} in the other"),
])
def test_a_campaign_that_contradicts_the_stored_one_is_refused(finished, tmp_path, change,
                                                               message):
    out = tmp_path / "copy"
    shutil.copytree(finished, out)
    before = (out / "campaign.toml").read_text()
    other = Campaign(**{"algos": ("nsga2",), "problems": ("zdt1",), "seeds": (9,),
                        "max_evals": (120,), "pop_size": 12, **change})
    with pytest.raises(ConfigError, match=f"--out {out}: .*campaign.toml.*: {message}") as error:
        run_campaign(other, out, backend=LocalPool(1))
    assert "\n" not in str(error.value)
    assert (out / "campaign.toml").read_text() == before
    assert not list((out / "runs").rglob("seed-9*"))


class InProcess:
    """A backend that runs every run in the test's own process, one after the other."""

    def run(self, run, specs):
        for spec in specs:
            yield spec, run(spec.config)


def test_a_stop_while_a_record_is_written_waits_until_it_is_counted(tmp_path, monkeypatch):
    campaign = Campaign(algos=("nsga2",), problems=("zdt1",), seeds=(1, 2, 3), max_evals=(120,),
                        pop_size=12)
    write_record = campaign_module.write_record

    def write_then_sigterm(record, folder, **options):
        write_record(record, folder, **options)
        if folder.name == "seed-2":
            # the campaign's handler, else SIGTERM ends pytest
            assert getattr(signal.getsignal(signal.SIGTERM), "__name__", "") == "_handle"
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(campaign_module, "write_record", write_then_sigterm)
    # the default, which the campaign replaces (ray.init, in an earlier test, leaves its own)
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with pytest.raises(CampaignInterrupted) as stop:
            run_campaign(campaign, tmp_path, backend=InProcess())
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler is put back
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stop.value.signum == signal.SIGTERM and stop.value.total == 3
    assert [f.name for f in stop.value.result.written] == ["seed-1", "seed-2"]
    assert [f.name for f in record_folders(tmp_path)] == ["seed-1", "seed-2"]
    assert str(stop.value) == (f"interrupted by SIGTERM: 2 of 3 runs recorded in {tmp_path} (2 in "
                               "this session); the same command resumes the campaign")


def test_a_multitask_campaign_with_nsga2_resumes(tmp_path):
    # nsga2 on a multitask problem runs (and is recorded) as mt-nsga2; resuming must skip it
    campaign = Campaign(algos=("mo-mfea", "nsga2"), problems=("cec17-cims",), seeds=(1,),
                        max_evals=(60,), pop_size=10)
    first = run_campaign(campaign, tmp_path, backend=LocalPool(1))
    assert len(first.written) == 2
    assert read_record(tmp_path / "runs/nsga2/cec17-cims/evals-60/seed-1").config["algo"] == \
        "mt-nsga2"
    again = run_campaign(campaign, tmp_path, backend=LocalPool(1))
    assert (len(again.written), len(again.skipped)) == (0, 2)
