"""The `evogan` command line: every subcommand's options and what it prints.

All argparse definitions live here; the library modules under `evogan.lab` do the work and never
print. The heavy modules (torch, matplotlib, scipy.stats) are imported by the subcommand that
needs them, so that a bad command line fails fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from evogan.core.callback import KERNEL_EVENT, RunState
from evogan.core.errors import ConfigError, EvaluationError, EvoganError, OperatorError
from evogan.core.problem import MULTITASK
from evogan.lab.config import RunConfig, parse_param
from evogan.registry import AlgorithmEntry

if TYPE_CHECKING:
    from evogan.lab.campaign import Campaign, Progress

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"evogan: error: {message} (see `{self.prog} --help`)\n")


# ---------------------------------------------------------------------------------------------
# options of `evogan run`


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """One `--option` per RunConfig field, with the field's default and help."""
    for f in dataclasses.fields(RunConfig):
        flag = "--" + f.name.replace("_", "-")
        if f.name == "params":
            parser.add_argument("--param", dest="params", action="append", default=[],
                                metavar="KEY=VALUE", help=f.metadata["help"])
            continue
        parser.add_argument(flag, dest=f.name, default=f.default, type=f.metadata.get("type", str),
                            help=f"{f.metadata['help']} (default: {f.default})")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig of an `evogan run` command line; a key given twice is refused."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(RunConfig)}
    params: dict[str, str] = {}
    for key, value in map(parse_param, args.params):
        if key in params and params[key] != value:
            raise ConfigError(f"--param {key} is given twice ({params[key]!r} and {value!r})")
        params[key] = value
    values["params"] = params
    return RunConfig(**values)


# ---------------------------------------------------------------------------------------------
# options of `evogan report` and `evogan toy`


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `evogan report`."""
    parser.add_argument("dir", type=Path, metavar="DIR", help="a folder of run records")
    parser.add_argument("--control", default=None,
                        help="the algorithm every other one is tested against (default: the last "
                        "listed in DIR/campaign.toml, else the last alphabetically)")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: DIR)")
    parser.add_argument("--no-figures", action="store_true", help="tables only")


def add_toy_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `evogan toy`: one per ToyOptions field, with its default and help."""
    from evogan.lab.toy_options import ToyOptions

    groups: dict[str, Any] = {}
    for f in dataclasses.fields(ToyOptions):
        settings = {key: value for key, value in f.metadata.items()
                    if key not in ("check", "exclusive")}
        exclusive = f.metadata.get("exclusive")
        if exclusive and exclusive not in groups:  # one group per name: an empty one breaks --help
            groups[exclusive] = parser.add_mutually_exclusive_group()
        target = groups[exclusive] if exclusive else parser
        target.add_argument("--" + f.name.replace("_", "-"), dest=f.name, default=f.default,
                            **settings)


# ---------------------------------------------------------------------------------------------
# options of `evogan compare`


