"""Wall and CPU time of GAN-loop runs against a reference algorithm, before and after a change.

Each configuration is one `evogan run --algo ALGO --problem PROBLEM --seed 1` (10,000
evaluations, population 100, the problem's default n_var, one torch thread, `evogan run`'s
default) in a fresh process; every algorithm runs under the old code (`--before`, another
checkout's `evogan` executable) and the new one, the configurations alternate round by round, so
that a shared machine's load falls on all of them alike, and the report gives medians. One
unrecorded warm-up round first lets each checkout write its numba caches (a kernel's first
compilation takes 25-40 s, once per machine). The `wall_s` column is the run record's own (the
optimisation, without start-up); `process_s` is the whole command, imports included, and
`cpu_s` the command's CPU time (user + system), which a loaded machine inflates less than the
wall times. The first of `--algos` is the reference the others are divided by, under the same
code. The load average is read before every run. Written: report_PROBLEM_ALGOS.md and
timing_PROBLEM_ALGOS.csv (e.g. report_zdt1_nsga2_egan.md).

    python runners/egan_speed.py --before OLD_EVOGAN [--algos nsga2 egan] [--problem zdt1]
        [--rounds 5] [--out DIR]
    python runners/egan_speed.py --profile [--algo egan] [--problem zdt1] [--out DIR]

`--profile` instead profiles one run in this process on one torch thread (cProfile on CPU
time, cumulative time of the GAN operators' phases and of the loop's own work; imports and
the kernels' first load excluded by a short warm-up run), into profile_ALGO_PROBLEM.md; for
`egan` it also counts the ATen operations of one fit of one E-GAN generation of the operator
(torch profiler) and times one E-GAN generation eager and compiled.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from evogan.lab.machine import cpu_model
from evogan.lab.record import write_text_atomic

if TYPE_CHECKING:
    from evogan.gan.egan import EGANConfig

OUT = Path(__file__).resolve().parents[1] / "results" / "egan_speed"
AFTER = str(Path(sys.executable).with_name("evogan"))


def configurations(before: str, algos: list[str]) -> dict[str, tuple[str, str]]:
    """label ("ALGO before" / "ALGO after") -> (evogan executable, algorithm)."""
    return {f"{algo} {code}": (executable, algo)
            for algo in algos for code, executable in (("before", before), ("after", AFTER))}


def time_run(executable: str, algo: str, problem: str, out: Path) -> dict[str, float]:
    """One run in a fresh process: its record's wall_s and torch threads, the process's wall
    and CPU time."""
    load = os.getloadavg()[0]
    environment = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([executable, "run", "--algo", algo, "--problem", problem, "--seed", "1",
                    "--max-evals", "10000", "--out", str(out), "--overwrite", "--quiet"],
                   env=environment, check=True)
    process_s = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    summary = json.loads((out / "summary.json").read_text())
    config = json.loads((out / "config.json").read_text())
    return {"wall_s": summary["wall_s"], "process_s": process_s, "cpu_s": cpu_s,
            "load_1min": load, "igd": summary["igd"],
            "torch_threads": config["environment"].get("torch_threads", "-")}


def phases() -> list[tuple[Callable, str]]:
    """The functions whose cumulative time `profile` reports, each with the phase it stands
    for (indented: part of the row above); phases an algorithm never enters are left out."""
    from evogan.algorithms.gan_loop import GANLoop, _TournamentBranch
    from evogan.engine import evaluate, minimize
    from evogan.gan import egan_compiled, gmoea_compiled
    from evogan.gan.egan import EGAN
    from evogan.gan.egan_offspring import EGANOffspring
    from evogan.gan.elite_noise import EliteGaussian, EliteNoiseVariation
    from evogan.gan.gmoea_training import TrainingDraws
    from evogan.lab.callbacks import IndicatorLog
    from evogan.survival import spea2_select

    return [
        (minimize, "the whole run (`minimize`)"),
        (EGANOffspring.fit, "E-GAN operator's fits (real set, noise Gaussian, training, "
                            "diagnostics)"),
        (EGAN.train, "  E-GAN generations (`EGAN.train`, 20 per fit)"),
        (egan_compiled._generations, "    the compiled generations (the kernel)"),
        (EliteNoiseVariation.fit, "GMOEA-family operator's fits (real set, noise Gaussian, "
                                  "training)"),
        (gmoea_compiled._train, "  the compiled GAN training (the kernel)"),
        (TrainingDraws.draw, "  the training's random draws"),
        (EliteGaussian.fit, "the elite Gaussian's fits (mostly `numpy.linalg.eigh`), all callers"),
        (EliteGaussian.sample, "the elite Gaussian's draws (`torch.randn` + `addmm`), all "
                               "callers"),
        (GANLoop.tell, "the loop's environmental selection and bookkeeping (`GANLoop.tell`)"),
        (spea2_select, "SPEA2 selections, all callers (the loop's, the real sets)"),
        (_TournamentBranch.__call__, "the GA branch (tournament on SPEA2 fitness, variation)"),
        (GANLoop.metrics, "the loop's metrics (spreads, the operators' diagnostics)"),
        (IndicatorLog.on_generation, "the run history (IGD and HV per generation)"),
        (evaluate, "the problem's evaluations"),
    ]


def _profile_key(function: Callable) -> tuple[str, int, str]:
    """cProfile's key (file, first line, name) of a function, a method, or a numba kernel."""
    function = getattr(function, "py_func", function)  # a numba dispatcher: its Python function
    function = getattr(function, "__func__", function)  # a classmethod: its function
    code = function.__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def profile(algo: str, problem: str, out: Path) -> None:
    """Write profile_ALGO_PROBLEM.md: where one run's CPU time goes (and, for egan, one E-GAN
    generation's operations and cost)."""
    import cProfile
    import pstats

    from evogan.device import set_cpu_threads
    from evogan.lab.config import RunConfig
    from evogan.lab.run import prepare, run_prepared

    set_cpu_threads(1)
    config = RunConfig(algo=algo, problem=problem, seed=1)
    run_prepared(prepare(config.replace(max_evals=1000)))  # warm: imports, kernels loaded
    prepared = prepare(config)
    started = time.process_time()
    run_prepared(prepared)
    plain_s = time.process_time() - started
    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(run_prepared, prepare(config))
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    cumulative = {key: (nc, ct) for key, (_, nc, _, ct, _) in stats.items()}
    rows = [(cumulative.get(_profile_key(function), (0, 0.0)), title)
            for function, title in phases()]
    total = rows[0][0][1]  # the whole run's
    n_var = prepared.problem.n_var
    lines = [f"# Where a `{algo}` run's time goes ({problem}, n_var = {n_var}, "
             f"{config.max_evals:,} evaluations, seed 1)", "",
             f"Produced by `python runners/egan_speed.py --profile --algo {algo} --problem "
             f"{problem}`: cProfile of one run in-process on one torch thread, CPU time (a "
             "shorter run first pays the imports and the kernels' loading; cProfile adds its own "
             "overhead to every Python call, so the shares matter more than the seconds). "
             f"The same run without the profiler: {plain_s:.2f} s of CPU time.", "",
             "| phase | calls | cumulative CPU s | share of the run |", "|---|---:|---:|---:|"]
    for (calls, seconds), title in rows:
        if calls:
            lines.append(f"| {title} | {calls} | {seconds:.2f} | {seconds / total:.0%} |")
    if algo == "egan":
        lines += egan_generation_lines()
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / f"profile_{algo}_{problem}.md", "\n".join(lines + [""]))


