"""The compiled GMOEA training gives the same bits on every x86-64 CPU: numba target and BLAS."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# One small training from inputs drawn with numpy's PCG64 and plain float arithmetic (no BLAS,
# no torch kernel that dispatches on the CPU), so that the inputs are the same bits anywhere;
# it prints a SHA-256 of everything the training leaves behind.
TRAINING = """
import hashlib
import numpy as np
import torch
from evogan.gan.gmoea_training import TrainingDraws, build_networks
from evogan.gan.gmoea_compiled import CompiledGanTrainer

n, n_var, k, epochs = 21, 5, 6, 4  # minibatches of 8, 8 and 5 rows
rng = np.random.default_rng(7)
G, D = build_networks(n_var, device="cpu", generator=torch.Generator().manual_seed(7))
with torch.no_grad():
    for p in (*G.parameters(), *D.parameters()):
        p.copy_(torch.from_numpy(((rng.random(tuple(p.shape)) - 0.5) * 0.8).astype(np.float32)))
X = torch.from_numpy(rng.random((n, n_var)).astype(np.float32))
labels = torch.from_numpy((np.arange(n) < k).astype(np.float32))
draws = TrainingDraws(
    order=torch.from_numpy(np.argsort(rng.random((epochs, n)), axis=1)),
    noise=torch.from_numpy(rng.random((epochs, 2, n, n_var)).astype(np.float32)),
)
trainer = CompiledGanTrainer(G, D, lr=1e-2)
losses = trainer.train(X, labels, draws, batch_size=8)
losses += trainer.train(X, labels, draws, batch_size=8)  # a second fit continues Adam's steps
digest = hashlib.sha256(np.array(losses).tobytes())
for network in (G, D):
    for value in network.state_dict().values():
        digest.update(value.numpy().tobytes())
for adam in (trainer.adam_g, trainer.adam_d):
    for buffer in (adam.exp_avg, adam.exp_avg_sq, adam.step_count):
        digest.update(buffer.numpy().tobytes())
print(digest.hexdigest())
"""

# The digest on x86-64, from the host-compiled kernel on an AMD EPYC (Zen 4, AVX-512).
X86_64_DIGEST = "04eeb27f2e0a6fcd4dea4d22caa52874d2e3e4071ac6bb28c2ffdc51b15ae995"

HASWELL_FEATURES = "+sse2,+sse3,+ssse3,+sse4.1,+sse4.2,+popcnt,+avx,+avx2,+fma,+f16c,+bmi,+bmi2"


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return next((set(line.split(":", 1)[1].split()) for line in text.splitlines()
                 if line.startswith("flags")), set())


def script_digest(script: str, env: dict[str, str], timeout: int = 300) -> str:
    """What `script` prints (a digest) in a fresh interpreter with `env` added to ours."""
    result = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True,
        text=True, timeout=timeout, check=True,
    )
    return result.stdout.strip()


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="pinned on x86-64")
def test_training_is_the_same_bits_for_every_cpu_target_and_blas_kernel():
    variants = {
        "host": {},
        # SSE2 only (128-bit vectors, no FMA); numpy's OpenBLAS and torch forced to old kernels
        "generic": {"NUMBA_CPU_NAME": "generic", "OPENBLAS_CORETYPE": "Prescott",
                    "ATEN_CPU_CAPABILITY": "default"},
    }
    if {"avx2", "fma"} <= _cpu_flags():  # 256-bit vectors with FMA available to LLVM
        variants["haswell"] = {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": HASWELL_FEATURES,
                               "OPENBLAS_CORETYPE": "Nehalem"}
    digests = {name: script_digest(TRAINING, env) for name, env in variants.items()}
    assert set(digests.values()) == {X86_64_DIGEST}, digests


def test_first_training_in_a_process_logs_that_the_kernel_loads_then_that_it_is_ready():
    listen = (
        "import logging\n"
        "from evogan.core.callback import KERNEL_EVENT\n"
        "events = []\n"
        "class Events(logging.Handler):\n"
        "    def emit(self, record):\n"
        "        events.append(getattr(record, KERNEL_EVENT, None))\n"
        "logging.getLogger('evogan').addHandler(Events())\n"
        "logging.getLogger('evogan').setLevel(logging.INFO)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", listen + TRAINING + "print(events)"], capture_output=True,
        text=True, timeout=300, check=True,
    )
    # two trainings: only the first loads (or compiles) the kernel
    assert result.stdout.splitlines()[-1] == "['loading', 'ready']"


def test_blocked_product_sums_every_output_in_the_order_of_its_inputs():
    """`_product` works on four rows and four inputs at a time, with remainders of both; every
    output must still be the plain left-to-right float32 sum, bit for bit."""
    from evogan.gan.gmoea_compiled import _product

    rng = np.random.default_rng(3)
    for rows in range(1, 10):
        for k in range(1, 10):
            x = rng.standard_normal((rows, k)).astype(np.float32)
            b = rng.standard_normal((k, 8)).astype(np.float32)
            out = np.full((rows, 8), np.nan, dtype=np.float32)
            _product(x, b, out, rows)
            expected = np.zeros((rows, 8), dtype=np.float32)
            for j in range(k):  # one input at a time, as the sum is defined
                expected += x[:, j : j + 1] * b[j]
            assert out.tobytes() == expected.tobytes(), (rows, k)
