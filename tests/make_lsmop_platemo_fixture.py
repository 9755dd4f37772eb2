"""Regenerate tests/data/lsmop_platemo.npz: LSMOP1-9 values computed by PlatEMO's own MATLAB code.

PlatEMO's LSMOP1.m..LSMOP9.m are run unchanged in GNU Octave. Their base class PROBLEM is
replaced by a stub holding M, D and the bounds, whose ParameterSet returns the defaults (nk = 5):
PlatEMO's real PROBLEM needs the whole platform, and Octave refuses its protected constructor.
The points are drawn here (fixed seed, inside the bounds, plus the all-lower and all-upper
corners), handed to Octave in binary and read back in binary, so no value is rounded on the way.

    python tests/make_lsmop_platemo_fixture.py LSMOP_DIR --source "BIMK/PlatEMO@<commit>"

LSMOP_DIR is the folder ``PlatEMO/Problems/Multi-objective optimization/LSMOP`` of a PlatEMO
checkout; ``octave`` must be on PATH (Debian: ``apt-get install octave``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).resolve().parent / "data" / "lsmop_platemo.npz"
SIZES = [(2, 100), (2, 300), (3, 100), (3, 300)]  # (M, D)
N_RANDOM = 3

_STUB = """classdef PROBLEM < handle
    properties
        M; D; lower; upper; encoding;
    end
    methods
        function varargout = ParameterSet(obj, varargin)
            varargout = varargin;
        end
    end
end
"""

_DRIVER = """function evaluate_lsmop(M, D, N, xfile, ffile)
    fid = fopen(xfile, 'r'); X = fread(fid, [D, N], 'double')'; fclose(fid);
    fid = fopen(ffile, 'w');
    for k = 1 : 9
        p = feval(sprintf('LSMOP%d', k));
        p.M = M; p.D = D; p.Setting();
        fwrite(fid, p.CalObj(X)', 'double');
    end
    fclose(fid);
end
"""


def _points(n_obj: int, n_var: int, rng: np.random.Generator) -> np.ndarray:
    """(N_RANDOM + 2, n_var): uniform points inside the bounds, then both corners."""
    upper = np.full(n_var, 10.0)
    upper[:n_obj - 1] = 1.0
    X = rng.uniform(0.0, upper, (N_RANDOM, n_var))
    return np.vstack([X, np.zeros(n_var), upper])


def _octave_version() -> str:
    out = subprocess.run(["octave", "--version"], capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lsmop_dir", type=Path, help="PlatEMO's LSMOP folder (LSMOP1.m..9.m)")
    parser.add_argument("--source", required=True, help="where the .m files came from, stored")
    args = parser.parse_args()
    rng = np.random.default_rng(2017)
    arrays: dict[str, np.ndarray] = {"source": np.array(args.source),
                                     "octave": np.array(_octave_version())}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for k in range(1, 10):
            shutil.copy(args.lsmop_dir / f"LSMOP{k}.m", work)
        (work / "PROBLEM.m").write_text(_STUB)
        (work / "evaluate_lsmop.m").write_text(_DRIVER)
        for n_obj, n_var in SIZES:
            X = _points(n_obj, n_var, rng)
            X.astype("<f8").tofile(work / "x.bin")  # row-major: Octave reads it as (D, N)'
            call = f"evaluate_lsmop({n_obj}, {n_var}, {len(X)}, 'x.bin', 'f.bin')"
            # Octave 7 prints a harmless "ignoring const execution_exception" line on exit
            run = subprocess.run(["octave", "--no-gui", "--quiet", "--eval", call], cwd=work,
                                 capture_output=True, text=True)
            if run.returncode != 0:
                raise SystemExit(f"octave failed on {call}:\n{run.stdout}{run.stderr}")
            F = np.fromfile(work / "f.bin", dtype="<f8").reshape(9, len(X), n_obj)
            arrays[f"X_m{n_obj}_d{n_var}"] = X
            arrays[f"F_m{n_obj}_d{n_var}"] = F  # (problem 1..9, point, objective)
    FIXTURE.parent.mkdir(exist_ok=True)
    np.savez_compressed(FIXTURE, **arrays)
    print(f"wrote {FIXTURE}")


if __name__ == "__main__":
    main()
