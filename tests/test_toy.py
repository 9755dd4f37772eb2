"""Tests of the mode-collapse benchmark: data constants, metrics, the `evogan toy` command."""

import argparse
import dataclasses
import json
import math
import re

import numpy as np
import pytest
import torch

from evogan.cli import add_toy_arguments, main, run_toy_command
from evogan.core.errors import ConfigError
from evogan.gan.egan import EGANConfig
from evogan.lab.toy import (
    linear_decay,
    mmd2_unbiased,
    mode_metrics,
    toy_config,
    toy_data,
    train_toy,
)
from evogan.lab.toy_options import ToyOptions

torch.set_num_threads(1)


def test_datasets_have_the_egan_constants():
    ring, grid = toy_data("ring8"), toy_data("grid25")
    np.testing.assert_allclose(np.linalg.norm(ring.centers, axis=1), 2 / 1.414)
    assert ring.sigma == pytest.approx(0.02 / 1.414)
    assert grid.centers.shape == (25, 2)
    np.testing.assert_allclose(np.unique(grid.centers[:, 0]), np.arange(-4, 5, 2) / 2.828)
    assert grid.sigma == pytest.approx(0.05 / 2.828)
    X = ring.sampler()(4000, torch.Generator().manual_seed(0)).numpy()
    metrics = mode_metrics(X, ring.centers, ring.sigma)
    assert metrics["modes"] == 8
    assert metrics["hq"] > 0.98  # 98.9% of a 2-D Gaussian lies within 3 sigma


def test_all_samples_at_one_mode():
    grid = toy_data("grid25")
    rng = np.random.default_rng(0)
    X = grid.centers[7] + rng.normal(scale=grid.sigma / 2, size=(2500, 2))
    metrics = mode_metrics(X, grid.centers, grid.sigma)
    assert metrics == {"modes": 1.0, "hq": 1.0, "reverse_kl": pytest.approx(math.log(25))}


def test_one_point_per_mode_has_zero_reverse_kl():
    ring = toy_data("ring8")
    metrics = mode_metrics(ring.centers.copy(), ring.centers, ring.sigma)
    assert metrics == {"modes": 8.0, "hq": 1.0, "reverse_kl": 0.0}


def test_uniform_noise_is_low_quality():
    ring = toy_data("ring8")
    X = np.random.default_rng(1).uniform(-2, 2, size=(2500, 2))
    metrics = mode_metrics(X, ring.centers, ring.sigma)
    # 8 discs of radius 3 sigma cover 8 * pi * 0.0424^2 / 16 = 0.28% of the square.
    assert metrics["hq"] < 0.01
    far = mode_metrics(X + 100, ring.centers, ring.sigma)
    assert far["modes"] == 0 and far["hq"] == 0 and far["reverse_kl"] == math.inf


def test_mmd_separates_distributions():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(400, 2)), rng.normal(size=(400, 2))
    assert abs(mmd2_unbiased(X, Y)) < 0.01
    assert mmd2_unbiased(X, Y + 1.0) > 0.1


def test_training_is_deterministic_and_measured():
    data = toy_data("ring8")
    config = toy_config("egan", hidden=16, layers=1, batch_size=16, eval_size=32)
    a = train_toy(data, "egan", seed=3, iterations=10, config=config)
    b = train_toy(data, "egan", seed=3, iterations=10, config=config)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert a.samples.shape == (2500, 2)
    assert a.iterations == 10 and a.wall_s > 0
    assert sum(a.selection_rates.values()) == pytest.approx(1.0)
    assert EGANConfig(**a.record()["config"]) == config  # the record rebuilds the configuration


def test_linear_decay_holds_then_falls_to_zero():
    factors = [linear_decay(i, 10, start=0.5) for i in range(10)]
    np.testing.assert_allclose(factors, [1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2])
    assert [linear_decay(i, 10, start=1.0) for i in range(10)] == [1.0] * 10


def test_optimizer_state_matters_for_egan_only():
    data = toy_data("ring8")

    def samples(trainer: str, optimizer_state: str) -> np.ndarray:
        config = toy_config(trainer, hidden=16, layers=1, batch_size=16, eval_size=32,
                            optimizer_state=optimizer_state)
        return train_toy(data, trainer, seed=1, iterations=10, config=config).samples

    # one loss and mu = 1: one Adam state either way, so the same training
    np.testing.assert_array_equal(samples("gan-ls", "per_individual"),
                                  samples("gan-ls", "per_mutation"))
    assert not np.array_equal(samples("egan", "per_individual"), samples("egan", "per_mutation"))


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_toy_arguments(parser)
    return parser.parse_args(list(argv))


