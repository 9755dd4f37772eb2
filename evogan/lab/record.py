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
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evogan.core.errors import ConfigError
from evogan.core.problem import MULTITASK, SINGLE_TASK

__all__ = ["RECORD_FILES", "RunRecord", "check_parent_writable", "check_writable",
           "is_record_folder", "read_record", "replace_folder", "write_bytes_atomic",
           "write_record", "write_text_atomic"]

RECORD_FILES = ("config.json", "history.csv", "final.npz", "summary.json")


@dataclass
class RunRecord:
    """Everything a run produced; plain data, so worker processes can return it."""

    config: dict[str, Any]
    summary: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    X: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    F: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    @property
    def problem_kind(self) -> str:
        """The kind of problem the run solved (`evogan.core.problem`), as its config names it;
        records written before the config named it are recognised by their per-task fields."""
        stored = self.config.get("problem_kind")
        if stored is not None:
            return str(stored)
        return MULTITASK if "igd_t1" in self.summary else SINGLE_TASK


def is_record_folder(folder: Path) -> bool:
    """Whether `folder` holds nothing but the files of an evogan run record (perhaps not all of
    them: an interrupted write), so that replacing it loses nothing else."""
    names = {entry.name for entry in Path(folder).iterdir()}
    return bool(names) and names <= set(RECORD_FILES)


def check_writable(out: Path, *, overwrite: bool) -> None:
    """Fail early, before any work and without touching the disk, unless writing the record
    to `out` is safe: `out` is new, an empty folder, or (with `overwrite`) an evogan record.

    Any other folder is refused even with `overwrite`, so that a mistyped `--out` never
    deletes a user's files.
    """
    out = Path(out)
    here = Path.cwd().resolve()
    if out.resolve() == here or out.resolve() in here.parents:
        raise ConfigError(f"--out {out}: is the current folder or contains it; name a new folder")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ConfigError(f"--out {out}: is a file, not a folder; name a new folder")
    if out.is_dir() and any(out.iterdir()):
        if not is_record_folder(out):
            raise ConfigError(f"--out {out}: is a folder with other files than an evogan run "
                              "record's; evogan writes only to a new or empty folder or replaces "
                              "a record (with --overwrite); name a new folder")
        if not overwrite:
            raise ConfigError(f"--out {out}: a run record already exists there; pass --overwrite "
                              "to replace it, or name a new folder")
    check_parent_writable(out)


def check_parent_writable(out: Path) -> None:
    """Refuse, without creating anything, an `--out` whose closest existing ancestor is a file
    or cannot be written (the folders in between would be created at the write)."""
    parent = Path(out).parent.absolute()
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"--out {out}: cannot write there, {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out}: cannot write to {parent} (permission denied)")


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

    def write(staging: Path) -> None:
        (staging / "config.json").write_text(json.dumps(record.config, indent=2, default=str))
        (staging / "history.csv").write_text(_history_csv(record.history))
        np.savez_compressed(staging / "final.npz", X=record.X, F=record.F)
        # summary.json last: its presence marks the record complete
        (staging / "summary.json").write_text(json.dumps(record.summary, indent=2, default=str))
        for name in RECORD_FILES:
            with open(staging / name, "rb") as handle:
                os.fsync(handle.fileno())

    replace_folder(out, write)
    return out


def replace_folder(out: Path, write: Callable[[Path], None]) -> None:
    """Call `write` on a new folder next to `out`, then put that folder in the place of `out`.

    The folder is `.NAME.TAG.tmp` while it is written and an existing `out` becomes
    `.NAME.TAG.old` for the moment of the swap, so an interruption leaves `out` whole (old or
    new) and at most a hidden folder that `evogan compare` cleans up when it resumes.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]  # mkdir, not mkdtemp, so that the folder gets the umask's mode
    staging, retired = (out.with_name(f".{out.name}.{tag}.{end}") for end in ("tmp", "old"))
    staging.mkdir()
    try:
        write(staging)
        if out.exists():
            out.rename(retired)
            staging.rename(out)
            shutil.rmtree(retired)
        else:
            staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `path` through a temporary file and a rename, so a reader never sees half of it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def write_text_atomic(path: Path, text: str) -> None:
    """`write_bytes_atomic` for UTF-8 text."""
    write_bytes_atomic(path, text.encode("utf-8"))
