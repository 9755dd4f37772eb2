"""Declared hyperparameters: the type and range of every algorithm parameter, in one place.

An algorithm registers one `Param` per hyperparameter (`evogan.registry.register_algorithm`).
Every value, whether typed on the command line (`--param lr=1e-4`, always text), read from a
campaign TOML file or passed from Python, goes through `Param.convert`, which returns a value of
the declared type inside the declared range or raises a one-line `ConfigError` naming the
parameter, the value and what is accepted. Text is never passed on as it is: `--param
flag=False` is the boolean False, not the (truthy) string "False".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from evogan.core.errors import ConfigError

__all__ = ["Param", "choice", "flag", "integer", "real"]

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")
_NONE = ("none", "null")
_INT = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class Param:
    """The declared type (bool, int, float or str) and accepted values of one hyperparameter.

    Args:
        kind: the Python type of the value.
        low, high: bounds of a number (None: unbounded on that side).
        low_open, high_open: whether the bound itself is excluded.
        choices: the accepted strings of a `str` parameter.
        optional: whether None (typed as `none` or `null`) is accepted; its meaning is given by
            the algorithm's docstring (e.g. "the problem's size").
    """

    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False

    def describe(self) -> str:
        """What is accepted, in words: `a float > 0`, `an integer in [1, 10]`, `true or false`."""
        if self.kind is bool:
            text = "true or false"
        elif self.kind is str:
            text = "one of " + ", ".join(self.choices)
        else:
            text = ("an integer" if self.kind is int else "a number") + self._range()
        return text + (", or none" if self.optional else "")

    def _range(self) -> str:
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f" in {left}{_number(self.low)}, {_number(self.high)}{right}"
        if self.low is not None:
            return f" {'>' if self.low_open else '>='} {_number(self.low)}"
        if self.high is not None:
            return f" {'<' if self.high_open else '<='} {_number(self.high)}"
        return ""

    def convert(self, name: str, value: Any) -> Any:
        """`value` (text from a command line, or a typed value) as the declared type, checked.

        Raises:
            ConfigError: naming the parameter, the value and what is accepted.
        """
        converted = self._converted(value)
        if converted is _INVALID:
            raise ConfigError(f"parameter {name}={_show(value)} is not accepted; "
                              f"{name} must be {self.describe()}")
        return converted

    def check(self, value: Any) -> str | None:
        """None when `value` is accepted, else what is accepted (`must be a number > 0`): for
        options that build their own message."""
        return None if self._converted(value) is not _INVALID else f"must be {self.describe()}"

    def _converted(self, value: Any) -> Any:
        """The converted value, or _INVALID when it is not of the type or outside the range."""
        try:
            converted = self._convert(value)
        except (TypeError, ValueError):
            return _INVALID
        return converted if converted is _INVALID or self._inside(converted) else _INVALID

    def _convert(self, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in _NONE):
            return None if self.optional else _INVALID
        text = value.strip().lower() if isinstance(value, str) else None
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            return True if text in _TRUE else False if text in _FALSE else _INVALID
        if isinstance(value, bool):  # True is an int in Python, never a number here
            return _INVALID
        if self.kind is int:
            if isinstance(value, int):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            return int(text) if text is not None and _INT.fullmatch(text) else _INVALID
        if self.kind is float:
            if isinstance(value, (int, float)):
                return float(value)
            return float(text) if text is not None else _INVALID
        return value if isinstance(value, str) else _INVALID

    def _inside(self, value: Any) -> bool:
        if value is None:
            return True
        if self.kind is str:
            return value in self.choices
        if self.kind is bool:
            return True
        if not math.isfinite(value):
            return False
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return self.high is None or not (value > self.high or (self.high_open and value == self.high))


_INVALID = object()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _show(value: Any) -> str:
    """A value as the user gave it: text as typed, anything else as Python shows it."""
    return value if isinstance(value, str) else repr(value)


def real(*, gt: float | None = None, ge: float | None = None, lt: float | None = None,
         le: float | None = None, optional: bool = False) -> Param:
    """A finite float, optionally bounded: `real(gt=0)` is a positive learning rate."""
    return Param(float, low=gt if gt is not None else ge, high=lt if lt is not None else le,
                 low_open=gt is not None, high_open=lt is not None, optional=optional)


def integer(*, ge: int | None = None, le: int | None = None, optional: bool = False) -> Param:
    """An integer within [ge, le] (either bound may be left out)."""
    return Param(int, low=ge, high=le, optional=optional)


def flag() -> Param:
    """A boolean: true/false, yes/no, on/off or 1/0 on the command line."""
    return Param(bool)


def choice(*choices: str) -> Param:
    """One string of `choices`."""
    return Param(str, choices=tuple(choices))
