"""Wall time of one `egan` run against one NSGA-II run, before and after a change.

Each configuration is one `evogan run --algo ALGO --problem zdt1 --seed 1` (10,000 evaluations,
population 100, n_var = 30, one torch thread, `evogan run`'s default) in a fresh process; the
configurations alternate round by round, so that a shared machine's load falls on all of them
alike, and the report gives medians. The `wall_s` column is the run record's own (the
optimisation, without start-up); `process_s` is the whole command, imports included, and
`cpu_s` the command's CPU time (user + system), which a loaded machine inflates less than the
wall times. `--before` names another checkout's `evogan` executable to time the code before the
change. The load average is read before every run.

    python runners/egan_speed.py --before OLD_EVOGAN [--rounds 5] [--out DIR]
    python runners/egan_speed.py --profile [--out DIR]

`--profile` instead profiles one `egan` run in this process on one torch thread (cProfile,
cumulative time of the E-GAN phases and of the rest of the loop; imports excluded) and counts
the ATen operations of one fit of one E-GAN generation of the operator (torch profiler), into
profile.md.
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
from pathlib import Path
from typing import TYPE_CHECKING

from evogan.lab.machine import cpu_model
from evogan.lab.record import write_text_atomic

if TYPE_CHECKING:
    from evogan.gan.egan import EGANConfig

OUT = Path(__file__).resolve().parents[1] / "results" / "egan_speed"
AFTER = str(Path(sys.executable).with_name("evogan"))


def configurations(before: str) -> dict[str, tuple[str, str]]:
    """label -> (evogan executable, algorithm)."""
    return {
        "nsga2": (AFTER, "nsga2"),
        "egan before": (before, "egan"),
        "egan after": (AFTER, "egan"),
    }


def time_run(executable: str, algo: str, out: Path) -> dict[str, float]:
    """One run in a fresh process: its record's wall_s and torch threads, the process's wall
    and CPU time."""
    load = os.getloadavg()[0]
    environment = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([executable, "run", "--algo", algo, "--problem", "zdt1", "--seed", "1",
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


PHASES = {
    "egan.py:train": "E-GAN generations (all of `EGAN.train`, 20 generations per call)",
    "egan.py:_compiled_generations": "  their random draws and the kernel call",
    "elite_noise.py:sample": "    the generator noise draws (`torch.randn` + `addmm`)",
    "egan_compiled.py:_generations": "    the compiled generations (the kernel)",
    "egan_offspring.py:fit": "the operator's fits (elites, noise Gaussian, training, diagnostics)",
    "survival.py:spea2_select": "SPEA2 selection (environmental, and the elites of each fit)",
    "engine.py:minimize": "the whole run (`minimize`)",
}
"""cProfile function (file:name) -> the phase it stands for."""


def profile(out: Path) -> None:
    """Write profile.md: where one egan run's time goes, and one E-GAN generation's operations."""
    import cProfile
    import pstats

    import numpy as np
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from evogan.device import set_cpu_threads
    from evogan.gan.egan_offspring import EGANOffspring
    from evogan.lab.config import RunConfig
    from evogan.lab.run import prepare, run_prepared

    set_cpu_threads(1)
    prepared = prepare(RunConfig(algo="egan", problem="zdt1", seed=1))
    profiler = cProfile.Profile()
    profiler.runcall(run_prepared, prepared)
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    cumulative = {f"{Path(file).name}:{name}": (nc, ct)
                  for (file, _, name), (_, nc, _, ct, _) in stats.items()}
    total = cumulative["engine.py:minimize"][1]
    lines = ["# Where an `egan` run's time goes (ZDT1, n_var = 30, 10,000 evaluations, seed 1)", "",
             "Produced by `python runners/egan_speed.py --profile`: cProfile of one run in-process "
             "on one torch thread (imports excluded; cProfile adds its own overhead to every "
             "Python call, so the shares matter more than the seconds).", "",
             "| phase | calls | cumulative s | share of the run |", "|---|---:|---:|---:|"]
    for key, title in PHASES.items():
        calls, seconds = cumulative.get(key, (0, 0.0))
        lines.append(f"| {title} | {calls} | {seconds:.2f} | {seconds / total:.0%} |")

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
    lines += ["", f"One fit of one E-GAN generation of the operator (mu = 2, three losses, plus "
              f"selection: 8 candidates; batch 16, evaluation 32, networks 30 wide): {top_level} "
              f"ATen operation calls (nested ones included: the random draws, the elites' "
              f"Gaussian, the diagnostics), {products} of them matrix products; the generation "
              f"itself is one call of the compiled kernel.", ""]
    eager, compiled = (generation_ms(operator.gan_.config, compiled=c) for c in (False, True))
    lines += [f"One E-GAN generation of `EGAN.train` with the operator's configuration (20 "
              f"generations per call, CPU time, median of {TRAIN_CALLS} calls; the elites' "
              f"Gaussian draws the noise): eager torch {eager:.2f} ms, compiled {compiled:.2f} ms "
              f"({eager / compiled:.1f}x).", ""]
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "profile.md", "\n".join(lines))


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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile one run instead")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.profile:
        profile(args.out)
        return
    if args.before is None or shutil.which(args.before) is None:
        parser.error(f"--before {args.before!r} is not an executable: give the old code's "
                     "evogan (e.g. /work/main/.venv/bin/evogan), or --profile")
    configs = configurations(args.before)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for label, (executable, algo) in configs.items():
                row = time_run(executable, algo, Path(tmp) / "run")
                rows.append({"round": round_, "label": label, **row})
    args.out.mkdir(parents=True, exist_ok=True)
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(args.out / "timing.csv", table.getvalue())

    def median(label: str, key: str) -> float:
        return statistics.median(r[key] for r in rows if r["label"] == label)

    lines = [
        "# `egan` against NSGA-II: wall time of one ZDT1 run (n_var = 30, 10,000 evaluations)", "",
        f"Produced by `python runners/egan_speed.py --before {args.before} --rounds "
        f"{args.rounds}`: the configurations alternate round by round, each a fresh "
        "`evogan run --algo ALGO --problem zdt1 --seed 1 --max-evals 10000` process on one torch "
        "thread; medians over rounds. `wall_s` is the run record's (optimisation only), "
        "`process s` the whole command (imports included), `cpu s` its CPU time; `x NSGA-II` "
        "divides each median by NSGA-II's.", "",
        "| configuration | median wall_s | x NSGA-II | median process s | x NSGA-II | median cpu s "
        "| x NSGA-II | all wall_s | load (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for label in configs:
        mine = [r for r in rows if r["label"] == label]
        ratios = [median(label, key) / median("nsga2", key) for key in ("wall_s", "process_s",
                                                                        "cpu_s")]
        lines.append(
            f"| {label} | {median(label, 'wall_s'):.2f} | {ratios[0]:.1f} | "
            f"{median(label, 'process_s'):.2f} | {ratios[1]:.1f} | {median(label, 'cpu_s'):.2f} | "
            f"{ratios[2]:.1f} | {', '.join(format(r['wall_s'], '.2f') for r in mine)} | "
            f"{', '.join(format(r['load_1min'], '.1f') for r in mine)} |")
    from importlib.metadata import version

    lines += ["", f"Machine: {platform.platform()}, {cpu_model()}, {os.cpu_count()} cores, shared "
              "with other jobs (see the load column); Python "
              f"{platform.python_version()}, evogan {version('evogan')}, torch {version('torch')}, "
              f"numpy {version('numpy')}, numba {version('numba')}.", ""]
    write_text_atomic(args.out / "report.md", "\n".join(lines))


if __name__ == "__main__":
    main()
