"""A literal, loop-based transcription of PlatEMO's LSMOP1.m-LSMOP9.m, for tests only.

Deliberately slow and shares no code with problems/lsmop.py: one decision vector at a time, plain
Python floats and the ``math`` module, MATLAB's 1-based indices kept in the names (``x[i - 1]``
is MATLAB's ``PopDec(i)``), statements in the order of ``Setting`` and ``CalObj``.
"""

from __future__ import annotations

import math

NK = 5

# Inner functions of the odd groups (i = 1 : 2 : M) and the even groups (i = 2 : 2 : M).
INNER = {
    1: ("sphere", "sphere"), 2: ("griewank", "schwefel"), 3: ("rastrigin", "rosenbrock"),
    4: ("ackley", "griewank"), 5: ("sphere", "sphere"), 6: ("rosenbrock", "schwefel"),
    7: ("ackley", "rosenbrock"), 8: ("griewank", "sphere"), 9: ("sphere", "ackley"),
}


def setting(M: int, D: int, nk: int = NK) -> tuple[list[int], list[int]]:
    """PlatEMO's Setting: (sublen, len), len having M + 1 entries starting at 0."""
    c = [3.8 * 0.1 * (1 - 0.1)]
    for _ in range(1, M):
        c.append(3.8 * c[-1] * (1 - c[-1]))
    total = 0.0
    for value in c:
        total = total + value
    sublen = [math.floor(value / total * (D - M + 1) / nk) for value in c]
    length = [0]
    for s in sublen:
        length.append(length[-1] + s * nk)
    return sublen, length


def sphere(x: list[float]) -> float:
    total = 0.0
    for v in x:
        total = total + v**2
    return total


def schwefel(x: list[float]) -> float:
    best = -math.inf
    for v in x:
        best = max(best, abs(v))
    return best


def rosenbrock(x: list[float]) -> float:
    total = 0.0
    for k in range(len(x) - 1):
        total = total + (100 * (x[k] ** 2 - x[k + 1]) ** 2 + (x[k] - 1) ** 2)
    return total


def rastrigin(x: list[float]) -> float:
    total = 0.0
    for v in x:
        total = total + (v**2 - 10 * math.cos(2 * math.pi * v) + 10)
    return total


def griewank(x: list[float]) -> float:
    squares = 0.0
    product = 1.0
    for k, v in enumerate(x, start=1):
        squares = squares + v**2
        product = product * math.cos(v / math.sqrt(k))
    return squares / 4000 - product + 1


def ackley(x: list[float]) -> float:
    squares = 0.0
    cosines = 0.0
    for v in x:
        squares = squares + v**2
        cosines = cosines + math.cos(2 * math.pi * v)
    n = len(x)
    return 20 - 20 * math.exp(-0.2 * math.sqrt(squares / n)) - math.exp(cosines / n) + math.exp(1)


FUNCTIONS = {"sphere": sphere, "schwefel": schwefel, "rosenbrock": rosenbrock,
             "rastrigin": rastrigin, "griewank": griewank, "ackley": ackley}


def evaluate(number: int, M: int, x: list[float], nk: int = NK) -> list[float]:
    """PlatEMO's CalObj of LSMOP<number> for one decision vector x (length D) inside the bounds."""
    D = len(x)
    sublen, length = setting(M, D, nk)
    dec = list(x)
    for i in range(M, D + 1):  # PopDec(:,M:D) = (1 + ...) .* PopDec(:,M:D) - PopDec(:,1)*10
        if number <= 4:
            factor = 1 + i / D
        else:
            factor = 1 + math.cos(i / D * math.pi / 2)
        dec[i - 1] = factor * x[i - 1] - x[0] * 10
    G = [0.0] * (M + 1)  # G[i] for i = 1..M
    for i in range(1, M + 1):
        inner = FUNCTIONS[INNER[number][0 if i % 2 == 1 else 1]]
        for j in range(1, nk + 1):
            first = length[i - 1] + M - 1 + (j - 1) * sublen[i - 1] + 1
            last = length[i - 1] + M - 1 + j * sublen[i - 1]
            G[i] = G[i] + inner([dec[k - 1] for k in range(first, last + 1)])
    for i in range(1, M + 1):
        G[i] = G[i] / sublen[i - 1] / nk
    if number == 9:
        g = 1.0
        for i in range(1, M + 1):
            g = g + G[i]
        f = [dec[m - 1] for m in range(1, M)]
        h = 0.0
        for m in range(1, M):
            h = h + f[m - 1] / (1 + g) * (1 + math.sin(3 * math.pi * f[m - 1]))
        return f + [(1 + g) * (M - h)]
    F = []
    for m in range(1, M + 1):
        # fliplr(cumprod([1, t(1..M-1)])) at m is the product of t(1..M-m);
        # [1, b(M-1..1)] at m >= 2 is b(M-m+1).
        if number <= 4:
            scale = 1 + G[m]
            product = 1.0
            for k in range(1, M - m + 1):
                product = product * dec[k - 1]
            last = 1.0 if m == 1 else 1 - dec[M - m]
        else:
            scale = 1 + G[m] + (G[m + 1] if m < M else 0.0)
            product = 1.0
            for k in range(1, M - m + 1):
                product = product * math.cos(dec[k - 1] * math.pi / 2)
            last = 1.0 if m == 1 else math.sin(dec[M - m] * math.pi / 2)
        F.append(scale * product * last)
    return F
