"""Sample designs whose smaller sizes are prefixes of the larger ones.

Every row belongs to one *base index* i (a Sobol' base point with its cross-sampled rows, a
Morris trajectory, or one Monte Carlo point): rows [i·step, (i+1)·step). Results are stored
by base index, so a study run at N can be extended to 2N by evaluating base indices N..2N-1
only (SALib issue #518), and indices at N/8, N/4, N/2 come from the first rows of the design.

Why prefixes hold:
- Sobol: SALib's `sobol.sample` (scrambled, skip_values=0, fixed seed) draws the base
  sequence with `qmc.Sobol(2D, seed).random(N)`, a prefix of `.random(2N)`, and writes the
  rows base point by base point. (The older `saltelli.sample` skips a number of points that
  depends on N, so its smaller designs are not prefixes: it is not used.)
- Morris: SALib draws trajectories one after another from one seeded Generator.
- PAWN/delta: plain Monte Carlo, `Generator(seed).random((N, D))` fills row by row.
The runner still checks each stored row against the design before it reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from SALib import ProblemSpec
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from SALib.util import scale_samples

from model.errors import InputError
from model.sensitivity.problem import index_names

METHODS = ("sobol", "morris", "pawn", "delta")
MORRIS_LEVELS = 4


@dataclass(frozen=True)
class Design:
    method: str
    N: int  # base points (Sobol), trajectories (Morris) or samples (PAWN, delta)
    X: np.ndarray  # (N·step, D) factor values, one row per model evaluation point
    step: int  # rows per base index
    second_order: bool = False

    @property
    def rows(self) -> int:
        return self.X.shape[0]

    def base_rows(self, lo: int, hi: int) -> slice:
        return slice(lo * self.step, hi * self.step)

    def prefix(self, n: int) -> Design:
        """The design of size n ≤ N: its first n·step rows."""
        return Design(self.method, n, self.X[: n * self.step], self.step, self.second_order)


def rows_per_base(method: str, problem: ProblemSpec, second_order: bool = False) -> int:
    g = len(index_names(problem))
    return {"sobol": (2 * g + 2) if second_order else g + 2, "morris": g + 1}.get(method, 1)


def check_size(method: str, N: int, where: str = "--n") -> None:
    if method not in METHODS:
        raise InputError(where.replace("--n", "--method"), "method", f"one of {METHODS}", method)
    if method == "sobol" and (N < 8 or N & (N - 1)):
        raise InputError(where, "N", "a power of 2, at least 8 (Sobol' sequences balance at "
                         "powers of 2; convergence is shown at N/8, N/4, N/2, N)", N)
    if N < 8:
        raise InputError(where, "N", "at least 8", N)


def make_design(method: str, problem: ProblemSpec, N: int, seed: int,
                second_order: bool = False) -> Design:
    """The design of size N for `method` (seed > 0: SALib ignores a seed of 0)."""
    check_size(method, N)
    if seed <= 0:
        raise InputError("--seed", "seed", "a positive integer (SALib ignores seed 0)", seed)
    if method == "sobol":
        X = sobol_sample.sample(problem, N, calc_second_order=second_order, scramble=True,
                                skip_values=0, seed=seed)
    elif method == "morris":
        X = morris_sample.sample(problem, N, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        U = np.random.default_rng(seed).random((N, problem["num_vars"]))
        X = scale_samples(U, problem)
    step = rows_per_base(method, problem, second_order)
    assert X.shape[0] == N * step, (X.shape, N, step)
    return Design(method, N, np.asarray(X, np.float64), step, second_order)


def convergence_sizes(method: str, N: int) -> list[int]:
    """N/8, N/4, N/2, N (those of at least 4 base points)."""
    return [n for n in (N // 8, N // 4, N // 2, N) if n >= 4]
