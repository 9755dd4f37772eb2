"""Batched seeds (`--batch-seeds`): the lockstep loop, EMT-GS's stacked GANs, campaigns on the
process pool and on Ray."""

import argparse
import dataclasses

import numpy as np
import pytest
from scipy import stats as sps

from evogan.cli import add_compare_arguments, run_compare_command
from evogan.core.errors import ConfigError
from evogan.engine import minimize, minimize_lockstep
from evogan.lab.backends import LocalPool, RayBackend
from evogan.lab.campaign import Campaign, run_campaign, seed_batches
from evogan.lab.config import RunConfig
from evogan.lab.record import read_record
from evogan.lab.run import execute, execute_batch
from evogan.problems import get_problem
from evogan.registry import get_algorithm

CELL = Campaign(algos=("nsga2",), problems=("zdt1",), seeds=(1, 2, 3, 4, 5), max_evals=(130,),
                pop_size=12)


def test_side_by_side_seeds_are_their_unbatched_runs_with_the_exact_budget():
    problem = get_problem("zdt1", n_var=8)
    seeds = (4, 9, 11)
    batched = minimize_lockstep(problem, [get_algorithm("nsga2", pop_size=12) for _ in seeds],
                                seeds=seeds, max_evals=130)
    for seed, result in zip(seeds, batched, strict=True):
        alone = minimize(problem, get_algorithm("nsga2", pop_size=12), seed=seed, max_evals=130)
        assert result.n_evals == 130 and result.n_gen == alone.n_gen == 11
        np.testing.assert_array_equal(result.X, alone.X)
        np.testing.assert_array_equal(result.F, alone.F)


@pytest.mark.parametrize(("algo", "params"), [("gmoea", {"epochs": 3, "w_max": 2}),
                                              ("gmoea-plus", {"epochs": 3, "w_max": 2}),
                                              ("egan", {"iterations": 2})])
def test_seeds_asked_on_threads_are_their_unbatched_runs_bit_for_bit(algo, params):
    """Four seeds side by side on two threads: GMOEA's compiled GAN trainings (which release
    the GIL) overlap, E-GAN's torch steps interleave, and each seed still computes exactly what
    it computes alone."""
    problem = get_problem("zdt1", n_var=8)
    seeds = (4, 9, 11, 12)
    make = lambda: get_algorithm(algo, pop_size=12, **params)  # noqa: E731
    batched = minimize_lockstep(problem, [make() for _ in seeds], seeds=seeds, max_evals=96,
                                threads=2)
    for seed, result in zip(seeds, batched, strict=True):
        alone = minimize(problem, make(), seed=seed, max_evals=96)
        assert result.n_evals == 96 and result.n_gen == alone.n_gen == 8
        np.testing.assert_array_equal(result.X, alone.X)
        np.testing.assert_array_equal(result.F, alone.F)


def test_asks_on_threads_run_torch_on_the_callers_thread_count():
    """A new thread runs torch on OpenMP's default thread count (one per core), not on what the
    caller set; the elite-Gaussian control's seeds then rounded differently on threads than
    alone. The lockstep loop's threads take the caller's count."""
    torch = pytest.importorskip("torch")
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        problem = get_problem("zdt1", n_var=8)
        seeds = (1, 2, 3)
        make = lambda: get_algorithm("gmoea-elite-gaussian", pop_size=20)  # noqa: E731
        batched = minimize_lockstep(problem, [make() for _ in seeds], seeds=seeds,
                                    max_evals=200, threads=2)
        for seed, result in zip(seeds, batched, strict=True):
            alone = minimize(problem, make(), seed=seed, max_evals=200)
            np.testing.assert_array_equal(result.F, alone.F)
    finally:
        torch.set_num_threads(saved)


@pytest.mark.parametrize("threads", [0, 1.5])
def test_lockstep_refuses_a_thread_count_that_is_not_a_positive_integer(threads):
    problem = get_problem("zdt1", n_var=8)
    with pytest.raises(ConfigError, match=f"threads must be a positive integer, got {threads}"):
        minimize_lockstep(problem, [get_algorithm("nsga2", pop_size=12)], seeds=(1,),
                          max_evals=100, threads=threads)


