"""The `evogan` command line: run, list (and the subcommands other modules add)."""

from __future__ import annotations

import argparse
import inspect
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from evogan.campaign import (
    CampaignInterrupted,
    LocalPool,
    RayBackend,
    add_compare_arguments,
    campaign_from_args,
    run_campaign,
)
from evogan.campaign import ProgressLine as CampaignProgressLine
from evogan.config import add_config_arguments, config_from_args
from evogan.engine import KERNEL_EVENT, RunState
from evogan.errors import ConfigError, EvaluationError, EvoganError, OperatorError
from evogan.registry import AlgorithmEntry
from evogan.report import add_report_arguments, write_report
from evogan.toy import add_toy_arguments, run_toy_benchmark, summary_table

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"evogan: error: {message} (see `{self.prog} --help`)\n")


class ProgressLine:
    """A one-line progress display on a terminal: evaluations, IGD, HV, elapsed, time left.

    The time left extrapolates the pace since the first generation, or, once a compiled kernel
    has been prepared (the log records that carry `engine.KERNEL_EVENT`), since the first
    generation after it: the one-off 15-30 s compile of the GAN training kernel on a new machine
    would otherwise count as part of every generation's pace. While the kernel loads or
    compiles, the line says so. The events arrive through a logging handler on the "evogan"
    logger, attached from `on_start` to `on_end`: the library itself never prints.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._handler = _KernelEvents(self)
        self._logger = logging.getLogger("evogan")
        self._level = logging.NOTSET  # the logger's own level, restored by `on_end`
        self._pace_from: tuple[float, int] | None = None  # (elapsed s, evaluations)
        self._evals = ""  # the evaluation count of the last generation
        self._line = ""

    def on_start(self, state: RunState) -> None:
        self._level = self._logger.level
        if not self._logger.isEnabledFor(logging.INFO):
            self._logger.setLevel(logging.INFO)
        self._logger.addHandler(self._handler)

    def on_generation(self, state: RunState) -> None:
        row = state.latest
        if self._pace_from is None:
            self._pace_from = (state.elapsed_s, state.n_evals)
        since_s, since_evals = self._pace_from
        if state.n_evals > since_evals:
            pace = (state.elapsed_s - since_s) / (state.n_evals - since_evals)  # s per evaluation
            left = f"~{pace * (state.max_evals - state.n_evals):5.0f}s left"
        else:
            left = "estimating time left"
        self._evals = f"{state.n_evals:>8}/{state.max_evals} evals"
        self._write(
            f"{self._evals}  IGD {row.get('igd', row.get('igd_t1', float('nan'))):.4g}"
            f"  HV {row.get('hv', float('nan')):.4g}  {state.elapsed_s:6.1f}s  {left}"
        )

    def on_end(self, state: RunState) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._level)
        self.stream.write("\n")

    def on_kernel_event(self, event: str) -> None:
        """A compiled kernel starts loading (or compiling), or is ready."""
        if event == "loading":
            self._write(f"{self._evals}  loading the GAN training kernel (the first run on a "
                        "machine compiles it: 15-30 s)")
        else:  # measure the pace from the next generation on
            self._pace_from = None

    def _write(self, line: str) -> None:
        """Replace the line on the terminal, blanking what a longer line left behind."""
        self.stream.write(f"\r{line.ljust(len(self._line))} ")
        self.stream.flush()
        self._line = line


class _KernelEvents(logging.Handler):
    """Passes the kernel events among evogan's log records on to a `ProgressLine`."""

    def __init__(self, progress: ProgressLine) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, KERNEL_EVENT, None)
        if event is not None:
            self.progress.on_kernel_event(event)


