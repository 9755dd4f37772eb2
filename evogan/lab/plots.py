"""Report figures (matplotlib, Agg, PNG): final fronts, IGD against evaluations, box plots, and
the learned operators' diagnostics of the median run."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # files only: no display needed, safe in worker processes and CI

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import numpy as np  # noqa: E402

from evogan.core.errors import ConfigError  # noqa: E402
from evogan.indicators import front_hash, nondominated  # noqa: E402
from evogan.loading import is_user_spec  # noqa: E402

if TYPE_CHECKING:
    from evogan.lab.anytime import AnytimeTable
    from evogan.lab.collection import Collection, Run

__all__ = ["DIAGNOSTIC_PANELS", "convergence_band", "draw_anytime", "draw_budget", "draw_counts",
           "true_front"]

logger = logging.getLogger(__name__)

FRONT_POINTS_SHOWN = 2000
"""At most this many reference-front points are drawn (evenly subsampled) to keep files small."""

DPI = 150
"""Pixels per inch of the PNG files: a two-panel figure is 1,200 px wide, sharp on a laptop."""

MAX_COLUMNS = 3
"""Panels per row; more problems or algorithms add rows, so that panels keep their size."""

PANEL = (4.0, 3.2)
"""Inches per panel (width, height) of the grid figures. At this size and these fonts a row of
two or three panels scaled to a paper's full text width (about 7 in) keeps text at 6-8 pt."""

FRONT_PANEL = (4.4, 4.0)
"""Inches per panel of the front figures (3-D axes need room for the f3 label)."""

STYLE = {"font.size": 10, "axes.titlesize": 10, "axes.labelsize": 10, "xtick.labelsize": 9,
         "ytick.labelsize": 9, "legend.fontsize": 9, "figure.titlesize": 12}
"""Font sizes (points) of every report figure: no text smaller than 9 pt."""


DIAGNOSTIC_PANELS = (
    ("decision-space spread (mean std per variable)",
     (("spread_pop", "population"), ("spread_real", "real set"), ("spread_gen", "generated"))),
    ("range of the position variables x1..x(M-1)",
     (("position_range_pop", "population"), ("position_range_real", "real set"),
      ("position_range_gen", "generated"))),
    ("discriminator accuracy",
     (("d_acc_real", "real"), ("d_acc_poor", "poor (fake)"), ("d_acc_gen", "generated"))),
    ("mean discriminator output D(x)",
     (("d_prob_real", "real"), ("d_prob_poor", "poor (fake)"), ("d_prob_gen", "generated"))),
    ("share of a batch that survives",
     (("gan_survival", "learned-operator batches"), ("ga_survival", "GA batches"))),
    ("losses", (("loss_d", "D"), ("loss_g", "G"), ("d_loss", "D (E-GAN)"))),
)
"""The diagnostics figure's panels after IGD: (title, ((history column, what it measures), ...)).
The names are those of `LearnedVariation.diagnostics` and `GANLoop.metrics`; a column no shown
run logged is left out, and so is a panel with none of its columns."""

MARK_COLOURS = {"+": "tab:green", "=": "0.75", "-": "tab:red", "n/a": "white"}
"""Bar colours of the wins/ties/losses figure: significantly better, neither, worse, untestable."""

LINESTYLES = ("-", "--", ":")
"""The line style of a panel's first, second and third column; colour tells the algorithm."""


def true_front(run: Run) -> np.ndarray | None:
    """The reference front of a run's problem, if evogan regenerates the one the run used."""
    from evogan.problems import get_problem, reference_front

    problem_name, n_obj, n_var = run.instance
    try:
        try:
            problem = get_problem(problem_name, n_var=n_var, n_obj=n_obj)
        except ConfigError:
            if not is_user_spec(problem_name):
                raise
            # a user's class may take neither size (the record holds the sizes it had, not the
            # ones given); the front's hash below says whether this is the problem that ran
            problem = get_problem(problem_name)
        front = reference_front(problem)
    except ConfigError:
        return None
    if front_hash(front) != run.record.config.get("front_hash"):
        logger.warning("the reference front of %s differs from the one its runs used; not drawn",
                       problem_name)
        return None
    return front


