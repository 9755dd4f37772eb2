"""The machine a run ran on, for its record: CPU model and the BLAS libraries with their kernels.

Float results of BLAS calls depend on the kernel a library picks for the CPU (OpenBLAS chooses
one per CPU family at load time), so a record names both, to tell whether two runs that differ
ran on different arithmetic. The BLAS kernels come from `threadpoolctl`, which asks each BLAS
library loaded in the process; without it only numpy's build-time BLAS is known.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

__all__ = ["blas_libraries", "cpu_model"]

CPUINFO = Path("/proc/cpuinfo")


def cpu_model(cpuinfo: Path = CPUINFO) -> str:
    """The CPU's model name ("AMD EPYC 9654 96-Core Processor"), or "unknown".

    Linux states it in /proc/cpuinfo; elsewhere `platform.processor()` is the best there is
    (on Linux it is usually empty or just "x86_64").
    """
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "cpu model") and value.strip():
            return value.strip()
    return platform.processor() or "unknown"


def blas_libraries() -> list[str]:
    """One line per BLAS library loaded in this process: "openblas 0.3.31, kernel Zen (numpy)".

    The owner in brackets is the package whose folder holds the library (numpy and scipy each
    ship their own OpenBLAS). Without threadpoolctl: numpy's build-time BLAS, kernel unknown.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return [f"{blas['name']} {blas.get('version', '?')}, kernel unknown (numpy; "
                "install threadpoolctl to know it)"]
    return [
        f"{info['internal_api']} {info.get('version') or '?'}, "
        f"kernel {info.get('architecture') or 'unknown'} ({_owner(info['filepath'])})"
        for info in threadpool_info()
        if info["user_api"] == "blas"
    ]


def _owner(filepath: str) -> str:
    """The package a shared library ships with: "numpy" for .../numpy.libs/libscipy_openblas.so."""
    folder = Path(filepath).parent
    if folder.name == "lib":  # torch/lib/...
        folder = folder.parent
    return folder.name.removesuffix(".libs")
