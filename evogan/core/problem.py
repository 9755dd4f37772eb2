"""Kinds of problem: what run, report and command line dispatch on, and what each algorithm
declares it solves (`evogan.registry.register_algorithm(problem_kind=...)`).

A problem is pymoo's `Problem`. A multitask problem (`evogan.problems.multitask`) groups several
tasks over one unified space and says so with the class attribute `kind = "multitask"`; any
other problem, a user's own included, is single-task.
"""

from __future__ import annotations

__all__ = ["MULTITASK", "PROBLEM_KINDS", "SINGLE_TASK", "problem_kind"]

SINGLE_TASK, MULTITASK = "single-task", "multitask"
PROBLEM_KINDS = (SINGLE_TASK, MULTITASK)


def problem_kind(problem: object) -> str:
    """The kind of `problem`: its `kind` attribute, else single-task."""
    return getattr(problem, "kind", SINGLE_TASK)