def convergence_band(runs: Sequence[Run], indicator: str = "igd"
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Median, 25th and 75th percentile of `indicator` over runs, against evaluations.

    Each run's history is read as a step function (the last logged value holds until the next
    row), on the union of the evaluation counts the runs logged. NaN values (a constrained run
    with no feasible solution yet) are left out, and so are points where no run has a value.

    Returns:
        (n_evals, median, q25, q75), each of shape (n_points,).
    """
    histories = [(np.array([row["n_evals"] for row in r.record.history], dtype=float),
                  np.array([row[indicator] for row in r.record.history], dtype=float))
                 for r in runs if r.record.history]
    grid = np.unique(np.concatenate([evals for evals, _ in histories]))
    values = np.full((len(histories), len(grid)), np.nan)  # (n_runs, n_points)
    for i, (evals, series) in enumerate(histories):
        position = np.searchsorted(evals, grid, side="right") - 1
        logged = position >= 0
        values[i, logged] = series[position[logged]]
    values[~np.isfinite(values)] = np.nan  # no feasible solution yet: not drawn
    keep = ~np.isnan(values).all(axis=0)
    if not keep.any():
        return grid[keep], *np.empty((3, 0))
    q25, median, q75 = np.nanpercentile(values[:, keep], [25, 50, 75], axis=0)
    return grid[keep], median, q25, q75


def _grid(n_panels: int, *, panel: tuple[float, float] = PANEL, **kwargs):
    columns = min(MAX_COLUMNS, n_panels)
    rows = math.ceil(n_panels / columns)
    fig = plt.figure(figsize=(panel[0] * columns, panel[1] * rows), **kwargs)
    return fig, rows, columns


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _fronts(cells: dict, labels: Sequence[str], budget: int,
            instance: tuple[str, int, int], path: Path, title: str) -> Path | None:
    present = [label for label in labels if cells.get((budget, instance, label))]
    if not present:
        return None
    from evogan.lab.collection import median_run

    n_obj = instance[1]
    front = true_front(cells[budget, instance, present[0]][0])
    if front is not None and len(front) > FRONT_POINTS_SHOWN:
        front = front[np.linspace(0, len(front) - 1, FRONT_POINTS_SHOWN).astype(int)]
    # the median-IGD run, or the median-HV one where the problem has no reference front
    indicator = "igd" if all(r.has("igd") for label in present
                             for r in cells[budget, instance, label]) else "hv"
    shown = {label: median_run(cells[budget, instance, label], indicator) for label in present}
    fronts = {label: run.record.F[nondominated(run.record.F)] for label, run in shown.items()}
    # one view for all panels: the true front and half its extent again, or more to show 90% of
    # every shown run's points; the points beyond it are counted in the panel's title
    upper = np.quantile(np.concatenate(list(fronts.values())), 0.9, axis=0)
    if front is not None:
        upper = np.maximum(upper, front.max(axis=0) + 0.5 * np.ptp(front, axis=0))
    everything = [*fronts.values()] + ([front] if front is not None else [])
    lower = np.minimum(np.concatenate(everything).min(axis=0), upper)
    pad = 0.03 * (upper - lower)
    fig, rows, columns = _grid(len(present), panel=FRONT_PANEL)
    for j, label in enumerate(present):
        run = shown[label]
        inside = np.all(fronts[label] <= upper, axis=1)
        F, beyond = fronts[label][inside], int((~inside).sum())
        ax = fig.add_subplot(rows, columns, j + 1, projection="3d" if n_obj >= 3 else None)
        shown_objectives = range(min(n_obj, 3))
        if front is not None:
            ax.scatter(*(front[:, k] for k in shown_objectives), s=1, c="0.7", label="true front")
        ax.scatter(*(F[:, k] for k in shown_objectives), s=10, c="C0", label="median run")
        for k, (set_limits, set_label) in zip(shown_objectives, (
                (ax.set_xlim, ax.set_xlabel), (ax.set_ylim, ax.set_ylabel),
                (getattr(ax, "set_zlim", None), getattr(ax, "set_zlabel", None))), strict=False):
            set_limits(lower[k] - pad[k], upper[k] + pad[k])
            set_label(f"f{k + 1}")
        if n_obj >= 3:
            ax.view_init(elev=25, azim=45)
            ax.set_box_aspect(None, zoom=0.85)  # room for the f3 label inside the figure
        note = f"\n{beyond} of {beyond + len(F)} points beyond the view" if beyond else ""
        ax.set_title(f"{label} (seed {run.record.summary['seed']}, {indicator.upper()} "
                     f"{run.value(indicator):.3g}){note}")
    fig.axes[0].legend(loc="best")
    fig.suptitle(title + ("" if n_obj <= 3 else f" (first 3 of {n_obj} objectives)"))
    fig.tight_layout()
    return _save(fig, path)


def _series(run: Run, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(n_evals, values) of one history column, rows without a value (NaN, absent) dropped."""
    rows = [(row["n_evals"], row.get(column, math.nan)) for row in run.record.history]
    data = np.array([(e, v) for e, v in rows if isinstance(v, int | float) and v == v],
                    dtype=float).reshape(-1, 2)  # (n_rows, 2)
    return data[:, 0], data[:, 1]


