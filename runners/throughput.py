"""Runs per hour of whole runs, one seed unbatched against K seeds batched (`--batch-seeds`).

Each configuration (algorithm x problem, a reduced budget stated in the report) runs as one
unbatched seed (`evogan.lab.run.execute`, one thread) and as K seeds in lockstep
(`evogan.lab.run.execute_batch`, its asks on one thread per core) for every K asked, in this
process with one torch and one BLAS thread, as a worker of `evogan compare --workers 1`
would; `--rounds R` repeats the unbatched seed and the batches in turn and keeps medians.
Runs per hour is
K / wall time x 3600; the ratio is the batch's wall time over the unbatched seed's (the issue's
target: at most 2 for K = 8). The 1-minute load average is recorded with each measurement (the
machine may be shared). To name what limits each configuration, the unbatched run and the
smallest batch are profiled (cProfile, apart from the timing; it sees the main thread only) and
their five most expensive functions (own time) are saved.
Writes results/throughput/report.md and report.json.

Usage: python runners/throughput.py [--sizes 8,32,128] [--only emt-gs-cihs] [--rounds 3]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

from evogan.device import THREAD_ENV, set_cpu_threads
from evogan.lab.config import RunConfig
from evogan.lab.run import environment, execute, execute_batch

OUT = Path(__file__).resolve().parents[1] / "results" / "throughput"

CASES = {
    "gmoea-imf1-d30": RunConfig(algo="gmoea", problem="imf1", n_var=30, max_evals=2000),
    "gmoea-imf1-d100": RunConfig(algo="gmoea", problem="imf1", n_var=100, max_evals=2000),
    "egan-zdt1": RunConfig(algo="egan", problem="zdt1", max_evals=2000),
    "emt-gs-cihs": RunConfig(algo="emt-gs", problem="cec17-cihs", max_evals=6000),
}
"""The configurations and their reduced budgets (population 100, seeds 1..K)."""


def _run(config: RunConfig, size: int) -> tuple[float, float]:
    """Wall and CPU seconds (all threads) of one unbatched seed (size 0) or a batch of `size`
    seeds."""
    started, cpu = time.perf_counter(), time.process_time()
    if size == 0:
        execute(config)
    else:
        execute_batch([config.replace(seed=seed) for seed in range(1, size + 1)])
    return time.perf_counter() - started, time.process_time() - cpu


def _profile(config: RunConfig, size: int) -> list[str]:
    """The five functions with the most own time in one run (size 0) or batch, with shares."""
    profiler = cProfile.Profile()
    profiler.runcall(_run, config, size)
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:5]
    return [f"{100 * own / total:.0f}% {Path(file).name}:{line} {name}"
            for (file, line, name), (_, _, own, _, _) in rows]


def measure(name: str, config: RunConfig, sizes: list[int], rounds: int = 1) -> dict:
    """Time the unbatched seed and every batch size of one configuration, `rounds` times in
    turn; each row holds the median over the rounds (ratio: of the medians) and every round's
    wall time and load."""
    _run(config.replace(max_evals=config.pop_size * 2), 0)  # imports, compiled kernels
    walls: dict[int, list[float]] = {size: [] for size in [0, *sizes]}
    cpus: dict[int, list[float]] = {size: [] for size in walls}
    loads: dict[int, list[float]] = {size: [] for size in walls}
    for _ in range(rounds):
        for size in walls:
            loads[size].append(round(os.getloadavg()[0], 2))
            wall, cpu = _run(config, size)
            walls[size].append(round(wall, 2))
            cpus[size].append(round(cpu, 2))
    rows = []
    for size in walls:
        wall, runs = statistics.median(walls[size]), max(size, 1)
        rows.append({"seeds": runs, "batched": size > 0, "wall_s": round(wall, 2),
                     "cpu_s": round(statistics.median(cpus[size]), 2),
                     "runs_per_hour": round(3600 * runs / wall), "load_1min": loads[size],
                     "wall_s_rounds": walls[size], "cpu_s_rounds": cpus[size]})
    for row in rows:
        row["wall_ratio"] = round(row["wall_s"] / rows[0]["wall_s"], 2)
    return {"config": config.to_dict(), "rounds": rounds, "rows": rows,
            "profile_unbatched": _profile(config, 0),
            f"profile_batch_{min(sizes)}": _profile(config, min(sizes))}


def _range(loads: float | list[float]) -> str:
    """Load averages as "low-high" (a single figure as it is: records of one round)."""
    loads = loads if isinstance(loads, list) else [loads]
    low, high = min(loads), max(loads)
    return f"{low}" if low == high else f"{low}-{high}"


def _markdown(record: dict) -> str:
    lines = ["# Throughput: one seed unbatched vs K seeds batched (`--batch-seeds K`)", "",
             f"`python runners/throughput.py --sizes {','.join(map(str, record['sizes']))}` "
             f"on {record['machine']['processor']}, {record['machine']['cpu_count']} cores, "
             "one worker (a batch asks on one thread per core), torch "
             + record["machine"]["torch"] + ". Reduced budgets; medians of the rounds; "
             "CPU s = the process's CPU time, all threads; "
             "runs per hour = seeds / wall x 3600; ratio = wall / the unbatched seed's wall "
             "(target for 8 seeds: <= 2). The machine was shared: the 1-minute load average "
             "is given with each figure (lowest-highest over the rounds).", "",
             "| configuration | budget | seeds | batched | wall s | CPU s | runs/hour | wall ratio | "
             "load |", "|---|---|---|---|---|---|---|---|---|"]
    for name, case in record["cases"].items():
        for row in case["rows"]:
            lines.append(f"| {name} | {case['config']['max_evals']} | {row['seeds']} | "
                         f"{'yes' if row['batched'] else 'no'} | {row['wall_s']} | {row.get('cpu_s', '')} | "
                         f"{row['runs_per_hour']} | {row['wall_ratio']} | {_range(row['load_1min'])} |")
    lines += ["", "## Where the time goes (cProfile, own time)", ""]
    for name, case in record["cases"].items():
        for key, value in case.items():
            if key.startswith("profile"):
                lines += [f"- {name}, {key.removeprefix('profile_')}: " + "; ".join(value)]
    return "\n".join(lines) + "\n"


def _as_a_worker() -> None:
    """Run this script again with `THREAD_ENV` at 1, as campaign workers have it, unless it is:
    OpenBLAS reads it when numpy loads. Left at two threads, numpy's eigh of a 100 x 100 matrix
    (GMOEA's elite Gaussian, every fit) took 74 ms on the loaded 2-core VM instead of 1 ms."""
    if any(os.environ.get(name) != "1" for name in THREAD_ENV):
        os.environ.update(dict.fromkeys(THREAD_ENV, "1"))
        os.execv(sys.executable, [sys.executable, *sys.argv])


def main() -> None:
    _as_a_worker()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8,32,128", help="batch sizes K, comma-separated")
    parser.add_argument("--only", default=None, help="configurations, comma-separated")
    parser.add_argument("--rounds", type=int, default=1, help="measurements per figure (median)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    set_cpu_threads(1)
    sizes = [int(k) for k in args.sizes.split(",")]
    names = args.only.split(",") if args.only else list(CASES)
    record = {"sizes": sizes, "machine": environment("cpu"), "cases": {}}
    path = args.out / "report.json"
    if path.exists():  # measure configurations one at a time into one report
        record["cases"] = json.loads(path.read_text())["cases"]
    for name in names:
        record["cases"][name] = measure(name, CASES[name], sizes, args.rounds)
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2) + "\n")
        (args.out / "report.md").write_text(_markdown(record))


if __name__ == "__main__":
    main()
