"""Errors that evogan raises for bad input and failed runs; the CLI shows them as one line."""

__all__ = ["ConfigError", "EvaluationError", "EvoganError", "OperatorError"]


class EvoganError(Exception):
    """Base class of evogan's own errors; its message is one line meant for the user."""


class ConfigError(EvoganError, ValueError):
    """A value given by the user is out of range or unknown; the message names it and the choices."""


class EvaluationError(EvoganError, RuntimeError):
    """A problem returned objective values that are not finite (NaN or inf)."""


class OperatorError(EvoganError, RuntimeError):
    """A variation operator (or an algorithm) returned offspring that break its contract."""