def _cmd_run(args: argparse.Namespace) -> int:
    from evogan.record import check_writable, write_record
    from evogan.run import default_out, execute, prepare

    config = config_from_args(args)
    prepare(config)  # every check that needs the problem, before anything is written
    out = Path(args.out) if args.out else default_out(config)
    check_writable(out, overwrite=args.overwrite)
    callbacks = []
    if not args.quiet and sys.stderr.isatty():
        callbacks.append(ProgressLine(sys.stderr))
    record = execute(config, callbacks=callbacks)
    write_record(record, out, overwrite=args.overwrite)
    if not args.quiet:
        s = record.summary
        print(f"{s['algo']} on {s['problem']} (n_var={s['n_var']}, n_obj={s['n_obj']}, "
              f"seed={s['seed']}): {s['n_evals']} evaluations in {s['wall_s']:.2f} s")
        if "igd_t1" in s:  # a multitask problem: one line per task
            for t, size in enumerate(record.config["front_size"], start=1):
                print(f"  task {t}: IGD {s[f'igd_t{t}']:.6g}  HV {s[f'hv_t{t}']:.6g}  (front: "
                      f"{size} points, HV reference point {record.config['hv_ref_point'][t - 1]})")
        else:
            print(f"  IGD {s['igd']:.6g}  IGD+ {s['igd_plus']:.6g}  GD {s['gd']:.6g}  "
                  f"HV {s['hv']:.6g}  (front: {record.config['front_size']} points, HV reference "
                  f"point {[round(v, 4) for v in record.config['hv_ref_point']]})")
        print(f"  record: {out}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from evogan.problems import available_problems, problem_info
    from evogan.registry import PROBLEM_KINDS, algorithm_entry, available_algorithms

    for kind in PROBLEM_KINDS:
        print(f"algorithms for {kind} problems (evogan run --algo NAME --param KEY=VALUE):")
        for name in available_algorithms():
            entry = algorithm_entry(name)
            if entry.problem_kind == kind:
                _print_algorithm(entry)
    print("problems (evogan run --problem NAME [--n-obj M] [--n-var D]):")
    for name in available_problems():
        info = problem_info(name)
        print(f"  {name:<8} n_obj {info['n_obj']} (default {info['default_n_obj']}), "
              f"n_var default {info['default_n_var']}: {info['description']}")
    from evogan.problems.multitask import available_multitask_problems

    print("multitask problems (CEC2017 MO-MTO pairs, two tasks each; the multitask algorithms "
          "above, and nsga2, which means mt-nsga2 there):")
    print("  " + ", ".join(available_multitask_problems()))
    print("operators (evogan.operators; usable in `ga`, in a Hybrid, or in a pymoo GA):")
    from evogan.operators import OPERATORS

    for name, cls in OPERATORS.items():
        params = ", ".join(f"{k}={v.default!r}" for k, v in
                           inspect.signature(cls).parameters.items())
        print(f"  {name:<10} {cls.__name__}({params})")
    return 0


def _print_algorithm(entry: AlgorithmEntry) -> None:
    """One algorithm of `evogan list`: summary, reference, each hyperparameter's default and range."""
    print(f"  {entry.name:<10} {entry.summary}")
    if entry.reference:
        print(f"  {'':<10} reference: {entry.reference}")
    defaults = entry.parameters()
    if not defaults:
        print(f"  {'':<10} parameters: none")
    for key, default in defaults.items():
        print(f"  {'':<10} {f'{key}={default!r}':<28} {entry.params[key].describe()}")


def run_compare_command(args: argparse.Namespace) -> int:
    """`evogan compare`: run (or resume) a campaign, then write its report.

    Returns 0 when every run is complete, 1 when some failed or are corrupt, 128 + the signal
    number when Ctrl-C or SIGTERM stopped the campaign.
    """
    campaign = campaign_from_args(args)
    if args.out is None:
        raise ConfigError("--out is required: the folder the campaign writes")
    if args.gpus_per_run and args.ray is None:
        raise ConfigError("--gpus-per-run needs --ray")
    if args.gpus_per_run and campaign.device == "cpu":
        raise ConfigError(f"--gpus-per-run {args.gpus_per_run} with --device cpu would reserve "
                          "GPUs that no run uses; add --device cuda (or auto)")
    if args.ray is not None and campaign.device.startswith("cuda") and not args.gpus_per_run:
        raise ConfigError(f"--device {campaign.device} on Ray needs --gpus-per-run (e.g. 0.25): "
                          "Ray hides the GPUs from runs that reserve none")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers {args.workers} must be a positive integer")
    if args.control is not None and args.control not in campaign.algos:
        raise ConfigError(f"--control {args.control!r} is not one of the campaign's algorithms "
                          f"({', '.join(campaign.algos)})")
    backend = (RayBackend(args.ray, gpus_per_run=args.gpus_per_run) if args.ray is not None
               else LocalPool(args.workers))
    show = not args.quiet and sys.stderr.isatty()
    try:
        result = run_campaign(campaign, args.out, backend=backend,
                              on_progress=CampaignProgressLine(sys.stderr) if show else None)
    except CampaignInterrupted as stop:
        if show:
            sys.stderr.write("\n")  # end the progress line
        print(f"evogan: {stop}", file=sys.stderr)
        return 128 + stop.signum  # 130 for Ctrl-C, 143 for SIGTERM, as a shell reports them
    if show:
        sys.stderr.write("\n")
    if not args.quiet:
        print(f"{len(result.written)} run(s) written, {len(result.skipped)} already complete, "
              f"{len(result.failed)} failed, in {result.wall_s:.1f} s: {args.out}")
        if result.campaign is not None and result.campaign != campaign:
            print(f"  {args.out / 'campaign.toml'} keeps the union with the campaign stored "
                  f"there: {result.campaign.describe()}")
        for folder, message in result.failed:
            print(f"  failed: {folder}: {message}")
        for _, message in result.corrupt:
            print(f"  corrupt, left untouched (move it away to redo it): {message}")
    if not args.no_report:
        written = write_report(args.out, control=args.control)
        if not args.quiet:
            print(f"report: {written.report}")
    return 0 if result.ok else 1



def run_report_command(args: argparse.Namespace) -> int:
    """`evogan report DIR`: returns 0, or 1 when some records did not read."""
    written = write_report(args.dir, control=args.control, out=args.out,
                           figures=not args.no_figures)
    for _, message in written.collection.unreadable:
        print(f"evogan: left out of the report: {message}", file=sys.stderr)
    print(f"report: {written.report}\nsummary: {written.summary}")
    return 1 if written.collection.unreadable else 0


def run_toy_command(args: argparse.Namespace) -> int:
    """`evogan toy`: train and record the runs, then print their summary table."""
    sys.stdout.write(summary_table(run_toy_benchmark(args)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="evogan", description="Evolutionary optimisation with GAN operators.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="one run of an algorithm on a problem")
    add_config_arguments(run)
    run.add_argument("--out", default=None, help="record folder (default: runs/ALGO-PROBLEM-...)")
    run.add_argument("--overwrite", action="store_true", help="replace an existing record")
    run.add_argument("--quiet", action="store_true", help="no progress and no summary")
    run.set_defaults(handler=_cmd_run)
    listing = commands.add_parser("list", help="algorithms, problems and operators")
    listing.set_defaults(handler=_cmd_list)
    compare = commands.add_parser("compare", help="a campaign: algorithms x problems x seeds")
    add_compare_arguments(compare)
    compare.set_defaults(handler=run_compare_command)
    report = commands.add_parser("report", help="statistics, tables and figures of stored runs")
    add_report_arguments(report)
    report.set_defaults(handler=run_report_command)
    toy = commands.add_parser(
        "toy", help="mode-collapse benchmark: E-GAN vs single-loss GANs on 2-D mixtures")
    add_toy_arguments(toy)
    toy.set_defaults(handler=run_toy_command)
    return parser


class _OneLine(logging.Formatter):
    """Library warnings as `evogan: warning: ...`, one line each, like the CLI's errors."""

    def format(self, record: logging.LogRecord) -> str:
        return f"evogan: {record.levelname.lower()}: {record.getMessage().splitlines()[0]}"


def _show_warnings() -> None:
    """Send the library's warnings (e.g. MOEA/D's population) to stderr as single lines."""
    library = logging.getLogger("evogan")
    if not library.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)  # ProgressLine lowers the logger's level for its events
        handler.setFormatter(_OneLine())
        library.addHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `evogan` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    _show_warnings()
    try:
        return args.handler(args)
    except EvaluationError as error:
        print(f"evogan: evaluation failed: {error}", file=sys.stderr)
        return 1
    except OperatorError as error:
        print(f"evogan: run failed: {error}", file=sys.stderr)
        return 1
    except EvoganError as error:
        print(f"evogan: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `evogan list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("evogan: interrupted; no record was written for the unfinished run", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