def test_lockstep_refuses_a_seed_count_that_does_not_match():
    problem = get_problem("zdt1", n_var=8)
    with pytest.raises(ConfigError, match="one seed and one callback list per algorithm"):
        minimize_lockstep(problem, [get_algorithm("nsga2", pop_size=12)], seeds=(1, 2),
                          max_evals=100)


def test_a_batch_must_be_one_configuration_with_distinct_seeds():
    config = RunConfig(algo="nsga2", problem="zdt1", pop_size=12, max_evals=60, seed=1)
    with pytest.raises(ConfigError, match="seeds \\[1, 1\\]"):
        execute_batch([config, config])
    with pytest.raises(ConfigError, match="one configuration with distinct seeds"):
        execute_batch([config, config.replace(seed=2, pop_size=14)])


def test_a_gmoea_batch_writes_each_seed_as_its_unbatched_run():
    config = RunConfig(algo="gmoea", problem="zdt1", n_var=8, pop_size=12, max_evals=60, seed=1,
                       params={"epochs": 3, "w_max": 2})
    batched = execute_batch([config.replace(seed=seed) for seed in (1, 2, 3)])  # every core
    for seed, record in zip((1, 2, 3), batched, strict=True):
        np.testing.assert_array_equal(record.F, execute(config.replace(seed=seed)).F)


def test_emtgs_batch_of_one_is_its_unbatched_run_bit_for_bit():
    config = RunConfig(algo="emt-gs", problem="cec17-cihs", pop_size=20, max_evals=1200, seed=3)
    alone, (batched,) = execute(config), execute_batch([config])
    np.testing.assert_array_equal(alone.F, batched.F)
    assert batched.config["batch"] == {"size": 1, "seeds": [3]}


def test_emtgs_batched_seeds_train_stacked_and_match_unbatched_runs_in_distribution():
    """Ten seeds at 6,000 evaluations (30 generations, three GAN trainings): the final IGD of
    each task, batched (one stacked TransferGANs for the ten seeds) vs unbatched, by rank-sum.
    The batched seeds are not their unbatched runs (their networks come from the batch's torch
    generator) but must be the same distribution. The test has power at this size: measured,
    unbatched EMT-GS against mt-nsga2 at the same budget gives p = 0.0002 on both tasks, batched
    against unbatched p = 0.76 and 0.71."""
    base = RunConfig(algo="emt-gs", problem="cec17-cihs", max_evals=6000, seed=1)
    seeds = range(1, 11)
    alone = [execute(base.replace(seed=s)) for s in seeds]
    batched = execute_batch([base.replace(seed=s) for s in seeds])
    assert [r.summary["seed"] for r in batched] == list(seeds)
    assert all(r.summary["n_evals"] == 6000 for r in batched)
    assert not np.array_equal(alone[1].F, batched[1].F)  # the stacked networks were used
    for key in ("igd_t1", "igd_t2"):
        p = sps.ranksums([r.summary[key] for r in alone], [r.summary[key] for r in batched]).pvalue
        assert p > 0.05, (key, p)
    assert all(np.isfinite(r.history[-1]["d_loss"]) for r in batched if "d_loss" in r.history[-1])


def test_seed_batches_group_cells_and_cut_them_to_size():
    batches = seed_batches(CELL.runs(), 2)
    assert [[s.config.seed for s in b.specs] for b in batches] == [[1, 2], [3, 4], [5]]
    assert batches[0].config == (CELL.runs()[0].config, CELL.runs()[1].config)


@pytest.fixture(scope="module")
def unbatched(tmp_path_factory):
    out = tmp_path_factory.mktemp("unbatched")
    assert run_campaign(CELL, out, backend=LocalPool(1)).ok
    return out


