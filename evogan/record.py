"""Run records on disk: one folder per run, written atomically, read back for reports.

A record folder holds `config.json` (resolved configuration, versions, machine, device, seed,
reference front size and hash), `history.csv` (one row per logged generation), `final.npz`
(final population X, F) and `summary.json` (final indicators and wall time). The folder is
first written under a temporary name and then renamed, so an interrupted run never leaves a
half-written record, and an existing record is replaced only when asked.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evogan.errors import ConfigError

__all__ = ["RECORD_FILES", "RunRecord", "check_writable", "read_record", "write_record"]

RECORD_FILES = ("config.json", "history.csv", "final.npz", "summary.json")


@dataclass
class RunRecord:
    """Everything a run produced; plain data, so worker processes can return it."""

    config: dict[str, Any]
    summary: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    X: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    F: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))


def check_writable(out: Path, *, overwrite: bool) -> None:
    """Fail early, before any work, if `out` cannot be written or already holds a record."""
    if out.exists() and not overwrite:
        raise ConfigError(f"--out {out}: a record already exists there; pass --overwrite to replace it")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as error:
        raise ConfigError(f"--out {out}: cannot write to {parent} ({error.strerror})") from None


def _history_csv(rows: list[dict[str, float]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_record(record: RunRecord, out: Path, *, overwrite: bool = False) -> Path:
    """Write `record` to the folder `out` atomically; return `out`.

    Raises:
        ConfigError: if `out` exists and `overwrite` is false.
    """
    out = Path(out)
    check_writable(out, overwrite=overwrite)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        (staging / "config.json").write_text(json.dumps(record.config, indent=2, default=str))
        (staging / "history.csv").write_text(_history_csv(record.history))
        np.savez_compressed(staging / "final.npz", X=record.X, F=record.F)
        # summary.json last: its presence marks the record complete
        (staging / "summary.json").write_text(json.dumps(record.summary, indent=2, default=str))
        for name in RECORD_FILES:
            with open(staging / name, "rb") as handle:
                os.fsync(handle.fileno())
        if out.exists():
            retired = out.with_name(f".{out.name}.old")
            shutil.rmtree(retired, ignore_errors=True)
            out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired)
        else:
            staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def read_record(folder: Path) -> RunRecord:
    """Read a record folder back; ValueError naming the file if it is incomplete or corrupt.

    A truncated or damaged `final.npz` (an interrupted copy, a bad disk) fails inside numpy's
    zip reader with one of several errors (BadZipFile, EOFError, zlib.error, ...); all of them
    become the same ValueError, so that reports and campaign resume treat the record as
    corrupt instead of stopping.
    """
    folder = Path(folder)
    name = "config.json"
    try:
        config = json.loads((folder / name).read_text())
        name = "summary.json"
        summary = json.loads((folder / name).read_text())
        name = "history.csv"
        with open(folder / name, newline="") as handle:
            history = [{key: _number(value) for key, value in row.items()}
                       for row in csv.DictReader(handle)]
        name = "final.npz"
        with np.load(folder / name) as data:
            X, F = data["X"], data["F"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error,
            NotImplementedError) as error:  # NotImplementedError: a damaged compression field
        raise ValueError(f"run record {folder} cannot be read: {name}: "
                         f"{type(error).__name__}: {error}") from error
    return RunRecord(config=config, summary=summary, history=history, X=X, F=F)


def _number(text: str | None) -> float | str:
    """A history cell as a float (empty means NaN); text labels stay text."""
    if text in ("", None):
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return text
