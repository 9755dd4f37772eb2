"""How long a one-line command-line error takes, against importing pymoo's NSGA-II.

A user's typo should cost about what importing the optimiser costs, not the start-up of torch.
Times each command in a fresh interpreter, alternating between them, and writes the medians to
results/cli_startup/report.md (with the machine and versions).

    python runners/cli_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from evogan.lab.machine import cpu_model
from evogan.lab.record import write_text_atomic

OUT = Path(__file__).resolve().parents[1] / "results" / "cli_startup"

COMMANDS = {
    "evogan run --algo nope (one-line error)": [sys.executable, "-m", "evogan.cli", "run", "--algo",
                                                "nope"],
    "python -c 'import pymoo.algorithms.moo.nsga2'": [sys.executable, "-c",
                                                      "import pymoo.algorithms.moo.nsga2"],
    "python -c 'import evogan'": [sys.executable, "-c", "import evogan"],
}


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file cache once
        wall_time(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):
        for name, command in COMMANDS.items():
            times[name].append(wall_time(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    error, pymoo = list(medians.values())[:2]
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, evogan; print(sorted({'torch', 'numba', 'matplotlib'}"
         " & set(sys.modules)))"], capture_output=True, text=True, check=True).stdout.strip()
    from importlib.metadata import version

    lines = [
        "# Command-line start-up: a one-line error against importing pymoo's NSGA-II", "",
        f"Produced by `python runners/cli_startup.py --repeats {args.repeats}`: each command in a "
        "fresh interpreter, the commands alternating, median wall time.", "",
        "| command | median s | all runs s |", "|---|---:|---|",
        *(f"| `{name}` | {medians[name]:.3f} | {', '.join(f'{t:.3f}' for t in times[name])} |"
          for name in COMMANDS),
        "", f"Ratio of the error to the pymoo import: **{error / pymoo:.2f}x** (target: at most 1.5x).",
        f"Heavy modules that `import evogan` loads: {loaded}.", "",
        f"Machine: {platform.platform()}, {cpu_model()}, {os.cpu_count()} cores; Python "
        f"{platform.python_version()}, evogan {version('evogan')}, pymoo {version('pymoo')}, "
        f"numpy {version('numpy')}, torch {version('torch')}.",
    ]
    write_text_atomic(OUT / "report.md", "\n".join(lines) + "\n")
    write_text_atomic(OUT / "times.json", json.dumps(times, indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
