"""Run records: written atomically, refused when present, read back exactly."""

import json

import numpy as np
import pytest

from evogan.core.errors import ConfigError
from evogan.lab.record import RECORD_FILES, RunRecord, read_record, write_record


def _record(value: float) -> RunRecord:
    return RunRecord(
        config={"algo": "ga", "seed": 1},
        summary={"igd": value},
        history=[{"n_evals": 10, "igd": value, "operator": "gan"}, {"n_evals": 20, "igd": value}],
        X=np.full((3, 2), value),
        F=np.full((3, 2), 2 * value),
    )


def test_record_round_trips(tmp_path):
    out = write_record(_record(0.5), tmp_path / "run")
    assert sorted(p.name for p in out.iterdir()) == sorted(RECORD_FILES)
    back = read_record(out)
    assert back.summary == {"igd": 0.5}
    assert back.history[0] == {"n_evals": 10.0, "igd": 0.5, "operator": "gan"}
    assert np.isnan(back.history[1]["operator"])
    np.testing.assert_array_equal(back.F, np.full((3, 2), 1.0))


def test_existing_record_is_refused_and_left_intact(tmp_path):
    out = write_record(_record(0.5), tmp_path / "run")
    with pytest.raises(ConfigError, match="already exists.*--overwrite"):
        write_record(_record(0.9), out)
    assert json.loads((out / "summary.json").read_text()) == {"igd": 0.5}
    write_record(_record(0.9), out, overwrite=True)
    assert read_record(out).summary == {"igd": 0.9}
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staging or retired folders left


def test_failed_write_leaves_no_partial_record(tmp_path, monkeypatch):
    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        write_record(_record(0.5), tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


def test_corrupt_record_is_reported(tmp_path):
    out = write_record(_record(0.5), tmp_path / "run")
    (out / "summary.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot be read"):
        read_record(out)


def _damage(path, how: str) -> None:
    """Damage a file the ways an interrupted copy or a bad disk would."""
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    else:  # flipped bytes inside the compressed data, the zip directory intact
        path.write_bytes(data[:60] + bytes(b ^ 0xFF for b in data[60:200]) + data[200:])


@pytest.mark.parametrize("how", ["truncated", "empty", "flipped"])
def test_a_damaged_final_npz_is_a_corrupt_record_naming_the_file(tmp_path, how):
    out = write_record(_record(0.5), tmp_path / "run")
    _damage(out / "final.npz", how)
    with pytest.raises(ValueError, match=r"cannot be read: final\.npz"):
        read_record(out)


def test_campaign_resume_reports_a_truncated_final_npz_and_leaves_it(tmp_path):
    from evogan.lab.campaign import Campaign, run_campaign
    from evogan.lab.run import execute

    campaign = Campaign(algos=("nsga2",), problems=("zdt1",), seeds=(1,), max_evals=(24,),
                        pop_size=12)
    spec = campaign.runs()[0]
    record = execute(spec.config)
    record.config["label"] = spec.label
    folder = write_record(record, tmp_path / spec.folder)
    _damage(folder / "final.npz", "truncated")
    damaged = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = run_campaign(campaign, tmp_path)  # nothing to run: no worker pool starts
    assert result.written == [] and not result.ok
    assert [(found, "final.npz" in why) for found, why in result.corrupt] == [(folder, True)]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == damaged