class CampaignProgressLine:
    """One campaign-level progress line on a terminal: runs done/total, failures, time."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, progress: Progress) -> None:
        finished = progress.skipped + progress.done + progress.failed
        left = progress.left_s
        self.stream.write(
            f"\r{finished:>5}/{progress.total} runs ({progress.skipped} already done)  "
            f"{progress.failed} failed  {_clock(progress.elapsed_s)} elapsed  "
            f"~{_clock(left) if left == left else '?'} left ")
        self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _split(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _dotted(text: str, option: str) -> tuple[str, str, Any]:
    """`NAME.KEY=VALUE` -> (NAME, KEY, VALUE parsed as JSON where it parses)."""
    target, equals, value = text.partition("=")
    name, dot, key = target.rpartition(".")  # NAME may hold dots (my_problem.py:P), KEY never
    if not dot or not name or not key or not equals:
        raise ConfigError(f"{option} {text!r} is not of the form NAME.KEY=VALUE")
    key, value = parse_param(f"{key}={value}")
    return name, key, value


_CAMPAIGN_OPTIONS = ("algos", "problems", "seeds", "max_evals", "pop_size", "device", "param",
                     "setting", "hv_ref")


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `evogan compare`."""
    parser.add_argument("campaign_file", nargs="?", type=Path, default=None,
                        metavar="CAMPAIGN.toml",
                        help="a campaign file (instead of --algos/--problems/...)")
    what = parser.add_argument_group("what to run (or a campaign file)")
    what.add_argument("--algos", help="algorithm names, comma-separated; the last is the control")
    what.add_argument("--problems", help="problem names, comma-separated; a user's pymoo "
                      "problem as path/to/file.py:NAME or MODULE:NAME")
    what.add_argument("--seeds", help="N (seeds 1..N), a list 3,7,9 or a range A-B (default 11)")
    what.add_argument("--max-evals", help="evaluation budget(s), comma-separated (default 10000)")
    what.add_argument("--pop-size", type=int, help="population size (default 100)")
    what.add_argument("--device", help="where GAN training runs: auto, cpu, cuda (default cpu)")
    what.add_argument("--param", action="append", metavar="ALGO.KEY=VALUE",
                      help="a hyperparameter of one algorithm, e.g. ga.survival=spea2 (repeatable)")
    what.add_argument("--setting", action="append", metavar="PROBLEM.KEY=VALUE",
                      help="n_obj, n_var or hv_ref of one problem, e.g. dtlz2.n_obj=5 or "
                      "my.py:P.hv_ref=1.1,1.1 (repeatable)")
    what.add_argument("--hv-ref", metavar="R1,R2,...",
                      help="HV reference point of every problem without its own hv_ref setting "
                      "(default: README, Your own problem)")
    how = parser.add_argument_group("where and how")
    how.add_argument("--out", type=Path, required=False, help="the campaign folder (required)")
    how.add_argument("--workers", type=int, default=None,
                     help=f"local worker processes (default: the number of cores, "
                     f"{os.cpu_count()})")
    how.add_argument("--batch-seeds", type=int, default=1, metavar="K",
                     help="run up to K seeds of each algorithm x problem cell as one job, in "
                          "lockstep (EMT-GS trains their GANs as one stacked network, the others "
                          "ask on one thread per core; default 1)")
    how.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                     help="run on Ray: an existing cluster at ADDRESS, else a fresh local one")
    how.add_argument("--gpus-per-run", type=float, default=0.0,
                     help="GPUs Ray gives each run (a fraction shares a GPU; needs --ray)")
    how.add_argument("--control", default=None, help="control algorithm of the report's tests "
                     "(default: the last listed)")
    how.add_argument("--no-report", action="store_true", help="do not write the report at the end")
    how.add_argument("--quiet", action="store_true", help="no progress line and no summary")


def campaign_from_args(args: argparse.Namespace) -> Campaign:
    """The campaign an `evogan compare` command line describes."""
    from evogan.lab.campaign import Campaign, parse_seeds

    given = [name for name in _CAMPAIGN_OPTIONS if getattr(args, name) is not None]
    if args.campaign_file is not None:
        if given:
            raise ConfigError(f"give either a campaign file or --{given[0].replace('_', '-')} "
                              "and the other campaign options, not both")
        return Campaign.from_toml(args.campaign_file)
    if not args.algos or not args.problems:
        raise ConfigError("give a campaign file, or --algos and --problems")
    algorithm: dict[str, dict[str, Any]] = {}
    for text in args.param or ():
        label, key, value = _dotted(text, "--param")
        algorithm.setdefault(label, {})[key] = value
    problem: dict[str, dict[str, Any]] = {}
    for text in args.setting or ():
        name, key, value = _dotted(text, "--setting")
        problem.setdefault(name, {})[key] = value
    problems = _split(args.problems)
    if args.hv_ref is not None:
        for name in problems:
            problem.setdefault(name, {}).setdefault("hv_ref", args.hv_ref)
    try:
        budgets = tuple(int(b) for b in _split(args.max_evals or "10000"))
    except ValueError:
        raise ConfigError(f"--max-evals {args.max_evals!r} is not a list of integers") from None
    return Campaign(
        algos=_split(args.algos), problems=problems,
        seeds=parse_seeds(args.seeds or "11"), max_evals=budgets,
        pop_size=args.pop_size or 100, device=args.device or "cpu",
        algorithm=algorithm, problem=problem)


