"""Run records name the machine: CPU model and the BLAS libraries with their kernels."""

import os
import sys

import pytest

from evogan.lab.machine import blas_libraries, cpu_model
from evogan.lab.run import environment

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
flags\t\t: fpu sse2 avx2

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
"""


def test_cpu_model_comes_from_cpuinfo(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    assert cpu_model(path) == "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz"


def test_cpu_model_without_cpuinfo_falls_back_to_platform(tmp_path, monkeypatch):
    monkeypatch.setattr("platform.processor", lambda: "arm")
    assert cpu_model(tmp_path / "missing") == "arm"
    monkeypatch.setattr("platform.processor", lambda: "")
    assert cpu_model(tmp_path / "missing") == "unknown"


def test_blas_names_numpys_library_and_its_kernel():
    pytest.importorskip("threadpoolctl")
    numpy_blas = [line for line in blas_libraries() if line.endswith("(numpy)")]
    assert len(numpy_blas) == 1, blas_libraries()
    assert "kernel unknown" not in numpy_blas[0]  # OpenBLAS names the kernel it picked


def test_blas_without_threadpoolctl_is_numpys_build_config(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails
    (line,) = blas_libraries()
    assert "kernel unknown" in line and "threadpoolctl" in line


def test_every_record_names_cpu_and_blas():
    env = environment("cpu")
    assert env["processor"] == cpu_model()
    assert env["blas"] == blas_libraries()
    if sys.platform == "linux":
        assert env["processor"] != "unknown"


def test_torch_loads_with_portable_cpu_math():
    import torch

    from evogan.device import PORTABLE_CPU_MATH

    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT"
    assert os.environ["MKL_CBWR"] == PORTABLE_CPU_MATH["MKL_CBWR"]


def test_portable_cpu_math_keeps_the_users_choice(monkeypatch):
    from evogan.device import portable_cpu_math

    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    monkeypatch.delenv("MKL_CBWR")
    portable_cpu_math()
    assert os.environ["ATEN_CPU_CAPABILITY"] == "avx2"
    assert os.environ["MKL_CBWR"] == "COMPATIBLE"