def egan_generation_lines() -> list[str]:
    """The ATen operations of one fit of one E-GAN generation of the operator, and the CPU
    time of one generation eager and compiled."""
    import numpy as np
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from evogan.gan.egan_offspring import EGANOffspring

    rng = np.random.default_rng(0)
    X, F = rng.random((100, 30)), rng.random((100, 2))  # a population's shapes at n_var = 30
    operator = EGANOffspring(iterations=1)
    operator.fit(X, F, rng=rng)  # warm: networks built, first-call costs paid
    with torch_profile(activities=[ProfilerActivity.CPU]) as trace:
        operator.fit(X, F, rng=rng)
    events = trace.key_averages()
    top_level = sum(e.count for e in events if e.key.startswith("aten::"))
    products = sum(e.count for e in events if e.key in ("aten::bmm", "aten::baddbmm",
                                                         "aten::addmm", "aten::mm"))
    eager, compiled = (generation_ms(operator.gan_.config, compiled=c) for c in (False, True))
    return ["", f"One fit of one E-GAN generation of the operator (mu = 2, three losses, plus "
            f"selection: 8 candidates; batch 16, evaluation 32, networks 30 wide): {top_level} "
            f"ATen operation calls (nested ones included: the random draws, the elites' "
            f"Gaussian, the diagnostics), {products} of them matrix products; the generation "
            f"itself is one call of the compiled kernel.", "",
            f"One E-GAN generation of `EGAN.train` with the operator's configuration (20 "
            f"generations per call, CPU time, median of {TRAIN_CALLS} calls; the elites' "
            f"Gaussian draws the noise): eager torch {eager:.2f} ms, compiled {compiled:.2f} ms "
            f"({eager / compiled:.1f}x)."]


TRAIN_CALLS = 15
"""How many `EGAN.train` calls of 20 generations `generation_ms` times."""