def test_command_writes_runs_and_figure(tmp_path, capsys):
    args = parse("--data", "grid25", "--trainer", "egan,gan-ls", "--seeds", "2",
                 "--iterations", "3", "--hidden", "8", "--out", str(tmp_path))
    assert run_toy_command(args) == 0
    records = json.loads((tmp_path / "runs.json").read_text())
    assert [(r["trainer"], r["seed"]) for r in records] == [
        ("egan", 0), ("egan", 1), ("gan-ls", 0), ("gan-ls", 1)]
    assert (tmp_path / "samples_grid25.png").stat().st_size > 1000
    assert "| grid25 | gan-ls | 2 |" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [(("--data", "ring9"), "ring9"), (("--trainer", "wgan"), "wgan"),
     (("--seeds", "0"), "--seeds"), (("--decay-start", "1.5"), "--decay-start"),
     (("--eval-size", "0"), "--eval-size")],
)
def test_bad_values_are_config_errors(tmp_path, argv, message):
    with pytest.raises(ConfigError, match=message):
        run_toy_command(parse(*argv, "--out", str(tmp_path)))


TINY = ("--iterations", "2", "--hidden", "4", "--seeds", "1")
"""A toy command that runs in a fraction of a second."""


def toy(*argv: str) -> int:
    """`evogan toy ARGV`'s exit status."""
    try:
        return main(["toy", *argv])
    except SystemExit as exit_:  # argparse's own errors
        return exit_.code

