"""runners/gmoea_plus.py phases: where in a run gmoea-plus's GAN works, read from histories."""

import math
from pathlib import Path

import numpy as np
import pytest

from evogan.lab.collection import Collection, Run
from evogan.lab.config import RunConfig
from evogan.lab.run import execute
from tests.runner_module import load_runner


@pytest.fixture(scope="module")
def found() -> Collection:
    runs = [Run(Path(f"plus-{seed}"), execute(RunConfig(
        algo="gmoea-plus", problem="zdt1", pop_size=20, max_evals=1_000, seed=seed,
        params={"epochs": 2})))
        for seed in (1, 2, 3)]
    return Collection(root=Path("."), runs=runs)


def test_phases_are_window_means_and_budget_readings_of_the_histories(found):
    runner = load_runner("gmoea_plus")
    text = runner.phases_table(found, "gmoea-plus")
    sections = [line for line in text.splitlines() if line.startswith("| zdt1")]
    assert len(sections) == 4  # one row each: GAN share, GAN survival, GA survival, p_gan

    def window_mean(run, column):  # independent of the runner: every row up to 1,000
        values = np.array([row[column] for row in run.record.history], dtype=float)
        return np.nanmean(values)  # the initial population's row is NaN

    expected = [np.median([window_mean(run, column) for run in found.runs])
                for column in ("gan_batch", "gan_survival", "ga_survival")]
    p_gan = np.median([run.record.history[-1]["p_gan"] for run in found.runs])
    for line, value in zip(sections, [*expected, p_gan], strict=True):
        assert line == f"| zdt1 | {value:.3f} |"
    assert 0 < expected[0] < 1  # both branches made batches
    assert all(0 <= v <= 1 for v in expected) and not math.isnan(p_gan)
