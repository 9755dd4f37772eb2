"""Elementary functions for the compiled GAN kernels, the same bits on every x86-64 CPU.

libm's exp, log, pow and their vectorised variants dispatch on CPU features, so a kernel that
called them would round differently on different CPUs. These are built from +, *, / and the bits
of powers of two, in float64, and rounded to float32 where the networks use float32
(`evogan.gan.gmoea_compiled`, `evogan.gan.egan_compiled`; the README's GMOEA section).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["LN2_HI", "LN2_LO", "exp64", "log1p_exp_neg", "power_int", "sigmoid32", "tanh32"]

EXP_LIMIT = 120.0  # exp clamps |x| to this: no float32 tanh or sigmoid changes beyond it
ROUND = 6755399441055744.0  # 1.5 * 2**52: x + ROUND - ROUND rounds x to an integer
LN2_HI, LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # fdlibm's split of ln 2


@njit(cache=True, error_model="numpy")
def power_int(base, exponent):  # pragma: no cover - compiled
    """base ** exponent for an integer exponent >= 0, by squaring (libm's pow varies by CPU)."""
    result, factor = 1.0, base
    while exponent > 0:
        if exponent & 1:
            result *= factor
        factor *= factor
        exponent >>= 1
    return result


@njit(cache=True, error_model="numpy")
def exp64(x):  # pragma: no cover - compiled
    """exp(x) in float64 from +, * and the bits of 2**k, the same on every CPU (libm's is not).

    x = k ln2 + r with |r| <= ln2 / 2 (Cody-Waite: k ln2_hi is exact), exp(r) by its Taylor
    series to r**9 (relative error below 1e-10, far under float32's 6e-8), times 2**k.
    Arguments are clamped to +-120, which changes no float32 result of `tanh32` or `sigmoid32`.
    """
    x = min(max(x, -EXP_LIMIT), EXP_LIMIT)
    k = (x * 1.4426950408889634 + ROUND) - ROUND  # round(x / ln 2), an integer in +-174
    r = (x - k * LN2_HI) - k * LN2_LO
    p = 1.0 + r * (1.0 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (
        1 / 720 + r * (1 / 5040 + r * (1 / 40320 + r * (1 / 362880)))))))))
    return p * np.int64((np.int64(k) + 1023) << 52).view(np.float64)  # p * 2**k


@njit(cache=True, error_model="numpy")
def log1p_exp_neg(a):  # pragma: no cover - compiled
    """log(1 + exp(-a)) for a >= 0, in float64, from +, *, / only (for BCE's value).

    With e = exp(-a) in (0, 1] and s = e / (2 + e) <= 1/3, log(1 + e) = 2 atanh(s) =
    2 (s + s**3/3 + s**5/5 + ...); 18 terms leave an error below 1e-17.
    """
    e = exp64(-a)
    s = e / (2.0 + e)
    s2 = s * s
    series = 1.0 / 35.0
    for i in range(16, -1, -1):
        series = series * s2 + 1.0 / (2 * i + 1)
    return 2.0 * s * series


@njit(cache=True, error_model="numpy")
def sigmoid32(x):  # pragma: no cover - compiled
    """1 / (1 + exp(-x)) in float64, rounded to float32."""
    return np.float32(1.0 / (1.0 + exp64(-np.float64(x))))


@njit(cache=True, error_model="numpy")
def tanh32(x):  # pragma: no cover - compiled
    """tanh(x) = sign(x) (1 - e) / (1 + e) with e = exp(-2|x|), in float64, rounded to float32."""
    e = exp64(-2.0 * abs(np.float64(x)))
    t = np.float32((1.0 - e) / (1.0 + e))
    return t if x >= 0 else -t