@pytest.mark.parametrize("backend", ["pool", "ray"])
def test_a_batched_campaign_writes_each_seed_as_its_unbatched_record(unbatched, tmp_path,
                                                                     backend):
    if backend == "ray":
        ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'evogan[ray]')")
        ray.init(num_cpus=1, include_dashboard=False, logging_level="ERROR")
    try:
        result = run_campaign(CELL, tmp_path, batch_seeds=2,
                              backend=LocalPool(1) if backend == "pool" else RayBackend())
    finally:
        if backend == "ray":
            ray.shutdown()
    assert result.ok and len(result.written) == 5
    for seed in CELL.seeds:
        folder = f"runs/nsga2/zdt1/evals-130/seed-{seed}"
        mine, theirs = read_record(tmp_path / folder), read_record(unbatched / folder)
        np.testing.assert_array_equal(mine.F, theirs.F)  # nsga2 has nothing to batch
        assert mine.config["batch"] == {"size": 1 if seed == 5 else 2,
                                        "seeds": [5] if seed == 5 else [seed - 1 + seed % 2,
                                                                        seed + seed % 2]}
        assert "batch" not in theirs.config
        assert set(mine.summary) == set(theirs.summary)
        assert ({k: v for k, v in mine.config.items() if k not in ("batch", "environment")}
                == {k: v for k, v in theirs.config.items() if k != "environment"})
    assert run_campaign(CELL, tmp_path, batch_seeds=2).skipped  # resumes as any campaign


def test_a_failing_batch_fails_each_of_its_runs(tmp_path):
    bad = dataclasses.replace(CELL, seeds=(1, 2))
    result = run_campaign(bad, tmp_path, backend=LocalPool(1), batch_seeds=2,
                          run_batch=fail_batch)
    assert [message for _, message in result.failed] == ["RuntimeError: injected failure"] * 2
    assert (tmp_path / "runs/nsga2/zdt1/evals-130/seed-2.failed.json").exists()


def fail_batch(configs):
    """A batch run function that fails (module level, so workers can import it)."""
    raise RuntimeError("injected failure")


def test_batch_seeds_must_be_positive(tmp_path):
    with pytest.raises(ConfigError, match="--batch-seeds 0 must be a positive integer"):
        run_campaign(CELL, tmp_path, batch_seeds=0)


def test_evogan_compare_batch_seeds_writes_every_seed(tmp_path):
    parser = argparse.ArgumentParser()
    add_compare_arguments(parser)
    argv = ["--algos", "nsga2", "--problems", "zdt1", "--seeds", "3", "--max-evals", "60",
            "--pop-size", "12", "--workers", "1", "--batch-seeds", "3", "--quiet",
            "--no-report", "--out", str(tmp_path)]
    assert run_compare_command(parser.parse_args(argv)) == 0
    for seed in (1, 2, 3):
        record = read_record(tmp_path / f"runs/nsga2/zdt1/evals-60/seed-{seed}")
        assert record.config["batch"] == {"size": 3, "seeds": [1, 2, 3]}
        assert record.summary["n_evals"] == 60


def worker_cores(config):
    """A run function that reports the cores its worker may use for batched seeds (module
    level, so that pool workers can import it)."""
    from evogan.device import usable_cores

    return usable_cores()


@pytest.mark.parametrize("n_workers", [1, 2])
def test_pool_workers_share_the_cores_so_batched_seeds_do_not_oversubscribe(n_workers):
    from evogan.device import usable_cores

    specs = [dataclasses.make_dataclass("Spec", ["config"])(RunConfig("nsga2", "zdt1", seed=s))
             for s in range(n_workers)]
    shares = [cores for _, cores in LocalPool(n_workers).run(worker_cores, specs)]
    assert shares == [max(1, usable_cores() // n_workers)] * n_workers
    assert sum(shares) <= max(usable_cores(), n_workers)


def test_a_share_of_cores_caps_usable_cores_and_refuses_zero():
    from evogan.device import share_cores, usable_cores

    everything = usable_cores()
    try:
        share_cores(1)
        assert usable_cores() == 1
        share_cores(everything + 5)
        assert usable_cores() == everything  # a share never adds cores
    finally:
        share_cores(None)
    assert usable_cores() == everything
    with pytest.raises(ConfigError, match="at least 1, got 0"):
        share_cores(0)
