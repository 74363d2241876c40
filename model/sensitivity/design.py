"""Sample designs whose smaller sizes are prefixes of the larger ones, and the seeds of their runs.

Every row belongs to one *base index* j (a Sobol' base point with its cross-sampled rows, a
Morris trajectory, or one Monte Carlo point): rows [j·step, (j+1)·step). Results are stored
by base index, so a study run at N can be extended to 2N by evaluating base indices N..2N-1
only (SALib issue #518), and indices at N/8, N/4, N/2 come from the first rows of the design.

Seeds: base index j, replication r runs on its own root `base_roots(seed, j, j+1, R)[0, r]`,
the same for every row built from j (A, B, AB_i, BA_i; a Morris trajectory). Inside a base
point the pick-freeze differences then see common random numbers (sharp, and exactly zero for
an inert factor); across base points the noise is independent, so base points are independent
draws and the study estimates the indices of the mean response E[Y | X], not of the average
over one fixed set of R seeds (see SA_STOCHASTIC in docs/sensitivity.md).

Sobol: randomised quasi-Monte Carlo. K = SCRAMBLES independent scrambles of Sobol' sequence
(scipy's `qmc.Sobol(2D, scramble=True)`, one seed each), interleaved: base index j is point
j // K of scramble j % K. Each scramble is an independent randomisation, so a t-interval over
the K per-scramble estimates is an honest interval (a bootstrap over scrambled Sobol' points
treats them as i.i.d. and is several times too wide for smooth outputs). Rows are laid out as
SALib's `sobol.sample` writes them (A, AB_1..AB_k, [BA_1..BA_k,] B per base point), so SALib's
`sobol.analyze` reads them. Prefixes hold: `Sobol.random(n)` is a prefix of `.random(2n)`,
and with K fixed the first N base indices are the first N / K points of every scramble.
Morris: SALib draws trajectories one after another from one seeded Generator. PAWN/delta:
plain Monte Carlo, `Generator(seed).random((N, D))` fills row by row.
The runner still checks each stored row against the design before it reuses it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from SALib import ProblemSpec
from SALib.sample import morris as morris_sample
from SALib.util import scale_samples
from scipy.stats import qmc

from model.errors import InputError
from model.sensitivity.problem import index_names

METHODS = ("sobol", "morris", "pawn", "delta")
MORRIS_LEVELS = 4
SCRAMBLES = 16  # K independent scrambles of a Sobol' design: a t-interval with K - 1 df
# SeedSequence spawn keys of the study seed's streams: one per scramble, one per run
_SCRAMBLE_STREAM, _RUN_STREAM = 0, 1
_MASK63 = np.uint64(2**63 - 1)  # root keys lie in [0, 2^63), as model.rng.root_key draws them


@dataclass(frozen=True)
class Design:
    method: str
    N: int  # base points (Sobol), trajectories (Morris) or samples (PAWN, delta)
    X: np.ndarray  # (N·step, D) factor values, one row per model evaluation point
    step: int  # rows per base index
    second_order: bool = False
    scrambles: int = 0  # Sobol: K independent scrambles, base index j in scramble j % K

    @property
    def rows(self) -> int:
        return self.X.shape[0]

    def base_rows(self, lo: int, hi: int) -> slice:
        return slice(lo * self.step, hi * self.step)

    def prefix(self, n: int) -> Design:
        """The design of size n ≤ N: its first n·step rows."""
        return Design(self.method, n, self.X[: n * self.step], self.step, self.second_order,
                      self.scrambles)

    def groups(self, n: int | None = None) -> np.ndarray:
        """Independent group of each of the first n base indices: its scramble (Sobol), else
        the base index itself (every point, trajectory or sample is an independent draw)."""
        j = np.arange(self.N if n is None else n)
        return j % self.scrambles if self.scrambles else j


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


def _sub_seed(seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=key)


def saltelli_rows(base: np.ndarray, problem: ProblemSpec, second_order: bool = False
                  ) -> np.ndarray:
    """Unit-cube base points (n, 2D) to Saltelli's rows, in SALib `sobol.sample`'s layout and
    scaling: per point A, AB_1..AB_k, [BA_1..BA_k,] B (k factors or groups)."""
    D = problem["num_vars"]
    names = index_names(problem)
    member = problem.get("groups") or problem["names"]
    cols = np.array([[m == g for m in member] for g in names])  # (k, D): factor in group
    A, B = base[:, :D], base[:, D:]
    blocks = [A[:, None, :], np.where(cols[None], B[:, None, :], A[:, None, :])]
    if second_order:
        blocks.append(np.where(cols[None], A[:, None, :], B[:, None, :]))
    blocks.append(B[:, None, :])
    rows = np.concatenate(blocks, axis=1).reshape(-1, D)
    return scale_samples(rows, dict(problem))


def sobol_base(D: int, N: int, seed: int, K: int = SCRAMBLES) -> np.ndarray:
    """(N, 2D) base points: K independent scrambles, interleaved (base index j is point j // K
    of scramble j % K), so the first n rows of this array at N are the array at n."""
    base = np.empty((N, 2 * D))
    for k in range(min(K, N)):
        n_k = len(range(k, N, K))
        rng = np.random.default_rng(_sub_seed(seed, _SCRAMBLE_STREAM, k))
        with warnings.catch_warnings():  # n_k is a power of 2 whenever N / K is
            warnings.simplefilter("ignore", UserWarning)
            base[k::K] = qmc.Sobol(2 * D, scramble=True, seed=rng).random(n_k)
    return base


def make_design(method: str, problem: ProblemSpec, N: int, seed: int,
                second_order: bool = False) -> Design:
    """The design of size N for `method` (seed > 0: SALib ignores a seed of 0)."""
    check_size(method, N)
    if seed <= 0:
        raise InputError("--seed", "seed", "a positive integer (SALib ignores seed 0)", seed)
    K = 0
    if method == "sobol":
        K = SCRAMBLES
        X = saltelli_rows(sobol_base(problem["num_vars"], N, seed, K), problem, second_order)
    elif method == "morris":
        X = morris_sample.sample(problem, N, num_levels=MORRIS_LEVELS, seed=seed)
    else:
        U = np.random.default_rng(seed).random((N, problem["num_vars"]))
        X = scale_samples(U, dict(problem))
    step = rows_per_base(method, problem, second_order)
    assert X.shape[0] == N * step, (X.shape, N, step)
    return Design(method, N, np.asarray(X, np.float64), step, second_order, K)


def convergence_sizes(method: str, N: int) -> list[int]:
    """N/8, N/4, N/2, N (those of at least 4 base points)."""
    return [n for n in (N // 8, N // 4, N // 2, N) if n >= 4]


# -- seeds ---------------------------------------------------------------------------------------
def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (a bijection of uint64), elementwise."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def base_roots(seed: int, lo: int, hi: int, R: int) -> np.ndarray:
    """Root keys (hi - lo, R) of base indices lo..hi-1, replications 0..R-1.

    s(j, r) depends on the study seed, j and r only: the same whatever the chunking, the
    worker count, the backend, N (prefix designs) or R (replication r of a larger study is
    replication r of a smaller one). Hashed (splitmix64) from the study key, vectorised:
    a study of a million runs derives its roots in milliseconds.
    """
    key = _sub_seed(seed, _RUN_STREAM).generate_state(1, np.uint64)
    j = np.arange(lo, hi, dtype=np.uint64)[:, None]
    r = np.arange(R, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        return mix64(mix64(key ^ mix64(j + np.uint64(0x9E3779B97F4A7C15))) + r) & _MASK63