def _diagnostics(cells: dict, labels: Sequence[str], budget: int,
                 instance: tuple[str, int, int], path: Path, title: str) -> Path | None:
    """IGD against evaluations and the diagnostics panels of each algorithm's median-IGD run;
    None when no run logged any diagnostic."""
    from matplotlib.lines import Line2D

    from evogan.lab.collection import median_run

    shown = {label: median_run(cells[budget, instance, label]) for label in labels
             if cells.get((budget, instance, label))}
    color = {label: f"C{j}" for j, label in enumerate(labels)}
    panels = []
    for panel_title, columns in DIAGNOSTIC_PANELS:
        present = [(k, column, meaning) for k, (column, meaning) in enumerate(columns)
                   if any(len(_series(run, column)[0]) for run in shown.values())]
        if present:
            panels.append((panel_title, present))
    if not panels:
        return None
    fig, rows, columns = _grid(1 + len(panels))
    ax = fig.add_subplot(rows, columns, 1)
    for label, run in shown.items():
        evals, igd = _series(run, "igd")
        ax.plot(evals, igd, color=color[label], lw=1.2,
                label=f"{label} (seed {run.record.summary['seed']})")
    ax.set_yscale("log")
    ax.set(title="IGD of the median run", xlabel="evaluations", ylabel="IGD")
    ax.legend(loc="best", fontsize=STYLE["legend.fontsize"])
    for i, (panel_title, present) in enumerate(panels):
        ax = fig.add_subplot(rows, columns, i + 2)
        for label, run in shown.items():
            for k, column, _ in present:
                evals, values = _series(run, column)
                ax.plot(evals, values, color=color[label], ls=LINESTYLES[k], lw=1.0,
                        marker="." if len(values) < 30 else None, ms=3)
        ax.set(title=panel_title, xlabel="evaluations")
        ax.legend([Line2D([], [], color="0.3", ls=LINESTYLES[k]) for k, _, _ in present],
                  [meaning for _, _, meaning in present], loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


def draw_budget(found: Collection, budget: int, folder: Path) -> dict[str, list[Path]]:
    """Draw every figure of one budget into `folder`; returns {section title: files}."""
    with plt.rc_context(STYLE):
        return _draw_budget(found, budget, folder)


def _draw_budget(found: Collection, budget: int, folder: Path) -> dict[str, list[Path]]:
    cells, labels, instances = found.cells(), found.labels(), found.instances(budget)
    fronts = "Final fronts of the median-IGD run against the true front"
    drawn = {fronts: _per_instance(
        instances, folder, f"fronts-e{budget}",
        lambda instance, path, name: _fronts(cells, labels, budget, instance, path,
                                             f"{name}, {budget:,} evaluations"))}
    # IGD figures: the problems with a reference front (a user's problem may have none)
    instances = [i for i in instances if all(r.has("igd") for r in found.runs_of(budget, i))]
    if not instances:
        return drawn
    drawn["IGD against evaluations"] = [_convergence_figure(
        cells, labels, budget, instances, folder / f"igd-evals-e{budget}.png")]
    drawn["Final IGD (box plots)"] = [_box_figure(
        cells, labels, budget, instances, folder / f"box-igd-e{budget}.png")]
    diagnostics = _per_instance(
        instances, folder, f"diagnostics-e{budget}",
        lambda instance, path, name: _diagnostics(
            cells, labels, budget, instance, path,
            f"{name}, {budget:,} evaluations: diagnostics of the median-IGD run"))
    if diagnostics:
        drawn["Diagnostics of the median-IGD run (learned operators and the GAN loop)"] = diagnostics
    return drawn


def _per_instance(
    instances: list, folder: Path, stem: str, draw: Callable[[Any, Path, str], Path | None]
) -> list[Path]:
    """One figure per problem instance, `folder/STEM-NAME.png` (NAME made safe for a file
    name: a user's problem is named by its FILE.py:NAME spec); the ones `draw` made."""
    from evogan.lab.collection import instance_name
    from evogan.problems.user import problem_folder

    paths = []
    for instance in instances:
        name = instance_name(instance, instances)
        path = draw(instance, folder / f"{stem}-{problem_folder(name)}.png", name)
        if path is not None:
            paths.append(path)
    return paths


def _convergence_figure(cells: dict, labels: list[str], budget: int, instances: list,
                        path: Path) -> Path:
    """Median IGD against evaluations with its IQR band, one panel per problem instance."""
    from evogan.lab.collection import instance_name

    fig, rows, columns = _grid(len(instances))
    for i, instance in enumerate(instances):
        ax = fig.add_subplot(rows, columns, i + 1)
        for j, label in enumerate(labels):
            runs = cells.get((budget, instance, label), [])
            if not any(r.record.history for r in runs):
                continue
            evals, median, q25, q75 = convergence_band(runs)
            if not len(evals):
                continue
            ax.plot(evals, median, color=f"C{j}", lw=1.2, label=label)
            ax.fill_between(evals, q25, q75, color=f"C{j}", alpha=0.25, lw=0)
        if ax.has_data():
            ax.set_yscale("log")
        ax.set_title(instance_name(instance, instances))
        ax.set_xlabel("evaluations")
        ax.set_ylabel("IGD")
    _legend_once(fig)
    fig.suptitle(f"Median IGD against evaluations, IQR band ({budget:,} evaluations)")
    fig.tight_layout()
    return _save(fig, path)


def _box_figure(cells: dict, labels: list[str], budget: int, instances: list,
                path: Path) -> Path:
    """Box plots of the final IGD over seeds, one panel per problem instance; runs without a
    feasible solution (IGD inf) are left out."""
    from evogan.lab.collection import instance_name

    fig, rows, columns = _grid(len(instances))
    for i, instance in enumerate(instances):
        ax = fig.add_subplot(rows, columns, i + 1)
        finite = {label: [v for r in cells.get((budget, instance, label), [])
                          if np.isfinite(v := r.value("igd"))] for label in labels}
        present = [label for label in labels if finite[label]]
        samples = [finite[label] for label in present]
        if not samples:
            ax.set_title(f"{instance_name(instance, instances)}: no feasible run")
            continue
        ax.boxplot(samples, tick_labels=present)
        if max(map(len, present)) * len(present) > 40:  # long labels would run into each other
            plt.setp(ax.get_xticklabels(), rotation=30, ha="right", rotation_mode="anchor")
        low, high = min(map(min, samples)), max(map(max, samples))
        if low > 0 and high / low > 100:
            ax.set_yscale("log")
        ax.set_title(instance_name(instance, instances))
        ax.set_ylabel("final IGD")
    fig.suptitle(f"Final IGD over seeds ({budget:,} evaluations)")
    fig.tight_layout()
    return _save(fig, path)


def draw_anytime(table: AnytimeTable, labels: Sequence[str], path: Path, title: str) -> Path:
    """Median IGD against the budget, with the band from the 25th to the 75th percentile over
    the seeds, one panel per problem instance of `table`, one line per label of `labels` (those
    a panel's table holds); log-log axes. Drawn from an `AnytimeTable` (a campaign's committed
    `budgets.csv`), so no run record is needed. Infinite IGD (no feasible solution) is left out."""
    with plt.rc_context(STYLE):
        fig, rows, columns = _grid(len(table.order))
        budgets = sorted({row["budget"] for row in table.rows})
        for i, instance in enumerate(table.order):
            ax = fig.add_subplot(rows, columns, i + 1)
            for j, label in enumerate(labels):
                shown = [(b, finite) for b in budgets if (finite := [
                    v for v in table.values(label, instance, b) if np.isfinite(v)])]
                if not shown:
                    continue
                q25, median, q75 = np.array([np.percentile(v, [25, 50, 75]) for _, v in shown]).T
                x = [b for b, _ in shown]
                ax.plot(x, median, color=f"C{j % 10}", ls=LINESTYLES[j // 10 % 3], marker="o",
                        ms=3, lw=1.2, label=label)
                ax.fill_between(x, q25, q75, color=f"C{j % 10}", alpha=0.2, lw=0)
            if ax.has_data():
                ax.set_xscale("log")
                ax.set_yscale("log")
            ax.set_title(f"{instance[0]} (n_var {instance[1]})")
            ax.set_xlabel("evaluations")
            ax.set_ylabel("IGD")
        _legend_once(fig)
        fig.suptitle(title)
        fig.tight_layout()
        return _save(fig, path)


def draw_counts(table: AnytimeTable, subject: str, baselines: Sequence[str], path: Path,
                title: str) -> Path:
    """Wins, ties and losses of `subject` against each label of `baselines` (one panel each),
    per budget: a stacked bar of the problem instances on which `subject`'s IGD is
    significantly better, neither or worse (`evogan.lab.anytime.tally`), as the counts tables
    count them."""
    from evogan.lab.anytime import tally

    budgets = sorted({row["budget"] for row in table.rows if row["label"] == subject})
    with plt.rc_context(STYLE):
        fig, rows, columns = _grid(len(baselines))
        for i, baseline in enumerate(baselines):
            ax = fig.add_subplot(rows, columns, i + 1)
            counts = [tally(table, subject, baseline, budget) for budget in budgets]
            bottom = np.zeros(len(budgets))
            for mark, name in (("+", "better"), ("=", "no difference"), ("-", "worse"),
                               ("n/a", "untestable")):
                height = np.array([count[mark] for count in counts])
                if mark == "n/a" and not height.any():
                    continue
                ax.bar(range(len(budgets)), height, bottom=bottom, color=MARK_COLOURS[mark],
                       edgecolor="0.3", lw=0.5, label=name)
                bottom += height
            ax.set_xticks(range(len(budgets)), [f"{b:,}" for b in budgets])
            ax.set_ylim(0, len(table.order))
            ax.set_title(f"against {baseline}")
            ax.set_xlabel("evaluations")
            ax.set_ylabel("problems")
        _legend_once(fig)
        fig.suptitle(title)
        fig.tight_layout()
        return _save(fig, path)


def _legend_once(fig) -> None:
    """The legend in the figure's first panel that has labelled artists."""
    with_labels = [ax for ax in fig.axes if ax.get_legend_handles_labels()[0]]
    if with_labels:
        with_labels[0].legend()