class ProgressLine:
    """A one-line progress display on a terminal: evaluations, IGD, HV, elapsed, time left.

    The time left extrapolates the pace since the first generation, or, once a compiled kernel
    has been prepared (the log records that carry `core.callback.KERNEL_EVENT`), since the first
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
        igd = row.get("igd", row.get("igd_t1"))  # none without a reference front
        self._write(
            f"{self._evals}" + ("" if igd is None else f"  IGD {igd:.4g}")
            + f"  HV {row.get('hv', float('nan')):.4g}  {state.elapsed_s:6.1f}s  {left}"
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
    from evogan.lab.record import check_writable, write_record
    from evogan.lab.run import default_out, prepare, run_prepared

    config = config_from_args(args)
    prepared = prepare(config)  # every check that needs the problem, before anything is written
    if "torch" in sys.modules and "OMP_NUM_THREADS" not in os.environ:
        from evogan.device import set_cpu_threads

        set_cpu_threads()  # one thread, as a campaign's workers; recorded as torch_threads
    out = Path(args.out) if args.out else default_out(config, prepared.problem)
    check_writable(out, overwrite=args.overwrite)
    callbacks = []
    if not args.quiet and sys.stderr.isatty():
        callbacks.append(ProgressLine(sys.stderr))
    record = run_prepared(prepared, callbacks=callbacks)
    write_record(record, out, overwrite=args.overwrite)
    if not args.quiet:
        s = record.summary
        print(f"{s['algo']} on {s['problem']} (n_var={s['n_var']}, n_obj={s['n_obj']}, "
              f"seed={s['seed']}): {s['n_evals']} evaluations in {s['wall_s']:.2f} s")
        if record.problem_kind == MULTITASK:  # one line per task
            for t, size in enumerate(record.config["front_size"], start=1):
                print(f"  task {t}: IGD {s[f'igd_t{t}']:.6g}  HV {s[f'hv_t{t}']:.6g}  (front: "
                      f"{size} points, HV reference point {record.config['hv_ref_point'][t - 1]})")
        else:
            config = record.config
            front = (f"{config['front_size']} points" if config["front_size"] is not None
                     else config["front"])
            values = "  ".join(f"{title} {s[key]:.6g}" for key, title in (
                ("igd", "IGD"), ("igd_plus", "IGD+"), ("gd", "GD"), ("hv", "HV")) if key in s)
            print(f"  {values}  (front: {front}, HV reference point "
                  f"{[round(v, 4) for v in config['hv_ref_point']]})")
            if "feasible_share" in s:  # a constrained problem: the indicators judge the feasible
                print(f"  feasible share {s['feasible_share']:.3g}  best CV {s['best_cv']:.6g}"
                      + ("  (no feasible solution: no indicators)"
                         if s["feasible_share"] == 0 else ""))
        print(f"  record: {out}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from evogan.core.problem import PROBLEM_KINDS, SINGLE_TASK
    from evogan.problems import available_problems, problem_info
    from evogan.registry import algorithm_entry, available_algorithms

    for kind in PROBLEM_KINDS:
        print(f"algorithms for {kind} problems (evogan run --algo NAME --param KEY=VALUE):")
        for name in available_algorithms():
            entry = algorithm_entry(name)
            if entry.problem_kind == kind:
                _print_algorithm(entry)
    print("problems (evogan run --problem NAME [--n-obj M] [--n-var D]):")
    for name in available_problems(SINGLE_TASK):
        info = problem_info(name)
        print(f"  {name:<8} n_obj {info['n_obj']} (default {info['default_n_obj']}), "
              f"n_var default {info['default_n_var']}: {info['description']}")
    print("  or your own pymoo problem: --problem path/to/file.py:NAME or MODULE:NAME (a Problem "
          "subclass or factory; README: Your own problem)")
    print("multitask problems (CEC2017 MO-MTO pairs, two tasks each; the multitask algorithms "
          "above, and nsga2, which means mt-nsga2 there):")
    print("  " + ", ".join(available_problems(MULTITASK)))
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
    from evogan.lab.backends import LocalPool, RayBackend
    from evogan.lab.campaign import CampaignInterrupted, run_campaign
    from evogan.lab.report import write_report

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
    if args.batch_seeds < 1:
        raise ConfigError(f"--batch-seeds {args.batch_seeds} must be a positive integer")
    if args.control is not None and args.control not in campaign.algos:
        raise ConfigError(f"--control {args.control!r} is not one of the campaign's algorithms "
                          f"({', '.join(campaign.algos)})")
    backend = (RayBackend(args.ray, gpus_per_run=args.gpus_per_run) if args.ray is not None
               else LocalPool(args.workers))
    show = not args.quiet and sys.stderr.isatty()
    try:
        result = run_campaign(campaign, args.out, backend=backend, batch_seeds=args.batch_seeds,
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
    from evogan.lab.report import write_report

    written = write_report(args.dir, control=args.control, out=args.out,
                           figures=not args.no_figures)
    for _, message in written.collection.unreadable:
        print(f"evogan: left out of the report: {message}", file=sys.stderr)
    print(f"report: {written.report}\nsummary: {written.summary}")
    return 1 if written.collection.unreadable else 0


def run_toy_command(args: argparse.Namespace) -> int:
    """`evogan toy`: train and record the runs, then print their summary table."""
    from evogan.lab.toy import run_toy_benchmark, summary_table

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
    except OSError as error:  # the disk refused a write the early checks could not foresee
        where = f" {error.filename}" if error.filename else ""
        print(f"evogan: error: cannot write{where}: {error.strerror or error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("evogan: interrupted; no record was written for the unfinished run", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