def generation_ms(config: EGANConfig, *, compiled: bool) -> float:
    """CPU milliseconds per E-GAN generation of `config` (the operator's) on synthetic data:
    10 elites in [0, 1]^n_var as the real rows, 90 extra fake rows, the elites' Gaussian noise."""
    import numpy as np
    import torch

    from evogan.core.rng import make_rng
    from evogan.gan.egan import EGAN
    from evogan.gan.elite_noise import EliteGaussian

    rng = make_rng(0)
    elites = rng.random((10, config.data_dim))
    E = torch.as_tensor(elites, dtype=torch.float32)
    rest = torch.as_tensor(rng.random((90, config.data_dim)), dtype=torch.float32)
    noise = EliteGaussian.fit(elites).sample

    def real(n: int, generator: torch.Generator) -> torch.Tensor:
        return E[torch.randint(len(E), (n,), generator=generator)]

    gan = EGAN(config, compiled=compiled)
    gan.setup(rng=rng)
    gan.train(20, real, noise=noise, extra_fake=rest)  # warm: the kernel loaded
    seconds = []
    for _ in range(TRAIN_CALLS):
        started = time.process_time()
        gan.train(20, real, noise=noise, extra_fake=rest)
        seconds.append(time.process_time() - started)
    return float(np.median(seconds)) / 20 * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="the evogan executable of the old code")
    parser.add_argument("--algos", nargs="+", default=["nsga2", "egan"],
                        help="algorithms to time, the first the reference")
    parser.add_argument("--problem", default="zdt1")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile one run instead")
    parser.add_argument("--algo", default="egan", help="the algorithm --profile runs")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.profile:
        profile(args.algo, args.problem, args.out)
        return
    if args.before is None or shutil.which(args.before) is None:
        parser.error(f"--before {args.before!r} is not an executable: give the old code's "
                     "evogan (e.g. /work/main/.venv/bin/evogan), or --profile")
    configs = configurations(args.before, args.algos)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(-1, args.rounds):  # round -1: the warm-up, not recorded
            for label, (executable, algo) in configs.items():
                row = time_run(executable, algo, args.problem, Path(tmp) / "run")
                if round_ >= 0:
                    rows.append({"round": round_, "label": label, **row})
    stem = "_".join([args.problem, *args.algos])
    args.out.mkdir(parents=True, exist_ok=True)
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(args.out / f"timing_{stem}.csv", table.getvalue())
    write_text_atomic(args.out / f"report_{stem}.md", "\n".join(report_lines(args, configs, rows)))


def report_lines(args: argparse.Namespace, configs: dict[str, tuple[str, str]],
                 rows: list[dict]) -> list[str]:
    """The report: per configuration the medians, their ratio to the reference algorithm under
    the same code, every round's wall_s and load, and the final IGDs."""
    from importlib.metadata import version

    reference = args.algos[0]

    def median(label: str, key: str) -> float:
        return statistics.median(r[key] for r in rows if r["label"] == label)

    lines = [
        f"# {', '.join(f'`{a}`' for a in args.algos[1:])} against `{reference}`: time of one "
        f"{args.problem} run (10,000 evaluations), before and after", "",
        f"Produced by `python runners/egan_speed.py --before {args.before} --algos "
        f"{' '.join(args.algos)} --problem {args.problem} --rounds {args.rounds}`: after a "
        "warm-up round, the configurations alternate round by round, each a fresh "
        f"`evogan run --algo ALGO --problem {args.problem} --seed 1 --max-evals 10000` process "
        "on one torch thread; medians over rounds. `wall_s` is the run record's (optimisation "
        "only), `process s` the whole command (imports included), `cpu s` its CPU time; "
        f"`x {reference}` divides each median by `{reference}`'s under the same code (before "
        "or after). `IGD`: the final IGD of every round (one value: the same result each "
        "time).", "",
        f"| configuration | median wall_s | x {reference} | median process s | x {reference} | "
        f"median cpu s | x {reference} | all wall_s | load (1 min) | IGD |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for label in configs:
        mine = [r for r in rows if r["label"] == label]
        base = f"{reference} {label.rsplit(' ', 1)[1]}"  # the same code's reference
        ratios = [median(label, key) / median(base, key)
                  for key in ("wall_s", "process_s", "cpu_s")]
        igds = ", ".join(sorted({format(r["igd"], ".7g") for r in mine}))
        lines.append(
            f"| {label} | {median(label, 'wall_s'):.2f} | {ratios[0]:.1f} | "
            f"{median(label, 'process_s'):.2f} | {ratios[1]:.1f} | {median(label, 'cpu_s'):.2f} | "
            f"{ratios[2]:.1f} | {', '.join(format(r['wall_s'], '.2f') for r in mine)} | "
            f"{', '.join(format(r['load_1min'], '.1f') for r in mine)} | {igds} |")
    lines += ["", f"Machine: {platform.platform()}, {cpu_model()}, {os.cpu_count()} cores, shared "
              "with other jobs (see the load column); Python "
              f"{platform.python_version()}, evogan {version('evogan')}, torch {version('torch')}, "
              f"numpy {version('numpy')}, numba {version('numba')}.", ""]
    return lines


if __name__ == "__main__":
    main()
