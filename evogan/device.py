"""Where GAN training runs, and how many CPU threads torch may use."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

from evogan.core.errors import ConfigError

__all__ = ["DEFAULT_CPU_THREADS", "PORTABLE_CPU_MATH", "THREAD_ENV", "one_cpu_thread",
           "portable_cpu_math", "resolve_device", "same_cpu_threads", "set_cpu_threads",
           "share_cores", "usable_cores"]

THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""The thread-pool variables of OpenMP and the BLAS libraries: a user who sets one chooses the
threads; campaign workers set them to 1, so that parallel runs do not fight."""

PORTABLE_CPU_MATH = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}
"""torch's CPU arithmetic that gives the same bits on every x86-64 CPU. By default torch picks
its vectorised kernels by the CPU's instruction set (AVX2, AVX-512) and MKL its GEMM code path
by CPU model, and their roundings differ: the same `egan` seed gave a different final population
on an AMD EPYC (AVX2) and on an Intel Xeon (AVX-512). ATen's scalar kernels and MKL's
conditional-numerical-reproducibility "COMPATIBLE" branch are the same everywhere; they cost
about 15% of an `egan` or `emt-gs` run on an Intel Xeon (7.2 s -> 8.3 s, ZDT1, 10,000
evaluations). The GMOEA kernel (numba) does not depend on them."""


def portable_cpu_math() -> None:
    """Ask torch for `PORTABLE_CPU_MATH` unless the user chose otherwise in the environment.

    It must run before torch is imported (torch reads both variables when it loads), so
    `import evogan` calls it; a process that imported torch first keeps torch's choice, which
    every run record states (`torch_cpu_capability`, `mkl_cbwr`). Child processes (campaign
    workers, Ray tasks) inherit the environment.
    """
    for name, value in PORTABLE_CPU_MATH.items():
        os.environ.setdefault(name, value)

DEFAULT_CPU_THREADS = 1
"""Small networks train fastest on one thread: with two threads on two cores a GMOEA step took
~170x longer on our machine (thread hand-off dominates a few-hundred-kFLOP step), and an `egan`
run on ZDT1 7-17x longer while the other core was busy (results/egan_speed). Campaign workers and
`evogan toy` use it, and so does `evogan run` for a torch algorithm unless OMP_NUM_THREADS is
set."""


def same_cpu_threads() -> Callable[[], None]:
    """A thread-pool initializer that gives each new thread the calling thread's torch CPU
    threads.

    OpenMP keeps the count per thread: a thread started after `torch.set_num_threads(1)` runs
    torch's operations on OpenMP's default (one per core), and some round differently there
    (the `gmoea-elite-gaussian` control's seeds did, asked on threads). Nothing to do when
    torch has not been imported.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return lambda: None
    n_threads = torch.get_num_threads()
    return lambda: torch.set_num_threads(n_threads)


_core_share: int | None = None  # set in pool workers: their share of the machine's cores


def share_cores(cores: int | None) -> None:
    """Limit `usable_cores` in this process to `cores` (None: no limit).

    A pool of W workers on C cores gives each worker C // W of them (a Ray task its one CPU), so
    that a worker running K batched seeds on threads does not start K threads on a core that
    other workers use too.
    """
    global _core_share
    if cores is not None and cores < 1:
        raise ConfigError(f"a worker's share of cores must be at least 1, got {cores}")
    _core_share = cores


def usable_cores() -> int:
    """The CPU cores this process may run on: its affinity where the OS says (else all), at
    most its share as a pool worker (`share_cores`)."""
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity is not None else os.cpu_count() or 1
    return cores if _core_share is None else min(cores, _core_share)


def resolve_device(name: str) -> str:
    """Turn `auto`, `cpu`, `cuda` or `cuda:N` into a device string torch accepts.

    Raises:
        ConfigError: for an unknown name, or a CUDA device on a machine without one.
    """
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ConfigError(f"--device {name}: no CUDA GPU is available here; use cpu or auto")
        index = name.partition(":")[2]
        if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
            raise ConfigError(
                f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
        return name
    raise ConfigError(f"--device {name!r} is not one of auto, cpu, cuda, cuda:N")


def set_cpu_threads(n_threads: int | None = DEFAULT_CPU_THREADS) -> None:
    """Limit torch's intra-op CPU threads (None leaves torch's default)."""
    if n_threads is None:
        return
    import torch

    if torch.get_num_threads() != n_threads:
        torch.set_num_threads(n_threads)


@contextlib.contextmanager
def one_cpu_thread() -> Iterator[None]:
    """numpy/scipy's BLAS and, when it is loaded, torch on one CPU thread for the duration (torch's
    count restored after), unless the user set a thread count (`THREAD_ENV`).

    The small matrices of a run (covariances, eigendecompositions, local PCA) gain nothing from
    threads, and on a busy machine they lose much: a 2-thread OpenBLAS `eigh` of 100 x 100 took
    74 ms instead of 1 ms, and an `rm-meda` run 4.5 s of CPU instead of 0.37 s. torch's count
    also changes bits: an `egan` run on ZDT1 (seed 3, 600 evaluations) ended 1.7e-7 away from
    its one-thread result with torch on two threads, so a run from Python on a many-core machine
    did not reproduce the same seed's command-line or campaign run. `evogan.minimize` and every
    run of the command line go through it."""
    if any(name in os.environ for name in THREAD_ENV):
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1, user_api="blas"):
        set_cpu_threads(1 if torch is not None else None)
        try:
            yield
        finally:
            set_cpu_threads(previous)
