"""Golden runs: every registered algorithm's final population, pinned bit for bit on the CPU.

The CPU arithmetic is torch's portable one (`evogan.device.PORTABLE_CPU_MATH`, set by
`import evogan`, which `tests/conftest.py` does first), so the pins hold on every x86-64 CPU.
A refactor must leave these unchanged; a change that alters a random stream or the arithmetic on
purpose re-pins the cases it touches (run this file as a script to print the current values) and
shows in its commit that the quality did not move.
"""

import hashlib
import sys

import numpy as np
import pytest

from evogan.core.problem import MULTITASK
from evogan.device import set_cpu_threads
from evogan.lab.config import RunConfig
from evogan.lab.run import execute
from evogan.problems import problem_info
from evogan.registry import available_algorithms

# (algorithm, problem) -> (first 16 hex digits of sha256 of the final F as float64, IGD to 6 digits)
GOLDEN = {
    ("egan", "zdt1"): ("2942c4d46adcef62", 0.491203),
    ("emt-gs", "cec17-cihs"): ("e8ad231162be1a07", 8227.21),
    ("ga", "dtlz2"): ("c0e7e0ab9a11dce0", 0.230535),
    ("ga", "zdt1"): ("69b1362706ace911", 1.14397),
    ("gmoea", "dtlz2"): ("b21de2e1be4a9d47", 0.377106),
    ("gmoea", "zdt1"): ("115817a5e6c978df", 1.72564),
    ("gmoea-ga", "dtlz2"): ("38bcec7619e49c1a", 0.247584),
    ("gmoea-elite-gaussian", "dtlz2"): ("6d1df1b6c4eea34c", 0.288957),
    ("gmoea-elite-gaussian", "zdt1"): ("38eeb956733181cc", 1.42454),
    ("gmoea-ga", "zdt1"): ("0353101cbff31896", 1.28057),
    ("gmoea-portfolio", "dtlz2"): ("fa61a42314e3f428", 0.398613),
    ("gmoea-portfolio", "zdt1"): ("f128dbca4b478dc5", 1.60722),
    ("gmoea-plus", "dtlz2"): ("7112be0322136329", 0.384745),
    ("gmoea-plus", "zdt1"): ("0bbda34d24d12680", 1.1578),
    ("gmoea-untrained", "dtlz2"): ("e43654630b61235f", 0.340873),
    ("gmoea-untrained", "zdt1"): ("f76103859ed507a4", 1.91949),
    ("mo-mfea", "cec17-cihs"): ("52dcb4349b3e82d3", 48106.3),
    ("moead", "dtlz2"): ("c7a91d19298e7d79", 0.197017),
    ("mt-nsga2", "cec17-cihs"): ("9b5e336d65c83728", 51549.7),
    ("nsga2", "dtlz2"): ("01c9ecfa4cc6a20a", 0.293954),
    ("nsga2", "zdt1"): ("09f02c91b838149f", 1.10236),
    ("nsga3", "dtlz2"): ("86e5b589c3e38fbd", 0.222568),
    ("portfolio", "dtlz2"): ("258a40b0f3e9f2d5", 0.307523),
    ("portfolio", "zdt1"): ("9a379efc6e88829b", 1.17606),
    ("rm-meda", "dtlz2"): ("1dded25e38e1b069", 0.354336),
    ("rm-meda", "zdt1"): ("055c710a41a87af9", 1.92242),
}

SETTINGS = {"pop_size": 20, "max_evals": 400, "seed": 7}
MULTITASK_SETTINGS = {"pop_size": 20, "max_evals": 800, "seed": 7}


def golden_run(algo: str, problem: str) -> tuple[str, float]:
    """The pinned numbers of one short run: hash of the final F and its IGD."""
    settings = MULTITASK_SETTINGS if problem_info(problem)["kind"] == MULTITASK else SETTINGS
    record = execute(RunConfig(algo=algo, problem=problem, **settings))
    F = np.ascontiguousarray(record.F, dtype=np.float64)
    digest = hashlib.sha256(F.tobytes()).hexdigest()[:16]
    igd = record.summary.get("igd", record.summary.get("igd_t1"))
    return digest, float(f"{igd:.6g}")


@pytest.fixture(autouse=True)
def one_thread():
    set_cpu_threads(1)


def test_every_algorithm_has_a_golden_run():
    assert {algo for algo, _ in GOLDEN} == set(available_algorithms())


@pytest.mark.parametrize("algo, problem", sorted(GOLDEN))
def test_golden_run_is_unchanged(algo, problem):
    assert golden_run(algo, problem) == GOLDEN[(algo, problem)]


if __name__ == "__main__":  # print the current values, to re-pin after an intended change
    set_cpu_threads(1)
    cases = sorted(GOLDEN) if len(sys.argv) == 1 else [tuple(arg.split(":")) for arg in sys.argv[1:]]
    for case in cases:
        print(f"    {case!r}: {golden_run(*case)!r},")
