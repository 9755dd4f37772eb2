"""Load a script of `runners/` as a module, so that tests can call its functions."""

import importlib.util
from pathlib import Path
from types import ModuleType

RUNNERS = Path(__file__).resolve().parents[1] / "runners"


def load_runner(name: str) -> ModuleType:
    """`runners/NAME.py` as a module (runners are scripts, not an installed package)."""
    spec = importlib.util.spec_from_file_location(f"runner_{name}", RUNNERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
