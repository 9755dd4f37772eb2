"""`evogan report` on multitask records: one row per task and the CEC2017 multitask score."""

import numpy as np
import pytest

from evogan.algorithms.multitask.metrics import multitask_score
from evogan.lab.collection import collect
from evogan.lab.config import RunConfig
from evogan.lab.record import write_record
from evogan.lab.report import write_report
from evogan.lab.run import execute


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    root = tmp_path_factory.mktemp("mt")
    for algo in ("mo-mfea", "nsga2"):
        for seed in (1, 2, 3):
            config = RunConfig(algo=algo, problem="cec17-cims", seed=seed, max_evals=400,
                               pop_size=20)
            write_record(execute(config), root / algo / f"seed-{seed}")
    return root


def test_multitask_records_become_one_run_per_task(records):
    found = collect(records)
    assert len(found.multitask) == 6
    assert sorted({run.instance[0] for run in found.runs}) == ["cec17-cims-t1", "cec17-cims-t2"]
    original = found.multitask[0].record.summary
    task2 = next(r for r in found.runs if r.folder == found.multitask[0].folder
                 and r.instance[0] == "cec17-cims-t2")
    assert task2.value("igd") == original["igd_t2"]
    assert task2.value("hv") == original["hv_t2"]


def test_report_gives_the_multitask_score_of_the_records(records):
    written = write_report(records, figures=False)
    text = written.report.read_text()
    found = collect(records)
    igd = {algo: np.array([[r.record.summary["igd_t1"], r.record.summary["igd_t2"]]
                           for r in found.multitask if r.record.config["algo"] == algo])
           for algo in ("mo-mfea", "mt-nsga2")}
    expected = multitask_score(igd)
    row = next(line for line in text.splitlines() if line.startswith("| cec17-cims |"))
    shown = [float(cell.strip(" *")) for cell in row.split("|")[2:-1]]
    assert shown == pytest.approx([expected["mo-mfea"], expected["mt-nsga2"]], abs=5e-4)
    assert "| cec17-cims-t1 |" in text and "| cec17-cims-t2 |" in text