BAD_TOY_COMMANDS = [
    (("--lr", "-1"), r"--lr -1\.0: must be a number > 0"),
    (("--lr", "0"), r"--lr 0\.0: must be a number > 0"),
    (("--lr", "nan"), r"--lr nan: must be a number > 0"),
    (("--lr", "inf"), r"--lr inf: must be a number > 0"),
    (("--lr", "fast"), r"argument --lr: invalid float value: 'fast'"),
    (("--iterations", "0"), r"--iterations 0: must be an integer >= 1"),
    (("--iterations", "-3"), r"--iterations -3: must be an integer >= 1"),
    (("--seeds", "0"), r"--seeds 0: must be an integer >= 1"),
    (("--seeds", "1.5"), r"argument --seeds: invalid int value: '1\.5'"),
    (("--hidden", "0"), r"--hidden 0: must be an integer >= 1"),
    (("--eval-size", "0"), r"--eval-size 0: must be an integer >= 64 \(the batch size"),
    (("--eval-size", "32"), r"--eval-size 32: must be an integer >= 64 \(the batch size"),
    (("--decay-start", "1.5"), r"--decay-start 1\.5: must be a number in \[0, 1\]"),
    (("--decay-start", "-0.1"), r"--decay-start -0\.1: must be a number in \[0, 1\]"),
    (("--decay-start", "nan"), r"--decay-start nan: must be a number in \[0, 1\]"),
    (("--gamma", "-1"), r"--gamma -1\.0: must be a number >= 0"),
    (("--gamma", "nan"), r"--gamma nan: must be a number >= 0"),
    (("--threads", "0"), r"--threads 0: must be an integer >= 1"),
    (("--trainer", "wgan"), r"--trainer 'wgan': 'wgan' is not one of egan, .*, gan-ls, all"),
    (("--trainer", "egan,wgan"), r"--trainer 'egan,wgan': 'wgan' is not one of egan, "),
    (("--trainer", ""), r"--trainer '': '' is not one of egan, "),
    (("--data", "ring9"), r"--data 'ring9': must be one of ring8, grid25"),
    (("--optimizer-state", "shared"), r"argument --optimizer-state: invalid choice: 'shared'"),
    (("--overwrite", "--resume"), r"argument --resume: not allowed with argument --overwrite"),
    (("--device", "tpu"), r"--device 'tpu': must be one of auto, cpu, cuda, cuda:N"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_TOY_COMMANDS,
                         ids=[" ".join(argv) for argv, _ in BAD_TOY_COMMANDS])
def test_bad_toy_commands_end_in_one_line_and_create_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "deep" / "toy"
    status = toy(*TINY, *argv, "--out", str(out))
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.startswith("evogan: error: ") and captured.err.count("\n") == 1
    assert re.search(message, captured.err), captured.err
    assert list(tmp_path.iterdir()) == []


def test_every_toy_option_is_checked_and_is_a_command_line_option():
    parser = argparse.ArgumentParser()
    add_toy_arguments(parser)
    destinations = {action.dest for action in parser._actions} - {"help"}
    fields = dataclasses.fields(ToyOptions)
    assert destinations == {f.name for f in fields}
    assert all(callable(f.metadata.get("check")) for f in fields)
    assert ToyOptions() == ToyOptions.from_args(parser.parse_args([]))
    with pytest.raises(ConfigError, match=r"--iterations True: must be an integer >= 1"):
        ToyOptions(iterations=True)


def contents(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_toy_refuses_a_folder_with_toy_results_and_keeps_them(tmp_path, capsys):
    out = tmp_path / "toy"
    assert toy(*TINY, "--out", str(out)) == 0
    before = contents(out)
    assert sorted(before) == ["runs.csv", "runs.json", "samples_ring8.png", "samples_seed0.npz"]
    capsys.readouterr()
    assert toy(*TINY, "--out", str(out)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"evogan: error: --out {out} already holds evogan toy results "
                            "(runs.csv, runs.json, samples_ring8.png, samples_seed0.npz); pass "
                            "--overwrite to replace them, or --resume to keep them and run only "
                            "the missing runs\n")
    assert contents(out) == before


def test_overwrite_replaces_a_toy_result_folder_whole(tmp_path):
    out = tmp_path / "toy"
    assert toy(*TINY, "--data", "ring8", "--out", str(out)) == 0
    assert toy(*TINY[:4], "--seeds", "2", "--data", "grid25", "--overwrite", "--out",
               str(out)) == 0
    records = json.loads((out / "runs.json").read_text())
    assert [(r["data"], r["seed"]) for r in records] == [("grid25", 0), ("grid25", 1)]
    # the ring's figure went with the folder it belonged to; no staging folder is left behind
    assert sorted(contents(out)) == ["runs.csv", "runs.json", "samples_grid25.png",
                                     "samples_seed0.npz"]
    assert [path.name for path in tmp_path.iterdir()] == ["toy"]


@pytest.mark.parametrize("flag", ["", "--overwrite", "--resume"])
def test_a_file_named_like_the_folder_is_refused(tmp_path, capsys, flag):
    out = tmp_path / "toy"
    out.write_text("mine")
    assert toy(*TINY, *filter(None, [flag]), "--out", str(out)) == 2
    assert capsys.readouterr().err == f"evogan: error: --out {out} is a file, not a folder\n"
    assert out.read_text() == "mine"


@pytest.mark.parametrize(("flag", "message"), [
    ("", "is a folder with files that are not evogan toy results (notes.txt); choose a new or "
         "empty folder"),
    ("--overwrite", "holds files that are not evogan toy results (notes.txt); --overwrite "
                    "replaces only a folder of evogan toy results: choose another folder"),
    ("--resume", "holds files that are not evogan toy results (notes.txt); --resume adds runs "
                 "only to a folder of evogan toy results"),
])
def test_a_folder_with_other_files_is_refused_even_with_a_flag(tmp_path, capsys, flag, message):
    out = tmp_path / "toy"
    assert toy(*TINY, "--out", str(out)) == 0  # toy results, and one file of the user's
    (out / "notes.txt").write_text("mine")
    before = contents(out)
    capsys.readouterr()
    assert toy(*TINY, *filter(None, [flag]), "--out", str(out)) == 2
    assert capsys.readouterr().err == f"evogan: error: --out {out} {message}\n"
    assert contents(out) == before


@pytest.mark.parametrize("flag", ["", "--overwrite"])
def test_an_empty_folder_is_used(tmp_path, flag):
    out = tmp_path / "toy"
    out.mkdir()
    assert toy(*TINY, *filter(None, [flag]), "--out", str(out)) == 0
    assert (out / "runs.json").exists()


@pytest.mark.parametrize("make", [False, True], ids=["missing", "empty"])
def test_resume_needs_recorded_runs(tmp_path, capsys, make):
    out = tmp_path / "toy"
    if make:
        out.mkdir()
    assert toy(*TINY, "--resume", "--out", str(out)) == 2
    state = "is an empty folder" if make else "does not exist"
    assert capsys.readouterr().err == (f"evogan: error: --resume: --out {out} {state}, so it has "
                                       "no recorded runs to keep; leave out --resume\n")
    assert out.exists() == make and (not make or list(out.iterdir()) == [])


def test_resume_keeps_the_recorded_runs_and_runs_only_the_missing_ones(tmp_path, capsys):
    out = tmp_path / "toy"
    assert toy(*TINY, "--trainer", "egan", "--out", str(out)) == 0
    first = json.loads((out / "runs.json").read_text())
    capsys.readouterr()
    assert toy(*TINY[:4], "--seeds", "2", "--trainer", "egan,gan-ls", "--resume", "--out",
               str(out)) == 0
    records = json.loads((out / "runs.json").read_text())
    assert [(r["trainer"], r["seed"]) for r in records] == [
        ("egan", 0), ("egan", 1), ("gan-ls", 0), ("gan-ls", 1)]
    assert records[0] == first[0]  # kept as recorded (its wall time too), not run again
    assert "| ring8 | egan | 2 |" in capsys.readouterr().out
    assert (out / "samples_ring8.png").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (("--lr", "0.01"), r"runs\.json was made with other options \(egan, seed 0: --lr 0\.001, "
                       r"these options give 0\.01\)"),
    (("--iterations", "3"), r"\(egan, seed 0: --iterations 2, these options give 3\)"),
    (("--hidden", "8"), r"\(egan, seed 0: --hidden \[4, 4, 4\], these options give \[8, 8, 8\]"),
    (("--data", "grid25"), r"holds ring8 runs; these options ask for --data grid25"),
])
def test_resume_refuses_other_options(tmp_path, capsys, argv, message):
    out = tmp_path / "toy"
    assert toy(*TINY, "--out", str(out)) == 0
    before = contents(out)
    capsys.readouterr()
    assert toy(*TINY, "--resume", *argv, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert err.startswith("evogan: error: --resume: ") and err.count("\n") == 1
    assert re.search(message, err), err
    assert contents(out) == before
