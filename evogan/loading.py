"""User code named on the command line: `FILE.py:NAME` or `MODULE:NAME` -> the object it names.

One loader for every option that takes a user's object (`--variation`, `--problem`), so that
each fault reads the same way: one `ConfigError` line naming the option, the spec and the fault.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evogan.core.errors import ConfigError

__all__ = ["Loaded", "is_user_spec", "load_object", "one_line", "source_digest"]


def is_user_spec(text: str) -> bool:
    """Whether `text` names user code (`FILE.py:NAME` or `MODULE:NAME`) rather than a built-in
    name: built-in names never hold a colon."""
    return isinstance(text, str) and ":" in text


@dataclass(frozen=True)
class Loaded:
    """An object loaded from user code, with what a record needs to trace it.

    Attributes:
        obj: the object the spec names (class, function or instance, as found).
        name: NAME of the spec.
        file: the source file it came from (None for a module without a file).
        sha256: hex digest of that file's bytes (None without a file).
    """

    obj: Any
    name: str
    file: str | None
    sha256: str | None


def one_line(error: BaseException) -> str:
    """`Type: first line of the message`, for errors raised by user code (of an exception
    raised with several arguments, as pymoo's evaluation errors are, the first one)."""
    several = len(error.args) > 1 and isinstance(error.args[0], str)
    text = (error.args[0] if several else str(error)).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def load_object(spec: str, *, option: str) -> Loaded:
    """Import the module or file of `spec` and return the object it names.

    Args:
        spec: `path/to/file.py:NAME` (a path relative to the current folder, or absolute) or
            `package.module:NAME` (importable from `sys.path`).
        option: the option that gave the spec (`--variation`, `--problem`), named in errors.

    Raises:
        ConfigError: a spec not of that form, no such file, a syntax error or an exception while
            importing, or no attribute NAME (one line naming the spec and the fault).
    """
    target, sep, name = spec.rpartition(":") if isinstance(spec, str) else ("", "", "")
    if not sep or not target or not name:
        raise ConfigError(f"{option} {spec!r} is not of the form MODULE:NAME or FILE.py:NAME")
    module = _import(spec, target, option)
    obj = getattr(module, name, None)
    if obj is None:
        raise ConfigError(f"{option} {spec!r}: {target} has no attribute {name!r}")
    file = getattr(module, "__file__", None)
    return Loaded(obj=obj, name=name, file=None if file is None else str(file),
                  sha256=None if file is None else _digest(Path(file)))


def source_digest(spec: str) -> str | None:
    """SHA-256 of the file that `spec` would load now, found without running it (a module
    through `importlib.util.find_spec`), or None where there is no such file."""
    target = spec.rpartition(":")[0]
    if target.endswith(".py"):
        path: Path | None = Path(target)
    else:
        try:
            found = importlib.util.find_spec(target)
        except (ImportError, ValueError):
            return None
        path = Path(found.origin) if found is not None and found.origin else None
    return _digest(path) if path is not None and path.is_file() else None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _import(spec: str, target: str, option: str) -> Any:
    """Import `target`, a module name or a .py file; a file is loaded afresh each time."""
    try:
        if not target.endswith(".py"):
            return importlib.import_module(target)
        path = Path(target)
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        if module_spec is None or module_spec.loader is None or not path.is_file():
            raise ConfigError(f"{option} {spec!r}: no file {target}")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        return module
    except SyntaxError as error:
        raise ConfigError(f"{option} {spec!r}: syntax error in {error.filename} line "
                          f"{error.lineno}: {error.msg}") from None
    except ImportError as error:
        raise ConfigError(f"{option} {spec!r}: cannot import {target} ({error})") from None
    except ConfigError:
        raise
    except Exception as error:  # the user's module ran and raised
        raise ConfigError(f"{option} {spec!r}: importing {target} raised "
                          f"{one_line(error)}") from None
