"""Wall time of one `egan` run against one NSGA-II run, before and after a change, 1 vs 2 threads.

Each configuration is one `evogan run --algo ALGO --problem zdt1 --seed 1` (10,000 evaluations,
population 100, n_var = 30) in a fresh process; the configurations alternate round by round, so
that a shared machine's load falls on all of them alike, and the report gives medians. The
`wall_s` column is the run record's own (the optimisation, without start-up); `process_s` is the
whole command, imports included. `--before` names another checkout's `evogan` executable (main's
virtual environment) to time the code before the change; `OMP_NUM_THREADS` sets torch's threads.
The load average is read before every run.

    python runners/egan_speed.py --before /work/main/.venv/bin/evogan [--rounds 3] [--out DIR]
    python runners/egan_speed.py --profile [--out DIR]

`--profile` instead profiles one `egan` run in this process on one torch thread (cProfile,
cumulative time of the E-GAN phases and of the rest of the loop; imports excluded) and counts
the ATen operations of one E-GAN generation of the operator (torch profiler), into profile.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from evogan.lab.machine import cpu_model
from evogan.lab.record import write_text_atomic

OUT = Path(__file__).resolve().parents[1] / "results" / "egan_speed"
AFTER = str(Path(sys.executable).with_name("evogan"))


def configurations(before: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    """label -> (evogan executable, algorithm, extra environment)."""
    return {
        "nsga2 (after)": (AFTER, "nsga2", {}),
        "egan before, torch default threads": (before, "egan", {}),
        "egan before, OMP_NUM_THREADS=1": (before, "egan", {"OMP_NUM_THREADS": "1"}),
        "egan after (default)": (AFTER, "egan", {}),
        "egan after, OMP_NUM_THREADS=2": (AFTER, "egan", {"OMP_NUM_THREADS": "2"}),
    }


def time_run(executable: str, algo: str, env: dict[str, str], out: Path) -> dict[str, float]:
    """One run in a fresh process: its record's wall_s and torch threads, the process's time."""
    load = os.getloadavg()[0]
    environment = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"} | env
    started = time.perf_counter()
    subprocess.run([executable, "run", "--algo", algo, "--problem", "zdt1", "--seed", "1",
                    "--max-evals", "10000", "--out", str(out), "--overwrite", "--quiet"],
                   env=environment, check=True)
    process_s = time.perf_counter() - started
    summary = json.loads((out / "summary.json").read_text())
    config = json.loads((out / "config.json").read_text())
    return {"wall_s": summary["wall_s"], "process_s": process_s, "load_1min": load,
            "igd": summary["igd"],
            "torch_threads": config["environment"].get("torch_threads", "-")}


PHASES = {
    "egan.py:step": "E-GAN generations (all of `EGAN.step`)",
    "egan.py:_mutate": "  children: one Adam step of each on its loss",
    "egan.py:_select": "  scoring: F_q + gamma F_d of every candidate",
    "egan.py:_train_discriminator": "  discriminator step",
    "adam.py:adam_step": "  Adam (children and D)",
    "__init__.py:grad": "  autograd backward passes",
    "survival.py:spea2_select": "SPEA2 environmental selection",
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
    lines += ["", f"One E-GAN generation of the operator (mu = 2, three losses, plus selection: "
              f"8 candidates; batch 16, evaluation 32, networks 30 wide): {top_level} ATen "
              f"operation calls (nested ones included), {products} of them matrix products.", ""]
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "profile.md", "\n".join(lines))


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
            for label, (executable, algo, env) in configs.items():
                row = time_run(executable, algo, env, Path(tmp) / "run")
                rows.append({"round": round_, "label": label, **row})
    args.out.mkdir(parents=True, exist_ok=True)
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(args.out / "timing.csv", table.getvalue())

    nsga2 = statistics.median(r["wall_s"] for r in rows if r["label"] == "nsga2 (after)")
    lines = [
        "# `egan` against NSGA-II: wall time of one ZDT1 run (n_var = 30, 10,000 evaluations)", "",
        f"Produced by `python runners/egan_speed.py --before {args.before} --rounds "
        f"{args.rounds}`: the configurations alternate round by round, each a fresh "
        "`evogan run --algo ALGO --problem zdt1 --seed 1 --max-evals 10000` process; medians "
        "over rounds. `wall_s` is the run record's (optimisation only), `process s` the whole "
        "command (imports included); `x NSGA-II` divides median `wall_s` by NSGA-II's.", "",
        "| configuration | torch threads | median wall_s | x NSGA-II | median process s | "
        "all wall_s | load (1 min) |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for label in configs:
        mine = [r for r in rows if r["label"] == label]
        wall = statistics.median(r["wall_s"] for r in mine)
        lines.append(
            f"| {label} | {mine[0]['torch_threads']} | {wall:.2f} | {wall / nsga2:.1f} | "
            f"{statistics.median(r['process_s'] for r in mine):.2f} | "
            f"{', '.join(format(r['wall_s'], '.2f') for r in mine)} | "
            f"{', '.join(format(r['load_1min'], '.1f') for r in mine)} |")
    from importlib.metadata import version

    lines += ["", f"Machine: {platform.platform()}, {cpu_model()}, {os.cpu_count()} cores, shared "
              "with other jobs (see the load column); Python "
              f"{platform.python_version()}, evogan {version('evogan')}, torch {version('torch')}, "
              f"numpy {version('numpy')}.", ""]
    write_text_atomic(args.out / "report.md", "\n".join(lines))


if __name__ == "__main__":
    main()
