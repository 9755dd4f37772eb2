"""Where a campaign's runs execute: a local process pool or a Ray cluster.

A backend receives jobs (anything with a `config`: a `RunConfig`, or a batch of seeds' tuple of
them) and a run function, and yields each job with its record (a batch: its list of records), or
with the exception its run raised, as runs finish. A batch of seeds is one task: one worker
process, or one Ray task with one CPU and `gpus_per_run` GPUs. Workers only
compute; the driver writes every record. Local workers use one thread each and end with their
driver however it ends.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol, TypeVar

from evogan.core.errors import ConfigError
from evogan.device import THREAD_ENV, set_cpu_threads, share_cores, usable_cores
from evogan.lab.config import RunConfig
from evogan.lab.record import RunRecord

__all__ = ["BatchRunFunction", "Job", "LocalPool", "RayBackend", "RunFunction",
           "execute_batch_in_worker", "execute_in_worker"]

logger = logging.getLogger(__name__)


RunFunction = Callable[[RunConfig], RunRecord]
BatchRunFunction = Callable[[tuple[RunConfig, ...]], list[RunRecord]]
"""Runs a batch of seeds (`evogan.lab.run.execute_batch`), one record per configuration."""


class Job(Protocol):
    """What a backend runs: one configuration (a campaign's `RunSpec`) or a batch of seeds'
    configurations (a campaign's `SeedBatch`), passed to the run function as they are."""

    config: Any


J = TypeVar("J", bound=Job)


def _start_worker(cores: int) -> None:
    """Initializer of every local worker; `cores` is its share of the machine (`share_cores`)."""
    _limit_threads(cores)
    _end_with_driver()


def _end_with_driver() -> None:
    """End this worker when its driver ends, however it ends (kill -9 included).

    A watcher thread waits on the sentinel of multiprocessing's parent process, a pipe whose
    only writer is the driver: it reads as closed once the driver is gone. (A parent-death
    signal would not do: a worker's parent is the fork server, not the driver.) The fork server
    and the resource tracker then end by themselves, each at the end of a pipe that the driver
    and the workers hold. A worker inside a long call that holds the GIL ends when the call
    returns.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="evogan-end-with-driver", daemon=True).start()


def _limit_threads(cores: int) -> None:
    """Worker initializer: one thread for torch and the BLAS/OpenMP pools, and at most `cores`
    cores for the threads of batched seeds (`evogan.device.share_cores`)."""
    for name in THREAD_ENV:
        os.environ[name] = "1"
    set_cpu_threads(1)
    share_cores(cores)


def execute_in_worker(config: RunConfig) -> RunRecord:
    """The default run function: `evogan.lab.run.execute`, imported in the worker."""
    from evogan.lab.run import execute

    return execute(config)


def execute_batch_in_worker(configs: tuple[RunConfig, ...]) -> list[RunRecord]:
    """The run function of batched seeds: `evogan.lab.run.execute_batch`, imported in the
    worker."""
    from evogan.lab.run import execute_batch

    return execute_batch(configs)


def _ray_task(run: Callable[[Any], Any], config: Any) -> Any:
    _limit_threads(1)  # the task asked Ray for one CPU
    return run(config)


@contextlib.contextmanager
def _thread_env() -> Iterator[None]:
    """Set THREAD_ENV to 1 while a pool runs, so that its workers inherit it when they start
    (before numpy loads its BLAS)."""
    saved = {name: os.environ.get(name) for name in THREAD_ENV}
    os.environ.update({name: "1" for name in THREAD_ENV})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _context() -> multiprocessing.context.BaseContext:
    """Workers start from a fork server that has imported torch and evogan.lab.run once (Python
    3.14's default on Linux): cheap starts, and no fork of a process whose torch may hold threads.
    Where there is no fork server (Windows), each worker is spawned."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "evogan.lab.run"])
    return context


class LocalPool:
    """A local process pool of `workers` processes, each with one torch thread."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        if self.workers < 1:
            raise ConfigError(f"--workers {workers} must be a positive integer")

    @staticmethod
    def cores_per_worker(n_workers: int) -> int:
        """Each of `n_workers` workers' share of this process's cores (at least one)."""
        return max(1, usable_cores() // n_workers)

    def run(self, run: RunFunction | BatchRunFunction, specs: Sequence[J]
            ) -> Iterator[tuple[J, RunRecord | list[RunRecord] | BaseException]]:
        """Yield (spec, record or the exception the run raised) as runs finish."""
        n_workers = min(self.workers, len(specs))
        with _thread_env():
            executor = ProcessPoolExecutor(max_workers=n_workers, mp_context=_context(),
                                           initializer=_start_worker,
                                           initargs=(self.cores_per_worker(n_workers),))
            pending: dict[Future[Any], J] = {}
            try:
                pending.update({executor.submit(run, spec.config): spec for spec in specs})
                while pending:
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        spec = pending.pop(future)
                        error = future.exception()
                        yield spec, error if error is not None else future.result()
            except BaseException:  # Ctrl-C, or the driver failed: the runs in flight are lost
                _terminate(executor)
                raise
            executor.shutdown()


def _terminate(executor: ProcessPoolExecutor, *, grace_s: float = 5.0) -> None:
    """Drop queued runs and stop the workers now instead of letting them finish their runs;
    return once they and the executor's manager thread have ended (SIGTERM, then SIGKILL for
    workers still there after `grace_s`).

    Waiting for the manager thread (which joins the workers) also keeps it from closing its
    wake-up pipe while the interpreter's exit writes to it, a race of Python 3.11's executor
    that ends the driver with a stray `OSError: [Errno 9] Bad file descriptor`.
    """
    # before shutdown(), which forgets both
    processes = list((getattr(executor, "_processes", None) or {}).values())
    manager = getattr(executor, "_executor_manager_thread", None)
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    if manager is None:
        return
    manager.join(grace_s)
    if manager.is_alive():
        for process in processes:
            process.kill()
        manager.join(grace_s)


class RayBackend:
    """A Ray cluster: an existing one at `address` (e.g. `auto`, `ray://host:10001`), else a
    fresh local one. Each run takes one CPU and `gpus_per_run` GPUs (a fraction shares a GPU)."""

    def __init__(self, address: str | None = None, *, gpus_per_run: float = 0.0) -> None:
        if gpus_per_run < 0:
            raise ConfigError(f"--gpus-per-run {gpus_per_run} must be >= 0")
        self.address, self.gpus_per_run = address or None, gpus_per_run

    def run(self, run: RunFunction | BatchRunFunction, specs: Sequence[J]
            ) -> Iterator[tuple[J, RunRecord | list[RunRecord] | BaseException]]:
        try:
            import ray
        except ImportError:
            raise ConfigError("--ray needs Ray: pip install 'evogan[ray]'") from None
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, logging_level=logging.WARNING)
        pending: dict[Any, J] = {}
        try:
            task = ray.remote(num_cpus=1, num_gpus=self.gpus_per_run)(_ray_task)
            pending.update({task.remote(run, spec.config): spec for spec in specs})
            while pending:
                finished, _ = ray.wait(list(pending), num_returns=1)
                for ref in finished:
                    spec = pending.pop(ref)
                    try:
                        yield spec, ray.get(ref)
                    except ray.exceptions.RayTaskError as error:
                        yield spec, error.as_instanceof_cause()
                    except ray.exceptions.RayError as error:  # worker died, task cancelled
                        yield spec, error
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
            if started_here:
                ray.shutdown()
