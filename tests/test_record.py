"""Run records: written atomically, refused when present, read back exactly."""

import json

import numpy as np
import pytest

from evogan.errors import ConfigError
from evogan.record import RECORD_FILES, RunRecord, read_record, write_record


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
